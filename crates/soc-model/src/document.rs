//! Workflow documents: what a single-workflow export holds, how workflows sit in a file, and how
//! to build the same document from the workflow and version APIs.
//!
//! A single-workflow export is the workflow's `AopWorkflowInfo` fields plus a `versions` array of
//! its `AopWorkflowVersionInfo` objects (the emulator's contract; the real format is
//! [UNCONFIRMED]). The documented versions API answers exactly those objects, so
//! [`export_from_versions`] builds the export-equivalent document from them: normalizing and
//! diffing do not care which way a document came.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ReadError;
use crate::json::kind_of;

/// Fields of `AopWorkflowInfo` (a listed or shown workflow), from the official SDK model.
pub const WORKFLOW_INFO_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "project_id",
    "owner_id",
    "creator_id",
    "creator_name",
    "create_time",
    "modifier_id",
    "modifier_name",
    "update_time",
    "edit_role",
    "use_role",
    "approve_role",
    "enabled",
    "workspace_id",
    "version_id",
    "current_approval_version_id",
    "current_rejected_version_id",
    "aop_type",
    "engine_type",
    "dataclass_id",
    "dataclass_name",
    "labels",
    "version",
];

/// Fields of `AopWorkflowVersionInfo`, from the official SDK model.
pub const VERSION_FIELDS: &[&str] = &[
    "id",
    "version_id",
    "name",
    "aopworkflow_id",
    "description",
    "project_id",
    "owner_id",
    "creator_id",
    "creator_name",
    "create_time",
    "modifier_id",
    "modifier_name",
    "update_time",
    "enabled",
    "status",
    "version",
    "taskconfig",
    "taskflow",
    "taskflow_type",
    "aop_type",
    "input",
    "output",
    "dataclass_id",
    "dataclass_name",
    "workspace_id",
];

/// Top-level fields of a SecMaster list answer (`ListWorkflows`, `ListAopWorkflowVersions`).
pub const LIST_FIELDS: &[&str] = &[
    "code",
    "message",
    "success",
    "request_id",
    "total",
    "offset",
    "limit",
    "size",
    "page",
    "data",
];

/// Top-level fields of a SecMaster show answer (`ShowAopWorkflow`, `ShowAopWorkflowVersion`).
pub const SHOW_FIELDS: &[&str] = &["code", "message", "success", "request_id", "data"];

/// Top-level fields of the workspaces list answer.
pub const WORKSPACE_LIST_FIELDS: &[&str] = &["workspaces", "count"];

/// Top-level fields of a single-workflow export document: the workflow's fields and `versions`.
#[must_use]
pub fn export_fields() -> Vec<&'static str> {
    let mut fields = WORKFLOW_INFO_FIELDS.to_vec();
    fields.push("versions");
    fields
}

/// Version fields that hold the workflow itself; a listed version without them must be shown.
pub const VERSION_CONTENT_FIELDS: &[&str] = &["taskflow", "taskconfig"];

/// Object keys that hold a list of workflows in a wrapper object (`{"workflows": [...]}`, the API
/// envelope `{"data": [...]}`), tried in this order when the object has no name key itself.
pub const CONTAINER_KEYS: &[&str] = &["workflows", "data"];

/// Where a snapshot's or a side's workflow documents came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DocumentSource {
    /// The export API (`POST …/soc/workflows/export`).
    Export,
    /// The workflow and versions APIs, each document built by [`export_from_versions`].
    Versions,
}

impl DocumentSource {
    /// `export` or `versions`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Versions => "versions",
        }
    }
}

impl fmt::Display for DocumentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `id` and `name` strings of a JSON object, as far as it has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IdName {
    /// `id`, when it is a string.
    #[serde(default, deserialize_with = "string_or_none")]
    pub id: Option<String>,
    /// `name`, when it is a string.
    #[serde(default, deserialize_with = "string_or_none")]
    pub name: Option<String>,
}

fn string_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.is_empty() => Some(s),
        _ => None,
    })
}

impl IdName {
    /// The `id` and `name` of the JSON object in `bytes`; `Err` for text that is not a JSON
    /// object (a JSON error of category `Data` for JSON of another kind).
    pub fn of(bytes: &[u8]) -> Result<IdName, serde_json::Error> {
        serde_json::from_slice(crate::format::strip_bom(bytes))
    }
}

