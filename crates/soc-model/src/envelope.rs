//! Error envelopes: how SecMaster and the API gateway in front of it say that something failed.
//!
//! Two shapes (secmaster-api.md §5): SecMaster's own `{"code": "SecMaster.…", "message": …,
//! "success": false}` and the gateway's (also IAM's) `{"error_code": "APIGW.…", "error_msg": …,
//! "request_id": …}`; the Go SDK also looks one level down (`{"error": {…}}`). An error body with a
//! non-2xx status is read leniently ([`ErrorFields::from_body`]). A 2xx body is an error only
//! when it clearly is one ([`ErrorEnvelope::detect`]), so that a workflow is never mistaken
//! for an error, nor an error for a workflow.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

/// Which shape an error envelope has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeShape {
    /// `{"code", "message", "success": false}`.
    SecMaster,
    /// `{"error_code", "error_msg", "request_id"}` (API gateway, IAM, some SecMaster APIs).
    Gateway,
    /// One of the above one level down, e.g. `{"error": {…}}`.
    Nested,
}

/// The code, message and request id an error body carries, as far as it carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErrorFields {
    /// `error_code` or `code`.
    pub code: Option<String>,
    /// `error_msg` or `message`, made safe for one-line messages.
    pub message: Option<String>,
    /// `request_id` of the body.
    pub request_id: Option<String>,
}

impl ErrorFields {
    /// Reads an error body of any shape: `error_code`/`error_msg`, else `code`/`message`, at the
    /// top or one level down; a body that is not JSON becomes the message (cleaned, shortened).
    ///
    /// ```
    /// use soc_model::ErrorFields;
    ///
    /// let fields = ErrorFields::from_body(br#"{"error_code":"APIGW.0308","error_msg":"over ratelimit","request_id":"r1"}"#);
    /// assert_eq!(fields.code.as_deref(), Some("APIGW.0308"));
    /// assert_eq!(ErrorFields::from_body(b"<html>\nBad Gateway</html>").message.as_deref(), Some("<html> Bad Gateway</html>"));
    /// ```
    #[must_use]
    pub fn from_body(body: &[u8]) -> ErrorFields {
        let Ok(value) = serde_json::from_slice::<Value>(crate::format::strip_bom(body)) else {
            let text = clean(&String::from_utf8_lossy(body));
            return ErrorFields {
                message: (!text.is_empty()).then_some(text),
                ..ErrorFields::default()
            };
        };
        let Value::Object(map) = &value else {
            return ErrorFields::default();
        };
        let request_id = as_text(map.get("request_id"));
        let (code, message) = fields(map)
            .or_else(|| {
                map.values().find_map(|v| match v {
                    Value::Object(inner) => fields(inner),
                    _ => None,
                })
            })
            .unwrap_or((None, None));
        ErrorFields {
            code,
            message,
            request_id,
        }
    }
}

/// A 2xx body that is an error envelope, not the document that was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEnvelope {
    /// Its shape.
    pub shape: EnvelopeShape,
    /// The code, message and request id it carries.
    #[serde(flatten)]
    pub fields: ErrorFields,
}

impl ErrorEnvelope {
    /// The error envelope `value` is, if it clearly is one: an object with `error_code`, or with
    /// `success: false`, or with a `code` that is not a success code next to a `message` and
    /// nothing a workflow or a list would hold; or a single such object under one key.
    ///
    /// ```
    /// use serde_json::json;
    /// use soc_model::{EnvelopeShape, ErrorEnvelope};
    ///
    /// let err = ErrorEnvelope::detect(&json!({"code": "SecMaster.20040611", "message": "no such workflow", "success": false})).unwrap();
    /// assert_eq!(err.shape, EnvelopeShape::SecMaster);
    /// assert!(ErrorEnvelope::detect(&json!({"code": "00000000", "message": "", "success": true, "data": []})).is_none());
    /// assert!(ErrorEnvelope::detect(&json!({"id": "1", "name": "Block IP", "versions": []})).is_none());
    /// ```
    #[must_use]
    pub fn detect(value: &Value) -> Option<ErrorEnvelope> {
        let Value::Object(map) = value else {
            return None;
        };
        if let Some(shape) = shape_of(map) {
            return Some(Self::from_map(shape, map, as_text(map.get("request_id"))));
        }
        // One level down: `{"error": {...}}`, perhaps beside a request id.
        let mut objects = map.values().filter_map(Value::as_object);
        let inner = objects.next()?;
        let only_scalars_beside = objects.next().is_none()
            && map
                .keys()
                .all(|k| map.get(k).is_some_and(Value::is_object) || k == "request_id");
        if only_scalars_beside && shape_of(inner).is_some() {
            let request_id =
                as_text(inner.get("request_id")).or_else(|| as_text(map.get("request_id")));
            return Some(Self::from_map(EnvelopeShape::Nested, inner, request_id));
        }
        None
    }

