//! Normalization profiles: what to ignore, decode, redact, and how to compare arrays.
//!
//! [`Profile::secmaster()`] is the built-in profile for SecMaster workflow exports; user rules from
//! the `[normalize]` section of the configuration ([`ProfileConfig`]) extend it with
//! [`Profile::with_config`]. The normalizing itself is [`Profile::normalize`](crate::normalize).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pattern::{PathPattern, PatternError};
use crate::redact::Redaction;
pub use crate::redact::{
    DEFAULT_REDACT_KEYS, DEFAULT_REDACT_PAIRS, DEFAULT_REDACT_QUERY_PARAMS, NOT_SECRET_LAST_PARTS,
};

/// Version of the normalizer's output format, part of [`Profile::hash`].
///
/// Bump it whenever the same input and rules would give a different canonical text, so hashes
/// stored by an older build are never taken for current ones. 2: secrets inside text (URL user
/// info, `NAME=VALUE`, quoted pairs, header lines), name/value pairs and descriptor keys; booleans
/// and template references are no longer redacted.
pub const NORMALIZER_FORMAT: u32 = 2;

/// The environment-identity and audit fields the SecMaster profile ignores, at workflow level
/// (`/<field>`) and version level (`/versions/*/<field>`).
pub const SECMASTER_IGNORED_FIELDS: &[&str] = &[
    "id",
    "project_id",
    "workspace_id",
    "version_id",
    "aopworkflow_id",
    "current_approval_version_id",
    "current_rejected_version_id",
    // Misspelt key still served by older API generations (secmaster-api.md §2.3).
    "current_rejected_versoin_id",
    "dataclass_id",
    "owner_id",
    "creator_id",
    "creator_name",
    "modifier_id",
    "modifier_name",
    "create_time",
    "update_time",
];

/// What identifies, dates or names the people who touched a playbook and its parts: dropped like
/// the workflow fields. Playbook level (`/<field>`, beside [`SECMASTER_IGNORED_FIELDS`]):
pub const PLAYBOOK_IGNORED_FIELDS: &[&str] = &["unaudited_version_id", "reject_version_id"];

/// ... version level (`/active_version/<field>`, `/other_versions/*/<field>`):
pub const PLAYBOOK_VERSION_IGNORED_FIELDS: &[&str] = &[
    "id",
    "playbook_id",
    "project_id",
    "creator_id",
    "modifier_id",
    "create_time",
    "update_time",
    "dataclass_id",
    "rule_id",
    "approve_name",
];

/// ... action level (`/active_version/actions/*/<field>`; `action_id` is replaced by the bound
/// workflow's name before this, see [`soc_model::playbook::comparable`]):
pub const PLAYBOOK_ACTION_IGNORED_FIELDS: &[&str] =
    &["id", "playbook_id", "playbook_version_id", "project_id"];

/// ... and rule level (`/active_version/rules/<field>`).
pub const PLAYBOOK_RULE_IGNORED_FIELDS: &[&str] = &["id", "project_id"];

/// How the items of an array are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrayRule {
    /// Order matters (the default). Insertions are aligned, not cascaded.
    Ordered,
    /// Order is ignored.
    Set,
    /// Items are matched by the value at this dotted field path inside each item
    /// (e.g. `attributes.id`); items without it are compared as in a set.
    Keyed(String),
}

impl ArrayRule {
    /// The identity of `item` under this rule: its key for [`ArrayRule::Keyed`], else `None`.
    pub fn key_of(&self, item: &serde_json::Value) -> Option<String> {
        match self {
            Self::Keyed(field) => key_of(item, field),
            Self::Ordered | Self::Set => None,
        }
    }
}

/// The key of an array item: the value at the dotted `field` path (`attributes.id`), as the string
/// itself for a string and as compact JSON for a number or boolean. `None` when the field is
/// missing, `null`, an object or an array (such items sort after the keyed ones).
pub fn key_of(item: &serde_json::Value, field: &str) -> Option<String> {
    key_ref(item, field).map(Cow::into_owned)
}

