//! Which values are secrets, and how they are replaced: the redaction rules of a [`Profile`](crate::Profile).
//!
//! Four shapes, all driven by the word lists below and extended by the `[normalize]` settings
//! `redact_keys`, `redact_pairs` and `redact_query_params` (see `docs/normalization.md`):
//!
//! - **keys**: the value under a key whose *word parts* contain a secret word (`db_password`,
//!   `clientSecret`, `X-Auth-Token`);
//! - **name/value pairs**: `{"name": "Authorization", "value": "Bearer …"}`: the value field of an
//!   object whose name field holds a secret word;
//! - **URL user info**: the password of `scheme://user:password@host`;
//! - **assignments in text**: `NAME=VALUE` (URL query parameters such as `?sig=…`,
//!   `X-Amz-Signature=…`, `token=…`, and command lines such as `--password=…`), `"NAME": "VALUE"`
//!   in text that is not valid JSON, and `NAME: VALUE` header lines (`Authorization: Bearer …`).
//!
//! A secret is replaced by `<redacted:` + 8 hex digits of the SHA-256 of its canonical JSON + `>`,
//! so a changed secret still shows as a change. Markers are never redacted again, so redacting is
//! idempotent.
//!
//! **The word-part rule.** A key is split into lowercase parts at every character that is not a
//! letter or digit and at camelCase humps (`X-Amz-Signature` → `x`, `amz`, `signature`;
//! `clientKey` → `client`, `key`). It is secret when a secret word's parts occur in it as
//! consecutive whole parts, so `auth` matches `auth`, `x_auth` and `authToken` but never `author`,
//! `authority` or `oauth`. A key whose last part is a *descriptor* (`NOT_SECRET_LAST_PARTS`:
//! `auth_type`, `token_url`, `password_policy`, `secret_path`) describes a secret rather than
//! holding one, and is not secret unless the secret word itself ends the key.

use serde_json::{Map, Value};

use crate::normalize::{canonical_json, sha256_hex};

/// Words whose values are redacted by default, matched as word parts of keys, of the names of
/// name/value pairs and of `NAME=` assignments in text (see the module docs).
pub(crate) const DEFAULT_REDACT_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
    "secret",
    "token",
    "auth",
    "authorization",
    "bearer",
    "cookie",
    "credential",
    "credentials",
    "ak",
    "sk",
    "apikey",
    "api_key",
    "access_key",
    "private_key",
    "client_key",
    "signature",
    "sig",
    "jwt",
];

/// Last word parts that make a key *describe* a secret rather than hold one (`auth_type`,
/// `token_url`, `secret_path`), unless the secret word itself is the last part.
pub(crate) const NOT_SECRET_LAST_PARTS: &[&str] = &[
    "type",
    "kind",
    "mode",
    "method",
    "scheme",
    "url",
    "uri",
    "endpoint",
    "host",
    "port",
    "enabled",
    "disabled",
    "required",
    "policy",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "length",
    "format",
    "file",
    "path",
    "version",
    "timeout",
    "description",
    "user",
    "username",
    "count",
];

/// Name/value field pairs: in an object whose first field holds a secret word (`"name":
/// "Authorization"`), the second field's value is redacted. Field names match as written or
/// capitalized (`Key`/`Value`).
pub(crate) const DEFAULT_REDACT_PAIRS: &[(&str, &str)] = &[
    ("name", "value"),
    ("key", "value"),
    ("header", "value"),
    ("param", "value"),
    ("parameter", "value"),
    ("field", "value"),
    ("name", "val"),
    ("key", "val"),
    ("name", "default"),
    ("name", "default_value"),
    ("name", "defaultValue"),
];

/// URL query parameters whose values are redacted although they are not secret words as keys:
/// `?key=` carries the API key of many public APIs.
pub(crate) const DEFAULT_REDACT_QUERY_PARAMS: &[&str] = &["key"];

