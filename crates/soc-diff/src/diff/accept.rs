//! Accepted drift: `[[accept]]` rules and what they say about each difference.
//!
//! An [`AcceptRule`] is checked when it is built (a glob, a valid path pattern, a non-empty reason,
//! a real calendar date), so the differ only ever asks it questions.

use chrono::NaiveDate;

use crate::report::Acceptance;
use soc_normalize::Kind;
use soc_normalize::address::Address;
use soc_normalize::pattern::{PathPattern, PatternError};

/// The format of expiry dates, in rules and in reports.
const DATE_FORMAT: &str = "%Y-%m-%d";

/// A known difference, reported as accepted instead of as drift (the CLI's `[[accept]]` table).
///
/// ```
/// use soc_diff::AcceptRule;
///
/// let rule = AcceptRule::new("Block *", "production blocks for one hour (SOC-142)")?
///     .with_path("/**/soar:params/duration")?
///     .with_expires("2026-12-31")?;
/// assert_eq!(rule.expires().map(|d| d.to_string()).as_deref(), Some("2026-12-31"));
/// assert!(AcceptRule::new("w", "r")?.with_expires("2026-02-31").is_err());
/// # Ok::<(), soc_diff::AcceptRuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptRule {
    kind: Kind,
    workflow: String,
    path: Option<PathPattern>,
    reason: String,
    expires: Option<NaiveDate>,
}

/// Why an accept rule cannot be used; [`field`](Self::field) says which of its fields is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcceptRuleError {
    /// The workflow glob is empty or blank.
    #[error("accept rule has an empty workflow")]
    EmptyWorkflow,
    /// The reason is empty or blank: reviewers could not judge the rule.
    #[error("accept rule for workflow {workflow:?} has an empty reason")]
    EmptyReason {
        /// The rule's workflow (or playbook) glob.
        workflow: String,
    },
    /// The path is not a valid pattern.
    #[error("accept rule for workflow {workflow:?} has an invalid path {path:?}")]
    Path {
        /// The rule's workflow (or playbook) glob.
        workflow: String,
        /// The path as written.
        path: String,
        /// What is wrong with it.
        #[source]
        source: PatternError,
    },
    /// The expiry is not a calendar date written YYYY-MM-DD (`2026-02-31` is not one).
    #[error(
        "accept rule for workflow {workflow:?} expires on {expires:?}, which is not a YYYY-MM-DD date"
    )]
    Expires {
        /// The rule's workflow (or playbook) glob.
        workflow: String,
        /// The expiry as written.
        expires: String,
    },
}

impl AcceptRuleError {
    /// The rule field the error is about: `workflow`, `reason`, `path` or `expires`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::EmptyWorkflow => "workflow",
            Self::EmptyReason { .. } => "reason",
            Self::Path { .. } => "path",
            Self::Expires { .. } => "expires",
        }
    }
}

