//! What an answer looks like, and a sample of it that keeps its structure but none of its values.
//!
//! `socdrift probe` inspects what each endpoint answered ([`inspect`]) and compares the fields it
//! saw with the fields socdrift expects ([`check_fields`]). Its `--out` file holds a [`redact`]ed
//! sample of every answer: object keys that are plain field names and the JSON kinds are kept,
//! every string becomes its length, and nothing else (names, ids, secrets) survives.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::document::workflows;
use crate::envelope::ErrorEnvelope;
use crate::format::Format;
use crate::limits::Limits;
use crate::zip::ZipExport;

/// Array items kept in a redacted sample; the rest are counted.
const SAMPLE_ITEMS: usize = 3;

/// What an answer's body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// Its format.
    pub format: Format,
    /// Its size in bytes.
    pub size: u64,
    /// The top-level fields of the JSON object (of the first item of an array, of the first
    /// member of a ZIP), sorted.
    pub fields: Vec<String>,
    /// For a ZIP: how many members (archiver junk not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_members: Option<usize>,
    /// How many workflow documents it holds by its shape (see
    /// [`workflows`](crate::document::workflows)); 0 when it holds none.
    pub workflows: usize,
    /// The error envelope it is, if it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<ErrorEnvelope>,
    /// Why it could not be read further (bad JSON, a ZIP over the limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Inspects a body: its format, fields, workflow documents, error envelope.
///
/// ```
/// use soc_model::{Format, Limits, inspect::inspect};
///
/// let seen = inspect(br#"{"code":"0","total":1,"data":[{"id":"a","name":"A"}]}"#, &Limits::default());
/// assert_eq!(seen.format, Format::JsonObject);
/// assert_eq!(seen.fields, ["code", "data", "total"]);
/// assert_eq!(seen.workflows, 1);
/// ```
#[must_use]
pub fn inspect(bytes: &[u8], limits: &Limits) -> Inspection {
    let format = Format::sniff(bytes);
    let mut seen = Inspection {
        format,
        size: bytes.len() as u64,
        fields: Vec::new(),
        zip_members: None,
        workflows: 0,
        envelope: None,
        problem: None,
    };
    match format {
        Format::JsonObject | Format::JsonArray => match crate::json::parse("body", bytes, limits) {
            Ok(value) => {
                seen.fields = fields_of(&value);
                seen.workflows = workflows(&value).map_or(0, |w| w.len());
                seen.envelope = ErrorEnvelope::detect(&value);
            }
            Err(err) => seen.problem = Some(err.to_string()),
        },
        Format::Zip => match ZipExport::open("body", bytes, limits) {
            Ok(mut zip) => {
                seen.zip_members = Some(zip.len());
                while let Some(member) = zip.next_member() {
                    let member = match member {
                        Ok(member) => member,
                        Err(err) => {
                            seen.problem = Some(err.to_string());
                            break;
                        }
                    };
                    let Ok(value) = crate::json::parse("member", &member.data, limits) else {
                        continue;
                    };
                    if seen.fields.is_empty() {
                        seen.fields = fields_of(&value);
                    }
                    seen.workflows += workflows(&value).map_or(0, |w| w.len());
                }
            }
            Err(err) => seen.problem = Some(err.to_string()),
        },
        Format::Empty | Format::Html | Format::Text | Format::Binary => {}
    }
    seen
}

fn fields_of(value: &Value) -> Vec<String> {
    let object = match value {
        Value::Object(map) => Some(map),
        Value::Array(items) => items.first().and_then(Value::as_object),
        _ => None,
    };
    let mut fields: Vec<String> = object
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

/// The fields expected but not seen, and seen but not expected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldCheck {
    /// Expected and not seen.
    pub missing: Vec<String>,
    /// Seen and not expected.
    pub extra: Vec<String>,
}

/// Compares the fields seen with the fields expected.
#[must_use]
pub fn check_fields(seen: &[String], expected: &[&str]) -> FieldCheck {
    let missing = expected
        .iter()
        .filter(|e| !seen.iter().any(|s| s == *e))
        .map(|e| (*e).to_owned())
        .collect();
    let extra = seen
        .iter()
        .filter(|s| !expected.contains(&s.as_str()))
        .cloned()
        .collect();
    FieldCheck { missing, extra }
}