/// The redaction rules of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redaction {
    /// Secret words as written (lowercase) and split into parts.
    words: Vec<(String, Vec<String>)>,
    /// Name field and value field, as written.
    pairs: Vec<(String, String)>,
    /// Every value field of `pairs`, as written and capitalized: an object without any of them
    /// (nearly all) needs no further look.
    value_fields: Vec<String>,
    /// Query-only parameter names as written (lowercase) and split into parts.
    query_params: Vec<(String, Vec<String>)>,
}

impl Default for Redaction {
    fn default() -> Self {
        let mut redaction = Self {
            words: DEFAULT_REDACT_KEYS.iter().map(|k| entry(k)).collect(),
            pairs: Vec::new(),
            value_fields: Vec::new(),
            query_params: DEFAULT_REDACT_QUERY_PARAMS
                .iter()
                .map(|k| entry(k))
                .collect(),
        };
        for (name, value) in DEFAULT_REDACT_PAIRS {
            let _ = redaction.add_pair(name, value);
        }
        redaction
    }
}

/// A user entry with no letter or digit: it could never match.
#[derive(Debug)]
pub(crate) struct EmptyEntry;

impl Redaction {
    /// Adds a secret word; `Ok(false)` when it was there already.
    pub(crate) fn add_word(&mut self, word: &str) -> Result<bool, EmptyEntry> {
        add(&mut self.words, word)
    }

    /// Adds a query-only parameter name.
    pub(crate) fn add_query_param(&mut self, name: &str) -> Result<bool, EmptyEntry> {
        add(&mut self.query_params, name)
    }

    /// Adds a name/value field pair.
    pub(crate) fn add_pair(&mut self, name: &str, value: &str) -> Result<bool, EmptyEntry> {
        if name.trim().is_empty() || value.trim().is_empty() {
            return Err(EmptyEntry);
        }
        let pair = (name.to_owned(), value.to_owned());
        if self.pairs.contains(&pair) {
            return Ok(false);
        }
        self.pairs.push(pair);
        for field in [value.to_owned(), capitalized(value)] {
            if !self.value_fields.contains(&field) {
                self.value_fields.push(field);
            }
        }
        Ok(true)
    }

    /// The rules as data, for the profile hash.
    pub(crate) fn describe(&self) -> Value {
        serde_json::json!({
            "words": self.words.iter().map(|(text, _)| text.as_str()).collect::<Vec<_>>(),
            "descriptors": NOT_SECRET_LAST_PARTS,
            "pairs": self.pairs.iter().map(|(n, v)| [n.as_str(), v.as_str()]).collect::<Vec<_>>(),
            "query_params": self.query_params.iter().map(|(text, _)| text.as_str()).collect::<Vec<_>>(),
            "text": ["url_userinfo", "assignments", "quoted_pairs", "header_lines"],
        })
    }

