//! `socdrift.toml`: finding it, parsing it, and refusing what it must not hold.
//!
//! Errors name the file and line, and where possible the nearest valid name. A file that holds a
//! secret is refused outright: secrets come only from the environment (see [`crate::secrets`]).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::suggest;

/// The file name searched for in the current folder and its parents.
pub const FILE_NAME: &str = "socdrift.toml";

/// The store folder used when `[store] path` is not set, beside the config file.
pub const DEFAULT_STORE_DIR: &str = ".socdrift";

/// A loaded configuration (or the defaults when there is no file).
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from; `None` when no file was found.
    pub path: Option<PathBuf>,
    /// The snapshot store root, absolute or relative to the current folder.
    pub store_path: PathBuf,
    /// `[env.NAME]` sections.
    pub envs: BTreeMap<String, EnvConfig>,
    /// The `[normalize]` section: user rules on top of the built-in SecMaster profile.
    pub normalize: soc_diff::ProfileConfig,
    /// `[check] pairs`.
    pub check_pairs: Vec<(String, String)>,
    /// `[check] workflow` and `exclude`: the workflows `check` compares.
    pub check_filters: soc_diff::Filters,
    /// `[[accept]]` rules, checked as they were read.
    pub accept: Vec<soc_diff::AcceptRule>,
    /// `[limits]`: how much of an export socdrift reads.
    pub limits: soc_model::Limits,
}

/// Where an environment's workflow documents come from (`source` in `[env.NAME]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The export API only.
    Export,
    /// The workflow and versions APIs only.
    Versions,
    /// Export first; the versions APIs when export does not work. The default.
    #[default]
    Auto,
}

impl From<SourceKind> for soc_api::SourceMode {
    fn from(kind: SourceKind) -> Self {
        match kind {
            SourceKind::Export => soc_api::SourceMode::Export,
            SourceKind::Versions => soc_api::SourceMode::Versions,
            SourceKind::Auto => soc_api::SourceMode::Auto,
        }
    }
}

/// How an environment authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// AK/SK request signing (optionally temporary keys with a security token). The default.
    #[default]
    Aksk,
    /// A ready IAM token sent as `X-Auth-Token`.
    Token,
    /// An IAM user name and password exchanged for a project-scoped token.
    Password,
}

impl AuthKind {
    /// The name used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Aksk => "aksk",
            AuthKind::Token => "token",
            AuthKind::Password => "password",
        }
    }
}

/// One `[env.NAME]` section: where a workspace lives and how to reach it. Never a secret.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// Region id, e.g. `ap-southeast-1`; gives the endpoint `https://secmaster.<region>.myhuaweicloud.com`.
    pub region: Option<String>,
    /// An explicit SecMaster endpoint URL (wins over `region`).
    pub endpoint: Option<String>,
    /// An explicit IAM endpoint URL (password auth).
    pub iam_endpoint: Option<String>,
    /// The project id.
    pub project_id: Option<String>,
    /// The project name for password auth (default: the region).
    pub project_name: Option<String>,
    /// The workspace id.
    pub workspace_id: Option<String>,
    /// The workspace name, resolved through the workspaces list (instead of `workspace_id`).
    pub workspace: Option<String>,
    /// How to authenticate.
    #[serde(default)]
    pub auth: AuthKind,
    /// Where workflow documents come from: `export`, `versions` or `auto` (the default).
    #[serde(default)]
    pub source: SourceKind,
    /// Names of environment variables holding this environment's secrets (defaults: the Huawei
    /// Cloud SDK and Terraform provider names).
    pub ak_env: Option<String>,
    pub sk_env: Option<String>,
    pub security_token_env: Option<String>,
    pub token_env: Option<String>,
    pub user_env: Option<String>,
    pub password_env: Option<String>,
    pub domain_env: Option<String>,
    /// Parallel export requests (default: the client's).
    pub concurrency: Option<usize>,
    /// A cap on requests per second.
    pub requests_per_second: Option<f64>,
    /// Request timeout, e.g. `"30s"` (humantime).
    pub timeout: Option<String>,
    /// A PEM file of extra CA certificates to trust.
    pub ca_bundle: Option<PathBuf>,
    /// Turn TLS certificate verification off (dangerous; for lab setups only).
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
}

/// A problem with the configuration file or with a name looked up in it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: invalid TOML: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}: `{key}` holds a secret; socdrift never reads secrets from its config file", path.display())]
    Secret {
        path: PathBuf,
        line: usize,
        key: String,
        /// The environment variable to use instead, and the `*_env` key that can rename it.
        instead: Option<(&'static str, &'static str)>,
        /// The `[env.NAME]` the key was in, if any.
        env: Option<String>,
    },
    #[error("{}:{line}: unknown key `{key}`{}", path.display(), in_table(table))]
    UnknownKey {
        path: PathBuf,
        line: usize,
        key: String,
        table: String,
        expected: Vec<String>,
    },
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
        hint: Option<String>,
    },
    #[error("{}: invalid [normalize] rules", path.as_deref().map_or_else(|| FILE_NAME.into(), |p| p.display().to_string()))]
    Normalize {
        path: Option<PathBuf>,
        #[source]
        source: soc_diff::profile::ProfileError,
    },
    #[error("unknown environment `{name}`{}", configured(known, config))]
    UnknownEnv {
        name: String,
        known: Vec<String>,
        config: Option<PathBuf>,
    },
}

