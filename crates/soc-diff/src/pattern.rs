//! Path patterns with wildcards, used by every rule that names a place in a document: ignore and
//! array rules, `[[accept]]` rules.
//!
//! A pattern is written like an [address](crate::address): `/versions[@active]/taskconfig/timeout`,
//! `/**/serviceTask[*]/soar:timeout`. A segment that is exactly `*` matches any one step (a key,
//! an identity or a position) and `**` any number of steps, including none; `[*]` matches any one
//! identity or position. So `/**/create_time` matches `/create_time` and
//! `/versions[v1.0.0]/create_time`, and `/versions/*/id` matches the `id` of every version but not
//! the workflow's own `id`.
//!
//! Every RFC 6901 JSON pointer is a pattern too (`/versions/0/taskflow`, with `~0` for `~` and `~1`
//! for `/`), and a pattern is also matched against the JSON pointer of a place: rules written
//! before addresses existed keep matching where they did. Keys holding `/`, `[`, `]`, `"`, `\` or
//! `~` are written as JSON strings (`/"a/b"`); `/"*"` is the key `*` itself.
//!
//! Wildcards are whole segments only: `/create_*` is the literal key `create_*`.

use std::fmt;
use std::str::FromStr;

use crate::address::{ACTIVE, Step};

/// A parsed path pattern (see the [module docs](self) for the syntax).
///
/// ```
/// use soc_diff::PathPattern;
///
/// let pattern = PathPattern::parse("/versions/*/id")?;
/// assert!(pattern.matches(&["versions", "0", "id"]));
/// assert!(!pattern.matches(&["id"]));
/// assert!(PathPattern::parse("/**/create_time")?.matches(&["versions", "2", "create_time"]));
/// let address = PathPattern::parse("/versions[@active]/taskflow/serviceTask[*]/soar:timeout")?;
/// assert_eq!(address.as_str(), "/versions[@active]/taskflow/serviceTask[*]/soar:timeout");
/// # Ok::<(), soc_diff::PatternError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathPattern {
    text: String,
    segments: Vec<Segment>,
    /// Segments a matching path has at least (those that are not `**`).
    min_len: usize,
    /// Without `**`, a matching path has exactly `min_len` segments.
    has_any: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    /// A key (or, against a JSON pointer or an address position, an index written in decimal).
    Literal(String),
    /// `[identity]`: an array item by identity.
    Item(String),
    /// `[@active]`: the active version.
    Active,
    /// `*`: exactly one step.
    One,
    /// `[*]`: exactly one identity or position.
    AnyItem,
    /// `**`: zero or more steps.
    Any,
}

/// Why a pattern could not be parsed; names the pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "pattern `{pattern}` must start with `/` (an address such as `/versions/*/taskconfig/timeout`)"
    )]
    NoLeadingSlash { pattern: String },
    #[error(
        "pattern `{pattern}` has a bad escape at byte {offset}: `~` must be followed by `0` (for `~`) or `1` (for `/`)"
    )]
    BadEscape { pattern: String, offset: usize },
    #[error(
        "pattern `{pattern}` has an unclosed `[` or `\"` at byte {offset}; write a name holding `[`, `]`, `/` or `\"` as a JSON string, e.g. `serviceTask[\"a/b\"]`"
    )]
    Unclosed { pattern: String, offset: usize },
    #[error(
        "pattern `{pattern}` has an unexpected {found:?} at byte {offset}; a segment is a key or a JSON string, then any number of `[identity]`"
    )]
    Unexpected {
        pattern: String,
        offset: usize,
        found: char,
    },
    #[error(
        "pattern `{pattern}` has the selector `[{selector}]`, which means nothing; `[@active]` is the active version, and an identity that starts with `@` is written as a JSON string (`[\"{selector}\"]`)"
    )]
    UnknownSelector { pattern: String, selector: String },
}

/// A step of a place, as a pattern sees it: a JSON pointer token, or an address step.
pub(crate) trait PathStep {
    /// Whether the literal segment `literal` matches; `positions`: whether a literal may match a
    /// position in an ordered list.
    fn matches_literal(&self, literal: &str, positions: bool) -> bool;
    fn matches_item(&self, id: &str) -> bool;
    fn is_active(&self) -> bool;
    fn is_item(&self) -> bool;
}

