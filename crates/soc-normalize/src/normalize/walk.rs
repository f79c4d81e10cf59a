//! The walk: one pass over a document that applies the profile's rules at each place.

use serde_json::{Map, Value};

use super::LAYOUT_ELEMENT;
use super::sort::{sort_keyed, sort_set};
use crate::pattern::pointer;
use crate::profile::{ArrayRule, Profile};
use crate::redact::redact;

/// One normalization pass over one document.
///
/// The walk edits the (cloned) document in place: object maps and arrays are kept and their
/// children replaced, so no map is rebuilt and no key or string is copied.
pub(super) struct Walk<'a> {
    pub(super) profile: &'a Profile,
    /// How many more JSON values the payloads decoded inside this document may hold together
    /// (`limits.max_json_values`): a small base64 string can decode into a tree many times its
    /// size, so the tree is bounded, not just the text.
    pub(super) values_left: u64,
    /// The longest path an ignore rule can match, `None` when unbounded (a `**` rule): deeper
    /// nodes skip the ignore rules.
    ignore_depth: Option<usize>,
    /// The same for payload rules.
    payload_depth: Option<usize>,
    /// Unescaped pointer tokens of the value being visited, indices as in the input: the first
    /// `depth` entries of `path`. Entries beyond are kept as spare buffers, so visiting a node
    /// writes into an existing `String` instead of allocating one.
    path: Vec<String>,
    len: usize,
    pub(super) notes: Vec<String>,
    /// Removed layout subtrees, normalized, in document order.
    pub(super) layout: Vec<Value>,
    /// `Profile::is_secret_key` by key: documents repeat a few keys (`attributes`, `elements`,
    /// `name`) thousands of times.
    /// FxHash: the keys are short and come from the document (no adversary gains anything by
    /// colliding them but a slower lookup), where SipHash's setup cost dominated.
    secret_keys: rustc_hash::FxHashMap<String, bool>,
}

impl<'a> Walk<'a> {
    /// A walk over one document under `profile`, with the whole value budget.
    pub(super) fn new(profile: &'a Profile) -> Self {
        Walk {
            profile,
            ignore_depth: profile.ignore_depth(),
            payload_depth: profile.payload_depth(),
            path: Vec::new(),
            len: 0,
            notes: Vec::new(),
            layout: Vec::new(),
            secret_keys: rustc_hash::FxHashMap::default(),
            values_left: profile.limits().max_json_values,
        }
    }

    fn may_ignore(&self, len: usize) -> bool {
        self.ignore_depth.is_none_or(|max| len <= max)
    }

    fn may_hold_payload(&self, len: usize) -> bool {
        self.payload_depth.is_none_or(|max| len <= max)
    }

    pub(super) fn current(&self) -> &[String] {
        self.path.get(..self.len).unwrap_or_default()
    }

    fn push(&mut self, token: impl FnOnce(&mut String)) {
        if self.len == self.path.len() {
            self.path.push(String::new());
        }
        if let Some(slot) = self.path.get_mut(self.len) {
            slot.clear();
            token(slot);
        }
        self.len += 1;
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    /// `depth` is the nesting level of `value` (the document root is 0).
    pub(super) fn value(&mut self, value: &mut Value, depth: usize) {
        match value {
            Value::Object(map) => self.object(map, depth),
            Value::Array(items) => self.array(items, depth),
            Value::String(_) => self.string(value, depth),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, depth: usize) {
        if self.may_ignore(self.len + 1) {
            let mut ignored = Vec::new();
            for key in map.keys() {
                self.push(|slot| slot.push_str(key));
                if self.profile.is_ignored(self.current()) {
                    ignored.push(key.clone());
                }
                self.pop();
            }
            for key in ignored {
                map.remove(&key);
            }
        }
        let payloads = self.may_hold_payload(self.len + 1);
        for (key, child) in map.iter_mut() {
            let secret = self.is_secret_key(key);
            self.push(|slot| slot.push_str(key));
            let payload = if payloads && child.is_string() {
                self.profile.payload_at(self.current())
            } else {
                None
            };
            match payload {
                Some(payload) => self.payload(payload, child, depth + 1),
                None => self.value(child, depth + 1),
            }
            if secret {
                redact(child);
            }
            self.pop();
        }
        let rules = self.profile.redaction();
        for field in rules.pair_values(map, &mut |name| self.is_secret_key(name)) {
            if let Some(child) = map.get_mut(&field) {
                redact(child);
            }
        }
    }

    fn array(&mut self, items: &mut Vec<Value>, depth: usize) {
        let strip_layout = !self.profile.keep_layout()
            && self.current().last().is_some_and(|key| key == "elements");
        let check_ignored = self.may_ignore(self.len + 1);
        let mut kept = 0;
        for index in 0..items.len() {
            self.push(|slot| push_decimal(slot, index));
            let ignored = check_ignored && self.profile.is_ignored(self.current());
            if !ignored {
                if let Some(item) = items.get_mut(index) {
                    let is_layout = strip_layout
                        && item.get("name").and_then(Value::as_str) == Some(LAYOUT_ELEMENT);
                    self.value(item, depth + 1);
                    if is_layout {
                        self.layout.push(std::mem::take(item));
                    } else {
                        items.swap(kept, index);
                        kept += 1;
                    }
                }
            }
            self.pop();
        }
        items.truncate(kept);
        match self.profile.array_rule(self.current()) {
            ArrayRule::Ordered => {}
            ArrayRule::Set => sort_set(items),
            ArrayRule::Keyed(field) => sort_keyed(items, &field),
        }
    }

    fn is_secret_key(&mut self, key: &str) -> bool {
        if let Some(secret) = self.secret_keys.get(key) {
            return *secret;
        }
        let secret = self.profile.is_secret_key(key);
        self.secret_keys.insert(key.to_owned(), secret);
        secret
    }

    pub(super) fn note(&mut self, message: &str) {
        let note = format!("{}: {message}", pointer(self.current()));
        self.notes.push(note);
    }
}

/// Appends `n` in decimal (an array index as a pointer token), without the formatting machinery.
fn push_decimal(out: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(digit) = digits.get_mut(at) {
            // `rest % 10` is below 10, so the cast cannot truncate.
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    for &digit in digits.get(at..).unwrap_or_default() {
        out.push(char::from(digit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_indices_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 12345, usize::MAX] {
            let mut text = String::from("x");
            push_decimal(&mut text, n);
            assert_eq!(text, format!("x{n}"));
        }
    }
}
