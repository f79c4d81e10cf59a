//! JSON-pointer patterns with wildcards, used by every profile rule that names a place in a document.
//!
//! A pattern is an RFC 6901 JSON pointer (`/versions/0/taskflow`, with `~0` for `~` and `~1` for `/`)
//! in which a segment that is exactly `*` matches any one segment (an object key or an array index)
//! and a segment that is exactly `**` matches any number of segments, including none. So
//! `/**/create_time` matches `/create_time` and `/versions/3/create_time`, and `/versions/*/id`
//! matches the `id` of every version but not the workflow's own `id`.
//!
//! Wildcards are whole segments only: `/create_*` is the literal key `create_*`. There is no way to
//! name a key that is literally `*` or `**`; no SecMaster field is called that.

use std::fmt;
use std::str::FromStr;

/// A parsed JSON-pointer pattern (see the [module docs](self) for the syntax).
///
/// ```
/// use soc_diff::PathPattern;
///
/// let pattern = PathPattern::parse("/versions/*/id")?;
/// assert!(pattern.matches(&["versions", "0", "id"]));
/// assert!(!pattern.matches(&["id"]));
/// assert!(PathPattern::parse("/**/create_time")?.matches(&["versions", "2", "create_time"]));
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
    Literal(String),
    /// `*`: exactly one segment.
    One,
    /// `**`: zero or more segments.
    Any,
}

/// Why a pattern could not be parsed; names the pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error(
        "pattern `{pattern}` must start with `/` (an RFC 6901 JSON pointer such as `/versions/*/id`)"
    )]
    NoLeadingSlash { pattern: String },
    #[error(
        "pattern `{pattern}` has a bad escape at byte {offset}: `~` must be followed by `0` (for `~`) or `1` (for `/`)"
    )]
    BadEscape { pattern: String, offset: usize },
}

impl PathPattern {
    /// Parses a pattern such as `/versions/*/id` or `/**/create_time`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PatternError::NoLeadingSlash {
                pattern: text.to_owned(),
            });
        };
        let mut segments = Vec::new();
        let mut offset = 1;
        for raw in rest.split('/') {
            let segment = match raw {
                "*" => Segment::One,
                "**" => Segment::Any,
                _ => Segment::Literal(unescape(raw).map_err(|at| PatternError::BadEscape {
                    pattern: text.to_owned(),
                    offset: offset + at,
                })?),
            };
            // Consecutive `**` mean the same as one and would only slow matching down.
            if !(segment == Segment::Any && segments.last() == Some(&Segment::Any)) {
                segments.push(segment);
            }
            offset += raw.len() + 1;
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

    /// The number of segments of every path the pattern matches, `None` when it has `**`.
    pub(crate) fn max_len(&self) -> Option<usize> {
        (!self.has_any).then_some(self.min_len)
    }

    /// Whether the pattern matches a whole path, given as unescaped pointer tokens
    /// (array indices as decimal strings).
    pub fn matches<S: AsRef<str>>(&self, path: &[S]) -> bool {
        // Classic wildcard matching with backtracking to the last `**` only: linear for one `**`,
        // never exponential (each `**` restart advances the resume point).
        let pat = &self.segments;
        // Profiles test every pattern at every node; rejecting by length and last key first keeps
        // that cheap (most patterns are short and end in a literal key).
        if path.len() < self.min_len || (!self.has_any && path.len() != self.min_len) {
            return false;
        }
        if let Some(Segment::Literal(last)) = pat.last() {
            if path.last().is_none_or(|x| x.as_ref() != last) {
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
                Some(Segment::One) => {
                    p += 1;
                    s += 1;
                }
                Some(Segment::Literal(lit)) if path.get(s).is_some_and(|x| x.as_ref() == lit) => {
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
}