fn in_table(table: &str) -> String {
    if table.is_empty() {
        String::new()
    } else {
        format!(" in {table}")
    }
}

fn configured(known: &[String], config: &Option<PathBuf>) -> String {
    match (config, known.is_empty()) {
        (None, _) => format!(" (no {FILE_NAME} found here or in a parent folder)"),
        (Some(path), true) => format!(" ({} has no [env.NAME] sections)", path.display()),
        (Some(path), false) => format!(" ({} has: {})", path.display(), known.join(", ")),
    }
}

impl ConfigError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ConfigError::Read { .. } => Some(format!(
                "pass an existing file with --config or SOCDRIFT_CONFIG, or create {FILE_NAME} (see docs/configuration.md)"
            )),
            ConfigError::Syntax { .. } => None,
            ConfigError::Secret {
                key, instead, env, ..
            } => {
                let section = env
                    .as_deref()
                    .map(|e| format!("[env.{e}]"))
                    .unwrap_or_else(|| "[env.NAME]".to_string());
                Some(match instead {
                    Some((var, rename)) => format!(
                        "delete `{key}` from the file and export {var} instead, or name your own variable with `{rename} = \"…\"` in {section}"
                    ),
                    None => format!(
                        "delete `{key}` from the file; secrets belong in environment variables (see docs/configuration.md)"
                    ),
                })
            }
            ConfigError::UnknownKey { key, expected, .. } => {
                let names = expected.iter().map(String::as_str);
                match suggest::did_you_mean(key, names) {
                    Some(dym) => Some(dym),
                    None if !expected.is_empty() => {
                        Some(format!("valid keys here: {}", expected.join(", ")))
                    }
                    None => None,
                }
            }
            ConfigError::Invalid { hint, .. } => hint.clone(),
            ConfigError::Normalize { .. } => {
                Some("fix the [normalize] section (see docs/normalization.md)".into())
            }
            ConfigError::UnknownEnv {
                name,
                known,
                config,
                ..
            } => match suggest::did_you_mean(name, known.iter().map(String::as_str)) {
                Some(dym) => Some(dym),
                None => Some(match config {
                    Some(path) => format!(
                        "add an [env.{name}] section to {} (see docs/configuration.md)",
                        path.display()
                    ),
                    None => format!(
                        "no {FILE_NAME} was found here or in any parent folder; create one with an [env.{name}] section (see docs/configuration.md)"
                    ),
                }),
            },
        }
    }
}

