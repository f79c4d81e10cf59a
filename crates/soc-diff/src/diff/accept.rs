//! Accepted drift: `[[accept]]` rules and what they say about each difference.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::DiffError;
use crate::pattern::PathPattern;
use crate::report::Acceptance;

/// A known difference, reported as accepted instead of as drift (the CLI's `[[accept]]` table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRule {
    /// The workflow name, exactly, or a glob where `*` matches any run of characters.
    pub workflow: String,
    /// A path pattern (see [`PathPattern`]) of the changes to accept; `None` accepts every
    /// difference of the workflow, including it being added, removed or renamed.
    #[serde(default)]
    pub path: Option<String>,
    /// Why the difference is acceptable; shown next to every change it covers.
    pub reason: String,
    /// The last day (YYYY-MM-DD) the rule applies; afterwards the difference is drift again and the
    /// report says the acceptance expired.
    #[serde(default, deserialize_with = "date_string")]
    pub expires: Option<String>,
}

struct Rule<'a> {
    workflow: &'a str,
    path: Option<PathPattern>,
    acceptance: Acceptance,
    expired: bool,
}

pub(super) struct Rules<'a>(Vec<Rule<'a>>);

/// What the rules say about one difference.
pub(super) struct Verdict {
    /// The first unexpired matching rule's acceptance.
    pub(super) accepted: Option<Acceptance>,
    /// Notes for matching rules that expired (only when none accepted the difference).
    pub(super) expired: Vec<String>,
}

