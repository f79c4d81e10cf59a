//! The report of one run: every pair it was asked to compare, compared or not.
//!
//! A drift gate must never let a pair it could not compare look like a pair without drift, so a
//! pair is either a finished [`Report`] or a [`PairFailure`] saying why, and the run's status is the
//! worst of them: `error` over `drift` over `no_drift`. Every format is rendered from this one
//! value, so the JSON, the JUnit file, the Markdown and the text always tell the same story.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Report, ReportStatus};

/// The version of the report's JSON schema; bumped when a field changes meaning or disappears.
///
/// Version 2 wrapped the single report of version 1 into `pairs` and added the `error` status.
/// Version 3 made `changes[].path` a stable address (array items named by identity, the JSON
/// pointer moved to `changes[].pointer`), compares a workflow's active version apart from its
/// other versions (`workflows[].active`, `workflows[].versions`), and added playbooks: each pair's
/// `playbooks` beside its `workflows`, the `summary` counts covering both (with
/// `summary.workflows` and `summary.playbooks` for each), and `filters.playbook`.
pub const SCHEMA_VERSION: u32 = 3;

/// Everything one run compared: the report the CLI prints and writes for `diff`, `check` and
/// `demo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "socdrift report")]
pub struct CheckReport {
    /// Always [`SCHEMA_VERSION`] for reports this crate builds.
    pub schema_version: u32,
    /// `error` when the run or any pair failed, else `drift` when any pair drifted, else
    /// `no_drift`; the CLI exits 2, 1 or 0 to match.
    pub status: CheckStatus,
    /// When the run started, RFC 3339 in UTC (e.g. `2026-03-02T06:17:00Z`), as the caller gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// The workflow and playbook filters every pair was compared under; absent when there were
    /// none.
    #[serde(default, skip_serializing_if = "Filters::is_empty")]
    pub filters: Filters,
    /// Why the run failed before or apart from any pair (a bad config file, no pairs, a report
    /// file that could not be written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<PairError>,
    /// Every pair, in the order they were asked for.
    pub pairs: Vec<PairReport>,
}

/// The outcome of a whole run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Every pair was compared and none drifted.
    NoDrift,
    /// Every pair was compared and at least one drifted.
    Drift,
    /// The run, or at least one pair, could not be compared: nothing is known about it.
    Error,
}

impl CheckStatus {
    /// The lowercase word used in reports (`no_drift`, `drift`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoDrift => "no_drift",
            Self::Drift => "drift",
            Self::Error => "error",
        }
    }
}

/// One pair of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PairReport {
    /// Both sides were loaded and compared.
    Compared(Report),
    /// A side could not be loaded, or the comparison failed.
    Failed(PairFailure),
}

/// A pair that could not be compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PairFailure {
    /// The left side as it was asked for.
    pub left: String,
    /// The right side as it was asked for.
    pub right: String,
    /// Always `error`.
    pub status: ErrorStatus,
    /// How long was spent before it failed, in seconds (absent when nobody timed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// What went wrong.
    pub error: PairError,
}

/// The status of a pair that could not be compared: only ever `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorStatus {
    #[default]
    Error,
}

/// Why a pair (or the run) could not be compared, with what is known about where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PairError {
    /// The error and its causes in one line, e.g. `cannot export workflows of `production`:
    /// authentication failed with http 401`.
    pub message: String,
    /// What the user can do about it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// The workflow the failure concerns, when it concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The HTTP status of the failing SecMaster or IAM answer, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The request id of the failing answer, to quote to Huawei Cloud support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl PairError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }
}

/// Name filters: which workflows and playbooks are compared.
///
/// With no `workflow` and no `playbook` glob, every workflow and every playbook is compared.
/// Otherwise only what some glob of its kind names is: `--workflow "Block*"` alone compares the
/// workflows named `Block…` and no playbook. Documents matching an `exclude` glob are left out,
/// whatever their kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Filters {
    /// Globs (`*` matches any run of characters) of the workflows to compare.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflow: Vec<String>,
    /// Globs of the playbooks to compare.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub playbook: Vec<String>,
    /// Globs of the workflows and playbooks to leave out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl Filters {
    /// Whether no filter applies (every workflow and playbook is compared).
    pub fn is_empty(&self) -> bool {
        self.workflow.is_empty() && self.playbook.is_empty() && self.exclude.is_empty()
    }

    /// The filters for one kind, as [`matches`](Self::matches) applies them (its include globs in
    /// `workflow`); `None` when no document of that kind is compared (other kinds are named and
    /// this one is not).
    pub fn for_kind(&self, kind: crate::kind::Kind) -> Option<Filters> {
        let include = match kind {
            crate::kind::Kind::Workflow => &self.workflow,
            crate::kind::Kind::Playbook => &self.playbook,
        };
        let names_some_kind = !self.workflow.is_empty() || !self.playbook.is_empty();
        if names_some_kind && include.is_empty() {
            return None;
        }
        Some(Filters {
            workflow: include.clone(),
            playbook: Vec::new(),
            exclude: self.exclude.clone(),
        })
    }

    /// Every include glob, playbook globs marked as such (for messages).
    pub fn patterns(&self) -> Vec<String> {
        let mut patterns = self.workflow.clone();
        patterns.extend(self.playbook.iter().map(|p| format!("playbook {p}")));
        patterns
    }

    /// Whether a workflow of this name is compared.
    pub fn matches(&self, name: &str) -> bool {
        (self.workflow.is_empty()
            || self
                .workflow
                .iter()
                .any(|p| crate::diff::glob_match(p, name)))
            && !self
                .exclude
                .iter()
                .any(|p| crate::diff::glob_match(p, name))
    }
}

