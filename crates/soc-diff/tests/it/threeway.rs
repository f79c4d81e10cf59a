//! The three-way promotion view on crafted workflows: every class, and what is no difference.

use serde_json::{Value, json};
use soc_diff::report::{ChangeClass, ClassCounts, WorkflowReport, WorkflowStatus};
use soc_diff::{DiffOptions, Entry, Profile, Report, diff_three};

use crate::diff::fixture_options;

/// A workflow with one active version holding `taskconfig` and a two-node diagram in which
/// `Block on WAF` has the given timeout, plus `extra` nodes.
fn workflow(name: &str, taskconfig: Value, timeout: &str, extra: &[&str]) -> Value {
    let node = |id: &str, name: &str, timeout: &str| {
        json!({"type": "element", "name": "bpmn2:serviceTask",
               "attributes": {"id": id, "name": name, "soar:timeout": timeout}})
    };
    let mut nodes = vec![
        node("Activity_enrich", "Enrich alert", "30"),
        node("Activity_block", "Block on WAF", timeout),
    ];
    nodes.extend(extra.iter().map(|id| node(id, id, "10")));
    let taskflow = json!({"workflow": {"elements": [{"type": "element", "name": "bpmn2:process",
        "attributes": {"id": "Process_1"}, "elements": nodes}]}});
    json!({"name": name, "enabled": true, "version": "v1", "versions": [
        {"version": "v1", "status": "activated", "taskconfig": taskconfig.to_string(),
         "taskflow": taskflow.to_string()},
    ]})
}

fn entries(profile: &Profile, workflows: &[Value]) -> Vec<Entry> {
    workflows
        .iter()
        .flat_map(|wf| {
            soc_diff::decode_export("x.json", wf.to_string().as_bytes(), profile).unwrap()
        })
        .map(|doc| Entry::Loaded(profile.normalize(&doc)))
        .collect()
}

fn three_way(left: &[Value], right: &[Value], base: &[Value], options: &DiffOptions) -> Report {
    let profile = Profile::secmaster();
    let options = DiffOptions {
        base_label: "production@promoted".into(),
        ..options.clone()
    };
    diff_three(
        entries(&profile, left),
        entries(&profile, right),
        entries(&profile, base),
        &profile,
        &options,
    )
    .unwrap()
}

fn find<'r>(report: &'r Report, name: &str) -> &'r WorkflowReport {
    report.workflows.iter().find(|w| w.name == name).unwrap()
}

/// `(path, class, base value)` of each change.
fn classes(wf: &WorkflowReport) -> Vec<(String, Option<ChangeClass>, Option<Value>)> {
    wf.changes
        .iter()
        .map(|c| (c.path.clone(), c.class, c.base.clone()))
        .collect()
}

#[test]
fn each_difference_is_classed_against_the_base() {
    let base = workflow("wf", json!({"a": 1, "b": 1, "c": 1, "d": 1}), "60", &[]);
    // Staging changed a and c; production changed b and c (differently) and d (as staging did
    // not). Both changed the timeout of the same node identically.
    let left = workflow("wf", json!({"a": 2, "b": 1, "c": 2, "d": 1}), "90", &[]);
    let right = workflow("wf", json!({"a": 1, "b": 3, "c": 3, "d": 4}), "90", &[]);
    let report = three_way(&[left], &[right], &[base], &fixture_options());
    let wf = find(&report, "wf");
    let at = |key: &str| format!("/versions[@active]/taskconfig/{key}");
    assert_eq!(
        classes(wf),
        [
            (at("a"), Some(ChangeClass::Promote), Some(json!(1))),
            (at("b"), Some(ChangeClass::Drift), Some(json!(1))),
            (at("c"), Some(ChangeClass::Conflict), Some(json!(1))),
            (at("d"), Some(ChangeClass::Drift), Some(json!(1))),
        ],
        "the timeout, changed the same way on both sides, is no difference at all"
    );
    assert_eq!(wf.class, Some(ChangeClass::Conflict));
    assert!(wf.drift);
    assert_eq!(report.base.as_deref(), Some("production@promoted"));
    assert_eq!(
        report.summary.classes,
        Some(ClassCounts {
            promote: 1,
            drift: 2,
            conflict: 1
        })
    );
}