/// Where the config file was looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// `--config` or `SOCDRIFT_CONFIG`: must exist.
    Explicit(&'a Path),
    /// Search this folder and its parents for `socdrift.toml`.
    Search(&'a Path),
}

impl Config {
    /// Finds and loads the configuration. With no file found in a search, the defaults: no
    /// environments, the store in `./.socdrift`.
    pub fn discover(source: Source<'_>) -> Result<Config, ConfigError> {
        match source {
            Source::Explicit(path) => Config::load(path),
            Source::Search(start) => {
                for dir in start.ancestors() {
                    let candidate = dir.join(FILE_NAME);
                    if candidate.is_file() {
                        return Config::load(&candidate);
                    }
                }
                Ok(Config::defaults(start))
            }
        }
    }

    /// The configuration when there is no file: the store in `<dir>/.socdrift`.
    pub fn defaults(dir: &Path) -> Config {
        Config {
            path: None,
            store_path: dir.join(DEFAULT_STORE_DIR),
            envs: BTreeMap::new(),
            normalize: soc_diff::ProfileConfig::default(),
            check_pairs: Vec::new(),
            check_filters: soc_diff::Filters::default(),
            accept: Vec::new(),
            limits: soc_model::Limits::default(),
        }
    }

    /// Loads one file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses the text of a config file; `path` is used for messages and to place the store.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let index = KeyIndex::build(text, path)?;
        index.refuse_secrets()?;
        let raw: RawConfig = toml::from_str(text).map_err(|e| index.serde_error(&e))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let store_path = match raw.store.path {
            Some(p) if p.is_absolute() => p,
            Some(p) => dir.join(p),
            None => dir.join(DEFAULT_STORE_DIR),
        };
        for (name, env) in &raw.env {
            validate_env(name, env, &index)?;
        }
        let mut accept = Vec::with_capacity(raw.accept.len());
        for (i, rule) in raw.accept.into_iter().enumerate() {
            accept.push(validate_accept(i, rule, &index)?);
        }
        let mut check_pairs = Vec::with_capacity(raw.check.pairs.len());
        for (i, pair) in raw.check.pairs.into_iter().enumerate() {
            match <[String; 2]>::try_from(pair) {
                Ok([left, right]) => check_pairs.push((left, right)),
                Err(pair) => {
                    return Err(ConfigError::Invalid {
                        path: path.to_path_buf(),
                        line: index.line_of(&["check", "pairs"]),
                        message: format!(
                            "[check] pairs item {} has {} sides, not 2",
                            i + 1,
                            pair.len()
                        ),
                        hint: Some(
                            "write each pair as [\"LEFT\", \"RIGHT\"], e.g. [\"staging@live\", \"production@live\"]"
                                .into(),
                        ),
                    });
                }
            }
        }
        let limits = validate_limits(&raw.limits, &index)?;
        Ok(Config {
            path: Some(path.to_path_buf()),
            store_path,
            envs: raw.env,
            normalize: raw.normalize,
            check_pairs,
            check_filters: soc_diff::Filters {
                workflow: raw.check.workflow,
                playbook: raw.check.playbook,
                exclude: raw.check.exclude,
            },
            accept,
            limits,
        })
    }

    /// The normalization profile: the built-in SecMaster profile plus `[normalize]`, and canvas
    /// layout kept when `keep_layout` (the `--keep-layout` flag) says so.
    pub fn profile(&self, keep_layout: bool) -> Result<soc_diff::Profile, ConfigError> {
        let mut rules = self.normalize.clone();
        rules.keep_layout |= keep_layout;
        soc_diff::Profile::secmaster()
            .with_config(&rules)
            .map(|profile| profile.with_limits(self.limits))
            .map_err(|source| ConfigError::Normalize {
                path: self.path.clone(),
                source,
            })
    }

    /// The `[[accept]]` rules about workflows.
    pub fn accept_rules(&self) -> Vec<soc_diff::AcceptRule> {
        self.accept_rules_of(soc_diff::Kind::Workflow)
    }

    /// The `[[accept]]` rules about playbooks (`playbook = …`).
    pub fn playbook_accept_rules(&self) -> Vec<soc_diff::AcceptRule> {
        self.accept_rules_of(soc_diff::Kind::Playbook)
    }

    fn accept_rules_of(&self, kind: soc_diff::Kind) -> Vec<soc_diff::AcceptRule> {
        self.accept
            .iter()
            .filter(|rule| rule.kind() == kind)
            .cloned()
            .collect()
    }

    /// The `[env.NAME]` section, or an error naming the configured ones and the nearest.
    pub fn env(&self, name: &str) -> Result<&EnvConfig, ConfigError> {
        self.envs.get(name).ok_or_else(|| self.unknown_env(name))
    }

    /// The error for a name that is not a configured environment.
    pub fn unknown_env(&self, name: &str) -> ConfigError {
        ConfigError::UnknownEnv {
            name: name.to_string(),
            known: self.envs.keys().cloned().collect(),
            config: self.path.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    env: BTreeMap<String, EnvConfig>,
    #[serde(default)]
    normalize: soc_diff::ProfileConfig,
    #[serde(default)]
    check: RawCheck,
    #[serde(default)]
    accept: Vec<RawAccept>,
    #[serde(default)]
    limits: RawLimits,
}

/// `[limits]`: sizes as `"64MiB"` or a number of bytes, the others as numbers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_export_size: Option<toml::Value>,
    max_unpacked_size: Option<toml::Value>,
    max_compression_ratio: Option<u64>,
    max_zip_members: Option<u64>,
    max_json_values: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    /// Pairs of sides; checked for length after parsing (serde would silently drop a third item).
    #[serde(default)]
    pairs: Vec<Vec<String>>,
    /// Globs of the workflows to compare (all when neither this nor `playbook` is given).
    #[serde(default)]
    workflow: Vec<String>,
    /// Globs of the playbooks to compare.
    #[serde(default)]
    playbook: Vec<String>,
    /// Globs of the workflows and playbooks to leave out.
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccept {
    /// The workflow the rule is about; exactly one of this and `playbook`.
    workflow: Option<String>,
    /// The playbook the rule is about.
    playbook: Option<String>,
    path: Option<String>,
    reason: String,
    /// A TOML date (`2026-12-31`) or a string holding one.
    expires: Option<toml::Value>,
}

fn validate_env(name: &str, env: &EnvConfig, index: &KeyIndex<'_>) -> Result<(), ConfigError> {
    let at = |key: &str| index.line_of(&["env", name, key]);
    let invalid = |line: usize, message: String, hint: Option<String>| ConfigError::Invalid {
        path: index.path.to_path_buf(),
        line,
        message,
        hint,
    };
    if !valid_env_name(name) {
        return Err(invalid(
            at(""),
            format!("invalid environment name `{name}`"),
            Some(
                "use lowercase letters, digits, `-` and `_` only, starting with a letter or digit"
                    .into(),
            ),
        ));
    }
    if env.region.is_none() && env.endpoint.is_none() {
        return Err(invalid(
            at(""),
            format!("[env.{name}] needs `region` or `endpoint`"),
            Some("e.g. region = \"ap-southeast-1\"".into()),
        ));
    }
    if env.project_id.as_deref().is_none_or(str::is_empty) {
        return Err(invalid(
            at(""),
            format!("[env.{name}] needs `project_id`"),
            Some("the project id is on the console's My Credentials page, under Projects".into()),
        ));
    }
    for key in ["endpoint", "iam_endpoint"] {
        let value = match key {
            "endpoint" => env.endpoint.as_deref(),
            _ => env.iam_endpoint.as_deref(),
        };
        if let Some(url) = value {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(invalid(
                    at(key),
                    format!("[env.{name}] {key} `{url}` is not an http(s) URL"),
                    Some("write the full URL, e.g. https://secmaster.ap-southeast-1.myhuaweicloud.com".into()),
                ));
            }
        }
    }
    match (&env.workspace_id, &env.workspace) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                at("workspace"),
                format!("[env.{name}] sets both `workspace_id` and `workspace`"),
                Some("keep one: the id, or the name to look up".into()),
            ));
        }
        (None, None) => {
            return Err(invalid(
                at(""),
                format!("[env.{name}] needs `workspace_id` or `workspace` (the workspace name)"),
                None,
            ));
        }
        _ => {}
    }
    if let Some(timeout) = &env.timeout {
        if humantime::parse_duration(timeout).is_err() {
            return Err(invalid(
                at("timeout"),
                format!("[env.{name}] timeout `{timeout}` is not a duration"),
                Some("e.g. timeout = \"30s\" or \"2m\"".into()),
            ));
        }
    }
    if env.concurrency == Some(0) {
        return Err(invalid(
            at("concurrency"),
            format!("[env.{name}] concurrency must be at least 1"),
            None,
        ));
    }
    if let Some(rps) = env.requests_per_second {
        if !(rps.is_finite() && rps > 0.0) {
            return Err(invalid(
                at("requests_per_second"),
                format!("[env.{name}] requests_per_second must be a positive number"),
                None,
            ));
        }
    }
    Ok(())
}