    /// The secret words as written, for reading back.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(|(text, _)| text.as_str())
    }

    /// Whether values under this key are secret (the word-part rule of the module docs).
    pub(crate) fn is_secret_key(&self, key: &str) -> bool {
        matches_parts(&key_parts(key), &self.words)
    }

    /// The value fields of `map` to redact because a name field of the same object names a
    /// secret (`{"name": "Authorization", "value": …}`). `is_secret` is
    /// [`is_secret_key`](Self::is_secret_key), possibly cached.
    pub(crate) fn pair_values(
        &self,
        map: &Map<String, Value>,
        is_secret: &mut dyn FnMut(&str) -> bool,
    ) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        // Comparing the object's few keys by length first is cheaper than a map lookup per field.
        if !map
            .keys()
            .any(|key| self.value_fields.iter().any(|field| field == key))
        {
            return fields;
        }
        for (name_field, value_field) in &self.pairs {
            let Some(value_key) = get_key(map, value_field) else {
                continue;
            };
            let Some(Value::String(name)) = get_key(map, name_field).and_then(|k| map.get(k))
            else {
                continue;
            };
            // A name with spaces is a title ("Password reset mail"), not a header or parameter.
            if name.len() <= 128
                && !name.chars().any(char::is_whitespace)
                && is_secret(name)
                && !fields.iter().any(|f| f == value_key)
            {
                fields.push(value_key.to_owned());
            }
        }
        fields
    }

    /// `text` with the secrets it holds as text (URL user info, assignments, quoted pairs, header
    /// lines) replaced by markers; `None` when it holds none.
    pub(crate) fn redact_text(&self, text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let has_assignment = bytes.contains(&b'=');
        // Every other shape needs a colon: `://`, `"NAME": …`, `NAME: …`.
        if !has_assignment && !bytes.contains(&b':') {
            return None;
        }
        let shape = Shape::of(bytes);
        let mut spans = Vec::new();
        if shape.url {
            userinfo_spans(text, &mut spans);
        }
        if has_assignment {
            self.assignment_spans(text, &mut spans);
        }
        if shape.quoted {
            self.quoted_pair_spans(text, &mut spans);
        }
        if shape.header {
            self.header_spans(text, &mut spans);
        }
        if spans.is_empty() {
            return None;
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        for (start, end) in merged {
            // Spans start and end next to ASCII delimiters, so both are always char boundaries.
            let (Some(before), Some(secret)) = (text.get(at..start), text.get(start..end)) else {
                continue;
            };
            out.push_str(before);
            out.push_str(&marker(&Value::String(secret.to_owned())));
            at = end;
        }
        out.push_str(text.get(at..).unwrap_or_default());
        Some(out)
    }

    /// `NAME=VALUE` where NAME is a secret word (or, after `?` or `&`, a query-only name).
    fn assignment_spans(&self, text: &str, spans: &mut Vec<(usize, usize)>) {
        let bytes = text.as_bytes();
        for (i, _) in text.match_indices('=') {
            let prev = i.checked_sub(1).and_then(|p| bytes.get(p)).copied();
            let next = bytes.get(i + 1).copied();
            // `==`, `!=`, `<=`, `>=` compare; they assign nothing.
            if next == Some(b'=') || matches!(prev, None | Some(b'=' | b'!' | b'<' | b'>')) {
                continue;
            }
            let mut start = i;
            while start > 0
                && bytes
                    .get(start - 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            {
                start -= 1;
            }
            let Some(name) = text.get(start..i) else {
                continue;
            };
            if name.is_empty() {
                continue;
            }
            let in_query = start
                .checked_sub(1)
                .and_then(|p| bytes.get(p))
                .is_some_and(|b| matches!(b, b'?' | b'&'));
            let parts = key_parts(name);
            let secret = matches_parts(&parts, &self.words)
                || (in_query && matches_parts(&parts, &self.query_params));
            if secret {
                let end = value_end(bytes, i + 1, |b| {
                    b.is_ascii_whitespace() || matches!(b, b'&' | b';' | b'#' | b'"' | b'\'' | b',')
                });
                push_value(text, i + 1, end, spans);
            }
        }
    }

    /// `"NAME": "VALUE"` (or single quotes, or a bare value) in text that is not valid JSON.
    fn quoted_pair_spans(&self, text: &str, spans: &mut Vec<(usize, usize)>) {
        let bytes = text.as_bytes();
        for quote in [b'"', b'\''] {
            let mut at = 0;
            while let Some(open) = find(bytes, at, quote) {
                at = open + 1;
                let Some(close) = find(bytes, open + 1, quote) else {
                    break;
                };
                let Some(name) = text.get(open + 1..close) else {
                    continue;
                };
                if name.is_empty() || name.len() > 128 || name.contains('\n') {
                    continue;
                }
                let mut cursor = skip_blanks(bytes, close + 1);
                if bytes.get(cursor) != Some(&b':') {
                    continue;
                }
                if !self.is_secret_key(name) {
                    continue;
                }
                cursor = skip_blanks(bytes, cursor + 1);
                match bytes.get(cursor) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = closing_quote(bytes, cursor + 1, q);
                        push_value(text, cursor + 1, end, spans);
                        at = end + 1;
                    }
                    Some(_) => {
                        let end = value_end(bytes, cursor, |b| {
                            b.is_ascii_whitespace() || matches!(b, b',' | b'}' | b']')
                        });
                        if !matches!(text.get(cursor..end), Some("true" | "false" | "null")) {
                            push_value(text, cursor, end, spans);
                        }
                        at = end;
                    }
                    None => {}
                }
            }
        }
    }

    /// `NAME: VALUE` at the start of a line or of a quoted string (an HTTP header such as
    /// `Authorization: Bearer …`); the value runs to the end of the line or of the quotes.
    fn header_spans(&self, text: &str, spans: &mut Vec<(usize, usize)>) {
        let bytes = text.as_bytes();
        let starts = std::iter::once((0, None)).chain(bytes.iter().enumerate().filter_map(
            |(i, &b)| match b {
                b'\n' => Some((i + 1, None)),
                b'"' | b'\'' => Some((i + 1, Some(b))),
                _ => None,
            },
        ));
        for (line_start, quote) in starts {
            let start = skip_blanks(bytes, line_start);
            let mut colon = start;
            while bytes
                .get(colon)
                .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
            {
                colon += 1;
            }
            if colon == start
                || bytes.get(colon) != Some(&b':')
                || !bytes
                    .get(colon + 1)
                    .is_some_and(|b| matches!(b, b' ' | b'\t'))
                || !text
                    .get(start..colon)
                    .is_some_and(|n| self.is_secret_key(n))
            {
                continue;
            }
            let value = skip_blanks(bytes, colon + 1);
            let mut end = match quote {
                Some(q) => closing_quote(bytes, value, q),
                None => find(bytes, value, b'\n').unwrap_or(bytes.len()),
            };
            end = end.min(find(bytes, value, b'\n').unwrap_or(bytes.len()));
            while end > value && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
                end -= 1;
            }
            push_value(text, value, end, spans);
        }
    }
}