/// Whether a JSON value is, by its shape, one workflow's export: an object with a non-empty
/// string `id` or `name`, or a `versions` array, and no sign of an error envelope.
#[must_use]
pub fn is_workflow(value: &Value) -> bool {
    let Value::Object(map) = value else {
        return false;
    };
    let text = |k: &str| {
        map.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    (text("id") || text("name") || map.get("versions").is_some_and(Value::is_array))
        && crate::envelope::ErrorEnvelope::detect(value).is_none()
}

/// The workflows a JSON document holds, by shape: the document itself, the items of an array,
/// or the items under a wrapper key ([`CONTAINER_KEYS`]). `None` when it holds none.
#[must_use]
pub fn workflows(value: &Value) -> Option<Vec<&Value>> {
    if is_workflow(value) {
        return Some(vec![value]);
    }
    let items = match value {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        Value::Object(map) => CONTAINER_KEYS.iter().find_map(|key| match map.get(*key) {
            Some(Value::Array(items)) => Some(items.iter().collect()),
            Some(inner) if is_workflow(inner) => Some(vec![inner]),
            _ => None,
        })?,
        _ => return None,
    };
    (!items.is_empty() && items.iter().all(|item| is_workflow(item))).then_some(items)
}

/// One workflow of a decoded export, named by the name key.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedWorkflow {
    /// The value of the name key.
    pub name: String,
    /// Where it is: the file, `file[3]` for an array item.
    pub source: String,
    /// The workflow object.
    pub value: Value,
}

/// Splits a decoded export into its workflows, each named by `name_key`: a workflow object, an
/// array of them, or an object holding them under [`CONTAINER_KEYS`]. `source` names the file in
/// errors and in each workflow's `source` (`file[1]` for the second item).
pub fn split_workflows(
    source: &str,
    value: Value,
    name_key: &str,
) -> Result<Vec<NamedWorkflow>, ReadError> {
    match value {
        Value::Array(items) => items_to_workflows(source, items, name_key),
        Value::Object(mut map) => {
            if map.contains_key(name_key) {
                return Ok(vec![named(
                    source.to_owned(),
                    Value::Object(map),
                    name_key,
                )?]);
            }
            for key in CONTAINER_KEYS {
                match map.remove(*key) {
                    Some(Value::Array(items)) => {
                        return items_to_workflows(source, items, name_key);
                    }
                    Some(inner @ Value::Object(_)) if inner.get(name_key).is_some() => {
                        return Ok(vec![named(source.to_owned(), inner, name_key)?]);
                    }
                    Some(other) => {
                        map.insert((*key).to_owned(), other);
                    }
                    None => {}
                }
            }
            Err(ReadError::MissingName {
                file: source.to_owned(),
                key: name_key.to_owned(),
            })
        }
        other => Err(ReadError::NotAWorkflow {
            file: source.to_owned(),
            found: kind_of(&other),
        }),
    }
}

fn items_to_workflows(
    source: &str,
    items: Vec<Value>,
    name_key: &str,
) -> Result<Vec<NamedWorkflow>, ReadError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| named(format!("{source}[{i}]"), item, name_key))
        .collect()
}

fn named(source: String, value: Value, name_key: &str) -> Result<NamedWorkflow, ReadError> {
    let Value::Object(map) = &value else {
        return Err(ReadError::NotAWorkflow {
            file: source,
            found: kind_of(&value),
        });
    };
    let name = match map.get(name_key) {
        None => {
            return Err(ReadError::MissingName {
                file: source,
                key: name_key.to_owned(),
            });
        }
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(other) => {
            return Err(ReadError::BadName {
                file: source,
                key: name_key.to_owned(),
                found: kind_of(other),
            });
        }
    };
    Ok(NamedWorkflow {
        name,
        source,
        value,
    })
}

/// Whether a listed version lacks what the workflow is made of, so that it must be shown
/// (`GET …/soc/workflows/versions/{id}`) before a document can be built from it.
#[must_use]
pub fn version_needs_show(version: &Map<String, Value>) -> bool {
    VERSION_CONTENT_FIELDS
        .iter()
        .any(|field| !version.contains_key(*field))
}

