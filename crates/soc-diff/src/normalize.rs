//! Canonical form of a document under a profile.

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
    Json { value: serde_json::Value, canonical: String },
    Opaque { sha256: String, len: u64 },
}

/// The canonical text of a JSON value: object keys sorted, two-space indent, trailing newline.
///
/// The same value always gives the same bytes, so canonical files can be committed and reviewed.
/// (`serde_json` maps are ordered maps here: the workspace never enables `preserve_order`.)
pub fn canonical_json(value: &serde_json::Value) -> String {
    // Serializing a `Value` into a `Vec` cannot fail: every key is a string and I/O is in memory.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