/// The password of `scheme://user:password@host`. Not a user name alone (`git@host`), and not
/// `host:8080/path@x`, whose `@` is in the path.
fn userinfo_spans(text: &str, spans: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices("://") {
        let start = i + 3;
        let mut at = start;
        while let Some(&b) = bytes.get(at) {
            if b == b'@' || b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'?' | b'#') {
                break;
            }
            at += 1;
        }
        if bytes.get(at) != Some(&b'@') {
            continue;
        }
        let Some(userinfo) = text.get(start..at) else {
            continue;
        };
        let Some((user, password)) = userinfo.split_once(':') else {
            continue;
        };
        let port_then_path = password
            .split_once('/')
            .is_some_and(|(port, _)| port.bytes().all(|b| b.is_ascii_digit()));
        if user.contains('/') || port_then_path {
            continue;
        }
        push_value(text, at - password.len(), at, spans);
    }
}

/// Records a secret value's span unless it is empty, already a marker, or a template reference
/// (`${alert.token}` names a secret kept elsewhere; it is not one).
fn push_value(text: &str, start: usize, end: usize, spans: &mut Vec<(usize, usize)>) {
    if let Some(value) = text.get(start..end) {
        if !value.is_empty() && !is_redaction_marker(value) && !is_reference(value) {
            spans.push((start, end));
        }
    }
}

/// Whether a value is only a template reference: `${…}` or `{{…}}`.
pub(crate) fn is_reference(value: &str) -> bool {
    let inner = |open: &str, close: &str| {
        value
            .strip_prefix(open)
            .and_then(|v| v.strip_suffix(close))
            .is_some_and(|v| !v.contains(['{', '}']))
    };
    inner("${", "}") || inner("{{", "}}")
}

