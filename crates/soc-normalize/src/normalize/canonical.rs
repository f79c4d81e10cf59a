//! Canonical text: how a normalized document is printed, and read back.
//!
//! The same value always prints as the same bytes (keys sorted, two-space indent, trailing
//! newline), so canonical files can be committed, reviewed and hashed.

use serde_json::Value;

use super::MAX_DEPTH;

/// The canonical text of a JSON value: object keys sorted, two-space indent, trailing newline.
///
/// The same value always gives the same bytes, so canonical files can be committed and reviewed.
/// (`serde_json` maps are ordered maps here: the workspace never enables `preserve_order`.)
pub fn canonical_json(value: &Value) -> String {
    with_printed(value, |text| {
        // Only whole UTF-8 strings and ASCII punctuation were written.
        String::from_utf8(text.to_vec()).unwrap_or_default()
    })
}

/// SHA-256 (lowercase hex) of [`canonical_json`]'s text, hashed where it was printed: for text
/// that is only ever hashed, like the layout a profile sets aside (as big as the rest of a BPMN
/// workflow), a copy of its own would be memory written once and freed.
pub(crate) fn canonical_sha256(value: &Value) -> String {
    with_printed(value, super::sha256_hex)
}

/// Prints `value`'s canonical text into this thread's buffer and hands it to `then`. The text is
/// passed on, not returned: texts are kept for a whole comparison, and the buffer's spare capacity
/// would be memory held for nothing.
fn with_printed<T>(value: &Value, then: impl FnOnce(&[u8]) -> T) -> T {
    PRINTING.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut out) => {
            print_into(&mut out, value);
            let result = then(&out);
            if out.capacity() > KEPT_BUFFER {
                *out = Vec::new();
            }
            result
        }
        Err(_) => {
            let mut out = Vec::new();
            print_into(&mut out, value);
            then(&out)
        }
    })
}

thread_local! {
    /// Each thread prints into one buffer, kept between documents: growing a fresh one by doubling
    /// for every workflow, then shrinking it to fit, copied each text about three times.
    static PRINTING: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest printing buffer a thread keeps for the next document (a rare huge one is not).
const KEPT_BUFFER: usize = 16 << 20;

/// Prints `value`'s canonical text into `out`, emptied first.
fn print_into(out: &mut Vec<u8>, value: &Value) {
    out.clear();
    write_pretty(out, value, 0);
    out.push(b'\n');
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
    if soc_model::json::nests_deeper_than(text.as_bytes(), MAX_DEPTH) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::payload::nesting;
    use serde_json::json;

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
        assert_eq!(
            canonical_sha256(&deep),
            super::super::sha256_hex(expected.as_bytes())
        );
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
}