/// [`key_of`] without copying a string key.
pub(crate) fn key_ref<'v>(item: &'v serde_json::Value, field: &str) -> Option<Cow<'v, str>> {
    let mut at = item;
    for part in field.split('.') {
        at = at.as_object()?.get(part)?;
    }
    match at {
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
        serde_json::Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        serde_json::Value::Null | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            None
        }
    }
}

/// What an embedded string payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    /// Standard base64 of UTF-8 JSON (`taskflow`).
    Base64Json,
    /// JSON text (`taskconfig`, `input`, `output`).
    Json,
}

impl Payload {
    fn as_str(self) -> &'static str {
        match self {
            Self::Base64Json => "base64-json",
            Self::Json => "json",
        }
    }
}

/// A normalization profile: the rules that turn a [`Document`](crate::Document) into canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    name_key: String,
    ignore: Vec<PathPattern>,
    /// The user's ignore rules, matched once more against addresses (see `crate::ignore`).
    address_ignore: Vec<PathPattern>,
    /// First match wins; user rules come before built-in ones.
    arrays: Vec<(PathPattern, ArrayRule)>,
    payloads: Vec<(PathPattern, Payload)>,
    redaction: Redaction,
    keep_layout: bool,
    element_ids: ElementIds,
    /// How much of an export the decoder reads; not part of [`Profile::hash`]: it changes what
    /// is refused, never what a normalized document is.
    limits: soc_model::Limits,
}

/// What happens to the ids of BPMN elements inside a decoded `taskflow`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementIds {
    /// Compared as they are: right for workflows promoted by export and import, which keep them.
    #[default]
    Keep,
    /// Replaced, with every reference to them, by labels made from each element's tag and name
    /// (`serviceTask[Block on WAF]`): for workflows built separately in each workspace, whose
    /// console-made ids (`Activity_1yhrykd`) never match.
    ByName,
}

/// The `[normalize]` section of the configuration: user rules added to the built-in profile.
///
/// ```toml
/// [normalize]
/// ignore = ["/versions/*/status", "/**/soar:timeout"]
/// sets = ["/versions/*/taskconfig/recipients"]
/// ordered = []
/// redact_keys = ["webhook_url"]
/// redact_pairs = [["header", "content"]]
/// redact_query_params = ["code"]
/// keep_layout = false
/// element_ids = "keep"
/// name_key = "name"
///
/// [normalize.keyed]
/// "/versions/*/taskconfig/steps" = "step.id"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProfileConfig {
    /// Patterns of values to drop before comparing.
    pub ignore: Vec<String>,
    /// Patterns of arrays whose order is ignored.
    pub sets: Vec<String>,
    /// Patterns of arrays whose items are matched by a dotted field (pattern -> field).
    pub keyed: BTreeMap<String, String>,
    /// Patterns of arrays compared in order even where a built-in rule says otherwise.
    pub ordered: Vec<String>,
    /// More secret words, matched like the built-in ones: in keys, in the names of name/value
    /// pairs and in `NAME=VALUE` text.
    pub redact_keys: Vec<String>,
    /// More name/value field pairs (`["header", "content"]`): when the first field holds a secret
    /// word, the second field's value is redacted.
    pub redact_pairs: Vec<(String, String)>,
    /// More URL query parameters whose values are redacted (`?code=…`).
    pub redact_query_params: Vec<String>,
    /// Keep the BPMN canvas layout (`bpmndi:BPMNDiagram`) in the compared content.
    pub keep_layout: bool,
    /// Compare BPMN element ids as they are (`keep`) or by labels made from names (`by_name`).
    pub element_ids: ElementIds,
    /// The field that names a workflow (default `name`).
    pub name_key: Option<String>,
}