#[test]
fn a_change_made_identically_on_both_sides_is_no_difference() {
    let base = workflow("wf", json!({"a": 1}), "60", &[]);
    let both = workflow("wf", json!({"a": 2}), "90", &["Activity_new"]);
    let both = std::slice::from_ref(&both);
    let report = three_way(both, both, &[base], &fixture_options());
    assert_eq!(find(&report, "wf").status, WorkflowStatus::Unchanged);
    assert!(!report.has_drift());
    assert_eq!(report.summary.classes, Some(ClassCounts::default()));
}

#[test]
fn only_drift_and_conflicts_fail_the_gate_by_default() {
    let base = workflow("wf", json!({"a": 1}), "60", &[]);
    // Staging's new work waiting to be promoted: a new node and a new value.
    let left = workflow("wf", json!({"a": 2}), "60", &["Activity_new"]);
    let right = base.clone();
    let report = three_way(
        std::slice::from_ref(&left),
        std::slice::from_ref(&right),
        std::slice::from_ref(&base),
        &fixture_options(),
    );
    let wf = find(&report, "wf");
    assert!(
        wf.changes
            .iter()
            .all(|c| c.class == Some(ChangeClass::Promote)),
        "{wf:#?}"
    );
    assert_eq!(wf.class, Some(ChangeClass::Promote));
    assert!(
        !wf.drift && !report.has_drift(),
        "promotions pending are not drift"
    );
    assert!(!wf.is_accepted(), "nor are they accepted");
    assert_eq!(
        wf.graph.as_ref().map(|g| g.nodes.len()),
        Some(1),
        "the new node is in the graph summary"
    );
    // A gate that wants staging and production equal can fail on promotions too.
    let strict = DiffOptions {
        fail_on: ChangeClass::ALL.to_vec(),
        ..fixture_options()
    };
    assert!(three_way(&[left], &[right], &[base], &strict).has_drift());
}

#[test]
fn node_changes_are_classed_by_the_node_they_touch() {
    let base = workflow("wf", json!({}), "60", &[]);
    // Staging added a node; production changed Block on WAF's timeout.
    let left = workflow("wf", json!({}), "60", &["Activity_new"]);
    let right = workflow("wf", json!({}), "90", &[]);
    let report = three_way(&[left], &[right], &[base], &fixture_options());
    let got: Vec<_> = find(&report, "wf")
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.class))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/versions[@active]/taskflow/serviceTask[Activity_block]/soar:timeout",
                Some(ChangeClass::Drift)
            ),
            (
                "/versions[@active]/taskflow/serviceTask[Activity_new]",
                Some(ChangeClass::Promote)
            ),
        ]
    );
}

#[test]
fn whole_workflows_are_classed_too() {
    // Each workflow's own content, so that only the one renamed looks like a rename.
    let wf = |name: &str, a: i64| {
        let own = name.replace("old ", "").replace("new name", "name");
        workflow(name, json!({"a": a, "own": own}), "60", &[])
    };
    let base = [
        wf("kept in staging only", 1),
        wf("kept in production only", 1),
        wf("deleted in staging, edited in production", 1),
        wf("old name", 7),
    ];
    let left = [
        wf("new in staging", 1),
        wf("kept in staging only", 1),
        wf("old name", 7),
    ];
    let right = [
        wf("new in production", 1),
        wf("kept in production only", 1),
        wf("deleted in staging, edited in production", 2),
        wf("new name", 7),
    ];
    let report = three_way(&left, &right, &base, &fixture_options());
    let got: Vec<_> = report
        .workflows
        .iter()
        .map(|w| (w.name.as_str(), w.status, w.class, w.drift))
        .collect();
    use ChangeClass::*;
    use WorkflowStatus::*;
    assert_eq!(
        got,
        [
            (
                "deleted in staging, edited in production",
                Added,
                Some(Conflict),
                true
            ),
            // Production deleted it since the base: a promotion would bring it back.
            ("kept in production only", Added, Some(Promote), false),
            ("kept in staging only", Removed, Some(Drift), true),
            ("new in production", Added, Some(Drift), true),
            ("new in staging", Removed, Some(Promote), false),
            // Production renamed it since the base.
            ("new name", Renamed, Some(Drift), true),
        ]
    );
    assert_eq!(
        report.summary.classes,
        Some(ClassCounts {
            promote: 2,
            drift: 3,
            conflict: 1
        })
    );
}