fn validate_limits(
    raw: &RawLimits,
    index: &KeyIndex<'_>,
) -> Result<soc_model::Limits, ConfigError> {
    let invalid = |key: &str, message: String, hint: &str| ConfigError::Invalid {
        path: index.path.to_path_buf(),
        line: index.line_of(&["limits", key]),
        message,
        hint: Some(hint.to_owned()),
    };
    let size = |key: &str, value: &Option<toml::Value>, default: u64| -> Result<u64, ConfigError> {
        let bytes = match value {
            None => return Ok(default),
            Some(toml::Value::Integer(n)) => u64::try_from(*n).ok(),
            Some(toml::Value::String(text)) => {
                text.parse::<bytesize::ByteSize>().ok().map(|b| b.as_u64())
            }
            Some(_) => None,
        };
        bytes.filter(|b| *b > 0).ok_or_else(|| {
            invalid(
                key,
                format!("[limits] {key} is not a size"),
                "write a size such as \"64MiB\" or \"1GiB\", or a number of bytes",
            )
        })
    };
    let defaults = soc_model::Limits::default();
    let limits = soc_model::Limits {
        max_export_bytes: size(
            "max_export_size",
            &raw.max_export_size,
            defaults.max_export_bytes,
        )?,
        max_unpacked_bytes: size(
            "max_unpacked_size",
            &raw.max_unpacked_size,
            defaults.max_unpacked_bytes,
        )?,
        max_compression_ratio: raw
            .max_compression_ratio
            .unwrap_or(defaults.max_compression_ratio),
        max_zip_members: raw.max_zip_members.unwrap_or(defaults.max_zip_members),
        max_json_values: raw.max_json_values.unwrap_or(defaults.max_json_values),
    };
    limits.validate().map_err(|kind| {
        invalid(
            kind.config_key(),
            format!("[limits] {} must be at least 1", kind.config_key()),
            "leave it out for the default (see docs/configuration.md)",
        )
    })?;
    Ok(limits)
}

/// Environment names end up in store paths (where two names must never share a folder on a
/// case-insensitive file system) and in `ENV@SELECTOR` arguments.
pub fn valid_env_name(name: &str) -> bool {
    soc_store::validate_environment(name).is_ok() && !name.contains('@')
}

