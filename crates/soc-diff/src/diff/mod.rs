//! Matching two sets of normalized documents and computing their differences.
//!
//! Workflows are matched by name. A pair whose normalized hashes agree is unchanged without being
//! read (see [`Entry::Deferred`]); the others are compared structurally over their normalized JSON
//! values (arrays aligned by a diff over element hashes, so one insertion is one change) and as a
//! unified diff of their canonical texts.
//!
//! One file per concern:
//! - `matching`: which workflows are compared with which (filters, names, renames);
//! - `workflow`: judging one workflow (unchanged, modified change by change, or as a whole);
//! - `structure`: the structural diff of two JSON values;
//! - `versions`: a workflow's active version compared apart from its other versions;
//! - `graph`: the node-by-node summary of a modified workflow's diagram;
//! - `accept`: `[[accept]]` rules and their verdict on each difference;
//! - `threeway`: classing each difference against a base (`promote`, `drift`, `conflict`);
//! - `text`: the unified diff of two canonical texts.

mod accept;
pub(crate) mod graph;
mod matching;
mod structure;
#[cfg(test)]
mod testing;
mod text;
mod threeway;
pub(crate) mod versions;
mod workflow;

use chrono::NaiveDate;
use serde_json::Value;

pub(crate) use accept::glob_match;
pub use accept::{AcceptRule, AcceptRuleError};

use soc_normalize::{Entry, Normalized, Profile};

use crate::report::{Change, ChangeClass, Filters, Report};
use accept::Rules;
use matching::{by_name, renames_and_the_rest, select};
use structure::{RawChange, raw_changes};
use threeway::Base;
use workflow::{compare, unchanged};

/// Runs `entry`'s loader, naming the side it belongs to when it fails.
fn load(entry: Entry, side: &str) -> Result<Normalized, DiffError> {
    entry.load().map_err(|err| DiffError::Load {
        side: side.to_owned(),
        name: err.name,
        source: err.source,
    })
}

/// How to compare and what to call the two sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// The left side's label in the report and in unified diff headers (e.g. `staging`).
    pub left_label: String,
    /// The right side's label (e.g. `production`).
    pub right_label: String,
    /// Known differences that do not count as drift.
    pub accept: Vec<AcceptRule>,
    /// The day against which rule expiry dates are checked (the default is today in UTC); set it
    /// to make a report reproducible.
    pub today: NaiveDate,
    /// Lines of context around each hunk of the unified diff.
    pub context_lines: usize,
    /// Which workflows to compare, by name on either side; the others are left out of the report.
    pub filters: Filters,
    /// The base's label in a three-way comparison ([`diff_three`]), e.g. `production@promoted`.
    pub base_label: String,
    /// In a three-way comparison, the classes of difference that are drift (that fail a gate);
    /// the others are reported but do not count. The default: `drift` and `conflict`, so work
    /// waiting to be promoted passes and production edits a promotion would overwrite fail.
    pub fail_on: Vec<ChangeClass>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            left_label: "left".to_owned(),
            right_label: "right".to_owned(),
            accept: Vec::new(),
            today: chrono::Utc::now().date_naive(),
            context_lines: 3,
            filters: Filters::default(),
            base_label: "base".to_owned(),
            fail_on: vec![ChangeClass::Drift, ChangeClass::Conflict],
        }
    }
}

/// Why two sets of documents could not be diffed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// Workflows are matched by name, so a name must be unique on each side.
    #[error(
        "duplicate workflow names on the {side} side: {}; workflows are matched by name, so rename \
         all but one of each",
        quoted(names)
    )]
    DuplicateNames {
        /// The side's label.
        side: String,
        /// Each name held by more than one workflow.
        names: Vec<String>,
    },
    /// A deferred entry's loader failed.
    #[error("cannot load workflow {name:?} of the {side} side")]
    Load {
        /// The side's label.
        side: String,
        /// The workflow's name.
        name: String,
        /// What the loader (the store) reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `DiffOptions::filters` selects workflows, but no workflow of either side matches.
    #[error(
        "no workflow of {left} or {right} matches the workflow filter {}; a gate that compares nothing \
         proves nothing",
        quoted(patterns)
    )]
    NothingSelected {
        /// The left side's label.
        left: String,
        /// The right side's label.
        right: String,
        /// The filter's patterns, as given.
        patterns: Vec<String>,
    },
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Matches `left` and `right` by workflow name and reports what differs.
///
/// A name on both sides whose hashes agree is unchanged without calling a [`Entry::Deferred`]
/// loader (a deferred hash is trusted only when its `profile_hash` is `profile.hash()`), so diffing
/// two large snapshots costs in proportion to what changed. A removed and an added workflow whose
/// contents are identical apart from the name key are reported as one rename.
pub fn diff(
    left: Vec<Entry>,
    right: Vec<Entry>,
    profile: &Profile,
    options: &DiffOptions,
) -> Result<Report, DiffError> {
    run_diff(left, right, None, profile, options)
}

