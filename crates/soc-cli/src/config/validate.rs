//! The checks serde cannot make: values that must make sense together, sizes, accept rules.

use super::error::ConfigError;
use super::keys::KeyIndex;
use super::{EnvConfig, RawAccept, RawLimits};

/// Checks one `[env.NAME]` section; an error names the line of the key that is wrong (or of the
/// section, for what is missing).
pub(super) fn validate_env(
    name: &str,
    env: &EnvConfig,
    index: &KeyIndex<'_>,
) -> Result<(), ConfigError> {
    let problem = name_problem(name)
        .or_else(|| place_problem(name, env))
        .or_else(|| tuning_problem(name, env));
    match problem {
        None => Ok(()),
        Some(problem) => Err(ConfigError::Invalid {
            path: index.path.to_path_buf(),
            line: index.line_of(&["env", name, problem.key]),
            message: problem.message,
            hint: problem.hint,
        }),
    }
}

/// What is wrong in an `[env.NAME]` section.
struct Problem {
    /// The key to point at; empty for the section itself.
    key: &'static str,
    message: String,
    hint: Option<String>,
}

impl Problem {
    fn new(key: &'static str, message: String, hint: Option<&str>) -> Option<Self> {
        Some(Problem {
            key,
            message,
            hint: hint.map(str::to_owned),
        })
    }
}

fn name_problem(name: &str) -> Option<Problem> {
    if valid_env_name(name) {
        return None;
    }
    Problem::new(
        "",
        format!("invalid environment name `{name}`"),
        Some("use lowercase letters, digits, `-` and `_` only, starting with a letter or digit"),
    )
}

/// Where the workspace is: endpoint or region, project, workspace.
fn place_problem(name: &str, env: &EnvConfig) -> Option<Problem> {
    if env.region.is_none() && env.endpoint.is_none() {
        return Problem::new(
            "",
            format!("[env.{name}] needs `region` or `endpoint`"),
            Some("e.g. region = \"ap-southeast-1\""),
        );
    }
    if env.project_id.as_deref().is_none_or(str::is_empty) {
        return Problem::new(
            "",
            format!("[env.{name}] needs `project_id`"),
            Some("the project id is on the console's My Credentials page, under Projects"),
        );
    }
    for (key, value) in [
        ("endpoint", env.endpoint.as_deref()),
        ("iam_endpoint", env.iam_endpoint.as_deref()),
    ] {
        if let Some(url) = value {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Problem::new(
                    key,
                    format!("[env.{name}] {key} `{url}` is not an http(s) URL"),
                    Some(
                        "write the full URL, e.g. https://secmaster.ap-southeast-1.myhuaweicloud.com",
                    ),
                );
            }
        }
    }
    match (&env.workspace_id, &env.workspace) {
        (Some(_), Some(_)) => Problem::new(
            "workspace",
            format!("[env.{name}] sets both `workspace_id` and `workspace`"),
            Some("keep one: the id, or the name to look up"),
        ),
        (None, None) => Problem::new(
            "",
            format!("[env.{name}] needs `workspace_id` or `workspace` (the workspace name)"),
            None,
        ),
        _ => None,
    }
}

/// How the client talks to it: timeout, concurrency, rate.
fn tuning_problem(name: &str, env: &EnvConfig) -> Option<Problem> {
    if let Some(timeout) = &env.timeout {
        if humantime::parse_duration(timeout).is_err() {
            return Problem::new(
                "timeout",
                format!("[env.{name}] timeout `{timeout}` is not a duration"),
                Some("e.g. timeout = \"30s\" or \"2m\""),
            );
        }
    }
    if env.concurrency == Some(0) {
        return Problem::new(
            "concurrency",
            format!("[env.{name}] concurrency must be at least 1"),
            None,
        );
    }
    match env.requests_per_second {
        Some(rps) if !(rps.is_finite() && rps > 0.0) => Problem::new(
            "requests_per_second",
            format!("[env.{name}] requests_per_second must be a positive number"),
            None,
        ),
        _ => None,
    }
}

pub(super) fn validate_limits(
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
pub(super) fn valid_env_name(name: &str) -> bool {
    soc_store::validate_environment(name).is_ok() && !name.contains('@')
}

/// Builds one `[[accept]]` rule; an error names the line of the field that is wrong.
pub(super) fn validate_accept(
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
        (Some(workflow), None) => (soc_normalize::Kind::Workflow, workflow),
        (None, Some(playbook)) => (soc_normalize::Kind::Playbook, playbook),
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
                    soc_normalize::Kind::Workflow => {
                        "give the exact workflow name, or \"*\" for every workflow"
                    }
                    soc_normalize::Kind::Playbook => {
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
