//! Parsing untrusted JSON within limits, and cutting a JSON array into its elements byte for byte.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ReadError;
use crate::limits::{LimitKind, Limits};

/// serde_json's nesting limit, which protects the stack (kept on deliberately).
pub(crate) const JSON_DEPTH_LIMIT: usize = 128;

/// Parses one JSON document of an export. `file` names it in errors (a path, `x.zip!member`).
///
/// Checks, in order: the number of values ([`Limits::max_json_values`], by a scan that costs no
/// memory), UTF-8 (the offset counts from the first byte, byte-order mark included), syntax and
/// nesting depth (both with the byte offset of the offending byte).
///
/// ```
/// use soc_model::{Limits, json};
///
/// let value = json::parse("a.json", b"\xEF\xBB\xBF{\"name\": \"A\"}", &Limits::default())?;
/// assert_eq!(value["name"], "A");
/// let err = json::parse("bad.json", b"{\"name\": ", &Limits::default()).unwrap_err();
/// assert_eq!(err.to_string(), "bad.json: invalid JSON near byte 8");
/// # Ok::<(), soc_model::ReadError>(())
/// ```
pub fn parse(file: &str, bytes: &[u8], limits: &Limits) -> Result<Value, ReadError> {
    // Text that parses within the bound needs no scan first; anything else is checked in order,
    // so that the error is the one the first failing check gives.
    let body = crate::format::strip_bom(bytes);
    if let Some((value, _)) = std::str::from_utf8(body)
        .ok()
        .and_then(|text| parse_counted(text, limits.max_json_values))
    {
        return Ok(value);
    }
    check_values(bytes, limits).map_err(|source| ReadError::Limit {
        file: file.to_owned(),
        source,
    })?;
    let bom = bytes.len() - body.len();
    let text = std::str::from_utf8(body).map_err(|err| ReadError::Utf8 {
        file: file.to_owned(),
        offset: bom + err.valid_up_to(),
        source: err,
    })?;
    serde_json::from_str(text).map_err(|err| {
        let at = byte_offset(text, err.line(), err.column());
        let offset = bom + at;
        // serde_json stops at its nesting limit with a syntax error like any other; the text up
        // to where it stopped tells the two apart.
        let read = text.as_bytes().get(..=at).unwrap_or(text.as_bytes());
        if nests_deeper_than(read, JSON_DEPTH_LIMIT - 1) {
            ReadError::TooDeep {
                file: file.to_owned(),
                offset,
            }
        } else {
            ReadError::Json {
                file: file.to_owned(),
                offset,
                source: err,
            }
        }
    })
}

/// Refuses JSON text holding more values than [`Limits::max_json_values`] before it is parsed.
pub fn check_values(bytes: &[u8], limits: &Limits) -> Result<(), crate::LimitError> {
    let max = limits.max_json_values;
    match count_values(bytes, max) {
        Some(_) => Ok(()),
        None => Err(limits.exceeded(LimitKind::JsonValues, max.saturating_add(1))),
    }
}