/// [`diff`], with every difference between `left` and `right` classed against `base`:
/// `promote` (the left side changed it since the base), `drift` (the right side did: a promotion
/// would overwrite it) or `conflict` (both did, differently). A change made identically on both
/// sides is no difference at all. Only the classes in [`DiffOptions::fail_on`] are drift.
///
/// The base's workflows are loaded only where the two sides differ.
pub fn diff_three(
    left: Vec<Entry>,
    right: Vec<Entry>,
    base: Vec<Entry>,
    profile: &Profile,
    options: &DiffOptions,
) -> Result<Report, DiffError> {
    let base = Base::new(base, &options.base_label, profile, options)?;
    run_diff(left, right, Some(base), profile, options)
}

/// What judging one workflow needs to know of the run.
struct Run<'a> {
    profile: &'a Profile,
    options: &'a DiffOptions,
    rules: Rules<'a>,
}

impl Run<'_> {
    /// Whether an unaccepted difference of this class (`None`: a two-way comparison) is drift.
    fn fails(&self, class: Option<ChangeClass>) -> bool {
        class.is_none_or(|class| self.options.fail_on.contains(&class))
    }
}

fn run_diff(
    left: Vec<Entry>,
    right: Vec<Entry>,
    mut base: Option<Base>,
    profile: &Profile,
    options: &DiffOptions,
) -> Result<Report, DiffError> {
    let run = Run {
        profile,
        options,
        rules: Rules::new(&options.accept, options.today),
    };
    let (left, right) = select(left, right, options)?;
    let left = by_name(left, &options.left_label)?;
    let mut right = by_name(right, &options.right_label)?;
    let profile_hash = profile.hash();

    let mut workflows = Vec::new();
    let mut only_left = Vec::new();
    for (name, l) in left {
        let Some(r) = right.remove(&name) else {
            only_left.push(load(l, &options.left_label)?);
            continue;
        };
        if let (Some((ls, ll)), Some((rs, rl))) =
            (l.fingerprint(&profile_hash), r.fingerprint(&profile_hash))
        {
            if ls == rs {
                workflows.push(unchanged(name, ll != rl));
                continue;
            }
        }
        let l = load(l, &options.left_label)?;
        let r = load(r, &options.right_label)?;
        let base_doc = match &mut base {
            Some(base) => Some(base.get(&name)?),
            None => None,
        };
        workflows.push(compare(name, &l, &r, &run, base_doc));
    }
    let only_right = right
        .into_values()
        .map(|r| load(r, &options.right_label))
        .collect::<Result<Vec<_>, _>>()?;
    workflows.extend(renames_and_the_rest(
        only_left,
        only_right,
        &run,
        base.as_mut(),
    )?);
    let report = Report::from_workflows(
        options.left_label.clone(),
        options.right_label.clone(),
        workflows,
    );
    Ok(match base {
        Some(base) => report.with_base(base.label()),
        None => report,
    })
}