/// Builds one `[[accept]]` rule; an error names the line of the field that is wrong.
fn validate_accept(
    i: usize,
    rule: RawAccept,
    index: &KeyIndex<'_>,
) -> Result<soc_diff::AcceptRule, ConfigError> {
    use soc_diff::AcceptRuleError as E;
    let n = i.to_string();
    let invalid = |key: &str, message: String, hint: &str| ConfigError::Invalid {
        path: index.path.to_path_buf(),
        line: index.line_of(&["accept", &n, key]),
        message,
        hint: Some(hint.to_owned()),
    };
    let (kind, name) = match (rule.workflow, rule.playbook) {
        (Some(workflow), None) => (soc_diff::Kind::Workflow, workflow),
        (None, Some(playbook)) => (soc_diff::Kind::Playbook, playbook),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "playbook",
                "[[accept]] names both a workflow and a playbook".into(),
                "a rule is about one kind: keep `workflow = …` or `playbook = …`",
            ));
        }
        (None, None) => {
            return Err(invalid(
                "reason",
                "[[accept]] names neither a workflow nor a playbook".into(),
                "add `workflow = \"NAME\"` or `playbook = \"NAME\"` (exact, or a glob such as \"*\")",
            ));
        }
    };
    let expires = rule.expires.map(|value| match value {
        toml::Value::String(text) => text,
        toml::Value::Datetime(date) => date.to_string(),
        other => other.to_string(),
    });
    let built = soc_diff::AcceptRule::new(name, rule.reason).and_then(|built| {
        let built = match &rule.path {
            Some(path) => built.with_path(path)?,
            None => built,
        };
        match &expires {
            Some(expires) => built.with_expires(expires),
            None => Ok(built),
        }
    });
    built.map(|rule| rule.for_kind(kind)).map_err(|err| {
        let (message, hint) = match &err {
            E::EmptyWorkflow => (
                format!("[[accept]] {kind} is empty"),
                match kind {
                    soc_diff::Kind::Workflow => {
                        "give the exact workflow name, or \"*\" for every workflow"
                    }
                    soc_diff::Kind::Playbook => {
                        "give the exact playbook name, or \"*\" for every playbook"
                    }
                },
            ),
            E::EmptyReason { workflow } => (
                format!("[[accept]] for `{workflow}` has an empty reason"),
                "say why this difference is fine, so reviewers can judge it",
            ),
            E::Expires { expires, .. } => (
                format!("[[accept]] expires `{expires}` is not a date"),
                "write a real day as YYYY-MM-DD, e.g. expires = 2026-12-31",
            ),
            E::Path { source, .. } => (
                format!("invalid [[accept]] path: {source}"),
                "a path is a JSON pointer where `*` matches one segment and `**` any number, e.g. /versions/*/taskconfig/timeout",
            ),
        };
        let field = match err.field() {
            "workflow" => kind.as_str(),
            other => other,
        };
        invalid(field, message, hint)
    })
}

/// Every key of the file with its dotted path and byte span, for line numbers.
struct KeyIndex<'a> {
    path: &'a Path,
    text: &'a str,
    keys: Vec<(Vec<String>, Range<usize>, bool)>,
}

impl<'a> KeyIndex<'a> {
    fn build(text: &'a str, path: &'a Path) -> Result<KeyIndex<'a>, ConfigError> {
        let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
            let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        let mut index = KeyIndex {
            path,
            text,
            keys: Vec::new(),
        };
        index.walk_table(&mut Vec::new(), doc.as_table());
        Ok(index)
    }

    fn walk_table(&mut self, prefix: &mut Vec<String>, table: &toml_edit::Table) {
        for (name, item) in table.iter() {
            let span = table
                .key(name)
                .and_then(toml_edit::Key::span)
                .or_else(|| item.span())
                .unwrap_or(0..0);
            prefix.push(name.to_string());
            let is_leaf = matches!(item, toml_edit::Item::Value(v) if !v.is_inline_table());
            self.keys.push((prefix.clone(), span.clone(), is_leaf));
            match item {
                toml_edit::Item::Table(t) => self.walk_table(prefix, t),
                toml_edit::Item::ArrayOfTables(array) => {
                    for (i, t) in array.iter().enumerate() {
                        prefix.push(i.to_string());
                        self.keys
                            .push((prefix.clone(), t.span().unwrap_or(span.clone()), false));
                        self.walk_table(prefix, t);
                        prefix.pop();
                    }
                }
                toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
                    self.walk_inline(prefix, t)
                }
                _ => {}
            }
            prefix.pop();
        }
    }

    fn walk_inline(&mut self, prefix: &mut Vec<String>, table: &toml_edit::InlineTable) {
        for (name, value) in table.iter() {
            let span = table
                .key(name)
                .and_then(toml_edit::Key::span)
                .or_else(|| value.span())
                .unwrap_or(0..0);
            prefix.push(name.to_string());
            self.keys
                .push((prefix.clone(), span, !value.is_inline_table()));
            if let toml_edit::Value::InlineTable(t) = value {
                self.walk_inline(prefix, t);
            }
            prefix.pop();
        }
    }

    /// The line of a key; an empty last segment means the table itself. Falls back to the
    /// nearest enclosing table, then line 1.
    fn line_of(&self, segments: &[&str]) -> usize {
        let mut wanted: Vec<&str> = segments.iter().copied().filter(|s| !s.is_empty()).collect();
        while !wanted.is_empty() {
            if let Some((_, span, _)) = self.keys.iter().find(|(p, _, _)| *p == wanted) {
                return line_col(self.text, span.start).0;
            }
            wanted.pop();
        }
        1
    }

    fn refuse_secrets(&self) -> Result<(), ConfigError> {
        for (segments, span, is_leaf) in &self.keys {
            let Some(last) = segments.last() else {
                continue;
            };
            if !is_leaf {
                continue;
            }
            if let Some(instead) = secret_key(last) {
                let env = match segments.as_slice() {
                    [first, name, ..] if first == "env" => Some(name.clone()),
                    _ => None,
                };
                return Err(ConfigError::Secret {
                    path: self.path.to_path_buf(),
                    line: line_col(self.text, span.start).0,
                    key: segments.join("."),
                    instead,
                    env,
                });
            }
        }
        Ok(())
    }

    /// Turns a serde error from `toml` into a located, actionable one.
    fn serde_error(&self, e: &toml::de::Error) -> ConfigError {
        let start = e.span().map_or(0, |s| s.start);
        let line = line_col(self.text, start).0;
        let message = e.message().trim();
        // The key itself (unknown field) or the nearest key before the offending value.
        let key_path = self
            .keys
            .iter()
            .filter(|(_, span, _)| span.start <= start)
            .max_by_key(|(_, span, _)| span.start)
            .map(|(p, _, _)| p.clone());
        if let Some((name, expected)) = parse_unknown(message, "unknown field") {
            let table = key_path
                .as_ref()
                .map(|p| table_name(&p[..p.len().saturating_sub(1)]))
                .unwrap_or_default();
            return ConfigError::UnknownKey {
                path: self.path.to_path_buf(),
                line,
                key: name,
                table,
                expected,
            };
        }
        if let Some((name, expected)) = parse_unknown(message, "unknown variant") {
            let key = key_path.map(|p| dotted(&p)).unwrap_or_default();
            let hint = suggest::did_you_mean(&name, expected.iter().map(String::as_str))
                .or_else(|| Some(format!("valid values: {}", expected.join(", "))));
            return ConfigError::Invalid {
                path: self.path.to_path_buf(),
                line,
                message: format!("`{key}` has an unknown value `{name}`"),
                hint,
            };
        }
        let message = match key_path {
            Some(p) => format!("`{}`: {message}", dotted(&p)),
            None => message.to_string(),
        };
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            message,
            hint: None,
        }
    }
}

