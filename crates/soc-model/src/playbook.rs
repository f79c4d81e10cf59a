//! Playbook documents: what socdrift keeps of a playbook, how it builds that from the playbook
//! APIs, and the comparable shape it is diffed in.
//!
//! A SecMaster *playbook* decides when workflows run: its active version has a trigger rule and
//! actions, each action binding a workflow by id (`action_type` `AOP_WORKFLOW`, `action_id` = the
//! workflow id). SecMaster documents no playbook export answer (`POST …/soc/playbooks/export` has
//! no response schema), so socdrift builds its own document from the documented JSON answers
//! (field lists from the official SDK models, see docs/api-client.md):
//!
//! ```json
//! {"socdrift_document": "playbook",
//!  ...every PlaybookInfo field as listed...,
//!  "versions": [PlaybookVersionListEntity, ...],
//!  "active_version": {...PlaybookVersionInfo as shown..., "rules": RuleInfo, "actions": [ActionInfo, ...]},
//!  "bound_workflows": {"<workflow id>": "<workflow name>", ...}}
//! ```
//!
//! Each object keeps the exact bytes of its answer. `bound_workflows` names, within the same
//! workspace and at the same time, every workflow an action of the active version binds, so the
//! document compares the same way whenever and wherever it is read again. [`comparable`] turns it
//! into the shape that is normalized and diffed: the active version with its rule and actions,
//! each action's workflow by **name**, and the other versions apart.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::document::BuildError;

/// Fields of `PlaybookInfo` (a listed playbook), from the official SDK model.
pub const PLAYBOOK_INFO_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "create_time",
    "update_time",
    "project_id",
    "version_id",
    "enabled",
    "workspace_id",
    "approve_role",
    "user_role",
    "edit_role",
    "owner_id",
    "version",
    "dataclass_name",
    "dataclass_id",
    "unaudited_version_id",
    "reject_version_id",
];

/// Fields of `PlaybookVersionInfo` (a shown playbook version), from the official SDK model.
/// `version_type` is a number (0 draft, 1 official).
pub const PLAYBOOK_VERSION_FIELDS: &[&str] = &[
    "id",
    "description",
    "create_time",
    "update_time",
    "project_id",
    "creator_id",
    "modifier_id",
    "playbook_id",
    "version",
    "enabled",
    "status",
    "action_strategy",
    "actions",
    "rule_enable",
    "rules",
    "dataclass_id",
    "trigger_type",
    "dataobject_create",
    "dataobject_update",
    "dataobject_delete",
    "version_type",
    "rule_id",
    "dataclass_name",
    "approve_name",
];

/// Fields of `PlaybookVersionListEntity` (a listed version): [`PLAYBOOK_VERSION_FIELDS`] without
/// `actions` and `rules`.
pub const PLAYBOOK_VERSION_LIST_FIELDS: &[&str] = &[
    "id",
    "description",
    "create_time",
    "update_time",
    "project_id",
    "creator_id",
    "modifier_id",
    "playbook_id",
    "version",
    "enabled",
    "status",
    "action_strategy",
    "rule_enable",
    "dataclass_id",
    "trigger_type",
    "dataobject_create",
    "dataobject_update",
    "dataobject_delete",
    "version_type",
    "rule_id",
    "dataclass_name",
    "approve_name",
];

/// Fields of `ActionInfo` (a workflow bound to a playbook version), from the official SDK model.
pub const ACTION_FIELDS: &[&str] = &[
    "id",
    "name",
    "description",
    "action_type",
    "action_id",
    "playbook_id",
    "playbook_version_id",
    "project_id",
];

/// Fields of `RuleInfo`; `rule` is a JSON string holding a `ConditionInfo`.
pub const RULE_FIELDS: &[&str] = &["id", "project_id", "rule"];

/// Fields of `ConditionInfo`, the trigger condition inside a rule's JSON string.
pub const CONDITION_FIELDS: &[&str] = &[
    "expression_type",
    "conditions",
    "logics",
    "cron",
    "schedule_type",
    "start_type",
    "end_type",
    "end_time",
    "start_time",
    "repeat_range",
    "only_once",
    "execution_type",
];