/// Whether objects and arrays in JSON text nest deeper than `limit`. Brackets inside strings do
/// not count; malformed text may be miscounted, but only ever upwards of what a parser reaches
/// before it fails.
#[must_use]
pub fn nests_deeper_than(text: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut strings = Strings::default();
    for &byte in text {
        match strings.outside(byte) {
            Some(b'{' | b'[') => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            Some(b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Tells the bytes of JSON text outside string literals from those inside, one byte at a time;
/// the scans here count what is outside (an opening quote is outside, and starts a string).
#[derive(Default)]
struct Strings {
    inside: bool,
    escaped: bool,
}

impl Strings {
    /// `byte` when it is outside a string literal, `None` when it is part of one.
    #[inline]
    fn outside(&mut self, byte: u8) -> Option<u8> {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.inside = false;
            }
            return None;
        }
        self.inside = byte == b'"';
        Some(byte)
    }
}

/// Counts the JSON values in `bytes` (object keys included, as they cost memory too), in one pass
/// without allocating. `None` as soon as there are more than `max`. An over-estimate for text
/// that is not JSON, which the parser refuses anyway.
///
/// Most bytes of an export are inside strings (the base64 `taskflow` alone is most of it): those
/// are skipped with `memchr` to the next quote or backslash instead of one byte at a time.
#[must_use]
pub fn count_values(bytes: &[u8], max: u64) -> Option<u64> {
    let mut count: u64 = 0;
    let mut in_scalar = false;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        at += 1;
        if byte == b'"' {
            at = string_end(bytes, at);
        }
        if starts_value(byte, &mut in_scalar) {
            count += 1;
            if count > max {
                return None;
            }
        }
    }
    Some(count)
}

/// `text` parsed as JSON together with its [`count_values`] count, when it parses and holds at
/// most `max` values; `None` otherwise, and then the caller learns why the way it would without
/// this function (`count_values`, then a parse). One pass instead of a scan and a parse: the
/// counting happens as the tree is built, and building stops as soon as the count passes `max`,
/// so the tree stays within the bound as with the scan first.
///
/// The value is the one `serde_json::from_str` gives, in every case where this returns it.
///
/// ```
/// let (value, count) = soc_model::json::parse_counted(r#"{"a": [1, "x"]}"#, 10).unwrap();
/// assert_eq!(value["a"][1], "x");
/// assert_eq!(count, 5); // the object, its key, the array and its two items
/// assert!(soc_model::json::parse_counted(r#"{"a": [1, "x"]}"#, 4).is_none());
/// assert!(soc_model::json::parse_counted(r#"{"a": "#, 10).is_none());
/// ```
#[must_use]
pub fn parse_counted(text: &str, max: u64) -> Option<(Value, u64)> {
    use serde::de::DeserializeSeed as _;
    let left = std::cell::Cell::new(max);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Counted { left: &left }
        .deserialize(&mut deserializer)
        .ok()?;
    deserializer.end().ok()?;
    Some((value, max - left.get()))
}

/// Builds a [`Value`] as serde_json's own visitor does, taking one from `left` for each value and
/// each object key, and failing when none is left.
#[derive(Clone, Copy)]
struct Counted<'a> {
    left: &'a std::cell::Cell<u64>,
}

impl Counted<'_> {
    fn spend<E: serde::de::Error>(self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(E::custom("more JSON values than allowed")),
        }
    }
}

/// The key serde_json's own visitor gives a meaning of its own when it comes first in an object
/// (the `raw_value` feature): such objects are left to it, so that values never differ.
const SERDE_RAW_VALUE_KEY: &str = "$serde_json::private::RawValue";

impl<'de> serde::de::DeserializeSeed<'de> for Counted<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Counted<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Value, E> {
        self.spend()?;
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(value))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut object = serde_json::Map::new();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if first && key == SERDE_RAW_VALUE_KEY {
                return Err(serde::de::Error::custom("left to serde_json"));
            }
            first = false;
            self.spend()?;
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Whether `byte` (outside any string) starts a value: a string, an object, an array, or the first
/// byte of a number or literal; `in_scalar` carries whether the byte before was part of one.
#[inline]
fn starts_value(byte: u8, in_scalar: &mut bool) -> bool {
    match byte {
        b'"' | b'{' | b'[' => {
            *in_scalar = false;
            true
        }
        b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => {
            !std::mem::replace(in_scalar, true)
        }
        _ => {
            *in_scalar = false;
            false
        }
    }
}

/// Where the string literal whose body starts at `at` ends: just past its closing quote, or the
/// end of `bytes` when it is not closed. A backslash escapes the byte after it, whatever it is.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            None => return bytes.len(),
            Some(found) => {
                let end = at + found;
                if rest.get(found) == Some(&b'"') {
                    return end + 1;
                }
                at = end + 2;
            }
        }
    }
}

/// The raw text of each element of a JSON array, as slices of `text`: each element is exactly
/// the bytes between the separators (no re-serialisation), so a batch export splits into the
/// single exports it was made of.
///
/// ```
/// let parts = soc_model::json::split_array(br#"[{"id":"a"}, {"id" : "b"}]"#)?;
/// assert_eq!(parts, [r#"{"id":"a"}"#, r#"{"id" : "b"}"#]);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn split_array(text: &[u8]) -> Result<Vec<&str>, serde_json::Error> {
    let elements: Vec<&RawValue> = serde_json::from_slice(crate::format::strip_bom(text))?;
    Ok(elements.into_iter().map(RawValue::get).collect())
}