impl<S: AsRef<str>> PathStep for S {
    fn matches_literal(&self, literal: &str, _: bool) -> bool {
        self.as_ref() == literal
    }
    fn matches_item(&self, _: &str) -> bool {
        false
    }
    fn is_active(&self) -> bool {
        false
    }
    fn is_item(&self) -> bool {
        false
    }
}

impl PathStep for Step {
    fn matches_literal(&self, literal: &str, positions: bool) -> bool {
        match self {
            Step::Key(key) => key == literal,
            Step::Index(index) => positions && literal.parse() == Ok(*index),
            Step::Item(_) | Step::Active => false,
        }
    }
    fn matches_item(&self, id: &str) -> bool {
        matches!(self, Step::Item(item) if item == id)
    }
    fn is_active(&self) -> bool {
        *self == Step::Active
    }
    fn is_item(&self) -> bool {
        !matches!(self, Step::Key(_))
    }
}

impl Segment {
    fn matches(&self, step: &impl PathStep, positions: bool) -> bool {
        match self {
            Segment::Literal(literal) => step.matches_literal(literal, positions),
            Segment::Item(id) => step.matches_item(id),
            Segment::Active => step.is_active(),
            Segment::One => true,
            Segment::AnyItem => step.is_item(),
            Segment::Any => false,
        }
    }
}

impl PathPattern {
    /// Parses a pattern such as `/versions/*/id`, `/**/create_time` or
    /// `/versions[@active]/taskflow/serviceTask[Activity_1]/soar:timeout`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        if !text.starts_with('/') {
            return Err(PatternError::NoLeadingSlash {
                pattern: text.to_owned(),
            });
        }
        let mut segments = Vec::new();
        for segment in Parser::new(text).segments()? {
            // Consecutive `**` mean the same as one and would only slow matching down.
            if !(segment == Segment::Any && segments.last() == Some(&Segment::Any)) {
                segments.push(segment);
            }
        }
        let min_len = segments.iter().filter(|s| **s != Segment::Any).count();
        let has_any = segments.len() != min_len;
        Ok(Self {
            text: text.to_owned(),
            segments,
            min_len,
            has_any,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern names array items by identity (`[…]`), which only addresses have.
    pub fn has_selectors(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Item(_) | Segment::Active | Segment::AnyItem))
    }

    /// The number of segments of every path the pattern matches, `None` when it has `**`.
    pub(crate) fn max_len(&self) -> Option<usize> {
        (!self.has_any).then_some(self.min_len)
    }

    /// Whether the pattern matches a whole JSON pointer, given as unescaped tokens (array indices
    /// as decimal strings).
    pub fn matches<S: AsRef<str>>(&self, path: &[S]) -> bool {
        self.matches_steps(path, true)
    }

    /// Whether the pattern matches a whole [address](crate::address::Address).
    pub fn matches_address(&self, address: &crate::address::Address) -> bool {
        self.matches_steps(address.steps(), true)
    }

    /// [`matches_address`](Self::matches_address), except that a literal position (`/list/1`)
    /// matches no position: ignore rules apply positions to the export as read, once.
    pub(crate) fn matches_identities(&self, address: &crate::address::Address) -> bool {
        self.matches_steps(address.steps(), false)
    }

    fn matches_steps<T: PathStep>(&self, path: &[T], positions: bool) -> bool {
        // Classic wildcard matching with backtracking to the last `**` only: linear for one `**`,
        // never exponential (each `**` restart advances the resume point).
        let pat = &self.segments;
        // Profiles test every pattern at every node; rejecting by length and last step first keeps
        // that cheap (most patterns are short and end in a literal key).
        if path.len() < self.min_len || (!self.has_any && path.len() != self.min_len) {
            return false;
        }
        if let Some(last @ (Segment::Literal(_) | Segment::Item(_))) = pat.last() {
            if path
                .last()
                .is_none_or(|step| !last.matches(step, positions))
            {
                return false;
            }
        }
        let (mut p, mut s) = (0, 0);
        let mut resume: Option<(usize, usize)> = None;
        while s < path.len() {
            match pat.get(p) {
                Some(Segment::Any) => {
                    resume = Some((p, s));
                    p += 1;
                }
                Some(segment)
                    if path
                        .get(s)
                        .is_some_and(|step| segment.matches(step, positions)) =>
                {
                    p += 1;
                    s += 1;
                }
                _ => match resume {
                    Some((rp, rs)) => {
                        resume = Some((rp, rs + 1));
                        p = rp + 1;
                        s = rs + 1;
                    }
                    None => return false,
                },
            }
        }
        pat.get(p..)
            .is_some_and(|tail| tail.iter().all(|seg| *seg == Segment::Any))
    }
}