/// Top-level fields of the playbook list answers (`ListPlaybooks`, `ListPlaybookVersions`,
/// `ListPlaybookActions`): no `success` and no `request_id` (the request id is a header), no
/// `offset`/`limit` echo.
pub const PLAYBOOK_LIST_FIELDS: &[&str] = &["code", "message", "total", "size", "page", "data"];

/// Top-level fields of the playbook show answers (`ShowPlaybookVersion`, `ShowPlaybookRule`).
pub const PLAYBOOK_SHOW_FIELDS: &[&str] = &["code", "message", "data"];

/// The only documented `action_type`: the action runs a workflow whose id is `action_id`.
pub const ACTION_TYPE_WORKFLOW: &str = "AOP_WORKFLOW";

/// The key that marks a socdrift playbook document, and its value.
pub const KIND_KEY: &str = "socdrift_document";
/// The value of [`KIND_KEY`] in a playbook document.
pub const KIND_PLAYBOOK: &str = "playbook";
/// Where a playbook document holds its listed versions.
pub const VERSIONS_KEY: &str = "versions";
/// Where a playbook document holds the active version, shown, with its rule and actions.
pub const ACTIVE_KEY: &str = "active_version";
/// Where a playbook document holds the names of the workflows its actions bind.
pub const BOUND_KEY: &str = "bound_workflows";
/// Where the comparable shape holds the versions that are not active.
pub const OTHER_VERSIONS_KEY: &str = "other_versions";
/// The field of a comparable action that names its workflow.
pub const WORKFLOW_KEY: &str = "workflow";

/// Whether a JSON value is a socdrift playbook document (by its marker, not by guessing).
#[must_use]
pub fn is_playbook(value: &Value) -> bool {
    value.get(KIND_KEY).and_then(Value::as_str) == Some(KIND_PLAYBOOK)
}

/// The id of the version that runs: the playbook's `version_id` (its active version) when it
/// names one, else the one listed version with `enabled: true` (an official one, `version_type`
/// 1, when several are enabled). `None` when no version runs.
#[must_use]
pub fn active_version_id(
    info: &Map<String, Value>,
    listed: &[&Map<String, Value>],
) -> Option<String> {
    if let Some(id) = text(info.get("version_id")) {
        return Some(id.to_owned());
    }
    let enabled: Vec<&&Map<String, Value>> = listed
        .iter()
        .filter(|v| v.get("enabled") == Some(&Value::Bool(true)))
        .collect();
    enabled
        .iter()
        .find(|v| v.get("version_type").and_then(Value::as_i64) == Some(1))
        .or_else(|| enabled.first())
        .and_then(|v| text(v.get("id")))
        .map(str::to_owned)
}

/// The rule a shown version refers to but does not carry inline: its `rule_id`, when `rules` is
/// absent or null. `None` when the rule is inline or there is none.
#[must_use]
pub fn rule_to_fetch(version: &Map<String, Value>) -> Option<&str> {
    match version.get("rules") {
        None | Some(Value::Null) => text(version.get("rule_id")),
        Some(_) => None,
    }
}

/// Whether a shown version does not carry its actions inline (`actions` absent or null), so that
/// they must be listed (`GET …/soc/playbooks/versions/{version_id}/actions`).
#[must_use]
pub fn actions_to_fetch(version: &Map<String, Value>) -> bool {
    matches!(version.get("actions"), None | Some(Value::Null))
}