/// A `[normalize]` setting that cannot be used; names the setting and the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("invalid pattern in `normalize.{setting}`")]
    Pattern {
        setting: &'static str,
        #[source]
        source: PatternError,
    },
    #[error(
        "`normalize.keyed` entry `{pattern}` has key field `{field}`; give a dotted field path such as `attributes.id`"
    )]
    KeyField { pattern: String, field: String },
    #[error(
        "pattern `{pattern}` is listed in more than one of `normalize.sets`, `normalize.keyed` and `normalize.ordered`; keep one"
    )]
    ConflictingArrayRules { pattern: String },
    #[error("`normalize.{setting}` has an entry {key:?} with no letters or digits; remove it")]
    RedactKey { setting: &'static str, key: String },
    #[error("`normalize.name_key` is empty; remove it to use the default `name`")]
    EmptyNameKey,
    #[error(
        "array rule pattern `{pattern}` names items by identity (`[…]`); `sets`, `keyed` and `ordered` name arrays by JSON pointer, with `*` for any item (e.g. `/versions/*/taskconfig/steps`)"
    )]
    SelectorInArrayRule { pattern: String },
}

impl Default for Profile {
    fn default() -> Self {
        Self::secmaster()
    }
}

impl Profile {
    /// A profile with no field rules: only embedded-JSON decoding of strings, the default secret
    /// redaction and layout removal. For JSON that is not a SecMaster export.
    pub fn generic() -> Self {
        Self {
            name_key: "name".to_owned(),
            ignore: Vec::new(),
            address_ignore: Vec::new(),
            arrays: Vec::new(),
            payloads: Vec::new(),
            redaction: Redaction::default(),
            keep_layout: false,
            element_ids: ElementIds::Keep,
            limits: soc_model::Limits::default(),
        }
    }

    /// The built-in profile for SecMaster workflow exports (see `docs/normalization.md`).
    pub fn secmaster() -> Self {
        let mut profile = Self::generic();
        for field in SECMASTER_IGNORED_FIELDS {
            for prefix in ["", "/versions/*"] {
                profile.ignore.extend(builtin(&format!("{prefix}/{field}")));
            }
        }
        for prefix in ["", "/versions/*"] {
            let taskflow = builtin(&format!("{prefix}/taskflow"));
            profile
                .payloads
                .extend(taskflow.map(|p| (p, Payload::Base64Json)));
            for field in ["taskconfig", "input", "output"] {
                let pattern = builtin(&format!("{prefix}/{field}"));
                profile.payloads.extend(pattern.map(|p| (p, Payload::Json)));
            }
        }
        // BPMN child elements: XML order carries no meaning in a process, and matching by element
        // id lets a report say which node changed instead of cascading index shifts.
        let elements = builtin("/**/taskflow/**/elements");
        profile
            .arrays
            .extend(elements.map(|p| (p, ArrayRule::Keyed("attributes.id".to_owned()))));
        profile.add_playbook_rules();
        profile
    }

    /// The rules for playbook documents (in their comparable shape): their ids, times and people
    /// dropped, the rule's `ConditionInfo` decoded from its JSON string, actions and conditions
    /// matched by name and other versions by version label.
    fn add_playbook_rules(&mut self) {
        let fields = [
            ("", PLAYBOOK_IGNORED_FIELDS),
            ("/active_version", PLAYBOOK_VERSION_IGNORED_FIELDS),
            ("/other_versions/*", PLAYBOOK_VERSION_IGNORED_FIELDS),
            ("/active_version/actions/*", PLAYBOOK_ACTION_IGNORED_FIELDS),
            ("/active_version/rules", PLAYBOOK_RULE_IGNORED_FIELDS),
        ];
        for (prefix, names) in fields {
            for field in names {
                self.ignore.extend(builtin(&format!("{prefix}/{field}")));
            }
        }
        let rule = builtin("/active_version/rules/rule");
        self.payloads.extend(rule.map(|p| (p, Payload::Json)));
        for (pattern, key) in [
            ("/active_version/actions", "name"),
            ("/active_version/rules/rule/conditions", "name"),
            ("/other_versions", "version"),
        ] {
            self.arrays
                .extend(builtin(pattern).map(|p| (p, ArrayRule::Keyed(key.to_owned()))));
        }
    }

