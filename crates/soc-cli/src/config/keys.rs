//! Every key of the file with where it is, so that each error can name its line, and the secrets
//! the file must not hold.

use std::ops::Range;
use std::path::Path;

use super::RawConfig;
use super::error::ConfigError;
use super::schema::{Shape, shape_at};
use crate::suggest;

/// Every key of the file with its dotted path and byte span, for line numbers.
pub(super) struct KeyIndex<'a> {
    pub(super) path: &'a Path,
    text: &'a str,
    keys: Vec<Key>,
}

/// One key of the file.
struct Key {
    /// Table names and keys down to it; the items of an array of tables by index (`accept`, `1`).
    path: Vec<String>,
    /// Where the key (or, without one, its value) is in the text.
    span: Range<usize>,
    /// Whether it holds a plain value (not a table).
    is_leaf: bool,
    /// The value, when it is a string.
    text: Option<String>,
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
            self.keys.push(Key {
                path: prefix.clone(),
                span: span.clone(),
                is_leaf: matches!(item, toml_edit::Item::Value(v) if !v.is_inline_table()),
                text: item.as_str().map(str::to_owned),
            });
            match item {
                toml_edit::Item::Table(t) => self.walk_table(prefix, t),
                toml_edit::Item::ArrayOfTables(array) => {
                    for (i, t) in array.iter().enumerate() {
                        prefix.push(i.to_string());
                        self.keys.push(Key {
                            path: prefix.clone(),
                            span: t.span().unwrap_or(span.clone()),
                            is_leaf: false,
                            text: None,
                        });
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
            self.keys.push(Key {
                path: prefix.clone(),
                span,
                is_leaf: !value.is_inline_table(),
                text: value.as_str().map(str::to_owned),
            });
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
            if let Some(key) = self.keys.iter().find(|key| key.path == wanted) {
                return line_col(self.text, key.span.start).0;
            }
            wanted.pop();
        }
        1
    }

    pub(super) fn refuse_secrets(&self) -> Result<(), ConfigError> {
        for Key {
            path: segments,
            span,
            is_leaf,
            ..
        } in &self.keys
        {
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
    ///
    /// The error's place gives the key (the key itself, or the nearest key before the offending
    /// value); whether the key is unknown or its value is not one the setting takes is asked of
    /// the types the file is read into ([`shape_at`]), never read from the error's text, which is
    /// only shown.
    pub(super) fn serde_error(&self, e: &toml::de::Error) -> ConfigError {
        let start = e.span().map_or(0, |s| s.start);
        let line = line_col(self.text, start).0;
        let key = self
            .keys
            .iter()
            .filter(|key| key.span.start <= start)
            .max_by_key(|key| key.span.start);
        if let Some(unknown) = key.and_then(|key| self.unknown(key, line)) {
            return unknown;
        }
        let message = e.message().trim();
        let message = match key {
            Some(key) => format!("`{}`: {message}", dotted(&key.path)),
            None => message.to_string(),
        };
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            message,
            hint: None,
        }
    }

    /// The error for `key` when it cannot be where it is: a key its table does not have, or a
    /// value its setting does not take. `None` when the types have nothing against it.
    fn unknown(&self, key: &Key, line: usize) -> Option<ConfigError> {
        let (name, table) = key.path.split_last()?;
        if let Shape::Table(keys) = shape_at::<RawConfig>(table) {
            if !keys.contains(&name.as_str()) {
                return Some(ConfigError::UnknownKey {
                    path: self.path.to_path_buf(),
                    line,
                    key: name.clone(),
                    table: table_name(table),
                    expected: keys.iter().map(|k| (*k).to_owned()).collect(),
                });
            }
        }
        let value = key.text.as_deref()?;
        let Shape::OneOf(values) = shape_at::<RawConfig>(&key.path) else {
            return None;
        };
        if values.contains(&value) {
            return None;
        }
        let hint = suggest::did_you_mean(value, values.iter().copied())
            .or_else(|| Some(format!("valid values: {}", values.join(", "))));
        Some(ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line,
            message: format!("`{}` has an unknown value `{value}`", dotted(&key.path)),
            hint,
        })
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