/// The structural changes between two normalized JSON values, in document order.
///
/// Arrays are compared as [`Profile::array_rule`] says: ordered arrays are aligned by a diff over
/// element hashes (an inserted element is one `added` change, and paired elements of a replaced run
/// are compared field by field), set arrays by canonical text, keyed arrays by their key field.
pub fn structural_changes(left: &Value, right: &Value, profile: &Profile) -> Vec<Change> {
    raw_changes(left, right, profile)
        .into_iter()
        .map(RawChange::into_change)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::report::WorkflowStatus;
    use serde_json::json;
    use soc_normalize::normalize::NormalizedContent;

    #[test]
    fn canonical_text_that_does_not_parse_is_compared_as_text() {
        let good = doc("wf", json!({"name": "wf", "x": 1}));
        let mut bad = good.clone();
        bad.content = NormalizedContent::Json {
            canonical: "{\"name\": \"wf\", oops\n".into(),
        };
        bad.sha256 = "different".into();
        let lone = Normalized {
            name: "lone".into(),
            ..bad.clone()
        };
        let report = run(vec![good, lone], vec![bad], &options());
        let wf = &report.workflows.iter().find(|w| w.name == "wf").unwrap();
        assert!(wf.drift && wf.changes.is_empty());
        assert!(
            wf.notes
                .iter()
                .any(|n| n.starts_with("production: the canonical text does not parse")),
            "{:?}",
            wf.notes
        );
        assert!(
            wf.text_diff
                .as_deref()
                .unwrap()
                .contains("+{\"name\": \"wf\", oops")
        );
        assert_eq!(
            report.summary.total.removed, 1,
            "the unmatched one is removed, not a crash"
        );
    }

    #[test]
    fn matching_hashes_are_unchanged_without_loading() {
        let profile = Profile::secmaster();
        let a = doc("wf", json!({"name": "wf", "x": 1}));
        let mut b = a.clone();
        b.layout_sha256 = Some("moved".into());
        let report = diff(
            vec![deferred_failing(&a, profile.hash())],
            vec![deferred_failing(&b, profile.hash())],
            &profile,
            &options(),
        )
        .unwrap();
        assert_eq!(report.summary.total.unchanged, 1);
        assert_eq!(report.summary.total.layout_only, 1);
        assert!(report.workflows[0].layout_changed);
        assert!(!report.has_drift());
    }

    #[test]
    fn a_stale_profile_hash_forces_a_load_and_load_errors_name_the_workflow() {
        let profile = Profile::secmaster();
        let a = doc("wf", json!({"name": "wf"}));
        let err = diff(
            vec![deferred_failing(&a, "older-profile".into())],
            vec![Entry::Loaded(a.clone())],
            &profile,
            &options(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, DiffError::Load { name, side, .. } if name == "wf" && side == "staging")
        );
        assert_eq!(
            err.to_string(),
            "cannot load workflow \"wf\" of the staging side"
        );

        let loaded = a.clone();
        let entry = Entry::Deferred {
            name: "wf".into(),
            sha256: "stale".into(),
            layout_sha256: None,
            profile_hash: "older-profile".into(),
            load: Box::new(move || Ok(loaded)),
        };
        let report = diff(vec![entry], vec![Entry::Loaded(a)], &profile, &options()).unwrap();
        assert_eq!(report.summary.total.unchanged, 1);
    }

    #[test]
    fn duplicate_names_are_listed() {
        let profile = Profile::secmaster();
        let entries = |names: &[&str]| -> Vec<Entry> {
            names
                .iter()
                .map(|n| Entry::Loaded(doc(n, json!({ "name": n }))))
                .collect()
        };
        let err = diff(
            entries(&["b", "a", "b", "a", "c"]),
            entries(&[]),
            &profile,
            &options(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, DiffError::DuplicateNames { names, side } if names == &["a", "b"] && side == "staging")
        );
        assert!(err.to_string().contains("\"a\", \"b\""), "{err}");
    }

    #[test]
    fn statuses_renames_and_text_diff() {
        let left = vec![
            doc("same", json!({"name": "same", "v": 1})),
            doc("mod", json!({"name": "mod", "v": 1})),
            doc("old name", json!({"name": "old name", "v": 7})),
            doc("gone", json!({"name": "gone", "v": 8})),
        ];
        let right = vec![
            doc("same", json!({"name": "same", "v": 1})),
            doc("mod", json!({"name": "mod", "v": 2})),
            doc("new name", json!({"name": "new name", "v": 7})),
            doc("fresh", json!({"name": "fresh", "v": 9})),
        ];
        let report = run(left, right, &options());
        let got: Vec<_> = report
            .workflows
            .iter()
            .map(|w| {
                (
                    w.name.as_str(),
                    w.status,
                    w.previous_name.as_deref(),
                    w.drift,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("fresh", WorkflowStatus::Added, None, true),
                ("gone", WorkflowStatus::Removed, None, true),
                ("mod", WorkflowStatus::Modified, None, true),
                ("new name", WorkflowStatus::Renamed, Some("old name"), true),
                ("same", WorkflowStatus::Unchanged, None, false),
            ]
        );
        let modified = &report.workflows[2];
        assert_eq!(
            modified.text_diff.as_deref(),
            Some(
                "--- staging/mod\n+++ production/mod\n@@ -1,4 +1,4 @@\n {\n   \"name\": \"mod\",\n-  \"v\": 1\n+  \"v\": 2\n }\n"
            )
        );
        assert_eq!(modified.changes[0].left, Some(json!(1)));
        assert_eq!(modified.changes[0].right, Some(json!(2)));
    }

    #[test]
    fn binary_documents_get_a_note_and_no_changes() {
        let report = run(
            vec![opaque("blob", "aa")],
            vec![opaque("blob", "bb")],
            &options(),
        );
        let wf = &report.workflows[0];
        assert_eq!(wf.status, WorkflowStatus::Modified);
        assert!(wf.changes.is_empty() && wf.text_diff.is_none());
        assert_eq!(wf.notes, ["binary content changed (sha256 aa -> bb)"]);
        let renamed = run(
            vec![opaque("a.bin", "aa")],
            vec![opaque("b.bin", "aa")],
            &options(),
        );
        assert_eq!(renamed.workflows[0].status, WorkflowStatus::Renamed);
    }
}