/// A key path as the reader wrote it: `env.staging.region`, `accept[2].path` (1-based items).
fn dotted(segments: &[String]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment.parse::<usize>() {
            Ok(i) => out.push_str(&format!("[{}]", i + 1)),
            Err(_) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(segment);
            }
        }
    }
    out
}

/// A table as its header reads: `[env.staging]`, or `[[accept]] #2` for the second item of an
/// array of tables; empty for the top level.
fn table_name(segments: &[String]) -> String {
    match segments {
        [] => String::new(),
        [head @ .., last] => match last.parse::<usize>() {
            Ok(i) => format!("[[{}]] #{}", dotted(head), i + 1),
            Err(_) => format!("[{}]", dotted(segments)),
        },
    }
}

/// Parses serde's `unknown field `x`, expected one of `a`, `b`` (and the `variant` twin).
fn parse_unknown(message: &str, what: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(what)?.trim_start().strip_prefix('`')?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((name.to_string(), expected))
}

/// Whether a key names a secret; if so, the environment variable (and `*_env` key) to use instead.
fn secret_key(key: &str) -> Option<Option<(&'static str, &'static str)>> {
    let k = key.to_ascii_lowercase().replace('-', "_");
    Some(match k.as_str() {
        "ak" | "access_key" | "access_key_id" | "accesskey" => {
            Some(("HUAWEICLOUD_SDK_AK", "ak_env"))
        }
        "sk" | "secret_key" | "secret_access_key" | "secretkey" | "secret" => {
            Some(("HUAWEICLOUD_SDK_SK", "sk_env"))
        }
        "security_token" | "securitytoken" => {
            Some(("HUAWEICLOUD_SDK_SECURITY_TOKEN", "security_token_env"))
        }
        "token" | "auth_token" | "x_auth_token" => Some(("HW_AUTH_TOKEN", "token_env")),
        "password" | "passwd" | "user_password" => Some(("HW_USER_PASSWORD", "password_env")),
        "private_key" | "api_key" | "apikey" => None,
        _ => return None,
    })
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/proj/socdrift.toml"))
    }

    const GOOD: &str = r#"
[store]
path = "snapshots"

[env.staging]
region = "ap-southeast-1"
project_id = "p1"
workspace = "soc-staging"
ak_env = "STAGING_AK"
sk_env = "STAGING_SK"

[env.production]
endpoint = "https://secmaster.example.test"
project_id = "p2"
workspace_id = "w2"
auth = "password"

[check]
pairs = [["staging@live", "production@live"]]
workflow = ["Block *", "Notify *"]
playbook = ["Auto*"]
exclude = ["* (draft)"]

[[accept]]
workflow = "Notify on high-severity alert"
path = "/versions/*/taskconfig/escalation_minutes"
reason = "production escalates faster on purpose"
expires = 2026-12-31

[[accept]]
workflow = "*"
reason = "everything"
expires = "2027-01-01"