    /// This profile extended by user rules; user array rules take precedence over built-in ones.
    pub fn with_config(&self, config: &ProfileConfig) -> Result<Profile, ProfileError> {
        let mut profile = self.clone();
        let parse = |setting: &'static str, text: &str| {
            PathPattern::parse(text).map_err(|source| ProfileError::Pattern { setting, source })
        };
        for text in &config.ignore {
            let pattern = parse("ignore", text)?;
            profile.ignore.push(pattern.clone());
            profile.address_ignore.push(pattern);
        }
        let mut user_arrays = Vec::new();
        for (text, field) in &config.keyed {
            if field.split('.').any(str::is_empty) {
                return Err(ProfileError::KeyField {
                    pattern: text.clone(),
                    field: field.clone(),
                });
            }
            user_arrays.push((parse("keyed", text)?, ArrayRule::Keyed(field.clone())));
        }
        for text in &config.sets {
            user_arrays.push((parse("sets", text)?, ArrayRule::Set));
        }
        for text in &config.ordered {
            user_arrays.push((parse("ordered", text)?, ArrayRule::Ordered));
        }
        if let Some((pattern, _)) = user_arrays.iter().find(|(p, _)| p.has_selectors()) {
            return Err(ProfileError::SelectorInArrayRule {
                pattern: pattern.as_str().to_owned(),
            });
        }
        for (i, (pattern, _)) in user_arrays.iter().enumerate() {
            if user_arrays
                .iter()
                .skip(i + 1)
                .any(|(other, _)| other.as_str() == pattern.as_str())
            {
                return Err(ProfileError::ConflictingArrayRules {
                    pattern: pattern.as_str().to_owned(),
                });
            }
        }
        user_arrays.append(&mut profile.arrays);
        profile.arrays = user_arrays;
        let bad = |setting: &'static str, key: &str| ProfileError::RedactKey {
            setting,
            key: key.to_owned(),
        };
        for key in &config.redact_keys {
            profile
                .redaction
                .add_word(key)
                .map_err(|_| bad("redact_keys", key))?;
        }
        for (name, value) in &config.redact_pairs {
            profile
                .redaction
                .add_pair(name, value)
                .map_err(|_| bad("redact_pairs", &format!("{name}/{value}")))?;
        }
        for key in &config.redact_query_params {
            profile
                .redaction
                .add_query_param(key)
                .map_err(|_| bad("redact_query_params", key))?;
        }
        profile.keep_layout |= config.keep_layout;
        if config.element_ids != ElementIds::Keep {
            profile.element_ids = config.element_ids;
        }
        if let Some(name_key) = &config.name_key {
            if name_key.is_empty() {
                return Err(ProfileError::EmptyNameKey);
            }
            profile.name_key.clone_from(name_key);
        }
        Ok(profile)
    }

    /// The field that names a workflow and matches it across workspaces.
    pub fn name_key(&self) -> &str {
        &self.name_key
    }

    /// The limits exports are decoded within.
    pub fn limits(&self) -> &soc_model::Limits {
        &self.limits
    }

    /// This profile reading exports within `limits`.
    #[must_use]
    pub fn with_limits(mut self, limits: soc_model::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether the BPMN canvas layout is kept in the compared content.
    pub fn keep_layout(&self) -> bool {
        self.keep_layout
    }

    /// What happens to BPMN element ids in decoded taskflows.
    pub fn element_ids(&self) -> ElementIds {
        self.element_ids
    }

    /// How the array at `pointer_segments` (unescaped tokens, indices as decimal strings) is compared.
    pub fn array_rule<S: AsRef<str>>(&self, pointer_segments: &[S]) -> ArrayRule {
        self.arrays
            .iter()
            .find(|(pattern, _)| pattern.matches(pointer_segments))
            .map_or(ArrayRule::Ordered, |(_, rule)| rule.clone())
    }

    /// The user's ignore rules, which are also matched against addresses after normalizing.
    pub(crate) fn address_ignore(&self) -> &[PathPattern] {
        &self.address_ignore
    }

    /// Whether the value at `pointer_segments` is dropped before comparing.
    pub fn is_ignored<S: AsRef<str>>(&self, pointer_segments: &[S]) -> bool {
        self.ignore
            .iter()
            .any(|pattern| pattern.matches(pointer_segments))
    }

    /// The longest path an ignore rule matches, `None` when a rule has `**`.
    pub(crate) fn ignore_depth(&self) -> Option<usize> {
        deepest(self.ignore.iter())
    }

    /// The longest path a payload rule matches, `None` when a rule has `**`.
    pub(crate) fn payload_depth(&self) -> Option<usize> {
        deepest(self.payloads.iter().map(|(pattern, _)| pattern))
    }

    pub(crate) fn payload_at<S: AsRef<str>>(&self, pointer_segments: &[S]) -> Option<Payload> {
        self.payloads
            .iter()
            .find(|(pattern, _)| pattern.matches(pointer_segments))
            .map(|(_, payload)| *payload)
    }

    /// Whether values under this object key are redacted.
    ///
    /// The key is split into lowercase parts at every character that is not a letter or digit and
    /// at camelCase humps (`clientSecret` -> `client`, `secret`); it matches a secret word whose
    /// parts appear in it consecutively, unless its last part is a descriptor (`auth_type`,
    /// `token_url`) that the match does not end. So `api_token`, `db_password`, `authToken` and
    /// `X-Auth-Token` match; `author`, `tokenizer`, `task`, `skip` and `auth_type` do not. See
    /// [`crate::redact`].
    pub fn is_secret_key(&self, key: &str) -> bool {
        self.redaction.is_secret_key(key)
    }

    /// The secret words of this profile (built-in and `redact_keys`), lowercase.
    pub fn redact_keys(&self) -> impl Iterator<Item = &str> {
        self.redaction.words()
    }

    pub(crate) fn redaction(&self) -> &Redaction {
        &self.redaction
    }

    /// SHA-256 (lowercase hex) of every rule plus [`NORMALIZER_FORMAT`]: equal hashes mean equal
    /// normalization, so a stored `Normalized::sha256` can be reused only under the same hash.
    pub fn hash(&self) -> String {
        let arrays: Vec<_> = self
            .arrays
            .iter()
            .map(|(pattern, rule)| {
                let rule = match rule {
                    ArrayRule::Ordered => serde_json::json!("ordered"),
                    ArrayRule::Set => serde_json::json!("set"),
                    ArrayRule::Keyed(field) => serde_json::json!({ "keyed": field }),
                };
                serde_json::json!([pattern.as_str(), rule])
            })
            .collect();
        let payloads: Vec<_> = self
            .payloads
            .iter()
            .map(|(pattern, payload)| serde_json::json!([pattern.as_str(), payload.as_str()]))
            .collect();
        let mut description = serde_json::json!({
            "format": NORMALIZER_FORMAT,
            "name_key": self.name_key,
            "ignore": self.ignore.iter().map(PathPattern::as_str).collect::<Vec<_>>(),
            "arrays": arrays,
            "payloads": payloads,
            "redact": self.redaction.describe(),
            "keep_layout": self.keep_layout,
        });
        // Only when set, so that profiles from before the setting existed keep their hashes and
        // stored snapshots are not renormalized for nothing.
        if self.element_ids == ElementIds::ByName {
            description["element_ids"] = serde_json::json!("by_name");
        }
        // User ignore rules also match addresses since this was added, which can drop more.
        if !self.address_ignore.is_empty() {
            description["ignore_by_address"] = serde_json::json!(true);
        }
        hex::encode(Sha256::digest(
            crate::normalize::canonical_json(&description).as_bytes(),
        ))
    }
}