/// The workflow ids the actions bind (`action_id` of each `AOP_WORKFLOW` action), in order,
/// each once.
#[must_use]
pub fn bound_workflow_ids<'a>(actions: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for action in actions {
        if let Some(id) = workflow_id_of(action) {
            if !ids.iter().any(|known| known == id) {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

/// The workflow an action binds: its `action_id` when its type is `AOP_WORKFLOW` (or not given).
fn workflow_id_of(action: &Value) -> Option<&str> {
    let action_type = action.get("action_type").and_then(Value::as_str);
    if action_type.is_some_and(|t| t != ACTION_TYPE_WORKFLOW) {
        return None;
    }
    text(action.get("action_id"))
}

/// The active version of a playbook as answered: the shown version's text, and the rule and
/// actions when they came from their own endpoints (`None` when the version carries them).
#[derive(Debug, Clone, Copy)]
pub struct ActiveParts<'a> {
    /// `PlaybookVersionInfo` as shown (`GET …/soc/playbooks/versions/{version_id}`).
    pub version: &'a str,
    /// `RuleInfo` from `GET …/versions/{version_id}/rules/{rule_id}`, when not inline.
    pub rules: Option<&'a str>,
    /// `ActionInfo`s from `GET …/versions/{version_id}/actions`, when not inline.
    pub actions: Option<&'a [&'a str]>,
}

/// Everything a playbook document is built from, each object as the answer's exact text.
#[derive(Debug, Clone, Copy)]
pub struct PlaybookParts<'a> {
    /// `PlaybookInfo` as listed.
    pub info: &'a str,
    /// Every `PlaybookVersionListEntity` as listed.
    pub versions: &'a [&'a str],
    /// The active version, `None` when no version runs.
    pub active: Option<ActiveParts<'a>>,
    /// Workflow id to name, for the workflows of the same workspace (at least every one the
    /// active version binds; ids it does not bind are left out of the document).
    pub workflow_names: &'a BTreeMap<String, String>,
}

/// Builds a playbook document (see the module docs) from its parts, keeping every object's bytes.
///
/// ```
/// use std::collections::BTreeMap;
/// use soc_model::playbook::{ActiveParts, PlaybookParts, build, is_playbook};
///
/// let names = BTreeMap::from([("w1".to_owned(), "Block IP".to_owned())]);
/// let doc = build(&PlaybookParts {
///     info: r#"{"id":"p1","name":"Auto block","version_id":"v1"}"#,
///     versions: &[r#"{"id":"v1","enabled":true}"#],
///     active: Some(ActiveParts {
///         version: r#"{"id":"v1","rule_id":"r1"}"#,
///         rules: Some(r#"{"id":"r1","rule":"{}"}"#),
///         actions: Some(&[r#"{"id":"a1","action_id":"w1"}"#]),
///     }),
///     workflow_names: &names,
/// })?;
/// let value: serde_json::Value = serde_json::from_slice(&doc)?;
/// assert!(is_playbook(&value));
/// assert_eq!(value["bound_workflows"]["w1"], "Block IP");
/// assert_eq!(value["active_version"]["actions"][0]["action_id"], "w1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build(parts: &PlaybookParts<'_>) -> Result<Vec<u8>, BuildError> {
    serde_json::from_str::<Map<String, Value>>(parts.info).map_err(BuildError::Info)?;
    for (index, version) in parts.versions.iter().enumerate() {
        serde_json::from_str::<Map<String, Value>>(version)
            .map_err(|source| BuildError::Version { index, source })?;
    }
    let (active, bound) = match &parts.active {
        None => ("null".to_owned(), Vec::new()),
        Some(active) => {
            let mut extra = Vec::new();
            if let Some(rules) = active.rules {
                serde_json::from_str::<Map<String, Value>>(rules).map_err(BuildError::Part)?;
                extra.push(("rules", rules.trim().to_owned()));
            }
            if let Some(actions) = active.actions {
                for action in actions {
                    serde_json::from_str::<Map<String, Value>>(action).map_err(BuildError::Part)?;
                }
                extra.push(("actions", array_text(actions)));
            }
            let version = splice(active.version, &extra).map_err(BuildError::Part)?;
            let shown: Value = serde_json::from_str(&version).map_err(BuildError::Part)?;
            let actions = shown.get("actions").and_then(Value::as_array);
            let bound = bound_workflow_ids(actions.into_iter().flatten());
            (version, bound)
        }
    };
    let names: BTreeMap<&str, &str> = bound
        .iter()
        .filter_map(|id| {
            parts
                .workflow_names
                .get(id)
                .map(|name| (id.as_str(), name.as_str()))
        })
        .collect();
    let names = serde_json::to_string(&names).map_err(BuildError::Part)?;
    let fields = [
        (KIND_KEY, format!("\"{KIND_PLAYBOOK}\"")),
        (VERSIONS_KEY, array_text(parts.versions)),
        (ACTIVE_KEY, active),
        (BOUND_KEY, names),
    ];
    splice(parts.info, &fields)
        .map(String::into_bytes)
        .map_err(BuildError::Info)
}

