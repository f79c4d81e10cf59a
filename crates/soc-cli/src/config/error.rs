//! What can be wrong with a configuration, and what the user can do about it.

use std::path::PathBuf;

use super::FILE_NAME;
use crate::suggest;

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
        source: soc_normalize::profile::ProfileError,
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