/// Why a document cannot be built from the answers it is made of.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The workflow or playbook info is not a JSON object.
    #[error("the info is not a JSON object")]
    Info(#[source] serde_json::Error),
    /// A version is not a JSON object.
    #[error("version #{index} is not a JSON object")]
    Version {
        /// Its position.
        index: usize,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Another part (a shown version, a rule, an action) is not a JSON object.
    #[error("a part of the document is not a JSON object")]
    Part(#[source] serde_json::Error),
}

/// The export-equivalent document of a workflow: its info object with `"versions": [...]` holding
/// the version objects, spliced as text so that each object keeps its exact bytes (a `versions`
/// field of the info is replaced).
///
/// ```
/// let doc = soc_model::export_from_versions(r#"{"id":"w1","name":"Block IP"}"#, &[r#"{"id":"v1","taskflow":"e30="}"#])?;
/// assert_eq!(doc, br#"{"id":"w1","name":"Block IP","versions":[{"id":"v1","taskflow":"e30="}]}"#);
/// # Ok::<(), soc_model::document::BuildError>(())
/// ```
pub fn export_from_versions(info: &str, versions: &[&str]) -> Result<Vec<u8>, BuildError> {
    serde_json::from_str::<Map<String, Value>>(info).map_err(BuildError::Info)?;
    for (index, version) in versions.iter().enumerate() {
        serde_json::from_str::<Map<String, Value>>(version)
            .map_err(|source| BuildError::Version { index, source })?;
    }
    crate::playbook::splice(info, &[("versions", crate::playbook::array_text(versions))])
        .map(String::into_bytes)
        .map_err(BuildError::Info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn workflows_by_shape() {
        let wf = json!({"id": "a", "name": "A"});
        assert_eq!(workflows(&wf).unwrap().len(), 1);
        assert_eq!(workflows(&json!([wf, {"name": "B"}])).unwrap().len(), 2);
        assert_eq!(
            workflows(&json!({"code": "0", "data": [wf]}))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(workflows(&json!({"workflows": [wf]})).unwrap().len(), 1);
        assert_eq!(workflows(&json!({"data": wf})).unwrap().len(), 1);
        for none in [
            json!({}),
            json!([]),
            json!({"code": "00000000", "message": "", "success": true}),
            json!({"data": null}),
            json!([wf, 3]),
            json!({"error_code": "APIGW.0101", "error_msg": "no"}),
            json!("text"),
        ] {
            assert!(workflows(&none).is_none(), "{none}");
        }
    }

    #[test]
    fn split_names_each_workflow_and_item() {
        let value = json!({"code": "0", "data": [{"name": "A"}, {"name": "B"}]});
        let got = split_workflows("e.json", value, "name").unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|w| (w.name.as_str(), w.source.as_str()))
            .collect();
        assert_eq!(names, [("A", "e.json[0]"), ("B", "e.json[1]")]);
        let err = split_workflows("e.json", json!([{"name": "A"}, 3]), "name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.json[1]: expected a workflow object, found a number"
        );
        let err = split_workflows("e.json", json!({"name": ""}), "name").unwrap_err();
        assert!(matches!(
            err,
            ReadError::BadName {
                found: "an empty string",
                ..
            }
        ));
        let err = split_workflows("e.json", json!({"data": 3}), "name").unwrap_err();
        assert!(matches!(err, ReadError::MissingName { .. }));
    }

    #[test]
    fn documents_from_versions_keep_every_byte() {
        let doc = export_from_versions(" {} ", &[]).unwrap();
        assert_eq!(doc, br#"{"versions":[]}"#);
        let doc = export_from_versions(
            r#"{"id":"w","versions":"old","name":"N"}"#,
            &[r#"{"id":"v"}"#, r#" {"id":"u"} "#],
        )
        .unwrap();
        assert_eq!(
            doc,
            br#"{"id":"w","name":"N","versions":[{"id":"v"},{"id":"u"}]}"#
        );
        assert!(export_from_versions("[1]", &[]).is_err());
        assert!(matches!(
            export_from_versions("{}", &["{}", "7"]),
            Err(BuildError::Version { index: 1, .. })
        ));
    }

    #[test]
    fn versions_without_content_need_showing() {
        let listed = json!({"id": "v", "taskconfig": "{}"});
        assert!(version_needs_show(listed.as_object().unwrap()));
        let full = json!({"id": "v", "taskconfig": "{}", "taskflow": "e30="});
        assert!(!version_needs_show(full.as_object().unwrap()));
    }
}
