//! Canonical form of a document under a profile.
//!
//! [`Profile::normalize`] walks a document once, top-down, and at each place applies the profile's
//! rules in this order: drop ignored values; decode embedded payloads (base64 `taskflow`, JSON in
//! `taskconfig`/`input`/`output` and in any string that holds a JSON object or array) and normalize
//! what they hold in place; remove the BPMN canvas layout; redact values under secret-looking keys;
//! sort set and keyed arrays. The result is printed by [`canonical_json`].

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::decode::{Content, Document};
use crate::pattern::pointer;
use crate::profile::{ArrayRule, Payload, Profile, key_of};

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
    /// The canonical value and its canonical text (sorted keys, two-space indent, trailing newline).
    Json {
        value: Value,
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
        let value = serde_json::from_str(&canonical)?;
        Ok(Self {
            name,
            source,
            sha256: sha256_hex(canonical.as_bytes()),
            content: NormalizedContent::Json { value, canonical },
            layout_sha256,
            notes,
        })
    }

    /// The canonical text of a JSON document, `None` for an opaque one.
    pub fn canonical(&self) -> Option<&str> {
        match &self.content {
            NormalizedContent::Json { canonical, .. } => Some(canonical),
            NormalizedContent::Opaque { .. } => None,
        }
    }
}

/// The canonical text of a JSON value: object keys sorted, two-space indent, trailing newline.
///
/// The same value always gives the same bytes, so canonical files can be committed and reviewed.
/// (`serde_json` maps are ordered maps here: the workspace never enables `preserve_order`.)
pub fn canonical_json(value: &Value) -> String {
    // Serializing a `Value` into a `Vec` cannot fail: every key is a string and I/O is in memory.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
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
                    path: Vec::new(),
                    notes: Vec::new(),
                    layout: Vec::new(),
                    secret_keys: HashMap::new(),
                };
                let value = walk.value(value.clone(), 0);
                let canonical = canonical_json(&value);
                let layout_sha256 = (!walk.layout.is_empty())
                    .then(|| sha256_hex(canonical_json(&Value::Array(walk.layout)).as_bytes()));
                Normalized {
                    name: doc.name.clone(),
                    source: doc.source.clone(),
                    sha256: sha256_hex(canonical.as_bytes()),
                    content: NormalizedContent::Json { value, canonical },
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
struct Walk<'a> {
    profile: &'a Profile,
    /// Unescaped pointer tokens of the value being visited, indices as in the input.
    path: Vec<String>,
    notes: Vec<String>,
    /// Removed layout subtrees, normalized, in document order.
    layout: Vec<Value>,
    /// `Profile::is_secret_key` by key: documents repeat a few keys (`attributes`, `elements`,
    /// `name`) thousands of times.
    secret_keys: HashMap<String, bool>,
}