impl AcceptRule {
    /// A rule accepting every difference of the workflows `workflow` names (exactly, or as a glob
    /// where `*` matches any run of characters), including their being added, removed or renamed.
    pub fn new(
        workflow: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<Self, AcceptRuleError> {
        let (workflow, reason) = (workflow.into(), reason.into());
        if workflow.trim().is_empty() {
            return Err(AcceptRuleError::EmptyWorkflow);
        }
        if reason.trim().is_empty() {
            return Err(AcceptRuleError::EmptyReason { workflow });
        }
        Ok(Self {
            kind: Kind::Workflow,
            workflow,
            path: None,
            reason,
            expires: None,
        })
    }

    /// Makes the rule about documents of `kind`: its name then names a playbook, say, and the
    /// rule accepts nothing of a workflow of that name.
    #[must_use]
    pub fn for_kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// The kind of document the rule is about (workflows unless [`for_kind`](Self::for_kind)).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Narrows the rule to the changes whose path matches `pattern` (see [`PathPattern`]); such a
    /// rule no longer accepts a workflow being added, removed or renamed.
    pub fn with_path(mut self, pattern: &str) -> Result<Self, AcceptRuleError> {
        let path = PathPattern::parse(pattern).map_err(|source| AcceptRuleError::Path {
            workflow: self.workflow.clone(),
            path: pattern.to_owned(),
            source,
        })?;
        self.path = Some(path);
        Ok(self)
    }

    /// The last day the rule applies, written YYYY-MM-DD; afterwards the difference is drift again
    /// and the report says the acceptance expired.
    pub fn with_expires(self, date: &str) -> Result<Self, AcceptRuleError> {
        // chrono alone accepts `2026-1-5` and `+2026-01-05`; a rule's date is written one way.
        let well_formed = date.len() == 10 && date.bytes().all(|b| b.is_ascii_digit() || b == b'-');
        match NaiveDate::parse_from_str(date, DATE_FORMAT) {
            Ok(day) if well_formed => Ok(self.expiring(day)),
            _ => Err(AcceptRuleError::Expires {
                workflow: self.workflow,
                expires: date.to_owned(),
            }),
        }
    }

    /// [`with_expires`](Self::with_expires) for a date already parsed.
    #[must_use]
    pub(crate) fn expiring(mut self, day: NaiveDate) -> Self {
        self.expires = Some(day);
        self
    }

    /// The workflow name or glob.
    pub fn workflow(&self) -> &str {
        &self.workflow
    }

    /// The path pattern, `None` when the rule covers the whole workflow.
    pub fn path(&self) -> Option<&PathPattern> {
        self.path.as_ref()
    }

    /// Why the difference is acceptable.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The last day the rule applies.
    pub fn expires(&self) -> Option<NaiveDate> {
        self.expires
    }

    /// What the report says about a difference this rule accepts.
    fn acceptance(&self) -> Acceptance {
        Acceptance {
            reason: self.reason.clone(),
            expires: self.expires.map(|day| day.format(DATE_FORMAT).to_string()),
        }
    }
}

/// The rules of one run, with their expiry settled against the run's date.
pub(super) struct Rules<'a>(Vec<(&'a AcceptRule, bool)>);

/// What the rules say about one difference.
pub(super) struct Verdict {
    /// The first unexpired matching rule's acceptance.
    pub(super) accepted: Option<Acceptance>,
    /// Notes for the reader: rules that matched but expired (when none accepted the difference),
    /// or a rule that matched by array position only.
    pub(super) expired: Vec<String>,
}

impl<'a> Rules<'a> {
    /// The rules as they stand on `today`: a rule applies up to and including its expiry day.
    pub(super) fn new(rules: &'a [AcceptRule], today: NaiveDate) -> Self {
        Self(
            rules
                .iter()
                .map(|rule| (rule, rule.expires.is_some_and(|day| day < today)))
                .collect(),
        )
    }

    /// The verdict on a change at `place` (its address and JSON pointer tokens), or, for `None`,
    /// on the workflow as a whole (added, removed, renamed or binary), of a workflow known by any
    /// of `names`.
    ///
    /// A rule's path is matched against the address first. Rules written before addresses
    /// existed name places by JSON pointer, with array positions; they still match the pointer,
    /// and the verdict then carries a note with the address to write instead, because positions
    /// move when unrelated nodes are added or removed.
    pub(super) fn verdict(&self, names: &[&str], place: Option<(&Address, &[String])>) -> Verdict {
        let mut expired = Vec::new();
        for &(rule, is_expired) in &self.0 {
            if !names.iter().any(|name| glob_match(&rule.workflow, name)) {
                continue;
            }
            let mut legacy = None;
            let applies = match (&rule.path, place) {
                (None, _) => true,
                (Some(pattern), Some((address, pointer))) => {
                    if pattern.matches_address(address) {
                        true
                    } else if pattern.matches(pointer) {
                        legacy = Some(legacy_note(rule, pattern, address));
                        true
                    } else {
                        false
                    }
                }
                (Some(_), None) => false,
            };
            if !applies {
                continue;
            }
            let acceptance = rule.acceptance();
            if !is_expired {
                return Verdict {
                    accepted: Some(acceptance),
                    expired: legacy.into_iter().collect(),
                };
            }
            expired.push(format!(
                "acceptance expired on {}: {}",
                acceptance.expires.as_deref().unwrap_or_default(),
                acceptance.reason
            ));
        }
        Verdict {
            accepted: None,
            expired,
        }
    }
}

