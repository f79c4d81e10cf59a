//! Playbooks as the simulator stores them: a `PlaybookInfo` and its versions, each version with
//! its trigger rule (`RuleInfo`) and its actions (`ActionInfo`, each binding a workflow by id).
//!
//! The objects are kept as JSON maps with the SDK models' field names (see docs/sim.md): the
//! simulator serves them as they are, and a client must cope with every field the real API may
//! send. A fixture file (`playbooks/*.json` beside `workflows/`) is one playbook:
//!
//! ```json
//! {"id": "…", "name": "…", "enabled": true, "version_id": "<active version id>", …,
//!  "versions": [{"id": "…", "version": "v2", "version_type": 1, …,
//!                "rules": {"id": "…", "project_id": "…", "rule": "<ConditionInfo as JSON text>"},
//!                "actions": [{"id": "…", "name": "…", "action_type": "AOP_WORKFLOW", "action_id": "<workflow id>", …}]}]}
//! ```

use serde_json::{Map, Value};

/// Name of the folder of playbook files inside a workspace folder.
pub const PLAYBOOKS_DIR: &str = "playbooks";

/// A playbook: its info and every version.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Playbook {
    /// `PlaybookInfo` as listed.
    pub info: Map<String, Value>,
    /// Every version, oldest first.
    pub versions: Vec<PlaybookVersion>,
    /// File name inside `playbooks/` when loaded from (or to be written to) a folder.
    pub file_name: Option<String>,
}

/// One version of a playbook.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlaybookVersion {
    /// `PlaybookVersionInfo` without `rules` and `actions` (the `PlaybookVersionListEntity`).
    pub info: Map<String, Value>,
    /// Its trigger rule (`RuleInfo`), if it has one.
    pub rules: Option<Value>,
    /// Its actions (`ActionInfo`).
    pub actions: Vec<Value>,
}

impl Playbook {
    /// The playbook id.
    pub fn id(&self) -> &str {
        text(&self.info, "id")
    }

    /// The playbook name.
    pub fn name(&self) -> &str {
        text(&self.info, "name")
    }

    /// The version with this id.
    pub fn version(&self, id: &str) -> Option<&PlaybookVersion> {
        self.versions.iter().find(|v| v.id() == id)
    }

    /// The active version: the one `version_id` names.
    pub fn active_version(&self) -> Option<&PlaybookVersion> {
        self.version(self.info.get("version_id")?.as_str()?)
    }

    /// The JSON texts a client receives: the `PlaybookInfo`, each listed version, and the active
    /// version as shown (with its rule and actions inline).
    pub fn answers(&self) -> (String, Vec<String>, Option<String>) {
        (
            Value::Object(self.info.clone()).to_string(),
            self.versions
                .iter()
                .map(|v| v.listed().to_string())
                .collect(),
            self.active_version().map(|v| v.shown().to_string()),
        )
    }

    /// Parses one playbook file.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let Value::Object(mut info) = serde_json::from_slice(bytes)? else {
            return Err(serde::de::Error::custom(
                "a playbook file holds one JSON object",
            ));
        };
        for key in ["id", "name"] {
            if !info.get(key).is_some_and(Value::is_string) {
                return Err(serde::de::Error::custom(format!(
                    "a playbook has a string {key:?}"
                )));
            }
        }
        let versions = match info.remove("versions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(versions)) => versions
                .into_iter()
                .map(PlaybookVersion::from_value)
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(serde::de::Error::custom("\"versions\" is an array")),
        };
        Ok(Self {
            info,
            versions,
            file_name: None,
        })
    }

    /// The file form: the info with `versions`, pretty-printed with a trailing newline.
    pub fn file_bytes_pretty(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut value = self.info.clone();
        value.insert(
            "versions".to_owned(),
            Value::Array(self.versions.iter().map(PlaybookVersion::shown).collect()),
        );
        let mut out = serde_json::to_vec_pretty(&value)?;
        out.push(b'\n');
        Ok(out)
    }
}

impl PlaybookVersion {
    fn from_value(value: Value) -> Result<Self, serde_json::Error> {
        let Value::Object(mut info) = value else {
            return Err(serde::de::Error::custom("a playbook version is an object"));
        };
        if !info.get("id").is_some_and(Value::is_string) {
            return Err(serde::de::Error::custom(
                "a playbook version has a string \"id\"",
            ));
        }
        let rules = match info.remove("rules") {
            None | Some(Value::Null) => None,
            Some(rules @ Value::Object(_)) => Some(rules),
            Some(_) => return Err(serde::de::Error::custom("\"rules\" is an object")),
        };
        let actions = match info.remove("actions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(actions)) => actions,
            Some(_) => return Err(serde::de::Error::custom("\"actions\" is an array")),
        };
        Ok(Self {
            info,
            rules,
            actions,
        })
    }

    /// The version id.
    pub fn id(&self) -> &str {
        text(&self.info, "id")
    }

    /// The id of its rule (`rule_id`, else the rule's own `id`).
    pub fn rule_id(&self) -> Option<&str> {
        self.info
            .get("rule_id")
            .and_then(Value::as_str)
            .or_else(|| self.rules.as_ref()?.get("id")?.as_str())
    }

    /// As listed: `PlaybookVersionListEntity`, without rules and actions.
    pub fn listed(&self) -> Value {
        Value::Object(self.info.clone())
    }

    /// As shown: `PlaybookVersionInfo` with `rules` and `actions` inline.
    pub fn shown(&self) -> Value {
        let mut value = self.info.clone();
        value.insert(
            "rules".to_owned(),
            self.rules.clone().unwrap_or(Value::Null),
        );
        value.insert("actions".to_owned(), Value::Array(self.actions.clone()));
        Value::Object(value)
    }
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_round_trip_and_keep_unknown_fields() {
        let raw = json!({"id": "p", "name": "P", "odd": 1, "versions": [
            {"id": "v", "rule_id": "r", "rules": {"id": "r", "rule": "{}"}, "actions": [{"id": "a"}], "extra": true}
        ]});
        let pb = Playbook::from_file_bytes(raw.to_string().as_bytes()).unwrap();
        assert_eq!(pb.name(), "P");
        assert_eq!(pb.versions[0].rule_id(), Some("r"));
        assert_eq!(
            pb.versions[0].listed(),
            json!({"id": "v", "rule_id": "r", "extra": true})
        );
        let back: Value = serde_json::from_slice(&pb.file_bytes_pretty().unwrap()).unwrap();
        assert_eq!(back, raw);
    }

    #[test]
    fn malformed_files_are_errors() {
        for bad in [
            "[]",
            r#"{"name": "P"}"#,
            r#"{"id": "p", "name": "P", "versions": {}}"#,
            r#"{"id": "p", "name": "P", "versions": [{"rules": {}}]}"#,
            r#"{"id": "p", "name": "P", "versions": [{"id": "v", "actions": {}}]}"#,
        ] {
            assert!(Playbook::from_file_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