    /// [`detect`](Self::detect) on bytes; `None` for bytes that are not a JSON object.
    #[must_use]
    pub fn detect_bytes(bytes: &[u8]) -> Option<ErrorEnvelope> {
        let body = crate::format::strip_bom(bytes);
        if crate::format::Format::sniff(body) != crate::format::Format::JsonObject {
            return None;
        }
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|value| Self::detect(&value))
    }

    fn from_map(
        shape: EnvelopeShape,
        map: &Map<String, Value>,
        request_id: Option<String>,
    ) -> Self {
        let (code, message) = fields(map).unwrap_or((None, None));
        ErrorEnvelope {
            shape,
            fields: ErrorFields {
                code,
                message,
                request_id,
            },
        }
    }
}

impl fmt::Display for ErrorEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = &self.fields;
        match (&fields.code, &fields.message) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}")?,
            (Some(code), None) => f.write_str(code)?,
            (None, Some(message)) => f.write_str(message)?,
            (None, None) => f.write_str("an error without code or message")?,
        }
        if let Some(meaning) = fields.code.as_deref().and_then(code_meaning) {
            write!(f, " ({meaning})")?;
        }
        Ok(())
    }
}

/// Keys that a workflow, a version or a list answer holds, and an error envelope does not.
const PAYLOAD_KEYS: &[&str] = &["data", "name", "id", "versions", "workflows", "taskflow"];

fn shape_of(map: &Map<String, Value>) -> Option<EnvelopeShape> {
    if map.contains_key("error_code") && (map.contains_key("error_msg") || map.len() <= 3) {
        return Some(EnvelopeShape::Gateway);
    }
    if map.get("success") == Some(&Value::Bool(false)) {
        return Some(EnvelopeShape::SecMaster);
    }
    let code = as_text(map.get("code"))?;
    let failed = !is_success_code(&code) && map.contains_key("message");
    let payload = PAYLOAD_KEYS.iter().any(|k| map.contains_key(*k));
    (failed && !payload).then_some(EnvelopeShape::SecMaster)
}

/// Codes that SecMaster sends on success (`00000000`, `0`, `200`).
fn is_success_code(code: &str) -> bool {
    code.is_empty() || code.bytes().all(|b| b == b'0') || code == "200"
}

fn fields(map: &Map<String, Value>) -> Option<(Option<String>, Option<String>)> {
    let code = as_text(map.get("error_code")).or_else(|| as_text(map.get("code")));
    let message = as_text(map.get("error_msg")).or_else(|| as_text(map.get("message")));
    (code.is_some() || message.is_some()).then_some((code, message))
}