/// What the report says when a rule matched a change by JSON pointer only.
fn legacy_note(rule: &AcceptRule, pattern: &PathPattern, address: &Address) -> String {
    format!(
        "the [[accept]] rule for {:?} matched `{}` by JSON pointer, whose array positions move \
         when unrelated nodes are added or removed; write `path = {:?}` instead",
        rule.workflow,
        pattern.as_str(),
        address.to_string()
    )
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use serde_json::json;

    fn rule(workflow: &str, path: Option<&str>, expires: Option<&str>) -> AcceptRule {
        let mut rule = AcceptRule::new(workflow, format!("reason for {workflow}")).unwrap();
        if let Some(path) = path {
            rule = rule.with_path(path).unwrap();
        }
        if let Some(expires) = expires {
            rule = rule.with_expires(expires).unwrap();
        }
        rule
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
        assert_eq!(report.summary.total.accepted, 1);

        opts.today = day("2026-06-02");
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
        assert_eq!(report.summary.total.accepted, 2);
    }

    #[test]
    fn bad_rules_are_typed_errors_naming_the_field() {
        let err = |result: Result<AcceptRule, AcceptRuleError>| result.unwrap_err();
        assert_eq!(
            err(AcceptRule::new(" ", "r")),
            AcceptRuleError::EmptyWorkflow
        );
        assert_eq!(err(AcceptRule::new("w", "")).field(), "reason");
        let path = err(AcceptRule::new("w", "r").and_then(|r| r.with_path("no-leading-slash")));
        assert!(matches!(&path, AcceptRuleError::Path { path, .. } if path == "no-leading-slash"));
        assert_eq!(path.field(), "path");
        // Real calendar dates only, written one way.
        for bad in [
            "2026-02-31",
            "2026-02-29",
            "2026-13-01",
            "2026-00-01",
            "2026-01-32",
            "2026-2-28",
            "20260101",
            "2026-01-01x",
            "+2026-01-01",
            "２０２６-01-01",
            "soon",
        ] {
            let e = err(AcceptRule::new("w", "r").and_then(|r| r.with_expires(bad)));
            assert_eq!(e.field(), "expires", "{bad}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        let leap = AcceptRule::new("w", "r").and_then(|r| r.with_expires("2028-02-29"));
        assert_eq!(leap.unwrap().expires(), Some(day("2028-02-29")));
    }

    #[test]
    fn a_rule_applies_through_its_expiry_day() {
        let rules = [rule("w", None, Some("2026-06-01"))];
        let on = |today: &str| Rules::new(&rules, day(today)).verdict(&["w"], None);
        assert!(on("2026-05-31").accepted.is_some());
        assert!(on("2026-06-01").accepted.is_some());
        let after = on("2026-06-02");
        assert!(after.accepted.is_none());
        assert_eq!(
            after.expired,
            ["acceptance expired on 2026-06-01: reason for w"]
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", "anything"));
        assert!(glob_match("Block *", "Block malicious source IP"));
        assert!(glob_match("*IP", "Block malicious source IP"));
        assert!(glob_match("a*b*c", "a-x-b-y-b-c"));
        assert!(!glob_match("a*b*c", "a-x-c-b"));
        assert!(!glob_match("exact", "exactly"));
        assert!(glob_match("", ""));
    }
}