impl<'a> Rules<'a> {
    pub(super) fn compile(rules: &'a [AcceptRule], today: &str) -> Result<Self, DiffError> {
        let today_is_valid = is_date(today);
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            let path = match &rule.path {
                Some(path) => {
                    Some(
                        PathPattern::parse(path).map_err(|source| DiffError::AcceptPath {
                            workflow: rule.workflow.clone(),
                            path: path.clone(),
                            source,
                        })?,
                    )
                }
                None => None,
            };
            let expired = match &rule.expires {
                Some(expires) if !is_date(expires) => {
                    return Err(DiffError::AcceptExpires {
                        workflow: rule.workflow.clone(),
                        expires: expires.clone(),
                    });
                }
                Some(_) if !today_is_valid => {
                    return Err(DiffError::Today {
                        today: today.to_owned(),
                    });
                }
                // Both are YYYY-MM-DD, so text order is date order; the expiry day itself is included.
                Some(expires) => expires.as_str() < today,
                None => false,
            };
            compiled.push(Rule {
                workflow: &rule.workflow,
                path,
                acceptance: Acceptance {
                    reason: rule.reason.clone(),
                    expires: rule.expires.clone(),
                },
                expired,
            });
        }
        Ok(Self(compiled))
    }

    /// The verdict on a change at `segments` (or, for `None`, on the workflow as a whole: added,
    /// removed, renamed or binary) of a workflow known by any of `names`.
    pub(super) fn verdict(&self, names: &[&str], segments: Option<&[String]>) -> Verdict {
        let mut expired = Vec::new();
        for rule in &self.0 {
            if !names.iter().any(|name| glob_match(rule.workflow, name)) {
                continue;
            }
            let applies = match (&rule.path, segments) {
                (None, _) => true,
                (Some(pattern), Some(segments)) => pattern.matches(segments),
                (Some(_), None) => false,
            };
            if !applies {
                continue;
            }
            if !rule.expired {
                return Verdict {
                    accepted: Some(rule.acceptance.clone()),
                    expired: Vec::new(),
                };
            }
            expired.push(format!(
                "acceptance expired on {}: {}",
                rule.acceptance.expires.as_deref().unwrap_or_default(),
                rule.acceptance.reason
            ));
        }
        Verdict {
            accepted: None,
            expired,
        }
    }
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .filter(|b| b.iter().all(u8::is_ascii_digit))
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.parse::<u32>().ok())
    };
    bytes.len() == 10
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && digits(0..4).is_some()
        && digits(5..7).is_some_and(|m| (1..=12).contains(&m))
        && digits(8..10).is_some_and(|d| (1..=31).contains(&d))
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters (including none).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic two-pointer wildcard match: on a mismatch, let the last `*` swallow one more char.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if Some(&c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Accepts `"2026-12-31"` and also a TOML date (`expires = 2026-12-31`), which the `toml` crate
/// hands to serde as a one-entry map holding the date's text.
fn date_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum DateRepr {
        Text(String),
        Toml(BTreeMap<String, String>),
    }
    match Option::<DateRepr>::deserialize(deserializer)? {
        None => Ok(None),
        Some(DateRepr::Text(text)) => Ok(Some(text)),
        Some(DateRepr::Toml(map)) => match map.into_values().next() {
            Some(text) if !text.is_empty() => Ok(Some(text)),
            _ => Err(serde::de::Error::custom(
                "expected a date such as 2026-12-31",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{DiffError, DiffOptions, diff};
    use super::*;
    use crate::profile::Profile;
    use serde_json::json;

    fn rule(workflow: &str, path: Option<&str>, expires: Option<&str>) -> AcceptRule {
        AcceptRule {
            workflow: workflow.into(),
            path: path.map(str::to_owned),
            reason: format!("reason for {workflow}"),
            expires: expires.map(str::to_owned),
        }
    }

    #[test]
    fn accepted_changes_do_not_count_as_drift_until_they_expire() {
        let left = vec![doc("wf", json!({"name": "wf", "a": 1, "b": 1}))];
        let right = vec![doc("wf", json!({"name": "wf", "a": 2, "b": 2}))];

        let mut opts = options();
        opts.accept = vec![rule("w*", Some("/a"), Some("2026-06-01"))];
        let report = run(left.clone(), right.clone(), &opts);
        let wf = &report.workflows[0];
        assert!(wf.drift, "b is not accepted");
        assert_eq!(
            wf.changes[0].accepted,
            Some(Acceptance {
                reason: "reason for w*".into(),
                expires: Some("2026-06-01".into())
            })
        );
        assert_eq!(wf.changes[1].accepted, None);

        opts.accept.push(rule("wf", Some("/b"), None));
        let report = run(left.clone(), right.clone(), &opts);
        assert!(!report.has_drift());
        assert_eq!(report.summary.accepted, 1);

        opts.today = "2026-06-02".into();
        let report = run(left, right, &opts);
        let wf = &report.workflows[0];
        assert!(wf.drift);
        assert_eq!(wf.changes[0].accepted, None);
        assert_eq!(
            wf.notes,
            ["acceptance expired on 2026-06-01: reason for w*"]
        );
    }

    #[test]
    fn whole_workflow_rules_accept_added_removed_and_renamed() {
        let mut opts = options();
        opts.accept = vec![
            rule("fresh", None, None),
            rule("old name", None, None),
            rule("gone", Some("/v"), None),
        ];
        let left = vec![
            doc("old name", json!({"name": "old name", "v": 7})),
            doc("gone", json!({"name": "gone", "v": 8})),
        ];
        let right = vec![
            doc("new name", json!({"name": "new name", "v": 7})),
            doc("fresh", json!({"name": "fresh", "v": 9})),
        ];
        let report = run(left, right, &opts);
        let drift: Vec<_> = report
            .workflows
            .iter()
            .map(|w| (w.name.as_str(), w.drift))
            .collect();
        // A path rule does not accept a workflow's disappearance.
        assert_eq!(
            drift,
            [("fresh", false), ("gone", true), ("new name", false)]
        );
        assert_eq!(report.summary.accepted, 2);
    }

    #[test]
    fn bad_rules_are_typed_errors() {
        let profile = Profile::secmaster();
        let try_rules = |rules: Vec<AcceptRule>, today: &str| {
            let opts = DiffOptions {
                accept: rules,
                today: today.into(),
                ..options()
            };
            diff(Vec::new(), Vec::new(), &profile, &opts)
        };
        assert!(matches!(
            try_rules(vec![rule("w", None, Some("2026-13-01"))], "2026-01-01"),
            Err(DiffError::AcceptExpires { .. })
        ));
        assert!(matches!(
            try_rules(vec![rule("w", None, Some("2026-12-01"))], ""),
            Err(DiffError::Today { .. })
        ));
        assert!(try_rules(vec![rule("w", None, None)], "").is_ok());
        assert!(matches!(
            try_rules(
                vec![rule("w", Some("no-leading-slash"), None)],
                "2026-01-01"
            ),
            Err(DiffError::AcceptPath { .. })
        ));
    }

    #[test]
    fn globs_and_dates() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("Block *", "Block malicious source IP"));
        assert!(glob_match("*IP", "Block malicious source IP"));
        assert!(glob_match("a*b*c", "a-x-b-y-b-c"));
        assert!(!glob_match("a*b*c", "a-x-c-b"));
        assert!(!glob_match("exact", "exactly"));
        assert!(glob_match("", ""));
        assert!(is_date("2026-02-28"));
        for bad in [
            "2026-2-28",
            "2026-00-01",
            "2026-01-32",
            "20260101",
            "2026-01-01x",
            "２０２６-01-01",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }

    #[test]
    fn rules_deserialize_from_toml_like_dates() {
        let from_text: AcceptRule = serde_json::from_value(
            json!({"workflow": "w", "reason": "r", "expires": "2026-01-01"}),
        )
        .unwrap();
        let from_toml_date: AcceptRule = serde_json::from_value(json!({
            "workflow": "w", "reason": "r",
            "expires": {"$__toml_private_datetime": "2026-01-01"}
        }))
        .unwrap();
        assert_eq!(from_text, from_toml_date);
        assert_eq!(from_text.path, None);
        assert!(
            serde_json::from_value::<AcceptRule>(
                json!({"workflow": "w", "reason": "r", "typo": 1})
            )
            .is_err()
        );
    }
}