/// [`build`] for answers in the form the show answer takes when it carries the rule and actions
/// inline: the info, the listed versions, the shown active version (if any).
pub fn build_inline(
    info: &str,
    versions: &[String],
    shown: Option<&str>,
    workflow_names: &BTreeMap<String, String>,
) -> Result<Vec<u8>, BuildError> {
    let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
    build(&PlaybookParts {
        info,
        versions: &versions,
        active: shown.map(|version| ActiveParts {
            version,
            rules: None,
            actions: None,
        }),
        workflow_names,
    })
}

/// `[a,b,c]` of JSON texts, each trimmed.
pub(crate) fn array_text(items: &[&str]) -> String {
    let mut list = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        list.push_str(item.trim());
    }
    list.push(']');
    list
}

/// The JSON object `object` with `fields` (key, JSON text) added, every byte of both kept. A key
/// the object already has is replaced; the object is then rebuilt with its keys sorted (rare
/// enough to pay for).
pub(crate) fn splice(object: &str, fields: &[(&str, String)]) -> Result<String, serde_json::Error> {
    let keys: Map<String, Value> = serde_json::from_str(object)?;
    if fields.iter().any(|(key, _)| keys.contains_key(*key)) {
        let mut raw: BTreeMap<String, Box<serde_json::value::RawValue>> =
            serde_json::from_str(object)?;
        for (key, text) in fields {
            raw.insert(
                (*key).to_owned(),
                serde_json::value::RawValue::from_string(text.clone())?,
            );
        }
        return serde_json::to_string(&raw);
    }
    let body = object.trim();
    let inner = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or_default();
    let mut out = String::with_capacity(
        body.len()
            + fields
                .iter()
                .map(|(k, t)| k.len() + t.len() + 4)
                .sum::<usize>(),
    );
    out.push('{');
    out.push_str(inner);
    let mut first = inner.trim().is_empty();
    for (key, text) in fields {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&serde_json::to_string(key)?);
        out.push(':');
        out.push_str(text);
    }
    out.push('}');
    // The texts were checked one by one; the whole must still be one JSON object.
    serde_json::from_str::<serde::de::IgnoredAny>(&out)?;
    Ok(out)
}

/// The text that stands for a binding to a workflow id that no workflow of the workspace has.
#[must_use]
pub fn missing_workflow(id: &str) -> String {
    format!("(no workflow with id {id} in this workspace)")
}

