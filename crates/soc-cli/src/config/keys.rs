//! Every key of the file with where it is, so that each error can name its line, and the secrets
//! the file must not hold.

use std::ops::Range;
use std::path::Path;

use super::error::ConfigError;
use crate::suggest;

/// Every key of the file with its dotted path and byte span, for line numbers.
pub(super) struct KeyIndex<'a> {
    pub(super) path: &'a Path,
    text: &'a str,
    keys: Vec<(Vec<String>, Range<usize>, bool)>,
}

impl<'a> KeyIndex<'a> {
    pub(super) fn build(text: &'a str, path: &'a Path) -> Result<KeyIndex<'a>, ConfigError> {
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
    pub(super) fn line_of(&self, segments: &[&str]) -> usize {
        let mut wanted: Vec<&str> = segments.iter().copied().filter(|s| !s.is_empty()).collect();
        while !wanted.is_empty() {
            if let Some((_, span, _)) = self.keys.iter().find(|(p, _, _)| *p == wanted) {
                return line_col(self.text, span.start).0;
            }
            wanted.pop();
        }
        1
    }

    pub(super) fn refuse_secrets(&self) -> Result<(), ConfigError> {
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
    pub(super) fn serde_error(&self, e: &toml::de::Error) -> ConfigError {
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
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
