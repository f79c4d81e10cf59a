//! Canonical form of a document under a profile.
//!
//! [`Profile::normalize`] walks a document once, top-down, and at each place applies the profile's
//! rules in this order: drop ignored values; decode embedded payloads (base64 `taskflow`, JSON in
//! `taskconfig`/`input`/`output` and in any string that holds a JSON object or array) and normalize
//! what they hold in place; remove the BPMN canvas layout; redact secrets (values under
//! secret-looking keys, the values of secret name/value pairs, and secrets inside the text of
//! strings that stay strings; see [`crate::redact`]); sort set and keyed arrays. The result is
//! printed by [`canonical_json`].
//!
//! One file per concern:
//! - `walk`: the pass itself (ignore rules, layout, secret keys, array order);
//! - `payload`: decoding embedded payloads in place of their text, within the value budget;
//! - `sort`: the stable order of set and keyed arrays;
//! - `canonical`: printing canonical text and reading it back.

mod canonical;
mod payload;
mod sort;
mod walk;

use serde_json::Value;
use sha2::{Digest, Sha256};

pub use canonical::{canonical_json, parse_canonical, validate_canonical};
pub use payload::decode_base64;
pub(crate) use sort::{sort_keyed, sort_set};

use crate::decode::{Content, Document};
use crate::profile::Profile;
use crate::redact::redact;
use walk::Walk;

/// The deepest nesting normalization builds by decoding payloads inside payloads. Each parse is
/// limited by serde_json (128 levels); this bounds the sum, so a crafted document cannot make the
/// normalizer, the differ or the printer recurse without limit.
pub const MAX_DEPTH: usize = 256;

/// The name of the layout element removed unless the profile keeps layout.
pub(crate) const LAYOUT_ELEMENT: &str = "bpmndi:BPMNDiagram";

/// A document in canonical form, ready to diff and to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The name the document is matched by (see [`Document::name`]).
    pub name: String,
    /// Where it came from (see [`Document::source`]).
    pub source: String,
    /// Its canonical text, or the hash of an opaque document.
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

/// What a normalized document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NormalizedContent {
    /// The canonical text (sorted keys, two-space indent, trailing newline). The tree it was
    /// printed from is not kept: most documents are only ever compared by hash, and a tree takes
    /// several times the memory of its text. [`Normalized::value`] parses it back when needed.
    Json {
        /// The text.
        canonical: String,
    },
    /// An opaque document, compared by hash only.
    Opaque {
        /// SHA-256 (lowercase hex) of its bytes.
        sha256: String,
        /// How many bytes.
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
    /// [`Normalized::notes`]. Copies the document's tree; [`normalize_owned`](Self::normalize_owned)
    /// works on a document the caller no longer needs.
    pub fn normalize(&self, doc: &Document) -> Normalized {
        self.normalize_owned(doc.clone())
    }

    /// [`normalize`](Self::normalize), editing the document's own tree in place instead of a copy
    /// of it (a workflow's tree is several times its export in memory, and copying it cost a
    /// tenth of a snapshot's normalizing).
    pub fn normalize_owned(&self, doc: Document) -> Normalized {
        match doc.content {
            Content::Opaque { sha256, len } => Normalized {
                name: doc.name,
                source: doc.source,
                content: NormalizedContent::Opaque {
                    sha256: sha256.clone(),
                    len,
                },
                sha256,
                layout_sha256: None,
                notes: Vec::new(),
            },
            Content::Json(value) => {
                let mut walk = Walk::new(self);
                // A playbook document is compared in its comparable shape (each action's workflow by
                // name, the active version apart from the others); anything else as it is.
                let mut value = soc_model::playbook::comparable(value);
                walk.value(&mut value, 0);
                crate::ignore::prune(&mut value, self, self.address_ignore());
                let canonical = canonical_json(&value);
                let layout_sha256 = (!walk.layout.is_empty())
                    .then(|| canonical::canonical_sha256(&Value::Array(walk.layout)));
                Normalized {
                    name: doc.name,
                    source: doc.source,
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

#[cfg(test)]
mod tests {
    use super::payload::nesting;
    use super::*;
    use crate::ProfileConfig;
    use crate::redact::is_redaction_marker;
    use base64::Engine as _;
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