/// Replaces a secret value by its marker. Absent (`null`), empty and boolean values are left
/// alone (that a secret is missing is a finding, and `true` is no secret), and so are markers and
/// template references.
pub(crate) fn redact(value: &mut Value) {
    match &*value {
        Value::Null | Value::Bool(_) => {}
        Value::String(text)
            if text.is_empty() || is_redaction_marker(text) || is_reference(text) => {}
        _ => *value = Value::String(marker(value)),
    }
}

/// `<redacted:` + the first 8 hex digits of the SHA-256 of the value's canonical JSON + `>`.
pub(crate) fn marker(value: &Value) -> String {
    let hash = sha256_hex(canonical_json(value).as_bytes());
    format!("<redacted:{}>", hash.get(..8).unwrap_or_default())
}

fn entry(word: &str) -> (String, Vec<String>) {
    (word.to_lowercase(), key_parts(word))
}

fn add(list: &mut Vec<(String, Vec<String>)>, word: &str) -> Result<bool, EmptyEntry> {
    let entry = entry(word);
    if entry.1.is_empty() {
        return Err(EmptyEntry);
    }
    if list.contains(&entry) {
        return Ok(false);
    }
    list.push(entry);
    Ok(true)
}

/// The word-part rule: some entry's parts occur consecutively in `parts`, and either the match
/// ends the key or the key's last part is not a descriptor.
fn matches_parts(parts: &[String], entries: &[(String, Vec<String>)]) -> bool {
    let described = parts
        .last()
        .is_some_and(|last| NOT_SECRET_LAST_PARTS.contains(&last.as_str()));
    entries.iter().any(|(_, entry)| {
        !entry.is_empty()
            && parts.windows(entry.len()).enumerate().any(|(i, window)| {
                window == entry && (!described || i + entry.len() == parts.len())
            })
    })
}

/// Which shapes of secret-bearing text a string may hold, from one pass over its bytes (documents
/// hold millions of strings with a colon, such as `bpmn:Task`, and searching each for three
/// substrings one after the other cost more than this).
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    /// `://`: a URL that may carry a password.
    url: bool,
    /// A quote: `"NAME": VALUE` may follow.
    quoted: bool,
    /// `: ` or `:\t`: a `NAME: VALUE` header line may be there.
    header: bool,
}

impl Shape {
    fn of(bytes: &[u8]) -> Shape {
        let mut shape = Shape::default();
        for (at, &byte) in bytes.iter().enumerate() {
            match byte {
                b'"' | b'\'' => shape.quoted = true,
                b':' => match bytes.get(at + 1) {
                    Some(b'/') => shape.url |= bytes.get(at + 2) == Some(&b'/'),
                    Some(b' ' | b'\t') => shape.header = true,
                    _ => {}
                },
                _ => {}
            }
        }
        shape
    }
}

/// Splits a key into lowercase parts at separators and camelCase humps.
pub(crate) fn key_parts(key: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut prev_lower_or_digit = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            prev_lower_or_digit = false;
            continue;
        }
        if c.is_uppercase() && prev_lower_or_digit && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        prev_lower_or_digit = c.is_lowercase() || c.is_numeric();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The key of `map` that is `field` as written or with its first letter capitalized.
fn get_key<'m>(map: &'m Map<String, Value>, field: &str) -> Option<&'m str> {
    if let Some((key, _)) = map.get_key_value(field) {
        return Some(key);
    }
    map.get_key_value(&capitalized(field))
        .map(|(key, _)| key.as_str())
}

/// `field` with its first letter upper case (`Value`).
fn capitalized(field: &str) -> String {
    let mut chars = field.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn find(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == byte)
        .map(|p| p + from)
}

fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\t')) {
        at += 1;
    }
    at
}

