//! Canonical form of a document under a profile.
//!
//! [`Profile::normalize`] walks a document once, top-down, and at each place applies the profile's
//! rules in this order: drop ignored values; decode embedded payloads (base64 `taskflow`, JSON in
//! `taskconfig`/`input`/`output` and in any string that holds a JSON object or array) and normalize
//! what they hold in place; remove the BPMN canvas layout; redact secrets (values under
//! secret-looking keys, the values of secret name/value pairs, and secrets inside the text of
//! strings that stay strings; see [`crate::redact`]); sort set and keyed arrays. The result is
//! printed by [`canonical_json`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::decode::{Content, Document};
use crate::pattern::pointer;
use crate::profile::{ArrayRule, ElementIds, Payload, Profile, key_ref};
use crate::redact::redact;

/// The deepest nesting normalization builds by decoding payloads inside payloads. Each parse is
/// limited by serde_json (128 levels); this bounds the sum, so a crafted document cannot make the
/// normalizer, the differ or the printer recurse without limit.
pub const MAX_DEPTH: usize = 256;

/// The name of the layout element removed unless the profile keeps layout.
pub const LAYOUT_ELEMENT: &str = "bpmndi:BPMNDiagram";

/// A document in canonical form, ready to diff and to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub name: String,
    pub source: String,
    pub content: NormalizedContent,
    /// SHA-256 (lowercase hex) of `canonical` for JSON, of the raw bytes for opaque documents.
    pub sha256: String,
    /// SHA-256 of the canonical form of the layout subtrees that the profile removed
    /// (`bpmndi:BPMNDiagram`), `None` when nothing was removed or layout is kept. Two documents
    /// with equal `sha256` and different `layout_sha256` differ in layout only.
    pub layout_sha256: Option<String>,
    /// Things the reader should know, e.g. a payload that failed to decode and was compared as text.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NormalizedContent {
    /// The canonical text (sorted keys, two-space indent, trailing newline). The tree it was
    /// printed from is not kept: most documents are only ever compared by hash, and a tree takes
    /// several times the memory of its text. [`Normalized::value`] parses it back when needed.
    Json {
        canonical: String,
    },
    Opaque {
        sha256: String,
        len: u64,
    },
}

impl Normalized {
    /// Rebuilds a JSON document from its stored canonical text (as written by [`canonical_json`]),
    /// recomputing `sha256` from the text.
    pub fn from_canonical(
        name: String,
        source: String,
        canonical: String,
        layout_sha256: Option<String>,
        notes: Vec<String>,
    ) -> Result<Self, serde_json::Error> {
        validate_canonical(&canonical)?;
        Ok(Self {
            name,
            source,
            sha256: sha256_hex(canonical.as_bytes()),
            content: NormalizedContent::Json { canonical },
            layout_sha256,
            notes,
        })
    }

    /// The canonical value of a JSON document, parsed from its text; `None` for an opaque one.
    pub fn value(&self) -> Option<Result<Value, serde_json::Error>> {
        self.canonical().map(parse_canonical)
    }

    /// The canonical text of a JSON document, `None` for an opaque one.
    pub fn canonical(&self) -> Option<&str> {
        match &self.content {
            NormalizedContent::Json { canonical, .. } => Some(canonical),
            NormalizedContent::Opaque { .. } => None,
        }
    }
}

/// Parses canonical text back into its value.
///
/// Canonical text can nest up to [`MAX_DEPTH`] levels (payloads decoded inside payloads), deeper
/// than serde_json's default limit of 128, so that limit is replaced by this one. The nesting is
/// counted before parsing, so no text, however crafted, makes the parser recurse deeper.
pub fn parse_canonical(text: &str) -> Result<Value, serde_json::Error> {
    parse_within_max_depth(text)
}

/// Checks that `text` is JSON that [`parse_canonical`] reads, without building the tree.
pub fn validate_canonical(text: &str) -> Result<(), serde_json::Error> {
    parse_within_max_depth::<serde::de::IgnoredAny>(text).map(|_| ())
}