impl PairReport {
    /// A pair that could not be compared.
    pub fn failed(left: impl Into<String>, right: impl Into<String>, error: PairError) -> Self {
        Self::Failed(PairFailure {
            left: left.into(),
            right: right.into(),
            status: ErrorStatus::Error,
            seconds: None,
            error,
        })
    }

    /// The left side's label.
    pub fn left(&self) -> &str {
        match self {
            Self::Compared(report) => &report.left,
            Self::Failed(failure) => &failure.left,
        }
    }

    /// The right side's label.
    pub fn right(&self) -> &str {
        match self {
            Self::Compared(report) => &report.right,
            Self::Failed(failure) => &failure.right,
        }
    }

    /// `no_drift`, `drift` or `error`.
    pub fn status(&self) -> CheckStatus {
        match self {
            Self::Compared(report) if report.status == ReportStatus::Drift => CheckStatus::Drift,
            Self::Compared(_) => CheckStatus::NoDrift,
            Self::Failed(_) => CheckStatus::Error,
        }
    }

    /// How long the pair took, when it was timed.
    pub fn seconds(&self) -> Option<f64> {
        match self {
            Self::Compared(report) => report.seconds,
            Self::Failed(failure) => failure.seconds,
        }
    }

    /// Sets how long the pair took (rounded to milliseconds).
    pub fn set_seconds(&mut self, seconds: f64) {
        let rounded = Some((seconds * 1000.0).round() / 1000.0);
        match self {
            Self::Compared(report) => report.seconds = rounded,
            Self::Failed(failure) => failure.seconds = rounded,
        }
    }

    /// `staging@live vs production@live`: how a pair is named in JUnit suites and annotations.
    pub fn title(&self) -> String {
        format!("{} vs {}", self.left(), self.right())
    }
}

impl CheckReport {
    /// A report of `pairs`, in order, whose status follows from them.
    pub fn new(pairs: Vec<PairReport>) -> Self {
        let mut report = Self {
            schema_version: SCHEMA_VERSION,
            status: CheckStatus::NoDrift,
            started_at: None,
            filters: Filters::default(),
            error: None,
            pairs,
        };
        report.status = report.derived_status();
        report
    }

    /// The report of one compared pair (what `socdrift diff` prints).
    pub fn single(report: Report) -> Self {
        Self::new(vec![PairReport::Compared(report)])
    }

    /// A run that failed as a whole, with the pairs it got through (often none).
    #[must_use]
    pub fn with_error(mut self, error: PairError) -> Self {
        self.error = Some(error);
        self.status = CheckStatus::Error;
        self
    }

    /// Records when the run started (RFC 3339, UTC).
    #[must_use]
    pub fn started_at(mut self, started_at: impl Into<String>) -> Self {
        self.started_at = Some(started_at.into());
        self
    }