/// The shape a playbook document is compared in:
///
/// - the playbook's own fields as they are;
/// - `active_version`: the version that runs (or `null`), with its `rules` and `actions`; each
///   `AOP_WORKFLOW` action's `action_id` is replaced by `workflow`, the **name** of the workflow
///   it binds in the same workspace (or [`missing_workflow`] when the workspace has no workflow
///   with that id), so the same binding compares equal across workspaces;
/// - `other_versions`: the listed versions that are not the active one;
/// - the marker and `bound_workflows` dropped (they are folded into the above).
///
/// Anything that is not a playbook document is returned unchanged.
///
/// ```
/// use serde_json::json;
///
/// let doc = json!({"socdrift_document": "playbook", "id": "p1", "name": "Auto block",
///     "versions": [{"id": "v1"}, {"id": "v0", "version": "v0"}],
///     "active_version": {"id": "v1", "actions": [{"name": "Block", "action_type": "AOP_WORKFLOW", "action_id": "w1"}]},
///     "bound_workflows": {"w1": "Block IP"}});
/// let shape = soc_model::playbook::comparable(doc);
/// assert_eq!(shape["active_version"]["actions"][0], json!({"name": "Block", "action_type": "AOP_WORKFLOW", "workflow": "Block IP"}));
/// assert_eq!(shape["other_versions"], json!([{"id": "v0", "version": "v0"}]));
/// assert!(shape.get("bound_workflows").is_none());
/// ```
#[must_use]
pub fn comparable(value: Value) -> Value {
    if !is_playbook(&value) {
        return value;
    }
    let Value::Object(mut map) = value else {
        return value;
    };
    map.remove(KIND_KEY);
    let bound = match map.remove(BOUND_KEY) {
        Some(Value::Object(bound)) => bound,
        _ => Map::new(),
    };
    let versions = match map.remove(VERSIONS_KEY) {
        Some(Value::Array(versions)) => versions,
        _ => Vec::new(),
    };
    let mut active = map.remove(ACTIVE_KEY).unwrap_or(Value::Null);
    let active_id = active.get("id").and_then(Value::as_str).map(str::to_owned);
    if let Some(Value::Array(actions)) = active.get_mut("actions") {
        for action in actions.iter_mut() {
            let Some(id) = workflow_id_of(action).map(str::to_owned) else {
                continue;
            };
            let name = match bound.get(&id).and_then(Value::as_str) {
                Some(name) => name.to_owned(),
                None => missing_workflow(&id),
            };
            if let Value::Object(fields) = action {
                fields.remove("action_id");
                fields.insert(WORKFLOW_KEY.to_owned(), Value::String(name));
            }
        }
    }
    let others: Vec<Value> = versions
        .into_iter()
        .filter(|v| {
            active_id.is_none() || v.get("id").and_then(Value::as_str) != active_id.as_deref()
        })
        .collect();
    map.insert(ACTIVE_KEY.to_owned(), active);
    map.insert(OTHER_VERSIONS_KEY.to_owned(), Value::Array(others));
    Value::Object(map)
}