fn parse_within_max_depth<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, serde_json::Error> {
    if nests_deeper_than(text.as_bytes(), MAX_DEPTH) {
        return Err(serde::de::Error::custom(format_args!(
            "nested more than {MAX_DEPTH} levels, deeper than normalization ever writes"
        )));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let value = T::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Whether objects and arrays in JSON text nest deeper than `limit`. Brackets inside strings do
/// not count; malformed text may be miscounted, but only ever upwards of what a parser reaches
/// before it fails.
fn nests_deeper_than(text: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in text {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The canonical text of a JSON value: object keys sorted, two-space indent, trailing newline.
///
/// The same value always gives the same bytes, so canonical files can be committed and reviewed.
/// (`serde_json` maps are ordered maps here: the workspace never enables `preserve_order`.)
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::new();
    write_pretty(&mut out, value, 0);
    out.push(b'\n');
    // Texts are kept for a whole comparison; without this, growth by doubling leaves up to half
    // of each one's allocation unused.
    out.shrink_to_fit();
    // Only whole UTF-8 strings and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

/// The layout of `serde_json::to_string_pretty` (two-space indent, `": "`, `{}` and `[]` when
/// empty), written directly: the generic serializer's per-token dispatch cost a fifth of
/// normalizing. Strings and numbers still go through serde_json, so escapes and number formats
/// are its own.
fn write_pretty(out: &mut Vec<u8>, value: &Value, indent: usize) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_leaf(out, number),
        Value::String(text) => write_leaf(out, text),
        Value::Array(items) if items.is_empty() => out.extend_from_slice(b"[]"),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                write_indent(out, indent + 1);
                write_pretty(out, item, indent + 1);
            }
            out.push(b'\n');
            write_indent(out, indent);
            out.push(b']');
        }
        Value::Object(map) if map.is_empty() => out.extend_from_slice(b"{}"),
        Value::Object(map) => {
            out.push(b'{');
            for (i, (key, item)) in map.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                write_indent(out, indent + 1);
                write_leaf(out, key);
                out.extend_from_slice(b": ");
                write_pretty(out, item, indent + 1);
            }
            out.push(b'\n');
            write_indent(out, indent);
            out.push(b'}');
        }
    }
}

/// Two spaces per level, copied in runs: BPMN trees are deep, and a line's indent pushed two bytes
/// at a time was most of the printer's own time.
fn write_indent(out: &mut Vec<u8>, indent: usize) {
    const SPACES: &[u8; 128] = &[b' '; 128];
    let mut rest = indent * 2;
    while rest > 0 {
        let run = rest.min(SPACES.len());
        out.extend_from_slice(SPACES.get(..run).unwrap_or_default());
        rest -= run;
    }
}

/// A string or number as serde_json writes it (the same compact and pretty).
fn write_leaf<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, leaf: &T) {
    // Writing a string or a number into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, leaf);
}