fn deepest<'p>(mut patterns: impl Iterator<Item = &'p PathPattern>) -> Option<usize> {
    patterns.try_fold(0, |deepest, pattern| Some(deepest.max(pattern.max_len()?)))
}

/// Built-in patterns are literals in this file, so parsing cannot fail; the unit tests check that
/// each one is present (a typo would drop the rule, never panic).
fn builtin(text: &str) -> Option<PathPattern> {
    PathPattern::parse(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seg(p: &str) -> Vec<String> {
        p.trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn secmaster_ignores_identity_fields_at_workflow_and_version_level_only() {
        let p = Profile::secmaster();
        for field in SECMASTER_IGNORED_FIELDS {
            assert!(p.is_ignored(&seg(&format!("/{field}"))), "{field}");
            assert!(
                p.is_ignored(&seg(&format!("/versions/0/{field}"))),
                "{field}"
            );
            assert!(
                p.is_ignored(&seg(&format!("/versions/12/{field}"))),
                "{field}"
            );
        }
        assert!(p.is_ignored(&seg("/current_rejected_versoin_id")));
        assert!(!p.is_ignored(&seg("/name")));
        assert!(!p.is_ignored(&seg("/versions/0/name")));
        assert!(!p.is_ignored(&seg(
            "/versions/0/taskflow/workflow/elements/0/attributes/id"
        )));
        assert!(!p.is_ignored(&seg("/dataclass_name")));
    }

    #[test]
    fn secmaster_payloads_and_array_rules() {
        let p = Profile::secmaster();
        assert_eq!(
            p.payload_at(&seg("/versions/0/taskflow")),
            Some(Payload::Base64Json)
        );
        assert_eq!(p.payload_at(&seg("/taskflow")), Some(Payload::Base64Json));
        assert_eq!(
            p.payload_at(&seg("/versions/3/taskconfig")),
            Some(Payload::Json)
        );
        assert_eq!(p.payload_at(&seg("/versions/3/input")), Some(Payload::Json));
        assert_eq!(p.payload_at(&seg("/output")), Some(Payload::Json));
        assert_eq!(p.payload_at(&seg("/versions/0/taskconfig/input")), None);
        assert_eq!(
            p.array_rule(&seg("/versions/0/taskflow/workflow/elements/0/elements")),
            ArrayRule::Keyed("attributes.id".into())
        );
        assert_eq!(p.array_rule(&seg("/versions")), ArrayRule::Ordered);
        assert_eq!(
            Profile::generic().array_rule(&seg("/versions/0/taskflow/elements")),
            ArrayRule::Ordered
        );
    }

    #[test]
    fn key_of_reads_dotted_fields() {
        let item = json!({"attributes": {"id": "Flow_1", "n": 3, "b": true, "o": {}}});
        assert_eq!(key_of(&item, "attributes.id").as_deref(), Some("Flow_1"));
        assert_eq!(key_of(&item, "attributes.n").as_deref(), Some("3"));
        assert_eq!(key_of(&item, "attributes.b").as_deref(), Some("true"));
        assert_eq!(key_of(&item, "attributes.o"), None);
        assert_eq!(key_of(&item, "attributes.missing"), None);
        assert_eq!(key_of(&json!("text"), "attributes.id"), None);
        assert_eq!(
            ArrayRule::Keyed("attributes.id".into())
                .key_of(&item)
                .as_deref(),
            Some("Flow_1")
        );
        assert_eq!(ArrayRule::Set.key_of(&item), None);
    }

    #[test]
    fn config_extends_and_overrides_builtin_rules() {
        let config: ProfileConfig = toml::from_str(
            r#"
            ignore = ["/versions/*/status"]
            sets = ["/labels"]
            ordered = ["/versions/*/taskflow/workflow/elements"]
            redact_keys = ["Webhook-URL"]
            keep_layout = true
            name_key = "title"
            [keyed]
            "/versions" = "version"
            "#,
        )
        .unwrap();
        let base = Profile::secmaster();
        let p = base.with_config(&config).unwrap();
        assert!(p.is_ignored(&seg("/versions/0/status")));
        assert!(p.is_ignored(&seg("/versions/0/id")));
        assert_eq!(p.array_rule(&seg("/labels")), ArrayRule::Set);
        assert_eq!(
            p.array_rule(&seg("/versions")),
            ArrayRule::Keyed("version".into())
        );
        assert_eq!(
            p.array_rule(&seg("/versions/0/taskflow/workflow/elements")),
            ArrayRule::Ordered
        );
        assert_eq!(
            p.array_rule(&seg("/versions/0/taskflow/workflow/elements/0/elements")),
            ArrayRule::Keyed("attributes.id".into())
        );
        assert!(p.is_secret_key("webhook_url"));
        assert!(p.keep_layout());
        assert_eq!(p.name_key(), "title");
        assert_ne!(p.hash(), base.hash());
        // An empty section changes nothing, so the hash is that of the built-in profile.
        assert_eq!(base.with_config(&ProfileConfig::default()).unwrap(), base);
        assert_eq!(
            base.with_config(&ProfileConfig::default()).unwrap().hash(),
            base.hash()
        );
    }

    #[test]
    fn bad_config_is_a_typed_error_naming_the_setting() {
        let base = Profile::secmaster();
        let bad = |config: ProfileConfig| base.with_config(&config).unwrap_err();
        let err = bad(ProfileConfig {
            ignore: vec!["versions/*".into()],
            ..Default::default()
        });
        assert!(
            matches!(
                &err,
                ProfileError::Pattern {
                    setting: "ignore",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "invalid pattern in `normalize.ignore`");
        let err = bad(ProfileConfig {
            sets: vec!["/a~2".into()],
            ..Default::default()
        });
        assert!(matches!(
            err,
            ProfileError::Pattern {
                setting: "sets",
                ..
            }
        ));
        let err = bad(ProfileConfig {
            keyed: [("/a".to_owned(), "attributes..id".to_owned())].into(),
            ..Default::default()
        });
        assert!(matches!(err, ProfileError::KeyField { .. }));
        let err = bad(ProfileConfig {
            keyed: [("/a".to_owned(), "id".to_owned())].into(),
            sets: vec!["/a".into()],
            ..Default::default()
        });
        assert_eq!(
            err,
            ProfileError::ConflictingArrayRules {
                pattern: "/a".into()
            }
        );
        let err = bad(ProfileConfig {
            redact_keys: vec!["--".into()],
            ..Default::default()
        });
        assert!(matches!(
            err,
            ProfileError::RedactKey {
                setting: "redact_keys",
                ..
            }
        ));
        let err = bad(ProfileConfig {
            redact_query_params: vec![" ".into()],
            ..Default::default()
        });
        assert_eq!(
            err.to_string(),
            "`normalize.redact_query_params` has an entry \" \" with no letters or digits; remove it"
        );
        let err = bad(ProfileConfig {
            name_key: Some(String::new()),
            ..Default::default()
        });
        assert_eq!(err, ProfileError::EmptyNameKey);
        let unknown = toml::from_str::<ProfileConfig>("ignor = []");
        assert!(unknown.unwrap_err().to_string().contains("unknown field"));
    }

    #[test]
    fn hash_depends_on_every_rule() {
        let base = Profile::secmaster();
        let hashes: Vec<String> = [
            ProfileConfig::default(),
            ProfileConfig {
                ignore: vec!["/x".into()],
                ..Default::default()
            },
            ProfileConfig {
                sets: vec!["/x".into()],
                ..Default::default()
            },
            ProfileConfig {
                ordered: vec!["/x".into()],
                ..Default::default()
            },
            ProfileConfig {
                keyed: [("/x".to_owned(), "k".to_owned())].into(),
                ..Default::default()
            },
            ProfileConfig {
                redact_keys: vec!["x".into()],
                ..Default::default()
            },
            ProfileConfig {
                redact_pairs: vec![("header".into(), "content".into())],
                ..Default::default()
            },
            ProfileConfig {
                redact_query_params: vec!["code".into()],
                ..Default::default()
            },
            ProfileConfig {
                keep_layout: true,
                ..Default::default()
            },
            ProfileConfig {
                name_key: Some("x".into()),
                ..Default::default()
            },
        ]
        .iter()
        .map(|config| base.with_config(config).unwrap().hash())
        .collect();
        let unique: std::collections::BTreeSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), hashes.len());
        assert_ne!(Profile::generic().hash(), base.hash());
        assert_eq!(base.hash().len(), 64);
        assert_eq!(Profile::secmaster().hash(), base.hash());
    }
}