fn value_end(bytes: &[u8], mut at: usize, stop: impl Fn(u8) -> bool) -> usize {
    while bytes.get(at).is_some_and(|&b| !stop(b)) {
        at += 1;
    }
    at
}

/// The position of the quote that closes a string starting at `at` (backslash escapes skipped),
/// or the end of the text.
fn closing_quote(bytes: &[u8], mut at: usize, quote: u8) -> usize {
    while let Some(&b) = bytes.get(at) {
        if b == b'\\' {
            at += 2;
            continue;
        }
        if b == quote {
            return at;
        }
        at += 1;
    }
    bytes.len()
}

/// Whether `text` is a redaction marker as written by normalization (`<redacted:0123abcd>`).
pub fn is_redaction_marker(text: &str) -> bool {
    text.strip_prefix("<redacted:")
        .and_then(|rest| rest.strip_suffix('>'))
        .is_some_and(|hash| {
            hash.len() == 8 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> Redaction {
        Redaction::default()
    }

    #[test]
    fn secret_keys_match_whole_word_parts() {
        let r = rules();
        for key in [
            "password",
            "PASSWORD",
            "pwd",
            "db_pass",
            "passphrase",
            "auth",
            "x_auth",
            "authToken",
            "cookie",
            "Set-Cookie",
            "client_key",
            "clientKey",
            "signature",
            "X-Amz-Signature",
            "sig",
            "api_token",
            "access_token",
            "client_secret",
            "clientSecret",
            "X-Auth-Token",
            "apiKey",
            "APIKey",
            "ak",
            "SK",
            "sk_live",
            "ssh_private_key",
            "secret_key",
            "Authorization",
            "soar:token",
            "password_hash",
            "secret_id",
        ] {
            assert!(r.is_secret_key(key), "{key} should be secret");
        }
        for key in [
            "author",
            "authority",
            "authored_by",
            "oauth",
            "tokenizer",
            "tokens_used",
            "task",
            "skip",
            "mask",
            "desk",
            "passenger",
            "signal",
            "design",
            "name",
            "key",
            "api",
            "private",
            // Descriptors of a secret, not secrets.
            "auth_type",
            "authMethod",
            "token_url",
            "password_policy",
            "secret_path",
            "token_ttl",
            "auth_enabled",
        ] {
            assert!(!r.is_secret_key(key), "{key} should not be secret");
        }
    }

    #[test]
    fn key_parts_split_separators_and_humps() {
        assert_eq!(key_parts("clientSecretKey"), ["client", "secret", "key"]);
        assert_eq!(key_parts("APIKey"), ["apikey"]);
        assert_eq!(key_parts("x-auth_token.v2"), ["x", "auth", "token", "v2"]);
        assert_eq!(key_parts("__"), Vec::<String>::new());
    }

    fn text(t: &str) -> String {
        rules().redact_text(t).unwrap_or_else(|| t.to_owned())
    }

    fn m(secret: &str) -> String {
        marker(&json!(secret))
    }

    proptest::proptest! {
        /// The one-pass shape finds exactly what searching for each substring finds.
        #[test]
        fn the_shape_of_a_text_is_what_its_substrings_say(text in "[a-z:/ \t\"'=]{0,24}") {
            let shape = Shape::of(text.as_bytes());
            proptest::prop_assert_eq!(shape, Shape {
                url: text.contains("://"),
                quoted: text.contains('"') || text.contains('\''),
                header: text.contains(": ") || text.contains(":\t"),
            });
        }
    }

    #[test]
    fn secrets_inside_text_are_redacted() {
        assert_eq!(
            text("postgres://soc:hunter2@db.example.com:5432/soc"),
            format!("postgres://soc:{}@db.example.com:5432/soc", m("hunter2"))
        );
        assert_eq!(
            text("https://x.blob.example.net/c/f?sv=2024&sig=AbC%2Bd&se=1"),
            format!(
                "https://x.blob.example.net/c/f?sv=2024&sig={}&se=1",
                m("AbC%2Bd")
            )
        );
        assert_eq!(
            text("https://s3.example.com/o?X-Amz-Credential=AK/x&X-Amz-Signature=f00d"),
            format!(
                "https://s3.example.com/o?X-Amz-Credential={}&X-Amz-Signature={}",
                m("AK/x"),
                m("f00d")
            )
        );
        assert_eq!(
            text("https://h/p?key=AIzaX&page=2"),
            format!("https://h/p?key={}&page=2", m("AIzaX"))
        );
        assert_eq!(
            text("curl -u admin --password=s3cr3t https://h"),
            format!("curl -u admin --password={} https://h", m("s3cr3t"))
        );
        assert_eq!(
            text("Authorization: Bearer eyJx.y\nAccept: */*"),
            format!("Authorization: {}\nAccept: */*", m("Bearer eyJx.y"))
        );
        assert_eq!(
            text("{\"h\": \"Authorization: Basic dXNlcjpw\", \"n\": 1"),
            format!(
                "{{\"h\": \"Authorization: {}\", \"n\": 1",
                m("Basic dXNlcjpw")
            )
        );
        assert_eq!(
            text("{\"token\": \"abc\\\"d\", \"n\": 1"),
            format!("{{\"token\": \"{}\", \"n\": 1", m("abc\\\"d"))
        );
        assert_eq!(
            text("{'password': 12345,"),
            format!("{{'password': {},", m("12345"))
        );
    }

    #[test]
    fn text_that_only_looks_similar_is_kept() {
        for t in [
            "ssh://git@github.com/org/repo",
            "https://host:8080/users/@me",
            "https://medium.com/@someone",
            "${x == 1} and ${token != null}",
            "sort by key=name",
            "bpmn2:sequenceFlow",
            "Note: the token rotates weekly",
            "token=${alert.token}",
            "token=",
            "{\"auth_type\": \"basic\"",
            "{\"auth\": true",
            "plain text",
        ] {
            assert_eq!(text(t), t);
        }
    }

    #[test]
    fn redacting_text_twice_changes_nothing() {
        for t in [
            "postgres://soc:hunter2@db/x",
            "https://h/p?sig=a&token=b#f",
            "Cookie: session=abc; token=xyz",
            "{\"password\": \"x\"",
            "a=1 password=p q=2",
        ] {
            let once = text(t);
            assert_ne!(once, t);
            assert_eq!(text(&once), once, "{t}");
        }
    }

    #[test]
    fn pairs_name_their_value_field() {
        let r = rules();
        let mut secret = |name: &str| r.is_secret_key(name);
        let pair = json!({"name": "Authorization", "value": "Bearer x"});
        assert_eq!(
            r.pair_values(pair.as_object().unwrap(), &mut secret),
            ["value"]
        );
        let pair = json!({"Key": "X-Api-Key", "Value": "k"});
        assert_eq!(
            r.pair_values(pair.as_object().unwrap(), &mut secret),
            ["Value"]
        );
        for kept in [
            json!({"name": "Password reset mail", "value": "v"}),
            json!({"name": "timeout", "value": 30}),
            json!({"name": "token"}),
        ] {
            assert!(
                r.pair_values(kept.as_object().unwrap(), &mut secret)
                    .is_empty(),
                "{kept}"
            );
        }
    }

    #[test]
    fn values_that_are_no_secret_stay() {
        for (value, kept) in [
            (json!(null), true),
            (json!(true), true),
            (json!(""), true),
            (json!("${vault.db_password}"), true),
            (json!("{{ secrets.token }}"), true),
            (json!("<redacted:0123abcd>"), true),
            (json!("x"), false),
            (json!(1234), false),
            (json!({"a": 1}), false),
        ] {
            let mut redacted = value.clone();
            redact(&mut redacted);
            assert_eq!(redacted == value, kept, "{value}");
        }
    }
}
