//! What a file or an answer is, told from its first bytes.
//!
//! The export API answers "a file" whose format is not documented (secmaster-api.md §2.4), so
//! every reader looks at the bytes. This is the only place that does.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The UTF-8 byte-order mark, which some Windows tools put before JSON.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many leading bytes are looked at to tell HTML and text from binary.
const HEAD: usize = 1024;

/// The format of some bytes.
///
/// ```
/// use soc_model::Format;
///
/// assert_eq!(Format::sniff(b" [{\"id\": \"a\"}]"), Format::JsonArray);
/// assert_eq!(Format::sniff(b"\xEF\xBB\xBF{}"), Format::JsonObject);
/// assert_eq!(Format::sniff(b"PK\x03\x04..."), Format::Zip);
/// assert_eq!(Format::sniff(b"<!DOCTYPE html><html>"), Format::Html);
/// assert_eq!(Format::sniff(b"  \n"), Format::Empty);
/// assert_eq!(Format::sniff(b"\x00\x01"), Format::Binary);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// First non-whitespace byte `{` (after an optional byte-order mark).
    JsonObject,
    /// First non-whitespace byte `[`.
    JsonArray,
    /// A ZIP archive (`PK\x03\x04`, or `PK\x05\x06` for an empty one).
    Zip,
    /// No bytes, or only whitespace.
    Empty,
    /// An HTML page (a proxy's or gateway's error or login page, say).
    Html,
    /// UTF-8 text that is none of the above.
    Text,
    /// Anything else.
    Binary,
}

impl Format {
    /// Tells the format of `bytes` from their first bytes.
    #[must_use]
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            return Format::Zip;
        }
        let body = strip_bom(bytes);
        let Some(first) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
            return Format::Empty;
        };
        let head = body.get(first..).unwrap_or_default();
        let head = head.get(..HEAD.min(head.len())).unwrap_or_default();
        match head.first() {
            Some(b'{') => Format::JsonObject,
            Some(b'[') => Format::JsonArray,
            Some(b'<') if is_html(head) => Format::Html,
            _ if looks_like_text(head) => Format::Text,
            _ => Format::Binary,
        }
    }

    /// Whether this is JSON (an object or an array).
    #[must_use]
    pub fn is_json(self) -> bool {
        matches!(self, Format::JsonObject | Format::JsonArray)
    }

    /// The file extension for bytes of this format: `json`, `zip`, or `bin`.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Format::JsonObject | Format::JsonArray => "json",
            Format::Zip => "zip",
            Format::Empty | Format::Html | Format::Text | Format::Binary => "bin",
        }
    }

    /// A short description for messages: `a JSON object`, `an HTML page`, `an empty body`.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Format::JsonObject => "a JSON object",
            Format::JsonArray => "a JSON array",
            Format::Zip => "a ZIP archive",
            Format::Empty => "an empty body",
            Format::Html => "an HTML page",
            Format::Text => "text that is not JSON",
            Format::Binary => "binary data that is neither JSON nor ZIP",
        }
    }

    /// The snake-case name used in reports (`json_object`, `zip`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Format::JsonObject => "json_object",
            Format::JsonArray => "json_array",
            Format::Zip => "zip",
            Format::Empty => "empty",
            Format::Html => "html",
            Format::Text => "text",
            Format::Binary => "binary",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `bytes` without a leading UTF-8 byte-order mark.
#[must_use]
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

fn is_html(head: &[u8]) -> bool {
    let lower = head.to_ascii_lowercase();
    [b"<!doctype html".as_slice(), b"<html", b"<head", b"<body"]
        .iter()
        .any(|tag| lower.windows(tag.len()).any(|w| w == *tag))
}

fn looks_like_text(head: &[u8]) -> bool {
    // A multi-byte character cut at the end of the head is still text.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(err) => err.error_len().is_none(),
    };
    valid
        && !head
            .iter()
            .any(|b| b.is_ascii_control() && !b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_every_kind() {
        assert_eq!(Format::sniff(b"  \n{\"a\":1}"), Format::JsonObject);
        assert_eq!(Format::sniff(b"\xEF\xBB\xBF[1]"), Format::JsonArray);
        assert_eq!(Format::sniff(b"PK\x05\x06rest"), Format::Zip);
        assert_eq!(Format::sniff(b""), Format::Empty);
        assert_eq!(Format::sniff(b"\xEF\xBB\xBF \r\n"), Format::Empty);
        assert_eq!(
            Format::sniff(b"\n<HTML><body>502 Bad Gateway</body></HTML>"),
            Format::Html
        );
        assert_eq!(Format::sniff(b"<xml/>"), Format::Text);
        assert_eq!(Format::sniff(b"name: x\n"), Format::Text);
        assert_eq!(Format::sniff("caf\u{e9}".as_bytes()), Format::Text);
        assert_eq!(Format::sniff(b"%PDF-1.7 \x00\x01"), Format::Binary);
        assert_eq!(Format::sniff(b"\xff\xfe"), Format::Binary);
    }

    #[test]
    fn extensions() {
        assert_eq!(Format::JsonArray.extension(), "json");
        assert_eq!(Format::Zip.extension(), "zip");
        assert_eq!(Format::Html.extension(), "bin");
    }
}
