//! `socdrift.toml`: finding it, parsing it, and refusing what it must not hold.
//!
//! Errors name the file and line, and where possible the nearest valid name. A file that holds a
//! secret is refused outright: secrets come only from the environment (see [`crate::secrets`]).

mod error;
mod keys;
mod schema;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use error::ConfigError;

use keys::KeyIndex;
use validate::{validate_accept, validate_env, validate_limits};

/// The file name searched for in the current folder and its parents.
pub const FILE_NAME: &str = "socdrift.toml";

/// The store folder used when `[store] path` is not set, beside the config file.
pub const DEFAULT_STORE_DIR: &str = ".socdrift";

/// Canvas layout in a normalization profile, on top of what `[normalize] keep_layout` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Kept only when `[normalize] keep_layout = true`: what stored snapshots and `verify` use.
    AsConfigured,
    /// Kept whatever the file says (`--keep-layout`).
    Keep,
}

impl Layout {
    /// [`Layout::Keep`] when the `--keep-layout` flag was given.
    pub fn from_flag(keep_layout: bool) -> Layout {
        if keep_layout {
            Layout::Keep
        } else {
            Layout::AsConfigured
        }
    }
}

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
    pub normalize: soc_normalize::ProfileConfig,
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
            normalize: soc_normalize::ProfileConfig::default(),
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

    /// The normalization profile: the built-in SecMaster profile plus `[normalize]`, with canvas
    /// layout kept when `[normalize] keep_layout` or `layout` ([`Layout::Keep`]) says so.
    pub fn profile(&self, layout: Layout) -> Result<soc_normalize::Profile, ConfigError> {
        let mut rules = self.normalize.clone();
        rules.keep_layout |= layout == Layout::Keep;
        soc_normalize::Profile::secmaster()
            .with_config(&rules)
            .map(|profile| profile.with_limits(self.limits))
            .map_err(|source| ConfigError::Normalize {
                path: self.path.clone(),
                source,
            })
    }

    /// The `[[accept]]` rules about workflows.
    pub fn accept_rules(&self) -> Vec<soc_diff::AcceptRule> {
        self.accept_rules_of(soc_normalize::Kind::Workflow)
    }

    /// The `[[accept]]` rules about playbooks (`playbook = …`).
    pub fn playbook_accept_rules(&self) -> Vec<soc_diff::AcceptRule> {
        self.accept_rules_of(soc_normalize::Kind::Playbook)
    }

    fn accept_rules_of(&self, kind: soc_normalize::Kind) -> Vec<soc_diff::AcceptRule> {
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
    normalize: soc_normalize::ProfileConfig,
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
pub(super) struct RawLimits {
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
pub(super) struct RawAccept {
    /// The workflow the rule is about; exactly one of this and `playbook`.
    workflow: Option<String>,
    /// The playbook the rule is about.
    playbook: Option<String>,
    path: Option<String>,
    reason: String,
    /// A TOML date (`2026-12-31`) or a string holding one.
    expires: Option<toml::Value>,
}
