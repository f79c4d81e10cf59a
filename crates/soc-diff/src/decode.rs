//! Turning the bytes of one export file into documents.

/// One workflow (or one opaque file) out of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The workflow name (the value of the profile's name key), or for an opaque document the
    /// file or member name it came from.
    pub name: String,
    /// Where it came from, for messages: `path/to/file.json` or `export.zip!member.json` or
    /// `file.json[3]` for the fourth item of an array.
    pub source: String,
    pub content: Content,
}

/// What a document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Json(serde_json::Value),
    /// Not JSON (nor a ZIP of JSON): compared by hash only, reported as "binary content changed".
    Opaque { sha256: String, len: u64 },
}