/// Reads a pattern's text (which starts with `/`) into segments.
struct Parser<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Self { text, at: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.text
            .get(self.at..)
            .and_then(|rest| rest.chars().next())
    }

    fn error_unexpected(&self, found: char) -> PatternError {
        PatternError::Unexpected {
            pattern: self.text.to_owned(),
            offset: self.at,
            found,
        }
    }

    fn segments(mut self) -> Result<Vec<Segment>, PatternError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if c != '/' {
                return Err(self.error_unexpected(c));
            }
            self.at += 1;
            match self.peek() {
                // `/[id]`: an identity with no key before it.
                Some('[') => {}
                Some('"') => out.push(Segment::Literal(self.quoted()?)),
                _ => {
                    let start = self.at;
                    let bare = self.bare(|c| c == '/' || c == '[' || c == ']' || c == '"');
                    out.push(match bare {
                        "*" => Segment::One,
                        "**" => Segment::Any,
                        _ => Segment::Literal(unescape(bare).map_err(|at| {
                            PatternError::BadEscape {
                                pattern: self.text.to_owned(),
                                offset: start + at,
                            }
                        })?),
                    });
                }
            }
            while self.peek() == Some('[') {
                out.push(self.selector()?);
            }
        }
        Ok(out)
    }

    /// Text up to (not including) the first character `stop` accepts, or the end.
    fn bare(&mut self, stop: impl Fn(char) -> bool) -> &'t str {
        let rest = self.text.get(self.at..).unwrap_or_default();
        let len = rest.find(stop).unwrap_or(rest.len());
        self.at += len;
        rest.get(..len).unwrap_or_default()
    }

    /// A JSON string starting at the current `"`.
    fn quoted(&mut self) -> Result<String, PatternError> {
        let start = self.at;
        let rest = self.text.get(start..).unwrap_or_default();
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        match stream.next() {
            Some(Ok(text)) => {
                self.at = start + stream.byte_offset();
                Ok(text)
            }
            _ => Err(PatternError::Unclosed {
                pattern: self.text.to_owned(),
                offset: start,
            }),
        }
    }

    /// `[identity]`, `["identity"]`, `[*]` or `[@active]`, starting at the current `[`.
    fn selector(&mut self) -> Result<Segment, PatternError> {
        let open = self.at;
        self.at += 1;
        let segment = if self.peek() == Some('"') {
            Segment::Item(self.quoted()?)
        } else {
            let bare = self.bare(|c| matches!(c, '[' | ']' | '"' | '/' | '\\'));
            match bare {
                "*" => Segment::AnyItem,
                ACTIVE => Segment::Active,
                _ if bare.starts_with('@') => {
                    return Err(PatternError::UnknownSelector {
                        pattern: self.text.to_owned(),
                        selector: bare.to_owned(),
                    });
                }
                _ => Segment::Item(bare.to_owned()),
            }
        };
        match self.peek() {
            Some(']') => {
                self.at += 1;
                Ok(segment)
            }
            None => Err(PatternError::Unclosed {
                pattern: self.text.to_owned(),
                offset: open,
            }),
            Some(c) => Err(self.error_unexpected(c)),
        }
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for PathPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Decodes `~0` and `~1`; on a bad escape returns the byte offset of the `~` within `raw`.
fn unescape(raw: &str) -> Result<String, usize> {
    if !raw.contains('~') {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some((_, '0')) => out.push('~'),
                Some((_, '1')) => out.push('/'),
                _ => return Err(at),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Escapes one token for a JSON pointer (`~` as `~0`, `/` as `~1`).
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

/// Formats unescaped tokens as a JSON pointer (`""` for the root).
pub fn pointer<S: AsRef<str>>(path: &[S]) -> String {
    let mut out = String::new();
    for token in path {
        out.push('/');
        out.push_str(&escape_token(token.as_ref()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy as _;

    fn path(p: &str) -> Vec<String> {
        if p.is_empty() {
            return Vec::new();
        }
        p.trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect()
    }

    fn m(pattern: &str, p: &str) -> bool {
        PathPattern::parse(pattern).unwrap().matches(&path(p))
    }

    #[test]
    fn literal_patterns_match_exactly() {
        assert!(m("/id", "/id"));
        assert!(!m("/id", "/versions/0/id"));
        assert!(!m("/id", "/i"));
        assert!(!m("/versions/0", "/versions"));
        assert!(!m("/versions", "/versions/0"));
    }

    #[test]
    fn star_matches_one_segment() {
        assert!(m("/versions/*/id", "/versions/0/id"));
        assert!(m("/versions/*/id", "/versions/17/id"));
        assert!(!m("/versions/*/id", "/versions/id"));
        assert!(!m("/versions/*/id", "/versions/0/1/id"));
        assert!(!m("/versions/*/id", "/id"));
    }

    #[test]
    fn double_star_matches_any_depth_including_none() {
        assert!(m("/**/create_time", "/create_time"));
        assert!(m("/**/create_time", "/versions/3/create_time"));
        assert!(!m("/**/create_time", "/versions/3/create_time/x"));
        assert!(m("/versions/**", "/versions"));
        assert!(m("/versions/**", "/versions/1/a/b"));
        assert!(m("/**", ""));
        assert!(m("/**/elements", "/versions/0/taskflow/workflow/elements"));
        assert!(m("/a/**/b/**/c", "/a/x/b/y/z/c"));
        assert!(m("/a/**/b/**/c", "/a/b/c"));
        assert!(!m("/a/**/b/**/c", "/a/c/b"));
        assert!(m("/**/b/*", "/a/b/b/c"));
        assert!(m("/a/**/**/b", "/a/b"));
    }

    #[test]
    fn escapes_follow_rfc_6901() {
        // The tokens are unescaped: the pattern `/a~1b` names the key `a/b`, not `a~1b`.
        assert!(!m("/a~1b", "/a~1b"));
        let p = PathPattern::parse("/a~1b/c~0d/~01").unwrap();
        assert!(p.matches(&["a/b", "c~d", "~1"]));
        assert_eq!(p.as_str(), "/a~1b/c~0d/~01");
        assert_eq!(p.to_string(), "/a~1b/c~0d/~01");
    }

    #[test]
    fn malformed_patterns_are_errors_naming_the_pattern() {
        let err = PathPattern::parse("versions/*/id").unwrap_err();
        assert_eq!(
            err,
            PatternError::NoLeadingSlash {
                pattern: "versions/*/id".into()
            }
        );
        assert!(err.to_string().contains("`versions/*/id`"));
        let err = PathPattern::parse("/ab/c~2").unwrap_err();
        assert_eq!(
            err,
            PatternError::BadEscape {
                pattern: "/ab/c~2".into(),
                offset: 5
            }
        );
        assert!(matches!(
            PathPattern::parse("/x~"),
            Err(PatternError::BadEscape { offset: 2, .. })
        ));
        assert!(matches!(
            PathPattern::parse(""),
            Err(PatternError::NoLeadingSlash { .. })
        ));
        assert!("/ok".parse::<PathPattern>().is_ok());
    }

    #[test]
    fn root_and_empty_segments() {
        // "/" is the pointer to the key "" (RFC 6901), not the root.
        assert!(m("/", "/"));
        assert!(PathPattern::parse("/").unwrap().matches(&[""]));
        assert!(!PathPattern::parse("/").unwrap().matches::<&str>(&[]));
    }

    #[test]
    fn pointer_round_trips_tokens() {
        assert_eq!(
            pointer(&["versions", "0", "a/b", "c~d"]),
            "/versions/0/a~1b/c~0d"
        );
        assert_eq!(pointer::<&str>(&[]), "");
        let tokens = ["a/b", "~", "*x"];
        assert!(
            PathPattern::parse(&pointer(&tokens))
                .unwrap()
                .matches(&tokens)
        );
    }

    #[test]
    fn many_double_stars_stay_fast() {
        let pattern = format!("{}/z", "/**/a".repeat(20));
        let p = PathPattern::parse(&pattern).unwrap();
        let long: Vec<String> = (0..200).map(|_| "a".to_owned()).collect();
        assert!(!p.matches(&long));
    }

    fn addr(steps: Vec<Step>) -> crate::address::Address {
        crate::address::Address::from(steps)
    }

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    #[test]
    fn address_patterns_match_identities() {
        let change = addr(vec![
            key("versions"),
            Step::Active,
            key("taskflow"),
            key("serviceTask"),
            Step::Item("Activity_1".into()),
            key("soar:params"),
            key("duration"),
        ]);
        let m = |pattern: &str| {
            PathPattern::parse(pattern)
                .unwrap()
                .matches_address(&change)
        };
        assert!(m(
            "/versions[@active]/taskflow/serviceTask[Activity_1]/soar:params/duration"
        ));
        assert!(m("/versions/*/taskflow/serviceTask/*/soar:params/duration"));
        assert!(m("/versions[*]/taskflow/*[Activity_1]/**"));
        assert!(m("/**/serviceTask[*]/soar:params/*"));
        assert!(m("/**/soar:params/duration"));
        assert!(!m("/versions[v1.0.0]/**"));
        assert!(!m("/versions[\"@active\"]/**"));
        assert!(!m("/versions/0/**"), "a position is not an identity");
        assert!(!m("/**/serviceTask[Activity_2]/**"));
        let positional = addr(vec![key("list"), Step::Index(2)]);
        assert!(
            PathPattern::parse("/list/2")
                .unwrap()
                .matches_address(&positional)
        );
        assert!(
            PathPattern::parse("/list[*]")
                .unwrap()
                .matches_address(&positional)
        );
        assert!(
            !PathPattern::parse("/list[2]")
                .unwrap()
                .matches_address(&positional)
        );
        // A JSON pointer never holds an identity.
        assert!(
            !PathPattern::parse("/list[*]")
                .unwrap()
                .matches(&["list", "2"])
        );
    }

    #[test]
    fn quoted_names_hold_anything() {
        let weird = addr(vec![
            key("a/b"),
            key("*"),
            Step::Item("x]\"[y".into()),
            key(""),
        ]);
        let text = weird.to_string();
        assert_eq!(text, r#"/"a/b"/"*"["x]\"[y"]/"""#);
        let pattern = PathPattern::parse(&text).unwrap();
        assert!(pattern.matches_address(&weird));
        assert!(!pattern.matches_address(&addr(vec![
            key("a/b"),
            key("other"),
            Step::Item("x]\"[y".into()),
            key("")
        ])));
    }

    #[test]
    fn malformed_address_patterns_say_where() {
        let err = |p: &str| PathPattern::parse(p).unwrap_err();
        assert!(matches!(
            err("/a[b"),
            PatternError::Unclosed { offset: 2, .. }
        ));
        assert!(matches!(
            err("/a[\"b]"),
            PatternError::Unclosed { offset: 3, .. }
        ));
        assert!(matches!(
            err("/a[b]c"),
            PatternError::Unexpected {
                found: 'c',
                offset: 5,
                ..
            }
        ));
        assert!(matches!(
            err("/a]"),
            PatternError::Unexpected { found: ']', .. }
        ));
        let unknown = err("/versions[@latest]");
        assert!(
            matches!(&unknown, PatternError::UnknownSelector { selector, .. } if selector == "@latest")
        );
        assert!(unknown.to_string().contains("[\"@latest\"]"), "{unknown}");
    }

    proptest::proptest! {
        #[test]
        fn every_printed_address_reads_back_as_a_pattern_that_matches_it_alone(
            steps in proptest::collection::vec(
                proptest::prop_oneof![
                    "[ -~]{0,6}".prop_map(Step::Key),
                    "[ -~\u{e9}\n]{0,6}".prop_map(Step::Item),
                    proptest::strategy::Just(Step::Active),
                    (0usize..20).prop_map(Step::Index),
                ],
                0..6,
            ),
            other in "[a-z]{1,3}",
        ) {
            let address = addr(steps.clone());
            let pattern = PathPattern::parse(&format!("/x{address}"));
            let pattern = pattern.unwrap();
            let mut with_prefix = vec![key("x")];
            with_prefix.extend(steps.clone());
            proptest::prop_assert!(pattern.matches_address(&addr(with_prefix.clone())), "{}", pattern);
            // Changing any one step makes it another place.
            for i in 1..with_prefix.len() {
                let mut changed = with_prefix.clone();
                changed[i] = match &changed[i] {
                    Step::Key(k) => Step::Key(format!("{k}{other}")),
                    Step::Item(k) => Step::Item(format!("{k}{other}")),
                    Step::Active => Step::Item("@active".into()),
                    Step::Index(n) => Step::Index(n + 1),
                };
                proptest::prop_assert!(!pattern.matches_address(&addr(changed)), "{}", pattern);
            }
        }
    }
}