/// A non-empty string field.
fn text(value: Option<&Value>) -> Option<&str> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_active_version_is_the_playbooks_then_the_enabled_one() {
        let v1 = map(json!({"id": "v1", "enabled": false, "version_type": 1}));
        let v2 = map(json!({"id": "v2", "enabled": true, "version_type": 0}));
        let v3 = map(json!({"id": "v3", "enabled": true, "version_type": 1}));
        let listed = [&v1, &v2, &v3];
        assert_eq!(
            active_version_id(&map(json!({"version_id": "v1"})), &listed).as_deref(),
            Some("v1")
        );
        assert_eq!(
            active_version_id(&map(json!({"version_id": ""})), &listed).as_deref(),
            Some("v3")
        );
        assert_eq!(
            active_version_id(&map(json!({})), &[&v1, &v2]).as_deref(),
            Some("v2")
        );
        assert_eq!(active_version_id(&map(json!({})), &[&v1]), None);
    }

    #[test]
    fn inline_rules_and_actions_are_not_fetched() {
        let inline = map(json!({"rule_id": "r", "rules": {"id": "r"}, "actions": []}));
        assert_eq!(rule_to_fetch(&inline), None);
        assert!(!actions_to_fetch(&inline));
        let bare = map(json!({"rule_id": "r", "rules": null}));
        assert_eq!(rule_to_fetch(&bare), Some("r"));
        assert!(actions_to_fetch(&bare));
        assert_eq!(rule_to_fetch(&map(json!({"rule_id": ""}))), None);
    }

    #[test]
    fn documents_keep_every_byte_and_name_only_bound_workflows() {
        let names = BTreeMap::from([
            ("w1".to_owned(), "Block IP".to_owned()),
            ("w2".to_owned(), "Not bound".to_owned()),
        ]);
        let doc = build(&PlaybookParts {
            info: r#"{"id":"p","name":"P", "version_id":"v"}"#,
            versions: &[r#" {"id":"v"} "#],
            active: Some(ActiveParts {
                version: r#"{"id":"v", "rules":{"id":"r","rule":"{}"}, "actions":[{"action_id":"w1"},{"action_id":"w9"}]}"#,
                rules: None,
                actions: None,
            }),
            workflow_names: &names,
        })
        .unwrap();
        assert_eq!(
            String::from_utf8(doc).unwrap(),
            r#"{"id":"p","name":"P", "version_id":"v","socdrift_document":"playbook","versions":[{"id":"v"}],"active_version":{"id":"v", "rules":{"id":"r","rule":"{}"}, "actions":[{"action_id":"w1"},{"action_id":"w9"}]},"bound_workflows":{"w1":"Block IP"}}"#
        );
        let none = build(&PlaybookParts {
            info: "{}",
            versions: &[],
            active: None,
            workflow_names: &names,
        })
        .unwrap();
        assert_eq!(
            none,
            br#"{"socdrift_document":"playbook","versions":[],"active_version":null,"bound_workflows":{}}"#
        );
        assert!(matches!(
            build(&PlaybookParts {
                info: "[]",
                versions: &[],
                active: None,
                workflow_names: &names
            }),
            Err(BuildError::Info(_))
        ));
        assert!(matches!(
            build(&PlaybookParts {
                info: "{}",
                versions: &["{}", "3"],
                active: None,
                workflow_names: &names
            }),
            Err(BuildError::Version { index: 1, .. })
        ));
    }

    #[test]
    fn separately_fetched_parts_are_spliced_into_the_version() {
        let names = BTreeMap::new();
        let doc = build(&PlaybookParts {
            info: r#"{"name":"P","actions":"not mine"}"#,
            versions: &[],
            active: Some(ActiveParts {
                version: r#"{"id":"v","actions":null}"#,
                rules: Some(r#"{"id":"r"}"#),
                actions: Some(&[r#"{"id":"a"}"#]),
            }),
            workflow_names: &names,
        })
        .unwrap();
        let value: Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(
            value["active_version"],
            json!({"id": "v", "actions": [{"id": "a"}], "rules": {"id": "r"}})
        );
        assert_eq!(value["actions"], "not mine");
        let bad = build(&PlaybookParts {
            info: "{}",
            versions: &[],
            active: Some(ActiveParts {
                version: "{}",
                rules: Some("[1]"),
                actions: None,
            }),
            workflow_names: &names,
        });
        assert!(matches!(bad, Err(BuildError::Part(_))));
    }

    #[test]
    fn the_comparable_shape_names_workflows_and_sets_other_versions_apart() {
        let doc = json!({
            "socdrift_document": "playbook", "name": "P", "version_id": "v2",
            "versions": [{"id": "v1", "version": "1"}, {"id": "v2", "version": "2"}],
            "active_version": {"id": "v2", "actions": [
                {"name": "a", "action_type": "AOP_WORKFLOW", "action_id": "w1"},
                {"name": "b", "action_id": "w-gone"},
                {"name": "c", "action_type": "SOMETHING_ELSE", "action_id": "x"},
            ]},
            "bound_workflows": {"w1": "Block IP"},
        });
        let shape = comparable(doc);
        assert_eq!(
            shape["active_version"]["actions"],
            json!([
                {"name": "a", "action_type": "AOP_WORKFLOW", "workflow": "Block IP"},
                {"name": "b", "workflow": "(no workflow with id w-gone in this workspace)"},
                {"name": "c", "action_type": "SOMETHING_ELSE", "action_id": "x"},
            ])
        );
        assert_eq!(
            shape["other_versions"],
            json!([{"id": "v1", "version": "1"}])
        );
        assert!(shape.get("socdrift_document").is_none());
        assert!(shape.get("versions").is_none());
        let none = comparable(
            json!({"socdrift_document": "playbook", "name": "P", "active_version": null, "versions": [{"id": "v1"}]}),
        );
        assert_eq!(none["active_version"], Value::Null);
        assert_eq!(none["other_versions"], json!([{"id": "v1"}]));
        let workflow = json!({"name": "W", "versions": []});
        assert_eq!(comparable(workflow.clone()), workflow);
    }

    #[test]
    fn comparable_is_idempotent_on_its_output() {
        let doc = json!({"socdrift_document": "playbook", "name": "P", "versions": [], "active_version": null, "bound_workflows": {}});
        let once = comparable(doc);
        assert_eq!(comparable(once.clone()), once);
    }
}