[[accept]]
playbook = "Notify the on-call analyst"
path = "/enabled"
reason = "paused in production while the pager is replaced"
"#;

    #[test]
    fn a_good_file_loads() {
        let config = parse(GOOD).unwrap();
        assert_eq!(config.store_path, Path::new("/proj/snapshots"));
        assert_eq!(config.envs.len(), 2);
        let staging = config.env("staging").unwrap();
        assert_eq!(staging.workspace.as_deref(), Some("soc-staging"));
        assert_eq!(staging.auth, AuthKind::Aksk);
        assert_eq!(config.env("production").unwrap().auth, AuthKind::Password);
        assert_eq!(
            config.check_pairs,
            vec![("staging@live".to_string(), "production@live".to_string())]
        );
        assert_eq!(config.check_filters.workflow, ["Block *", "Notify *"]);
        assert_eq!(config.check_filters.exclude, ["* (draft)"]);
        let day = |rule: &soc_diff::AcceptRule| rule.expires().map(|d| d.to_string());
        assert_eq!(day(&config.accept[0]).as_deref(), Some("2026-12-31"));
        assert_eq!(day(&config.accept[1]).as_deref(), Some("2027-01-01"));
        assert_eq!(config.accept[1].path(), None);
        let err = parse("[[accept]]\nworkflow = \"w\"\nreason = \"r\"\nexpires = \"2026-02-31\"\n");
        assert_eq!(
            err.unwrap_err().to_string(),
            "/proj/socdrift.toml:4: [[accept]] expires `2026-02-31` is not a date"
        );
        assert_eq!(config.check_filters.playbook, ["Auto*"]);
        assert_eq!(config.accept_rules().len(), 2);
        let playbook_rules = config.playbook_accept_rules();
        assert_eq!(playbook_rules.len(), 1);
        assert_eq!(playbook_rules[0].workflow(), "Notify the on-call analyst");
    }

    #[test]
    fn an_accept_rule_names_one_kind() {
        let err =
            parse("[[accept]]\nworkflow = \"a\"\nplaybook = \"b\"\nreason = \"r\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:3: [[accept]] names both a workflow and a playbook"
        );
        let err = parse("[[accept]]\nreason = \"r\"\n").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("[[accept]] names neither a workflow nor a playbook"),
            "{err}"
        );
        let err = parse("[[accept]]\nplaybook = \" \"\nreason = \"r\"\n").unwrap_err();
        assert!(
            err.to_string().ends_with("[[accept]] playbook is empty"),
            "{err}"
        );
    }

    #[test]
    fn normalize_rules_build_a_profile_and_typos_are_caught() {
        let config =
            parse("[normalize]\nignore = [\"/versions/*/status\"]\nkeep_layout = false\n").unwrap();
        let profile = config.profile(false).unwrap();
        assert!(!profile.keep_layout());
        assert!(config.profile(true).unwrap().keep_layout());
        assert_ne!(profile.hash(), soc_diff::Profile::secmaster().hash());
        let err = parse("[normalize]\nignroe = []\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:2: unknown key `ignroe` in [normalize]"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `ignore`?"));
        let config = parse("[normalize]\nignore = [\"no-leading-slash\"]\n").unwrap();
        let err = config.profile(false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml: invalid [normalize] rules"
        );
    }

    #[test]
    fn limits_and_sources_parse_and_bad_values_are_located() {
        let config = parse(
            "[limits]\nmax_export_size = \"8MiB\"\nmax_unpacked_size = 1000\nmax_compression_ratio = 20\n\
             [env.s]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\nsource = \"versions\"\n",
        )
        .unwrap();
        assert_eq!(config.limits.max_export_bytes, 8 * 1024 * 1024);
        assert_eq!(config.limits.max_unpacked_bytes, 1000);
        assert_eq!(config.limits.max_compression_ratio, 20);
        assert_eq!(
            config.limits.max_json_values,
            soc_model::Limits::default().max_json_values
        );
        assert_eq!(config.env("s").unwrap().source, SourceKind::Versions);
        assert_eq!(config.profile(false).unwrap().limits(), &config.limits);
        assert_eq!(parse("").unwrap().limits, soc_model::Limits::default());
        let err = parse("\n[limits]\nmax_export_size = \"lots\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:3: [limits] max_export_size is not a size"
        );
        let err = parse("[limits]\nmax_zip_members = 0\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("max_zip_members must be at least 1"),
            "{err}"
        );
        let err = parse("[env.s]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\nsource = \"exprot\"\n")
            .unwrap_err();
        assert_eq!(err.hint().as_deref(), Some("did you mean `export`?"));
    }

    #[test]
    fn the_store_defaults_beside_the_file() {
        let config = parse("").unwrap();
        assert_eq!(config.store_path, Path::new("/proj/.socdrift"));
    }

    #[test]
    fn a_secret_is_refused_with_its_line_and_the_variable_to_use() {
        let text = "[env.staging]\nregion = \"r\"\nworkspace_id = \"w\"\nsk = \"hunter2\"\n";
        let err = parse(text).unwrap_err();
        let shown = format!("{err} / {}", err.hint().unwrap());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(
            shown,
            "/proj/socdrift.toml:4: `env.staging.sk` holds a secret; socdrift never reads secrets from its config file / delete `env.staging.sk` from the file and export HUAWEICLOUD_SDK_SK instead, or name your own variable with `sk_env = \"…\"` in [env.staging]"
        );
    }

    #[test]
    fn secrets_are_found_anywhere_even_inline_and_in_unknown_tables() {
        for text in [
            "password = \"x\"",
            "[other]\nAccess-Key = \"x\"",
            "[env.a]\nregion = \"r\"\nworkspace_id = \"w\"\ncreds = { token = \"t\" }",
            "[[accept]]\nworkflow = \"w\"\nreason = \"r\"\nsecurity_token = \"x\"",
        ] {
            assert!(
                matches!(parse(text), Err(ConfigError::Secret { .. })),
                "{text}"
            );
        }
        // Naming the variable that holds a secret is fine.
        assert!(parse("[env.a]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\ntoken_env = \"T\"").is_ok());
    }

    #[test]
    fn an_unknown_key_names_line_table_and_suggestion() {
        let text = "[env.staging]\nregoin = \"r\"\nworkspace_id = \"w\"\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:2: unknown key `regoin` in [env.staging]"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `region`?"));
    }

    #[test]
    fn an_unknown_top_level_table_lists_valid_keys() {
        let err = parse("[stroe]\npath = \"x\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:1: unknown key `stroe`"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `store`?"));
        let err = parse("[zzzzzzz]\n").unwrap_err();
        assert_eq!(
            err.hint().as_deref(),
            Some("valid keys here: store, env, normalize, check, accept, limits")
        );
    }

    #[test]
    fn keys_in_arrays_of_tables_and_bad_types_are_named_as_written() {
        let err =
            parse("[[accept]]\nworkflow = \"a\"\nreason = \"r\"\n\n[[accept]]\nworkflw = \"x\"\n")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:6: unknown key `workflw` in [[accept]] #2"
        );
        let err = parse("env = 3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:1: `env`: invalid type: integer `3`, expected a map"
        );
    }

    #[test]
    fn element_ids_by_name_is_a_profile_of_its_own() {
        let config = parse("[normalize]\nelement_ids = \"by_name\"\n").unwrap();
        let profile = config.profile(false).unwrap();
        assert_eq!(profile.element_ids(), soc_diff::ElementIds::ByName);
        assert_ne!(profile.hash(), soc_diff::Profile::secmaster().hash());
        let keep = parse("[normalize]\nelement_ids = \"keep\"\n").unwrap();
        assert_eq!(
            keep.profile(false).unwrap().hash(),
            soc_diff::Profile::secmaster().hash(),
            "the default must not renormalize existing snapshots"
        );
        let err = parse("[normalize]\nelement_ids = \"byname\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:2: `normalize.element_ids` has an unknown value `byname`"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `by_name`?"));
    }

    #[test]
    fn a_bad_enum_value_suggests_the_nearest() {
        let text = "[env.s]\nregion = \"r\"\nworkspace_id = \"w\"\nauth = \"aksl\"\n";
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:4: `env.s.auth` has an unknown value `aksl`"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `aksk`?"));
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse("[env.s]\nregion = \n").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { line: 2, .. }), "{err}");
    }

    #[test]
    fn semantic_checks_point_at_the_section() {
        let err = parse("\n[env.s]\nproject_id = \"p\"\nworkspace_id = \"w\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:2: [env.s] needs `region` or `endpoint`"
        );
        let err = parse("[env.s]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"w\"\nworkspace = \"n\"\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:5: [env.s] sets both `workspace_id` and `workspace`"
        );
        let err = parse("[env.s]\nregion = \"r\"\nworkspace_id = \"w\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:1: [env.s] needs `project_id`"
        );
        let err = parse("[env.\"a@b\"]\nregion = \"r\"\nworkspace_id = \"w\"\n").unwrap_err();
        assert!(
            err.to_string().contains("invalid environment name `a@b`"),
            "{err}"
        );
        let err = parse("[[accept]]\nworkflow = \"w\"\nreason = \"r\"\nexpires = \"soon\"\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:4: [[accept]] expires `soon` is not a date"
        );
        let err =
            parse("[[accept]]\nworkflow = \"w\"\nreason = \"r\"\npath = \"x\"\n").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "/proj/socdrift.toml:4: invalid [[accept]] path: pattern `x` must start with `/`"
            ),
            "{err}"
        );
        let err = parse("[check]\npairs = [[\"a\", \"b\", \"c\"]]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/socdrift.toml:2: [check] pairs item 1 has 3 sides, not 2"
        );
    }

    #[test]
    fn unknown_env_suggests_or_says_how_to_add() {
        let config = parse(GOOD).unwrap();
        let err = config.env("stagng").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown environment `stagng` (/proj/socdrift.toml has: production, staging)"
        );
        assert_eq!(err.hint().as_deref(), Some("did you mean `staging`?"));
        let none = Config::defaults(Path::new("/x"));
        let err = none.env("qa").unwrap_err();
        assert!(err.hint().unwrap().contains("no socdrift.toml was found"));
    }

    #[test]
    fn discovery_walks_up_to_the_nearest_file() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "[store]\npath = \"s\"\n").unwrap();
        let config = Config::discover(Source::Search(&nested)).unwrap();
        assert_eq!(config.store_path, dir.path().join("s"));
        let err = Config::discover(Source::Explicit(&nested.join("missing.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }));
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
