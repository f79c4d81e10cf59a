//! Objects as the API returns them: the raw JSON kept, with typed accessors.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A JSON object from the API (a workflow, version or workspace), kept exactly as received.
///
/// The raw text is kept byte-for-byte (for snapshots), a parsed map serves field access.
/// Construction guarantees the value is an object with a string `id`.
#[derive(Debug, Clone)]
pub struct ApiObject {
    raw: Box<RawValue>,
    object: Map<String, Value>,
    id: String,
}

/// A workflow (`AopWorkflowInfo`) as listed or shown.
pub type WorkflowInfo = ApiObject;

/// A workflow version (`AopWorkflowVersionInfo`).
pub type VersionInfo = ApiObject;

/// Why a value is not a usable API object.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// Not JSON at all.
    #[error("not valid json")]
    Json(#[source] serde_json::Error),
    /// JSON, but not an object.
    #[error("expected a json object, found {0}")]
    NotObject(&'static str),
    /// No string `id` field.
    #[error("the object has no string \"id\" field")]
    MissingId,
}

impl ApiObject {
    /// Wraps raw JSON, checking it is an object with a non-empty string `id`.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, ObjectError> {
        let value: Value = serde_json::from_str(raw.get()).map_err(ObjectError::Json)?;
        let Value::Object(object) = value else {
            return Err(ObjectError::NotObject(soc_model::json::kind_of(&value)));
        };
        let id = match object.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err(ObjectError::MissingId),
        };
        Ok(Self { raw, object, id })
    }

    /// Parses an object from JSON text.
    pub fn from_json(text: &str) -> Result<Self, ObjectError> {
        let raw = RawValue::from_string(text.to_owned()).map_err(ObjectError::Json)?;
        Self::from_raw(raw)
    }

    /// The `id` field.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `name` field, when it is a string.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.get_str("name")
    }

    /// A field as a string, when it is one.
    #[must_use]
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.object.get(key).and_then(Value::as_str)
    }

    /// A field.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.object.get(key)
    }

    /// The parsed object (keys sorted).
    #[must_use]
    pub fn as_object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// The JSON text exactly as received.
    #[must_use]
    pub fn raw_json(&self) -> &str {
        self.raw.get()
    }

    /// The parsed object, consuming `self`.
    #[must_use]
    pub fn into_object(self) -> Map<String, Value> {
        self.object
    }
}

impl PartialEq for ApiObject {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

/// A lenient count: a number, or a string holding one (some gateways stringify integers).
fn count_of(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A decoded list page: raw items and the reported total.
#[derive(Debug)]
pub(crate) struct RawPage {
    pub items: Vec<Box<RawValue>>,
    pub total: Option<u64>,
    /// The answer's `code` and `message` fields, when they are strings.
    pub said: (Option<String>, Option<String>),
    /// Whether the items field was there (possibly null).
    pub has_items: bool,
}

/// Decodes a list page whose items are under `items_key` and whose total is under `total_key`
/// (`data`/`total` for workflows, `workspaces`/`count` for workspaces). A missing or null items
/// field is an empty page.
pub(crate) fn decode_page(
    body: &[u8],
    items_key: &str,
    total_key: &str,
) -> Result<RawPage, serde_json::Error> {
    // Top-level fields stay raw so each item keeps its exact text.
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(body)?;
    let total = match fields.get(total_key) {
        Some(raw) => count_of(Some(&serde_json::from_str::<Value>(raw.get())?)),
        None => None,
    };
    let items = match fields.get(items_key) {
        Some(raw) => {
            serde_json::from_str::<Option<Vec<Box<RawValue>>>>(raw.get())?.unwrap_or_default()
        }
        None => Vec::new(),
    };
    let text = |key: &str| -> Option<String> {
        fields
            .get(key)
            .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
            .filter(|s| !s.is_empty())
            .map(|s| soc_model::envelope::clean(&s))
    };
    let said = (text("code"), text("message"));
    Ok(RawPage {
        items,
        total,
        said,
        has_items: fields.contains_key(items_key),
    })
}

/// Decodes the `data` object of a show response.
pub(crate) fn decode_data_object(body: &[u8]) -> Result<ApiObject, crate::error::BoxError> {
    #[derive(Deserialize)]
    struct Envelope {
        data: Option<Box<RawValue>>,
    }
    let envelope: Envelope = serde_json::from_slice(body)?;
    let data = envelope.data.ok_or("the response has no \"data\" field")?;
    Ok(ApiObject::from_raw(data)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_text_and_reads_fields() {
        let text = r#"{"name":"Block IP","id":"wf-1","enabled":true,  "z":1}"#;
        let obj = ApiObject::from_json(text).unwrap();
        assert_eq!(obj.id(), "wf-1");
        assert_eq!(obj.name(), Some("Block IP"));
        assert_eq!(obj.raw_json(), text);
        assert_eq!(obj.get("enabled"), Some(&Value::Bool(true)));
    }

    #[test]
    fn rejects_non_objects_and_missing_ids() {
        assert!(matches!(
            ApiObject::from_json("[1]"),
            Err(ObjectError::NotObject("an array"))
        ));
        assert!(matches!(
            ApiObject::from_json(r#"{"id":7}"#),
            Err(ObjectError::MissingId)
        ));
        assert!(matches!(
            ApiObject::from_json(r#"{"id":""}"#),
            Err(ObjectError::MissingId)
        ));
        assert!(matches!(
            ApiObject::from_json("{"),
            Err(ObjectError::Json(_))
        ));
    }

    #[test]
    fn decodes_pages_leniently() {
        let page = decode_page(
            br#"{"code":"0","total":3,"data":[{"id":"a"}, {"id":"b" }]}"#,
            "data",
            "total",
        )
        .unwrap();
        assert_eq!(page.total, Some(3));
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[1].get(), r#"{"id":"b" }"#);

        let page = decode_page(
            br#"{"workspaces":null,"count":"12"}"#,
            "workspaces",
            "count",
        )
        .unwrap();
        assert!(page.items.is_empty());
        assert_eq!(page.total, Some(12));

        let page = decode_page(br#"{"total":0}"#, "data", "total").unwrap();
        assert!(page.items.is_empty());

        assert!(decode_page(br#"{"data":[{"id":"a"}"#, "data", "total").is_err());
        assert!(decode_page(br#"{"data":{"id":"a"}}"#, "data", "total").is_err());
    }

    #[test]
    fn decodes_show_envelopes() {
        let obj = decode_data_object(br#"{"code":"0","data":{"id":"v1","name":"x"}}"#).unwrap();
        assert_eq!(obj.id(), "v1");
        assert!(decode_data_object(br#"{"code":"0"}"#).is_err());
        assert!(decode_data_object(br#"{"data":[]}"#).is_err());
    }
}