    /// Records the filters the pairs were compared under.
    #[must_use]
    pub fn with_filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }

    /// `error` over `drift` over `no_drift`, from the run error and the pairs.
    fn derived_status(&self) -> CheckStatus {
        if self.error.is_some() {
            return CheckStatus::Error;
        }
        self.pairs
            .iter()
            .map(PairReport::status)
            .max()
            .unwrap_or(CheckStatus::NoDrift)
    }

    /// Whether the run failed (exit code 2).
    pub fn is_error(&self) -> bool {
        self.status == CheckStatus::Error
    }

    /// Whether some pair drifted (exit code 1 unless the run failed).
    pub fn has_drift(&self) -> bool {
        self.pairs.iter().any(|p| p.status() == CheckStatus::Drift)
    }

    /// The pairs that could not be compared.
    pub fn failures(&self) -> impl Iterator<Item = &PairFailure> {
        self.pairs.iter().filter_map(|p| match p {
            PairReport::Failed(failure) => Some(failure),
            PairReport::Compared(_) => None,
        })
    }

    /// The compared pairs.
    pub fn compared(&self) -> impl Iterator<Item = &Report> {
        self.pairs.iter().filter_map(|p| match p {
            PairReport::Compared(report) => Some(report),
            PairReport::Failed(_) => None,
        })
    }

    /// The JSON Schema of the report's JSON form (what `docs/report.schema.json` holds).
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(CheckReport)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{WorkflowReport, WorkflowStatus};
    use serde_json::json;

    fn compared(drift: bool) -> PairReport {
        let wf = WorkflowReport {
            drift,
            ..WorkflowReport::new("a", WorkflowStatus::Modified)
        };
        PairReport::Compared(Report::from_workflows("l", "r", vec![wf]))
    }

    #[test]
    fn the_worst_pair_decides_and_an_error_always_wins() {
        let failed = || PairReport::failed("x", "y", PairError::new("boom"));
        assert_eq!(CheckReport::new(vec![]).status, CheckStatus::NoDrift);
        assert_eq!(
            CheckReport::new(vec![compared(false), compared(true)]).status,
            CheckStatus::Drift
        );
        for pairs in [
            vec![failed(), compared(true), compared(false)],
            vec![compared(true), failed(), compared(false)],
            vec![compared(false), compared(true), failed()],
        ] {
            let report = CheckReport::new(pairs);
            assert_eq!(report.status, CheckStatus::Error);
            assert!(report.is_error() && report.has_drift());
            assert_eq!(report.failures().count(), 1);
            assert_eq!(report.compared().count(), 2);
        }
        let run = CheckReport::new(vec![compared(false)]).with_error(PairError::new("bad config"));
        assert_eq!(run.status, CheckStatus::Error);
    }

    #[test]
    fn pairs_read_back_as_what_they_were() {
        let mut failed = PairReport::failed(
            "staging@live",
            "production@live",
            PairError {
                message: "cannot export".into(),
                http_status: Some(401),
                request_id: Some("r-1".into()),
                ..PairError::default()
            },
        );
        failed.set_seconds(0.12345);
        let report = CheckReport::new(vec![compared(true), failed])
            .started_at("2026-03-02T06:17:00Z")
            .with_filters(Filters {
                workflow: vec!["Block*".into()],
                ..Filters::default()
            });
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(value["status"], "error");
        assert_eq!(value["filters"], json!({"workflow": ["Block*"]}));
        assert_eq!(
            value["pairs"][1],
            json!({"left": "staging@live", "right": "production@live", "status": "error",
                   "seconds": 0.123, "error": {"message": "cannot export", "http_status": 401,
                   "request_id": "r-1"}})
        );
        assert_eq!(value["pairs"][0]["status"], "drift");
        let back: CheckReport = serde_json::from_value(value).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn filters_include_then_exclude() {
        let none = Filters::default();
        assert!(none.is_empty() && none.matches("anything"));
        let filters = Filters {
            workflow: vec!["Block*".into(), "Notify*".into()],
            exclude: vec!["*legacy*".into()],
            ..Filters::default()
        };
        assert!(filters.matches("Block IP"));
        assert!(filters.matches("Notify on alert"));
        assert!(!filters.matches("Block legacy IP"));
        assert!(!filters.matches("Enrich alert"));
        let exclude_only = Filters {
            exclude: vec!["Tmp*".into()],
            ..Filters::default()
        };
        assert!(exclude_only.matches("Block IP") && !exclude_only.matches("Tmp 1"));
    }

    #[test]
    fn filters_name_kinds() {
        use crate::kind::Kind;
        let none = Filters::default();
        assert_eq!(none.for_kind(Kind::Playbook), Some(Filters::default()));
        let workflows = Filters {
            workflow: vec!["Block*".into()],
            exclude: vec!["*old*".into()],
            ..Filters::default()
        };
        assert_eq!(
            workflows.for_kind(Kind::Playbook),
            None,
            "naming workflows only"
        );
        let both = Filters {
            playbook: vec!["Auto*".into()],
            ..workflows.clone()
        };
        let playbooks = both.for_kind(Kind::Playbook).unwrap();
        assert!(playbooks.matches("Auto-block") && !playbooks.matches("Block IP"));
        assert!(
            !playbooks.matches("Auto old"),
            "excludes apply to every kind"
        );
        assert!(both.for_kind(Kind::Workflow).unwrap().matches("Block IP"));
        assert_eq!(both.patterns(), ["Block*", "playbook Auto*"]);
        let exclude_only = Filters {
            exclude: vec!["Tmp*".into()],
            ..Filters::default()
        };
        assert!(exclude_only.for_kind(Kind::Playbook).is_some());
    }
}