/// Whether `text` is a redaction marker as written by normalization (`<redacted:0123abcd>`).
pub fn is_redaction_marker(text: &str) -> bool {
    text.strip_prefix("<redacted:")
        .and_then(|rest| rest.strip_suffix('>'))
        .is_some_and(|hash| {
            hash.len() == 8 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

impl Profile {
    /// Redacts the secrets of a value in place by this profile's rules, without decoding or
    /// normalizing anything else: for data kept next to normalized documents (a workflow's info),
    /// which must hold no secret either.
    pub fn redact(&self, value: &mut Value) {
        let rules = self.redaction();
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    self.redact(child);
                    if rules.is_secret_key(key) {
                        redact(child);
                    }
                }
                for field in rules.pair_values(map, &mut |name| rules.is_secret_key(name)) {
                    if let Some(child) = map.get_mut(&field) {
                        redact(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.redact(item)),
            Value::String(text) => {
                if let Some(redacted) = rules.redact_text(text) {
                    *text = redacted;
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Turns a document into canonical form under this profile.
    ///
    /// Infallible by design: whatever cannot be decoded is kept as it is and explained in
    /// [`Normalized::notes`].
    pub fn normalize(&self, doc: &Document) -> Normalized {
        match &doc.content {
            Content::Opaque { sha256, len } => Normalized {
                name: doc.name.clone(),
                source: doc.source.clone(),
                content: NormalizedContent::Opaque {
                    sha256: sha256.clone(),
                    len: *len,
                },
                sha256: sha256.clone(),
                layout_sha256: None,
                notes: Vec::new(),
            },
            Content::Json(value) => {
                let mut walk = Walk {
                    profile: self,
                    ignore_depth: self.ignore_depth(),
                    payload_depth: self.payload_depth(),
                    path: Vec::new(),
                    len: 0,
                    notes: Vec::new(),
                    layout: Vec::new(),
                    secret_keys: HashMap::default(),
                    values_left: self.limits().max_json_values,
                };
                // A playbook document is compared in its comparable shape (each action's workflow by
                // name, the active version apart from the others); anything else as it is.
                let mut value = soc_model::playbook::comparable(value.clone());
                walk.value(&mut value, 0);
                crate::ignore::prune(&mut value, self, self.address_ignore());
                let canonical = canonical_json(&value);
                let layout_sha256 = (!walk.layout.is_empty())
                    .then(|| sha256_hex(canonical_json(&Value::Array(walk.layout)).as_bytes()));
                Normalized {
                    name: doc.name.clone(),
                    source: doc.source.clone(),
                    sha256: sha256_hex(canonical.as_bytes()),
                    content: NormalizedContent::Json { canonical },
                    layout_sha256,
                    notes: walk.notes,
                }
            }
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One normalization pass over one document.
///
/// The walk edits the (cloned) document in place: object maps and arrays are kept and their
/// children replaced, so no map is rebuilt and no key or string is copied.
struct Walk<'a> {
    profile: &'a Profile,
    /// How many more JSON values the payloads decoded inside this document may hold together
    /// (`limits.max_json_values`): a small base64 string can decode into a tree many times its
    /// size, so the tree is bounded, not just the text.
    values_left: u64,
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
    notes: Vec<String>,
    /// Removed layout subtrees, normalized, in document order.
    layout: Vec<Value>,
    /// `Profile::is_secret_key` by key: documents repeat a few keys (`attributes`, `elements`,
    /// `name`) thousands of times.
    secret_keys: HashMap<String, bool, BuildHasherDefault<KeyHasher>>,
}

/// FNV-1a: the secret-key cache hashes short keys from the document (no adversary gains
/// anything by colliding them but a slower lookup), where SipHash's setup cost dominated.
struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Walk<'_> {
    fn may_ignore(&self, len: usize) -> bool {
        self.ignore_depth.is_none_or(|max| len <= max)
    }

    fn may_hold_payload(&self, len: usize) -> bool {
        self.payload_depth.is_none_or(|max| len <= max)
    }

    fn current(&self) -> &[String] {
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
    fn value(&mut self, value: &mut Value, depth: usize) {
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

    /// Any string that holds a JSON object or array is compared as that value.
    fn string(&mut self, value: &mut Value, depth: usize) {
        let Value::String(text) = value else {
            return;
        };
        if looks_like_json(text) && self.spend_values(text.as_bytes()) {
            // Merely starting with `{` is common in templates and free text: no note otherwise.
            if let Ok(parsed @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str(text) {
                self.nested(parsed, value, depth);
                return;
            }
        }
        self.redact_text(value);
    }

    /// Redacts secrets inside the text of a string that stays a string.
    fn redact_text(&self, value: &mut Value) {
        if let Value::String(text) = value {
            if let Some(redacted) = self.profile.redaction().redact_text(text) {
                *text = redacted;
            }
        }
    }

    /// Takes the JSON values of `text` out of the document's budget; `false` (with a note) when
    /// they do not fit, and the text is then compared as it is.
    fn spend_values(&mut self, text: &[u8]) -> bool {
        match soc_model::json::count_values(text, self.values_left) {
            Some(count) => {
                self.values_left -= count;
                true
            }
            None => {
                let limit = self.profile.limits().max_json_values;
                self.note(&format!(
                    "decoding would take the document over {limit} JSON values \
                     (limits.max_json_values), compared as text"
                ));
                false
            }
        }
    }

    /// A string at a payload path (`taskflow`, `taskconfig`, `input`, `output`).
    fn payload(&mut self, payload: Payload, value: &mut Value, depth: usize) {
        let Value::String(text) = value else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        // A payload that decodes is compared as what it holds: nothing to redact in the text.
        // Anything that stays text is redacted as text.
        let as_json = payload == Payload::Json || looks_like_json(text);
        if as_json && !self.spend_values(text.as_bytes()) {
            self.redact_text(value);
            return;
        }
        let parsed = match payload {
            // JSON stored where base64 was expected is still JSON (no base64 text starts with `{`).
            Payload::Json | Payload::Base64Json if looks_like_json(text) => {
                serde_json::from_str::<Value>(text).map_err(|_| "not valid JSON")
            }
            Payload::Json => serde_json::from_str::<Value>(text).map_err(|_| "not valid JSON"),
            Payload::Base64Json => match decode_base64(text) {
                Err(_) => Err("not valid base64"),
                Ok(bytes) if !self.spend_values(&bytes) => {
                    // Kept as base64 it would still carry every secret it holds, merely
                    // encoded: it is compared by its hash instead.
                    redact(value);
                    return;
                }
                Ok(bytes) => Ok(bytes),
            }
            .and_then(|bytes| {
                // One UTF-8 check of the whole text is cheaper than serde_json's per string.
                std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|text| serde_json::from_str::<Value>(text).ok())
                    .ok_or("base64 that does not hold JSON")
            })
            .and_then(|value| match value {
                Value::Object(_) | Value::Array(_) => Ok(value),
                _ => Err("base64 that does not hold a JSON object or array"),
            }),
        };
        match parsed {
            Ok(mut parsed @ (Value::Object(_) | Value::Array(_))) => {
                // Before the walk: keyed arrays are sorted by element id, so ids must be final.
                if payload == Payload::Base64Json
                    && self.profile.element_ids() == ElementIds::ByName
                {
                    crate::element_ids::relabel(&mut parsed);
                }
                self.nested(parsed, value, depth);
            }
            // A JSON scalar compares the same as its text; keeping the text keeps normalizing idempotent.
            Ok(_) => self.redact_text(value),
            Err(why) => {
                self.note(&format!("{why}, compared as text"));
                self.redact_text(value);
            }
        }
    }

    /// Normalizes a decoded payload in place of its text (`slot`), unless it would nest too deeply.
    fn nested(&mut self, mut parsed: Value, slot: &mut Value, depth: usize) {
        // serde_json parses at most 127 levels, so only deep places need to measure the payload.
        if depth + PARSE_DEPTH_BOUND > MAX_DEPTH && depth + nesting(&parsed) > MAX_DEPTH {
            self.note("nested too deeply to decode, compared as text");
            self.redact_text(slot);
            return;
        }
        self.value(&mut parsed, depth);
        *slot = parsed;
    }

    fn is_secret_key(&mut self, key: &str) -> bool {
        if let Some(secret) = self.secret_keys.get(key) {
            return *secret;
        }
        let secret = self.profile.is_secret_key(key);
        self.secret_keys.insert(key.to_owned(), secret);
        secret
    }

    fn note(&mut self, message: &str) {
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

/// More levels than serde_json ever parses (its recursion limit is 128).
const PARSE_DEPTH_BOUND: usize = 129;

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

/// Standard base64 (padded or not), whitespace ignored. Exports are almost never wrapped, so the
/// text is decoded as it is and copied without whitespace only when that fails.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64_engine().decode(text).or_else(|err| {
        if text.bytes().any(|b| b.is_ascii_whitespace()) {
            base64_engine().decode(
                text.bytes()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect::<Vec<u8>>(),
            )
        } else {
            Err(err)
        }
    })
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// Levels of objects and arrays in `value` (0 for a scalar). Only called on freshly parsed values,
/// which serde_json limits to 128 levels, so the recursion is bounded.
fn nesting(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(nesting).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => 0,
    }
}

/// Standard base64, padded or not: exports have been seen both ways in other tools.
fn base64_engine() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProfileConfig;
    use serde_json::json;

    fn doc(value: Value) -> Document {
        Document {
            name: "wf".into(),
            source: "test.json".into(),
            content: Content::Json(value),
        }
    }

    fn norm(profile: &Profile, value: Value) -> Normalized {
        profile.normalize(&doc(value))
    }

    fn value_of(n: &Normalized) -> Value {
        n.value().expect("a JSON document").unwrap()
    }

    fn b64(value: &Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(value).unwrap())
    }

    #[test]
    fn canonical_text_sorts_keys_and_ends_with_newline() {
        let n = norm(
            &Profile::generic(),
            json!({"b": 1, "a": {"d": [1, 2], "c": null}}),
        );
        assert_eq!(
            n.canonical().unwrap(),
            "{\n  \"a\": {\n    \"c\": null,\n    \"d\": [\n      1,\n      2\n    ]\n  },\n  \"b\": 1\n}\n"
        );
        assert_eq!(n.sha256, sha256_hex(n.canonical().unwrap().as_bytes()));
        assert_eq!(n.layout_sha256, None);
        assert!(n.notes.is_empty());
    }

    #[test]
    fn secmaster_drops_identity_fields_but_not_bpmn_ids() {
        let flow = json!({"elementType": "{}", "workflow": {"elements": [
            {"type": "element", "name": "bpmn2:sequenceFlow", "attributes": {"id": "Flow_1", "sourceRef": "A"}}
        ]}});
        let n = norm(
            &Profile::secmaster(),
            json!({"id": "w1", "name": "N", "create_time": "t", "versions": [
                {"id": "v1", "version_id": "v1", "aopworkflow_id": "w1", "status": "activated", "taskflow": b64(&flow)}
            ]}),
        );
        let mut decoded = flow;
        // xml-js writes `"elementType": "{}"`; like every string holding a JSON object it is compared as one.
        decoded["elementType"] = json!({});
        assert_eq!(
            value_of(&n),
            json!({"name": "N", "versions": [{"status": "activated", "taskflow": decoded}]})
        );
    }

    #[test]
    fn embedded_payloads_are_decoded_and_normalized_recursively() {
        let n = norm(
            &Profile::secmaster(),
            json!({"name": "N", "versions": [{
                "taskconfig": "{\"b\":1,\"a\":{\"nested\":\"[1,2]\"}}",
                "input": " {\"x\": true}",
                "output": "{}",
                "description": "{not json",
            }]}),
        );
        assert_eq!(
            value_of(&n)["versions"][0],
            json!({
                "taskconfig": {"a": {"nested": [1, 2]}, "b": 1},
                "input": {"x": true},
                "output": {},
                "description": "{not json",
            })
        );
        assert!(n.notes.is_empty(), "{:?}", n.notes);
    }

    #[test]
    fn decoded_payloads_keep_to_the_json_value_limit() {
        let profile = Profile::secmaster().with_limits(soc_model::Limits {
            max_json_values: 12,
            ..soc_model::Limits::default()
        });
        let config = json!([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).to_string();
        let taskflow = b64(&json!([1, 2, 3]));
        let n = norm(
            &profile,
            json!({"name": "W", "versions": [{"taskconfig": config, "taskflow": taskflow}]}),
        );
        assert_eq!(
            value_of(&n)["versions"][0]["taskconfig"],
            json!(config),
            "kept as text"
        );
        assert_eq!(value_of(&n)["versions"][0]["taskflow"], json!([1, 2, 3]));
        assert_eq!(n.notes.len(), 1, "{:?}", n.notes);
        assert!(
            n.notes[0].contains("limits.max_json_values"),
            "{:?}",
            n.notes
        );
    }

    #[test]
    fn a_taskflow_over_the_value_limit_is_compared_by_hash_never_as_encoded_secrets() {
        let profile = Profile::secmaster().with_limits(soc_model::Limits {
            max_json_values: 4,
            ..soc_model::Limits::default()
        });
        let taskflow = b64(&json!({"password": "hunter2-planted", "a": [1, 2, 3, 4, 5]}));
        let n = norm(
            &profile,
            json!({"name": "W", "versions": [{"taskflow": taskflow}]}),
        );
        let kept = value_of(&n)["versions"][0]["taskflow"].clone();
        assert!(
            kept.as_str().is_some_and(|t| t.starts_with("<redacted:")),
            "{kept}"
        );
        assert!(!n.canonical().unwrap().contains(&taskflow));
        assert!(
            n.notes
                .iter()
                .any(|note| note.contains("limits.max_json_values")),
            "{:?}",
            n.notes
        );
    }

    #[test]
    fn payloads_that_fail_to_decode_stay_text_with_a_note() {
        let n = norm(
            &Profile::secmaster(),
            json!({"name": "N", "versions": [
                {"taskflow": "%%% not base64", "taskconfig": "{broken", "input": "", "output": "plain"},
                {"taskflow": base64::engine::general_purpose::STANDARD.encode("not json")},
                {"taskflow": base64::engine::general_purpose::STANDARD.encode("\"a string\"")},
                {"taskconfig": "42"},
            ]}),
        );
        assert_eq!(
            value_of(&n)["versions"][0]["taskflow"],
            json!("%%% not base64")
        );
        assert_eq!(value_of(&n)["versions"][3]["taskconfig"], json!("42"));
        assert_eq!(
            n.notes,
            [
                "/versions/0/output: not valid JSON, compared as text",
                "/versions/0/taskconfig: not valid JSON, compared as text",
                "/versions/0/taskflow: not valid base64, compared as text",
                "/versions/1/taskflow: base64 that does not hold JSON, compared as text",
                "/versions/2/taskflow: base64 that does not hold a JSON object or array, compared as text",
            ]
        );
    }

    #[test]
    fn base64_is_accepted_unpadded_and_wrapped() {
        let inner = json!({"k": "vv"});
        let padded = b64(&inner);
        let unpadded = padded.trim_end_matches('=').to_owned();
        let wrapped = format!("{}\n{}", &padded[..4], &padded[4..]);
        for text in [padded, unpadded, wrapped] {
            let n = norm(
                &Profile::secmaster(),
                json!({"name": "N", "taskflow": text}),
            );
            assert_eq!(value_of(&n)["taskflow"], inner);
            assert!(n.notes.is_empty());
        }
        // A taskflow already holding JSON text is read as JSON.
        let n = norm(
            &Profile::secmaster(),
            json!({"name": "N", "taskflow": "{\"k\":\"vv\"}"}),
        );
        assert_eq!(value_of(&n)["taskflow"], inner);
    }

    #[test]
    fn layout_is_removed_and_hashed_unless_kept() {
        let diagram = |x: &str| {
            json!({"type": "element", "name": "bpmndi:BPMNDiagram", "attributes": {"id": "D"},
            "elements": [{"name": "dc:Bounds", "attributes": {"x": x}}]})
        };
        let flow = |x: &str| {
            json!({"workflow": {"elements": [{"name": "bpmn2:definitions", "elements": [
            {"name": "bpmn2:process", "attributes": {"id": "P"}}, diagram(x)]}]}})
        };
        let wf = |x: &str| json!({"name": "N", "versions": [{"taskflow": b64(&flow(x))}]});
        let a = norm(&Profile::secmaster(), wf("1"));
        let b = norm(&Profile::secmaster(), wf("2"));
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.sha256, b.sha256);
        assert!(a.layout_sha256.is_some());
        assert_ne!(a.layout_sha256, b.layout_sha256);
        assert!(!a.canonical().unwrap().contains("BPMNDiagram"));

        let keep = Profile::secmaster()
            .with_config(&ProfileConfig {
                keep_layout: true,
                ..Default::default()
            })
            .unwrap();
        let a = norm(&keep, wf("1"));
        let b = norm(&keep, wf("2"));
        assert_ne!(a.sha256, b.sha256);
        assert_eq!(a.layout_sha256, None);
        assert!(a.canonical().unwrap().contains("BPMNDiagram"));
    }

    #[test]
    fn secrets_are_redacted_after_decoding() {
        let n = norm(
            &Profile::secmaster(),
            json!({"name": "N", "versions": [{"taskconfig": "{\"webhook\":{\"api_token\":\"s3cr3t\",\"url\":\"u\"}}"}],
                   "password": {"nested": "x"}, "db_password": "", "client_secret": null, "tokenizer": "keep"}),
        );
        let v = value_of(&n);
        let token = v["versions"][0]["taskconfig"]["webhook"]["api_token"]
            .as_str()
            .unwrap();
        let expected = &sha256_hex(canonical_json(&json!("s3cr3t")).as_bytes())[..8];
        assert_eq!(token, format!("<redacted:{expected}>"));
        assert!(is_redaction_marker(token));
        assert!(is_redaction_marker(v["password"].as_str().unwrap()));
        assert_eq!(v["db_password"], json!(""));
        assert_eq!(v["client_secret"], json!(null));
        assert_eq!(v["tokenizer"], json!("keep"));
        assert!(!n.canonical().unwrap().contains("s3cr3t"));
        // A changed secret still changes the hash.
        let other = norm(&Profile::secmaster(), json!({"name": "N", "password": "b"}));
        let same = norm(&Profile::secmaster(), json!({"name": "N", "password": "a"}));
        assert_ne!(other.sha256, same.sha256);
    }

    #[test]
    fn redaction_markers_are_not_redacted_twice() {
        assert!(is_redaction_marker("<redacted:0123abcd>"));
        assert!(!is_redaction_marker("<redacted:0123ABCD>"));
        assert!(!is_redaction_marker("<redacted:0123abc>"));
        let mut marker = json!("<redacted:0123abcd>");
        redact(&mut marker);
        assert_eq!(marker, json!("<redacted:0123abcd>"));
    }

    #[test]
    fn set_and_keyed_arrays_are_sorted() {
        let config = ProfileConfig {
            sets: vec!["/tags".into()],
            keyed: [("/steps".to_owned(), "meta.id".to_owned())].into(),
            ..Default::default()
        };
        let p = Profile::generic().with_config(&config).unwrap();
        let n = norm(
            &p,
            json!({"tags": ["b", {"z": 1}, "a", 3], "plain": [3, 1, 2], "steps": [
                {"meta": {"id": "s2"}}, "loose", {"meta": {"id": "s1"}, "v": 2}, {"meta": {"id": "s1"}, "v": 1}, {"x": 0}
            ]}),
        );
        assert_eq!(
            value_of(&n),
            json!({"tags": ["a", "b", 3, {"z": 1}], "plain": [3, 1, 2], "steps": [
                {"meta": {"id": "s1"}, "v": 1}, {"meta": {"id": "s1"}, "v": 2}, {"meta": {"id": "s2"}}, "loose", {"x": 0}
            ]})
        );
    }

    #[test]
    fn canonical_text_is_serde_json_pretty_text() {
        let mut deep = json!({"leaf": [1, -2, 2.5, "\u{1}\"\\/\u{e9}", null, true, {}, []]});
        for level in 0..90 {
            deep = if level % 2 == 0 {
                json!([deep, {"k": level}])
            } else {
                json!({"z": deep, "a": []})
            };
        }
        let expected = format!("{}\n", serde_json::to_string_pretty(&deep).unwrap());
        assert_eq!(canonical_json(&deep), expected);
        assert_eq!(canonical_json(&json!([])), "[]\n");
    }

    #[test]
    fn array_indices_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 12345, usize::MAX] {
            let mut text = String::from("x");
            push_decimal(&mut text, n);
            assert_eq!(text, format!("x{n}"));
        }
    }

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

    #[test]
    fn ignore_rules_apply_inside_arrays_and_payloads() {
        let config = ProfileConfig {
            ignore: vec!["/versions/*/taskconfig/**/ts".into(), "/list/1".into()],
            ..Default::default()
        };
        let p = Profile::secmaster().with_config(&config).unwrap();
        let n = norm(
            &p,
            json!({"name": "N", "list": [0, 1, 2], "versions": [{"taskconfig": "{\"a\":{\"ts\":1,\"k\":2}}"}]}),
        );
        assert_eq!(
            value_of(&n),
            json!({"name": "N", "list": [0, 2], "versions": [{"taskconfig": {"a": {"k": 2}}}]})
        );
    }

    #[test]
    fn payloads_inside_payloads_stop_at_the_depth_limit() {
        // Each level is a JSON string holding 100 more levels: the total would exceed MAX_DEPTH.
        let mut value = json!("leaf");
        for _ in 0..4 {
            let mut text = serde_json::to_string(&value).unwrap();
            text = format!("{}{}{}", "[".repeat(100), text, "]".repeat(100));
            value = Value::String(text);
        }
        let n = norm(&Profile::generic(), json!({"name": "N", "deep": value}));
        assert!(
            n.notes
                .iter()
                .any(|note| note.contains("nested too deeply")),
            "{:?}",
            n.notes
        );
        assert!(nesting(&value_of(&n)) <= MAX_DEPTH);
    }

    #[test]
    fn deepest_allowed_nesting_fits_a_test_thread_stack() {
        // The deepest a document can get: 127 levels from the file, 127 more from one payload.
        let inner = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        let outer = format!(
            "{}{}{}",
            "[".repeat(126),
            serde_json::to_string(&inner).unwrap(),
            "]".repeat(126)
        );
        let text = format!("{{\"name\":\"deep\",\"x\":{outer}}}");
        let docs =
            crate::decode_export("deep.json", text.as_bytes(), &Profile::secmaster()).unwrap();
        let n = Profile::secmaster().normalize(&docs[0]);
        assert!(n.notes.is_empty(), "{:?}", n.notes);
        assert_eq!(nesting(&value_of(&n)), 1 + 126 + 127);
        // The tree above was parsed back from the canonical text, which serde_json alone refuses
        // (deeper than 128 levels).
        let canonical = n.canonical().unwrap();
        assert!(serde_json::from_str::<Value>(canonical).is_err());
    }

    #[test]
    fn canonical_text_deeper_than_the_limit_is_refused_before_parsing() {
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let err = parse_canonical(&too_deep).unwrap_err();
        assert!(err.to_string().contains("nested more than 256"), "{err}");
        // Unclosed brackets are counted too: far too deep for any stack if parsing recursed.
        assert!(parse_canonical(&"[".repeat(1_000_000)).is_err());
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(nesting(&parse_canonical(&at_limit).unwrap()), MAX_DEPTH);
    }

    #[test]
    fn brackets_inside_strings_do_not_count_as_nesting() {
        let text = format!(
            "{{\"s\": \"{}\\\"{}\"}}",
            "{".repeat(10),
            "[".repeat(MAX_DEPTH * 2)
        );
        let value = parse_canonical(&text).unwrap();
        assert_eq!(nesting(&value), 1);
        assert!(parse_canonical("{} trailing").is_err());
    }

    #[test]
    fn opaque_documents_keep_their_hash() {
        let d = Document::opaque("x.bin", "dir/x.bin", b"\x00\x01");
        let n = Profile::secmaster().normalize(&d);
        let Content::Opaque { sha256, len } = &d.content else {
            panic!()
        };
        assert_eq!(&n.sha256, sha256);
        assert_eq!(
            n.content,
            NormalizedContent::Opaque {
                sha256: sha256.clone(),
                len: *len
            }
        );
        assert_eq!(n.canonical(), None);
    }

    #[test]
    fn from_canonical_round_trips() {
        let n = norm(
            &Profile::secmaster(),
            json!({"name": "N", "b": [1, {"c": 2}]}),
        );
        let text = n.canonical().unwrap().to_owned();
        let back =
            Normalized::from_canonical(n.name.clone(), n.source.clone(), text, None, Vec::new())
                .unwrap();
        assert_eq!(back, n);
        assert!(
            Normalized::from_canonical("a".into(), "b".into(), "{".into(), None, Vec::new())
                .is_err()
        );
    }
}