fn as_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(clean(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Server text made safe for one-line messages: control characters out, at most 300 characters.
#[must_use]
pub fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if text.chars().count() > 300 {
        out.push_str("...");
    }
    out.trim().to_owned()
}

/// What a SecMaster or API gateway error code means, for the codes the documentation and the
/// Terraform provider name (secmaster-api.md §5). Gateway codes come as `APIGW.` or `APIG.`.
///
/// ```
/// assert_eq!(soc_model::code_meaning("APIGW.0308"), Some("throttled: the API rate limit was reached; retry after a few seconds"));
/// assert_eq!(soc_model::code_meaning("APIG.0101"), soc_model::code_meaning("APIGW.0101"));
/// assert_eq!(soc_model::code_meaning("X.1"), None);
/// ```
#[must_use]
pub fn code_meaning(code: &str) -> Option<&'static str> {
    let gateway = code
        .strip_prefix("APIGW.")
        .or_else(|| code.strip_prefix("APIG."));
    if let Some(number) = gateway {
        return Some(match number {
            "0101" => {
                "the API does not exist or is not published here: wrong endpoint, path or method"
            }
            "0201" => "the gateway cannot reach the service behind it",
            "0203" => "the service behind the gateway is unavailable; try again later",
            "0301" => {
                "incorrect IAM authentication information: a bad AK/SK signature, or a missing, \
                 undecryptable or expired token"
            }
            "0303" => "the request's X-Sdk-Date is more than 15 minutes from the gateway's clock",
            "0307" => "the token must be renewed: it expired, or was issued for another region",
            "0308" => "throttled: the API rate limit was reached; retry after a few seconds",
            _ => return None,
        });
    }
    Some(match code.strip_prefix("SecMaster.")? {
        "20010001" => "the workspace id is invalid: no such workspace in this project",
        "20011003" => "the workspace does not exist",
        "20030001" => "an invalid parameter",
        "20030002" => "the project id is invalid",
        "20030003" => "an invalid name",
        "20030009" => "an invalid sort field",
        "20030010" => "an invalid sort order",
        "20039999" | "20040000" => "an unknown error in SecMaster",
        "20040605" => "the workflow version does not exist",
        "20040611" => "the workflow does not exist",
        "20030005" => "the playbook action does not exist or cannot be read",
        "20048004" => "the playbook version or rule does not exist",
        "20048006" => "an invalid playbook id",
        "20048007" => "an invalid playbook version id",
        "20048008" => "an invalid playbook action id",
        "20048009" => "an invalid playbook rule id",
        "11181002" => "SecMaster is being upgraded; access is refused meanwhile",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies_of_every_shape() {
        assert_eq!(
            ErrorFields::from_body(
                br#"{"code":"SecMaster.20040611","message":"workflow not exist"}"#
            ),
            ErrorFields {
                code: Some("SecMaster.20040611".into()),
                message: Some("workflow not exist".into()),
                request_id: None
            }
        );
        assert_eq!(
            ErrorFields::from_body(br#"{"error":{"code":"X.1","message":"nested"}}"#),
            ErrorFields {
                code: Some("X.1".into()),
                message: Some("nested".into()),
                request_id: None
            }
        );
        assert_eq!(ErrorFields::from_body(b""), ErrorFields::default());
        assert_eq!(ErrorFields::from_body(b"[1]"), ErrorFields::default());
    }

    #[test]
    fn envelopes_are_told_from_documents() {
        let gw =
            json!({"error_code": "APIGW.0101", "error_msg": "API not exist", "request_id": "r9"});
        let found = ErrorEnvelope::detect(&gw).unwrap();
        assert_eq!(found.shape, EnvelopeShape::Gateway);
        assert_eq!(found.fields.request_id.as_deref(), Some("r9"));
        assert_eq!(
            found.to_string(),
            "APIGW.0101: API not exist (the API does not exist or is not published here: wrong endpoint, path or method)"
        );
        let sm = json!({"code": "SecMaster.20030001", "message": "bad", "request_id": "r1"});
        assert_eq!(
            ErrorEnvelope::detect(&sm).unwrap().shape,
            EnvelopeShape::SecMaster
        );
        let nested = json!({"error": {"code": "SecMaster.1", "message": "m"}, "request_id": "r2"});
        let found = ErrorEnvelope::detect(&nested).unwrap();
        assert_eq!(
            (found.shape, found.fields.request_id.as_deref()),
            (EnvelopeShape::Nested, Some("r2"))
        );
        for not_error in [
            json!({"code": "0", "message": "", "data": {"id": "1"}}),
            json!({"id": "1", "name": "n", "code": "X", "message": "a workflow field"}),
            json!({"name": "Block", "versions": [], "success": true}),
            json!({"error": {"id": "1"}}),
            json!([{"code": "SecMaster.1", "message": "m"}]),
            json!({"a": {"code": "SecMaster.1", "message": "m"}, "b": {}}),
        ] {
            assert!(ErrorEnvelope::detect(&not_error).is_none(), "{not_error}");
        }
        assert!(
            ErrorEnvelope::detect(&json!({"name": "x", "success": false})).is_some(),
            "success: false is always an error"
        );
        assert!(
            ErrorEnvelope::detect_bytes(b"\xEF\xBB\xBF{\"error_code\":\"APIG.0301\"}").is_some()
        );
        assert!(ErrorEnvelope::detect_bytes(b"not json").is_none());
    }

    #[test]
    fn server_text_is_cleaned() {
        let long = "x".repeat(400);
        assert_eq!(clean(&long).len(), 303);
        assert_eq!(clean("a\u{1b}[31mb\nc"), "a [31mb c");
    }
}