/// Whether a serde_json error means the text is cut short or garbled, as opposed to well-formed
/// JSON of an unexpected shape (asking again may help only with the first).
#[must_use]
pub fn is_malformed(err: &serde_json::Error) -> bool {
    !matches!(err.classify(), serde_json::error::Category::Data)
}

/// serde_json reports a one-based line and a one-based byte column; turns them into the zero-based
/// byte offset of the offending byte (the last byte for an unexpected end of input).
#[must_use]
pub fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(at, _)| at + 1)
    };
    line_start
        .saturating_add(column.saturating_sub(1))
        .min(text.len())
}

/// How a JSON value is named in messages ("a number", "an empty string").
#[must_use]
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if s.is_empty() => "an empty string",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_default(bytes: &[u8]) -> Result<Value, ReadError> {
        parse("dir/export.json", bytes, &Limits::default())
    }

    #[test]
    fn json_errors_carry_byte_offsets() {
        let err = parse_default(b"{\n  \"name\": \"A\",\n  oops\n}").unwrap_err();
        assert!(
            matches!(&err, ReadError::Json { file, offset: 19, .. } if file == "dir/export.json"),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("dir/export.json: invalid JSON near byte 19")
        );
        let err = parse_default(b"{\"name\": \"A\"").unwrap_err();
        assert!(matches!(err, ReadError::Json { offset: 11, .. }), "{err:?}");
    }

    #[test]
    fn invalid_utf8_is_an_error_with_offset() {
        let err = parse_default(b"{\"name\": \"\xff\"}").unwrap_err();
        assert!(matches!(err, ReadError::Utf8 { offset: 10, .. }), "{err:?}");
        let err = parse_default(b"\xEF\xBB\xBF{\"name\": \"\xff\"}").unwrap_err();
        assert!(matches!(err, ReadError::Utf8 { offset: 13, .. }), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_a_typed_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = parse_default(deep.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ReadError::TooDeep { offset: 127, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("nested deeper than 128 levels"));
        // As deep as serde_json goes is fine; a syntax error there is a syntax error.
        let deepest = format!("{}{}", "[".repeat(127), "]".repeat(127));
        assert!(parse_default(deepest.as_bytes()).is_ok());
        let bad = format!("{}x", "[".repeat(127));
        let err = parse_default(bad.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ReadError::Json { offset: 127, .. }),
            "{err:?}"
        );
        let deep_object = format!("{}{}", r#"{"a":"#.repeat(128), "}".repeat(128));
        let err = parse_default(deep_object.as_bytes()).unwrap_err();
        assert!(matches!(err, ReadError::TooDeep { .. }), "{err:?}");
    }

    #[test]
    fn nesting_is_measured_outside_strings_only() {
        assert!(!nests_deeper_than(br#"[[{"a": "[[[[\"{{{{"}]]"#, 3));
        assert!(nests_deeper_than(br#"[[{"a": [1]}]]"#, 3));
        assert!(!nests_deeper_than(b"[][][][]", 1));
        // Unclosed brackets count too: text a parser would reject is never measured as shallow.
        assert!(nests_deeper_than(&[b'['; 10], 9));
    }

    #[test]
    fn values_are_counted_without_parsing() {
        assert_eq!(
            count_values(br#"{"a": [1, 2.5e3, true, null, "x\"]"]}"#, 99),
            Some(8)
        );
        assert_eq!(count_values(b"[0,0,0,0]", 99), Some(5));
        assert_eq!(count_values(b"[0,0,0,0]", 4), None);
        assert_eq!(count_values(b"", 0), Some(0));
        let limits = Limits {
            max_json_values: 4,
            ..Limits::default()
        };
        let err = parse("x.json", b"[0,0,0,0]", &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: holds 5 JSON values or more, over the 4 one JSON document may hold \
             (limits.max_json_values = 4; raise it in [limits] of socdrift.toml if this export is genuine)"
        );
    }

    #[test]
    fn byte_offset_handles_lines_and_bounds() {
        assert_eq!(byte_offset("abc", 1, 2), 1);
        assert_eq!(byte_offset("ab\ncd\nef", 3, 1), 6);
        assert_eq!(byte_offset("ab", 9, 9), 2);
        assert_eq!(byte_offset("", 0, 0), 0);
    }

    proptest::proptest! {
        /// The count never falls below what serde_json builds, so the limit bounds the tree.
        #[test]
        fn the_count_covers_every_parsed_value(value in arb_json()) {
            let text = serde_json::to_string(&value).unwrap();
            let counted = count_values(text.as_bytes(), u64::MAX).unwrap();
            proptest::prop_assert!(counted >= nodes(&value), "{} < {} for {}", counted, nodes(&value), text);
        }
    }

    proptest::proptest! {
        /// Skipping string bodies counts exactly what the byte-at-a-time scan counts, on any
        /// bytes: escapes, unclosed strings and text that is not JSON included.
        #[test]
        fn skipping_strings_counts_like_reading_every_byte(
            bytes in proptest::collection::vec(proptest::sample::select(
                b"{}[]\",:\\ \tab01-.xyz\xc3\xa9".to_vec()), 0..64),
        ) {
            proptest::prop_assert_eq!(count_values(&bytes, u64::MAX), count_byte_by_byte(&bytes));
        }
    }

    proptest::proptest! {
        /// On JSON text, the counted parse gives serde_json's value and the scan's count, or
        /// nothing exactly when the scan finds too many values.
        #[test]
        fn the_counted_parse_is_the_scan_then_serde_json(
            value in arb_json(),
            pretty in proptest::bool::ANY,
            slack in 0u64..3,
        ) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            let count = count_values(text.as_bytes(), u64::MAX).unwrap();
            proptest::prop_assert_eq!(count, nodes(&value));
            let parsed: Value = serde_json::from_str(&text).unwrap();
            let max = (count + slack).saturating_sub(1);
            match parse_counted(&text, max) {
                Some(got) => proptest::prop_assert_eq!(got, (parsed, count)),
                None => proptest::prop_assert!(count > max),
            }
        }

        /// On any text, it gives a value only where the scan and serde_json both accept it.
        #[test]
        fn the_counted_parse_refuses_what_the_scan_or_serde_json_refuses(
            bytes in proptest::collection::vec(proptest::sample::select(
                b"{}[]\",:\\ \tab01-.etrunlfsxyz\xc3\xa9".to_vec()), 0..48),
            max in 0u64..12,
        ) {
            let Ok(text) = std::str::from_utf8(&bytes) else { return Ok(()) };
            let old = count_values(text.as_bytes(), max)
                .and_then(|count| Some((serde_json::from_str::<Value>(text).ok()?, count)));
            proptest::prop_assert_eq!(parse_counted(text, max), old);
        }
    }

    #[test]
    fn objects_serde_json_reads_its_own_way_are_left_to_it() {
        let text = r#"{"$serde_json::private::RawValue": "[1]", "b": 2}"#;
        assert!(parse_counted(text, 100).is_none());
        // Later in an object the key is an ordinary one, to serde_json too.
        let text = r#"{"a": 1, "$serde_json::private::RawValue": 2}"#;
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(parse_counted(text, 100), Some((expected, 5)));
    }

    /// The scan as it was before strings were skipped with memchr: the oracle for the one above.
    fn count_byte_by_byte(bytes: &[u8]) -> Option<u64> {
        let mut count = 0;
        let mut strings = Strings::default();
        let mut in_scalar = false;
        for &byte in bytes {
            let Some(byte) = strings.outside(byte) else {
                continue;
            };
            let starts = starts_value(byte, &mut in_scalar);
            count += u64::from(starts);
        }
        Some(count)
    }

    fn nodes(value: &Value) -> u64 {
        match value {
            Value::Array(items) => 1 + items.iter().map(nodes).sum::<u64>(),
            Value::Object(map) => 1 + map.values().map(|v| 1 + nodes(v)).sum::<u64>(),
            _ => 1,
        }
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::btree_map("\\PC{0,6}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