impl Walk<'_> {
    /// `depth` is the nesting level of `value` (the document root is 0).
    fn value(&mut self, value: Value, depth: usize) -> Value {
        match value {
            Value::Object(map) => self.object(map, depth),
            Value::Array(items) => self.array(items, depth),
            Value::String(text) => self.string(text, depth),
            scalar @ (Value::Null | Value::Bool(_) | Value::Number(_)) => scalar,
        }
    }

    fn object(&mut self, map: Map<String, Value>, depth: usize) -> Value {
        let mut out = Map::new();
        for (key, child) in map {
            let secret = self.is_secret_key(&key);
            self.path.push(key);
            if !self.profile.is_ignored(&self.path) {
                let child = match (self.profile.payload_at(&self.path), child) {
                    (Some(payload), Value::String(text)) => self.payload(payload, text, depth + 1),
                    (_, child) => self.value(child, depth + 1),
                };
                let child = if secret { redact(child) } else { child };
                if let Some(key) = self.path.pop() {
                    out.insert(key, child);
                }
            } else {
                self.path.pop();
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, items: Vec<Value>, depth: usize) -> Value {
        let strip_layout =
            !self.profile.keep_layout() && self.path.last().is_some_and(|key| key == "elements");
        let mut out = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            self.path.push(index.to_string());
            if !self.profile.is_ignored(&self.path) {
                let is_layout = strip_layout
                    && item.get("name").and_then(Value::as_str) == Some(LAYOUT_ELEMENT);
                let item = self.value(item, depth + 1);
                if is_layout {
                    self.layout.push(item);
                } else {
                    out.push(item);
                }
            }
            self.path.pop();
        }
        match self.profile.array_rule(&self.path) {
            ArrayRule::Ordered => {}
            ArrayRule::Set if out.len() > 1 => out.sort_by_cached_key(compact),
            ArrayRule::Set => {}
            ArrayRule::Keyed(field) => out = sort_keyed(out, &field),
        }
        Value::Array(out)
    }

    /// Any string that holds a JSON object or array is compared as that value.
    fn string(&mut self, text: String, depth: usize) -> Value {
        if !looks_like_json(&text) {
            return Value::String(text);
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(value @ (Value::Object(_) | Value::Array(_))) => self.nested(value, text, depth),
            // Merely starting with `{` is common in templates and free text: no note.
            _ => Value::String(text),
        }
    }

    /// A string at a payload path (`taskflow`, `taskconfig`, `input`, `output`).
    fn payload(&mut self, payload: Payload, text: String, depth: usize) -> Value {
        if text.trim().is_empty() {
            return Value::String(text);
        }
        let parsed = match payload {
            // JSON stored where base64 was expected is still JSON (no base64 text starts with `{`).
            Payload::Json | Payload::Base64Json if looks_like_json(&text) => {
                serde_json::from_str::<Value>(&text).map_err(|_| "not valid JSON")
            }
            Payload::Json => serde_json::from_str::<Value>(&text).map_err(|_| "not valid JSON"),
            Payload::Base64Json => base64_engine()
                .decode(
                    text.bytes()
                        .filter(|b| !b.is_ascii_whitespace())
                        .collect::<Vec<u8>>(),
                )
                .map_err(|_| "not valid base64")
                .and_then(|bytes| {
                    serde_json::from_slice::<Value>(&bytes)
                        .map_err(|_| "base64 that does not hold JSON")
                })
                .and_then(|value| match value {
                    Value::Object(_) | Value::Array(_) => Ok(value),
                    _ => Err("base64 that does not hold a JSON object or array"),
                }),
        };
        match parsed {
            Ok(value @ (Value::Object(_) | Value::Array(_))) => self.nested(value, text, depth),
            // A JSON scalar compares the same as its text; keeping the text keeps normalizing idempotent.
            Ok(_) => Value::String(text),
            Err(why) => {
                self.note(&format!("{why}, compared as text"));
                Value::String(text)
            }
        }
    }

    /// Normalizes a decoded payload in place of its text, unless it would nest too deeply.
    fn nested(&mut self, value: Value, text: String, depth: usize) -> Value {
        if depth + nesting(&value) > MAX_DEPTH {
            self.note("nested too deeply to decode, compared as text");
            return Value::String(text);
        }
        self.value(value, depth)
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
        self.notes
            .push(format!("{}: {message}", pointer(&self.path)));
    }
}

/// Replaces a secret by a marker that changes when the secret does but never shows it. Absent
/// (`null`) and empty secrets are left alone: that one is empty is a finding, not a secret.
fn redact(value: Value) -> Value {
    match &value {
        Value::Null => value,
        Value::String(text) if text.is_empty() || is_redaction_marker(text) => value,
        _ => {
            let hash = sha256_hex(canonical_json(&value).as_bytes());
            Value::String(format!("<redacted:{}>", hash.get(..8).unwrap_or_default()))
        }
    }
}

/// Items with a key first, by key (ties by text), then items without, by text.
fn sort_keyed(items: Vec<Value>, field: &str) -> Vec<Value> {
    let mut keyed: Vec<(String, Value)> = Vec::new();
    let mut rest = Vec::new();
    for item in items {
        match key_of(&item, field) {
            Some(key) => keyed.push((key, item)),
            None => rest.push(item),
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    if keyed
        .windows(2)
        .any(|pair| pair.first().map(|a| &a.0) == pair.get(1).map(|b| &b.0))
    {
        keyed.sort_by_cached_key(|(key, item)| (key.clone(), compact(item)));
    }
    if rest.len() > 1 {
        rest.sort_by_cached_key(compact);
    }
    keyed
        .into_iter()
        .map(|(_, item)| item)
        .chain(rest)
        .collect()
}

/// Compact JSON text with sorted keys: the order of set items.
fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
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

    fn value_of(n: &Normalized) -> &Value {
        match &n.content {
            NormalizedContent::Json { value, .. } => value,
            NormalizedContent::Opaque { .. } => panic!("opaque"),
        }
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
            &json!({"name": "N", "versions": [{"status": "activated", "taskflow": decoded}]})
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
        assert_eq!(
            redact(json!("<redacted:0123abcd>")),
            json!("<redacted:0123abcd>")
        );
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
            &json!({"tags": ["a", "b", 3, {"z": 1}], "plain": [3, 1, 2], "steps": [
                {"meta": {"id": "s1"}, "v": 1}, {"meta": {"id": "s1"}, "v": 2}, {"meta": {"id": "s2"}}, "loose", {"x": 0}
            ]})
        );
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
            &json!({"name": "N", "list": [0, 2], "versions": [{"taskconfig": {"a": {"k": 2}}}]})
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
        assert!(nesting(value_of(&n)) <= MAX_DEPTH);
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
        assert_eq!(nesting(value_of(&n)), 1 + 126 + 127);
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