/// A sample of a body that keeps its structure and none of its values: JSON kinds and object
/// keys that are plain field names stay; every string becomes `"<string:LEN>"`; numbers and
/// booleans stay (counts and flags); other keys become `"<key:LEN>"`; arrays keep their first
/// three items and count the rest. A ZIP becomes its members so redacted (names reduced to their
/// extension); other bodies become their format and size.
///
/// ```
/// use serde_json::json;
/// use soc_model::{Limits, inspect::redact};
///
/// let sample = redact(br#"{"id":"6e0b","name":"Block IP","enabled":true}"#, &Limits::default());
/// assert_eq!(sample, json!({"format": "json_object", "size": 46, "body": {"enabled": true, "id": "<string:4>", "name": "<string:8>"}}));
/// ```
#[must_use]
pub fn redact(bytes: &[u8], limits: &Limits) -> Value {
    let format = Format::sniff(bytes);
    let mut sample = Map::new();
    sample.insert("format".into(), json!(format.as_str()));
    sample.insert("size".into(), json!(bytes.len()));
    match format {
        Format::JsonObject | Format::JsonArray => {
            if let Ok(value) = crate::json::parse("body", bytes, limits) {
                sample.insert("body".into(), redact_value(&value));
            }
        }
        Format::Zip => {
            if let Ok(mut zip) = ZipExport::open("body", bytes, limits) {
                let mut members = Vec::new();
                while let Some(Ok(member)) = zip.next_member() {
                    let extension = member
                        .name
                        .rsplit_once('.')
                        .map(|(_, ext)| ext)
                        .filter(|ext| is_plain_key(ext))
                        .unwrap_or("");
                    let mut entry = match redact(&member.data, limits) {
                        Value::Object(map) => map,
                        _ => Map::new(),
                    };
                    entry.insert(
                        "name".into(),
                        json!(format!(
                            "<name:{}>.{extension}",
                            member.name.chars().count()
                        )),
                    );
                    members.push(Value::Object(entry));
                }
                sample.insert("members".into(), Value::Array(members));
            }
        }
        Format::Empty | Format::Html | Format::Text | Format::Binary => {}
    }
    Value::Object(sample)
}

fn redact_value(value: &Value) -> Value {
    match value {
        Value::String(s) => json!(format!("<string:{}>", s.chars().count())),
        Value::Array(items) => {
            let mut kept: Vec<Value> = items.iter().take(SAMPLE_ITEMS).map(redact_value).collect();
            if items.len() > SAMPLE_ITEMS {
                kept.push(json!(format!(
                    "<{} more items>",
                    items.len() - SAMPLE_ITEMS
                )));
            }
            Value::Array(kept)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let key = if is_plain_key(key) {
                        key.clone()
                    } else {
                        format!("<key:{}>", key.chars().count())
                    };
                    (key, redact_value(value))
                })
                .collect(),
        ),
        Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
    }
}

/// A field name as APIs spell them (`dataclass_name`, `soar:params`), not data used as a key (an
/// id, a name with spaces): ASCII letters, `_`, `:`, `-`, at most three digits, at most 40 long.
fn is_plain_key(key: &str) -> bool {
    let digits = key.bytes().filter(u8::is_ascii_digit).count();
    !key.is_empty()
        && key.len() <= 40
        && digits <= 3
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zip::tests::zip_of;

    #[test]
    fn inspects_envelopes_zips_and_html() {
        let limits = Limits::default();
        let seen = inspect(
            br#"{"error_code":"APIGW.0101","error_msg":"no","request_id":"r"}"#,
            &limits,
        );
        assert!(seen.envelope.is_some());
        assert_eq!(seen.workflows, 0);
        let zip = zip_of(&[
            ("a.json", br#"{"id":"a","name":"A","versions":[]}"#),
            ("b.json", br#"{"id":"b","name":"B","versions":[]}"#),
        ]);
        let seen = inspect(&zip, &limits);
        assert_eq!((seen.zip_members, seen.workflows), (Some(2), 2));
        assert_eq!(seen.fields, ["id", "name", "versions"]);
        let seen = inspect(b"<html><body>login</body></html>", &limits);
        assert_eq!((seen.format, seen.workflows), (Format::Html, 0));
        assert!(inspect(b"{\"a\":", &limits).problem.is_some());
    }

    #[test]
    fn fields_are_checked_both_ways() {
        let seen = vec!["a".to_owned(), "z".to_owned()];
        assert_eq!(
            check_fields(&seen, &["a", "b"]),
            FieldCheck {
                missing: vec!["b".into()],
                extra: vec!["z".into()]
            }
        );
    }

    #[test]
    fn samples_keep_structure_and_drop_values() {
        let body = br#"{"data":[{"id":"6e0b3b5e-1234","name":"Block IP"},{"id":"x"},{"id":"y"},{"id":"z"}],
            "total":4,"6e0b3b5e-1234":{"note":"a secret: hunter2"},"Block IP":null}"#;
        let sample = redact(body, &Limits::default());
        let text = sample.to_string();
        for value in ["6e0b3b5e", "Block IP", "hunter2", "\"x\""] {
            assert!(!text.contains(value), "{value} survived in {text}");
        }
        assert_eq!(sample["body"]["data"][0]["name"], "<string:8>");
        assert_eq!(sample["body"]["data"][3], "<1 more items>");
        assert_eq!(sample["body"]["total"], 4);
        assert!(sample["body"].get("<key:13>").is_some());
        let zip = zip_of(&[("6e0b3b5e.json", br#"{"name":"secret"}"#)]);
        let sample = redact(&zip, &Limits::default());
        assert_eq!(sample["members"][0]["name"], "<name:13>.json");
        assert_eq!(sample["members"][0]["body"]["name"], "<string:6>");
        assert!(!sample.to_string().contains("6e0b3b5e"));
        assert_eq!(
            redact(b"<html>x</html>", &Limits::default()),
            json!({"format": "html", "size": 14})
        );
    }
}
