//! Set and keyed arrays put in a stable order, so that order never shows as drift.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use crate::profile::key_ref;

/// Sorts a set array by the compact text of its items (ties keep their order).
pub(crate) fn sort_set(items: &mut [Value]) {
    if items.len() > 1 {
        let mut keys: Vec<SortKey<'_>> = items.iter().map(SortKey::new).collect();
        let order = sorted_order(&mut keys, |_, _| Ordering::Equal);
        drop(keys);
        apply_order(items, order);
    }
}

/// Items with a key first, by key (ties by text), then items without, by text.
pub(crate) fn sort_keyed(items: &mut [Value], field: &str) {
    if items.len() < 2 {
        return;
    }
    let ids: Vec<Option<Cow<'_, str>>> = items.iter().map(|item| key_ref(item, field)).collect();
    let mut keys: Vec<SortKey<'_>> = items.iter().map(SortKey::new).collect();
    let order = sorted_order(&mut keys, |a, b| {
        match (
            ids.get(a).and_then(Option::as_ref),
            ids.get(b).and_then(Option::as_ref),
        ) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    });
    drop(keys);
    apply_order(items, order);
}

/// The stable order of `keys` by `first` (on item indices), then by the items' compact text.
fn sorted_order(keys: &mut [SortKey<'_>], first: impl Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| first(a, b).then_with(|| compare_keys(keys, a, b)));
    order
}

/// Puts `items` in `order` (a permutation of their indices) without cloning them.
fn apply_order(items: &mut [Value], order: Vec<usize>) {
    let mut taken: Vec<Value> = items.iter_mut().map(std::mem::take).collect();
    for (slot, from) in items.iter_mut().zip(order) {
        if let Some(item) = taken.get_mut(from) {
            *slot = std::mem::take(item);
        }
    }
}

/// Bytes of compact text compared before a full serialization is needed: set and keyed items
/// almost always differ within their first few dozen bytes, so whole subtrees are rarely printed.
const SORT_PREFIX: usize = 96;

/// The compact JSON text (sorted keys) of an item, the order of set items: its first
/// [`SORT_PREFIX`] bytes, and the whole text once a comparison needs it.
struct SortKey<'v> {
    value: &'v Value,
    prefix: Option<Vec<u8>>,
    truncated: bool,
    full: Option<Vec<u8>>,
}

impl<'v> SortKey<'v> {
    /// A key whose text is serialized only when a comparison needs it: keyed arrays with unique
    /// keys never do.
    fn new(value: &'v Value) -> Self {
        Self {
            value,
            prefix: None,
            truncated: false,
            full: None,
        }
    }

    /// Serializes the first [`SORT_PREFIX`] bytes, once.
    fn fill_prefix(&mut self) {
        if self.prefix.is_none() {
            let mut writer = PrefixWriter {
                bytes: Vec::with_capacity(SORT_PREFIX),
                truncated: false,
            };
            // Fails only when the prefix is full, which `truncated` records.
            let _ = serde_json::to_writer(&mut writer, self.value);
            self.prefix = Some(writer.bytes);
            self.truncated = writer.truncated;
        }
    }

    /// Serializes the whole text, once.
    fn fill(&mut self) {
        if self.full.is_none() {
            self.full = Some(compact(self.value).into_bytes());
        }
    }
}

/// The same order as comparing the items' whole compact texts.
fn compare_keys(keys: &mut [SortKey<'_>], a: usize, b: usize) -> Ordering {
    for at in [a, b] {
        if let Some(key) = keys.get_mut(at) {
            key.fill_prefix();
        }
    }
    let (Some(ka), Some(kb)) = (keys.get(a), keys.get(b)) else {
        return Ordering::Equal;
    };
    match ka.prefix.cmp(&kb.prefix) {
        Ordering::Equal => {}
        // Prefixes of equal length that differ order the texts; a shorter prefix is a whole text.
        unequal => return unequal,
    }
    match (ka.truncated, kb.truncated) {
        (false, false) => Ordering::Equal,
        // A whole text that is a prefix of the other sorts first.
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (true, true) => {
            for at in [a, b] {
                if let Some(key) = keys.get_mut(at) {
                    key.fill();
                }
            }
            let full = |at: usize| keys.get(at).and_then(|k| k.full.as_deref());
            full(a).cmp(&full(b))
        }
    }
}

/// Collects at most [`SORT_PREFIX`] bytes, then fails the serialization.
struct PrefixWriter {
    bytes: Vec<u8>,
    truncated: bool,
}

impl std::io::Write for PrefixWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = SORT_PREFIX - self.bytes.len();
        if buf.len() > room {
            self.bytes
                .extend_from_slice(buf.get(..room).unwrap_or_default());
            self.truncated = true;
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Compact JSON text with sorted keys: the order of set items.
fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_order_is_the_order_of_whole_compact_texts() {
        // Texts around the compared prefix length, sharing long prefixes and being prefixes of
        // each other, in an order that a prefix-only comparison would get wrong.
        let mut items = Vec::new();
        for len in (SORT_PREFIX - 6)..(SORT_PREFIX + 6) {
            for tail in ["", "a", "b", "\"", "~"] {
                items.push(json!(format!("{}{tail}", "x".repeat(len))));
                items.push(json!({"k": format!("{}{tail}", "y".repeat(len)), "n": len}));
            }
        }
        items.reverse();
        let mut expected = items.clone();
        expected.sort_by_cached_key(compact);
        sort_set(&mut items);
        assert_eq!(items, expected);
    }
}
