//! Playbooks as a second kind of document: normalized like workflows (ids, times and people
//! dropped, the rule's JSON parsed, secrets redacted), their bound workflows compared by name,
//! their other versions reported but never drift, and every renderer heading them apart.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use soc_diff::diff::AcceptRule;
use soc_diff::render::{Format, RenderOptions};
use soc_diff::report::ChangeClass;
use soc_diff::report::WorkflowStatus;
use soc_diff::{
    CheckReport, DiffError, DiffOptions, Filters, Report, diff_sides, diff_sides_three,
};
use soc_model::playbook::{ActiveParts, PlaybookParts, build, build_inline};
use soc_normalize::{Entry, Kind, Profile, SideEntries, decode_export};

use crate::diff::fixture_options;

/// A playbook document as soc-api builds it, from answers written as JSON values.
fn playbook(
    info: Value,
    versions: &[Value],
    active: Option<Value>,
    names: &[(&str, &str)],
) -> Vec<u8> {
    let names: BTreeMap<String, String> = names
        .iter()
        .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
        .collect();
    let versions: Vec<String> = versions.iter().map(Value::to_string).collect();
    let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
    let active = active.map(|v| v.to_string());
    build(&PlaybookParts {
        info: &info.to_string(),
        versions: &versions,
        active: active.as_deref().map(|version| ActiveParts {
            version,
            rules: None,
            actions: None,
        }),
        workflow_names: &names,
    })
    .unwrap()
}

/// One side: its workflows named by id, its playbook bound to `bound` (a workflow id).
struct Ws {
    suffix: &'static str,
    workflows: Vec<(&'static str, &'static str)>,
}

impl Ws {
    fn id(&self, what: &str) -> String {
        format!("{what}-{}", self.suffix)
    }

    /// The playbook "Auto block", its active version binding `bound`, triggering on `severity`.
    fn document(&self, bound: &str, severity: &str, enabled: bool, extra: &[Value]) -> Vec<u8> {
        let rule = json!({"expression_type": "common",
            "conditions": [{"name": "condition_0", "detail": "severe", "data": ["alert.severity", ">=", severity]}],
            "logics": ["condition_0"]});
        let active = json!({
            "id": self.id("v1"), "playbook_id": self.id("pb"), "project_id": self.id("project"),
            "creator_id": self.id("creator"), "modifier_id": self.id("modifier"),
            "create_time": format!("2024-01-0{}T00:00:00Z+0800", self.suffix.len()),
            "update_time": format!("2024-02-0{}T00:00:00Z+0800", self.suffix.len()),
            "version": "v1", "enabled": true, "status": "PUBLISHED", "version_type": 1,
            "trigger_type": "EVENT", "action_strategy": "ASYNC", "rule_enable": true,
            "dataclass_id": self.id("dataclass"), "dataclass_name": "Alert",
            "rule_id": self.id("rule"), "approve_name": format!("approver-{}", self.suffix),
            "rules": {"id": self.id("rule"), "project_id": self.id("project"), "rule": rule.to_string()},
            "actions": [{"id": self.id("action"), "name": "Block the source", "description": "",
                "action_type": "AOP_WORKFLOW", "action_id": bound, "playbook_id": self.id("pb"),
                "playbook_version_id": self.id("v1"), "project_id": self.id("project")}],
        });
        let mut listed =
            vec![json!({"id": self.id("v1"), "version": "v1", "enabled": true, "version_type": 1})];
        listed.extend(extra.iter().cloned());
        playbook(
            json!({"id": self.id("pb"), "name": "Auto block", "description": "blocks", "enabled": enabled,
                   "version_id": self.id("v1"), "workspace_id": self.id("ws"), "project_id": self.id("project"),
                   "owner_id": self.id("owner"), "dataclass_id": self.id("dataclass"), "dataclass_name": "Alert",
                   "create_time": "t", "update_time": "t", "unaudited_version_id": self.id("u"),
                   "reject_version_id": ""}),
            &listed,
            Some(active),
            &self.workflows,
        )
    }
}

fn staging() -> Ws {
    Ws {
        suffix: "s",
        workflows: vec![("wf-a-s", "A"), ("wf-b-s", "B")],
    }
}

fn production() -> Ws {
    Ws {
        suffix: "prod",
        workflows: vec![("wf-a-prod", "A"), ("wf-b-prod", "B")],
    }
}

fn side(bytes: &[u8]) -> SideEntries {
    let profile = Profile::secmaster();
    let docs = decode_export("playbook.json", bytes, &profile).unwrap();
    assert!(docs.iter().all(|d| Kind::of(d) == Kind::Playbook));
    SideEntries::new(
        Vec::new(),
        docs.iter()
            .map(|d| Entry::Loaded(profile.normalize(d)))
            .collect(),
    )
}

fn compare(left: &[u8], right: &[u8]) -> Report {
    diff_sides(
        side(left),
        side(right),
        &Profile::secmaster(),
        &fixture_options(),
        &[],
    )
    .unwrap()
}

fn paths(report: &Report) -> Vec<(String, Option<Value>, Option<Value>)> {
    report.playbooks[0]
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.left.clone(), c.right.clone()))
        .collect()
}

#[test]
fn the_same_binding_by_name_is_unchanged_and_another_workflow_is_named() {
    let (s, p) = (staging(), production());
    // Bound to "A" on both sides, by different ids; every other id, time and person differs too.
    let report = compare(
        &s.document("wf-a-s", "High", true, &[]),
        &p.document("wf-a-prod", "High", true, &[]),
    );
    assert_eq!(report.playbooks.len(), 1);
    assert_eq!(
        report.playbooks[0].status,
        WorkflowStatus::Unchanged,
        "{report:#?}"
    );
    assert!(!report.has_drift());

    // Bound to "B" in production: one change, naming both workflows.
    let report = compare(
        &s.document("wf-a-s", "High", true, &[]),
        &p.document("wf-b-prod", "High", true, &[]),
    );
    assert!(report.has_drift());
    assert_eq!(
        paths(&report),
        [(
            "/active_version/actions[Block the source]/workflow".to_owned(),
            Some(json!("A")),
            Some(json!("B"))
        )]
    );
}

#[test]
fn a_binding_to_a_workflow_the_side_does_not_have_names_both() {
    let (s, p) = (staging(), production());
    let report = compare(
        &s.document("wf-a-s", "High", true, &[]),
        &p.document("wf-deleted", "High", true, &[]),
    );
    assert!(report.has_drift());
    assert_eq!(
        paths(&report),
        [(
            "/active_version/actions[Block the source]/workflow".to_owned(),
            Some(json!("A")),
            Some(json!("(no workflow with id wf-deleted in this workspace)"))
        )]
    );
}

/// `(path, class)` of each change of the one playbook.
fn classes(report: &Report) -> Vec<(String, Option<ChangeClass>)> {
    report.playbooks[0]
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.class))
        .collect()
}

#[test]
fn playbooks_are_classed_against_a_base_like_workflows() {
    let (s, p) = (staging(), production());
    let three_way = |left: &[u8], right: &[u8], base: Option<&[u8]>| {
        let base = base.map_or_else(|| SideEntries::workflows_only(Vec::new()), side);
        let options = DiffOptions {
            base_label: "production@promoted".into(),
            ..fixture_options()
        };
        diff_sides_three(
            side(left),
            side(right),
            base,
            &Profile::secmaster(),
            &options,
            &[],
        )
        .unwrap()
    };
    let promoted = p.document("wf-a-prod", "High", true, &[]);
    // Staging moved to Critical since the promotion; production is as promoted: promote, no drift.
    let report = three_way(
        &s.document("wf-a-s", "Critical", true, &[]),
        &p.document("wf-a-prod", "High", true, &[]),
        Some(&promoted),
    );
    let condition = "/active_version/rules/rule/conditions[condition_0]/data/2";
    assert_eq!(
        classes(&report),
        [(condition.to_owned(), Some(ChangeClass::Promote))]
    );
    assert!(!report.has_drift(), "{report:#?}");
    assert_eq!(report.base.as_deref(), Some("production@promoted"));
    assert_eq!(report.summary.classes.unwrap().promote, 1);
    assert!(report.not_compared.is_empty(), "{:?}", report.not_compared);

    // Production was disabled by hand since: drift, next to staging's promotion.
    let report = three_way(
        &s.document("wf-a-s", "Critical", true, &[]),
        &p.document("wf-a-prod", "High", false, &[]),
        Some(&promoted),
    );
    assert_eq!(
        classes(&report),
        [
            (condition.to_owned(), Some(ChangeClass::Promote)),
            ("/enabled".to_owned(), Some(ChangeClass::Drift)),
        ]
    );
    assert!(report.has_drift());

    // Both changed the trigger, differently: conflict.
    let report = three_way(
        &s.document("wf-a-s", "Critical", true, &[]),
        &p.document("wf-a-prod", "Low", true, &[]),
        Some(&promoted),
    );
    assert_eq!(
        classes(&report),
        [(condition.to_owned(), Some(ChangeClass::Conflict))]
    );
    assert!(report.has_drift());

    // A base whose playbooks are unknown cannot class them: said, not guessed.
    let report = three_way(
        &s.document("wf-a-s", "Critical", true, &[]),
        &p.document("wf-a-prod", "High", false, &[]),
        None,
    );
    assert!(report.playbooks.is_empty());
    let why = &report.not_compared[&Kind::Playbook];
    assert!(
        why.contains("the playbooks of the base production@promoted are not known"),
        "{why}"
    );
}

#[test]
fn a_disabled_playbook_and_a_changed_trigger_are_drift_at_their_paths() {
    let (s, p) = (staging(), production());
    let report = compare(
        &s.document("wf-a-s", "High", true, &[]),
        &p.document("wf-a-prod", "Critical", false, &[]),
    );
    assert_eq!(
        paths(&report),
        [
            (
                "/active_version/rules/rule/conditions[condition_0]/data/2".to_owned(),
                Some(json!("High")),
                Some(json!("Critical"))
            ),
            ("/enabled".to_owned(), Some(json!(true)), Some(json!(false))),
        ]
    );
    // The rule is compared as data: the JSON string was parsed.
    let text = report.playbooks[0].text_diff.as_deref().unwrap();
    assert!(text.contains("\"data\": ["), "{text}");
}

#[test]
fn other_versions_are_reported_but_never_drift() {
    let (s, p) = (staging(), production());
    let draft = json!({"id": "v2-s", "version": "v2", "enabled": false, "version_type": 0,
                       "status": "EDITING", "create_time": "t", "creator_id": "someone"});
    let report = compare(
        &s.document("wf-a-s", "High", true, &[draft]),
        &p.document("wf-a-prod", "High", true, &[]),
    );
    let pb = &report.playbooks[0];
    assert_eq!(pb.status, WorkflowStatus::Modified);
    assert!(!pb.drift && !report.has_drift(), "{pb:#?}");
    assert_eq!(pb.changes.len(), 1);
    assert_eq!(pb.changes[0].path, "/other_versions[v2]");
    assert_eq!(
        pb.changes[0].accepted.as_ref().unwrap().reason,
        soc_diff::OTHER_VERSIONS_REASON
    );
    // The draft keeps no id, time or person either.
    assert_eq!(
        pb.changes[0].left,
        Some(json!({"version": "v2", "enabled": false, "version_type": 0, "status": "EDITING"}))
    );
    assert_eq!(report.summary.playbooks.accepted, 1);
}

#[test]
fn secrets_in_a_rule_are_redacted() {
    let (s, p) = (staging(), production());
    let with_secret = |doc: Vec<u8>, token: &str| {
        String::from_utf8(doc)
            .unwrap()
            .replace(
                "\\\"severe\\\"",
                &format!("\\\"https://hooks.example.com/x?token={token}\\\""),
            )
            .into_bytes()
    };
    let left = with_secret(s.document("wf-a-s", "High", true, &[]), "hunter2-staging");
    let right = with_secret(
        p.document("wf-a-prod", "High", true, &[]),
        "hunter2-production",
    );
    let report = compare(&left, &right);
    let json = soc_diff::render(
        &CheckReport::single(report.clone()),
        Format::Json,
        &RenderOptions::default(),
    );
    assert!(report.has_drift(), "a rotated secret still shows");
    assert!(!json.contains("hunter2"), "{json}");
    assert!(json.contains("token=<redacted:"), "{json}");
}

#[test]
fn playbooks_and_workflows_of_the_same_name_never_meet() {
    let profile = Profile::secmaster();
    let workflow = |v: u32| {
        let docs = decode_export(
            "w.json",
            json!({"name": "Auto block", "v": v}).to_string().as_bytes(),
            &profile,
        )
        .unwrap();
        docs.iter()
            .map(|d| Entry::Loaded(profile.normalize(d)))
            .collect::<Vec<_>>()
    };
    let (s, p) = (staging(), production());
    let mut left = side(&s.document("wf-a-s", "High", true, &[]));
    left.workflows = workflow(1);
    let mut right = side(&p.document("wf-a-prod", "High", true, &[]));
    right.workflows = workflow(2);
    let report = diff_sides(left, right, &profile, &fixture_options(), &[]).unwrap();
    assert_eq!(report.workflows[0].status, WorkflowStatus::Modified);
    assert_eq!(report.playbooks[0].status, WorkflowStatus::Unchanged);
    assert_eq!(report.summary.total.modified, 1);
    assert_eq!(report.summary.total.unchanged, 1);
}

#[test]
fn filters_and_accept_rules_name_a_kind() {
    let (s, p) = (staging(), production());
    let left = || side(&s.document("wf-a-s", "High", true, &[]));
    let right = || side(&p.document("wf-b-prod", "High", true, &[]));
    let profile = Profile::secmaster();
    // An accept rule about a workflow named like the playbook does not accept the playbook.
    let rule = |name: &str| {
        AcceptRule::new(name, "moving to B")
            .and_then(|rule| rule.with_path("/active_version/actions/*/workflow"))
            .unwrap()
    };
    let options = DiffOptions {
        accept: vec![rule("Auto block")],
        ..fixture_options()
    };
    let report = diff_sides(left(), right(), &profile, &options, &[]).unwrap();
    assert!(
        report.has_drift(),
        "a workflow rule does not reach playbooks"
    );
    let report = diff_sides(
        left(),
        right(),
        &profile,
        &fixture_options(),
        &[rule("Auto*").for_kind(Kind::Playbook)],
    )
    .unwrap();
    assert!(!report.has_drift());
    assert_eq!(
        report.playbooks[0].changes[0]
            .accepted
            .as_ref()
            .unwrap()
            .reason,
        "moving to B"
    );

    // `--workflow` alone compares no playbook; `--playbook` selects playbooks by name.
    let only = |filters: Filters| DiffOptions {
        filters,
        ..fixture_options()
    };
    let workflows_only = only(Filters {
        workflow: vec!["*".into()],
        ..Filters::default()
    });
    let err = diff_sides(left(), right(), &profile, &workflows_only, &[]).unwrap_err();
    assert!(matches!(err, DiffError::NothingSelected { .. }), "{err}");
    let playbooks = only(Filters {
        playbook: vec!["Auto*".into()],
        ..Filters::default()
    });
    let report = diff_sides(left(), right(), &profile, &playbooks, &[]).unwrap();
    assert_eq!(report.playbooks.len(), 1);
    assert!(
        report
            .not_compared(Kind::Workflow)
            .unwrap()
            .starts_with("not named by the filters")
    );
    let excluded = only(Filters {
        playbook: vec!["Auto*".into()],
        exclude: vec!["Auto block".into()],
        ..Filters::default()
    });
    let err = diff_sides(left(), right(), &profile, &excluded, &[]).unwrap_err();
    assert!(err.to_string().contains("playbook Auto*"), "{err}");
}

#[test]
fn a_side_without_playbooks_says_so_instead_of_adding_them_all() {
    let (s, _) = (staging(), production());
    let left = side(&s.document("wf-a-s", "High", true, &[]));
    let right = SideEntries::workflows_only(Vec::new());
    let report = diff_sides(left, right, &Profile::secmaster(), &fixture_options(), &[]).unwrap();
    assert!(report.playbooks.is_empty());
    assert!(!report.has_drift());
    let reason = report.not_compared(Kind::Playbook).unwrap();
    assert!(
        reason.starts_with("the playbooks of production are not known"),
        "{reason}"
    );
    let neither = diff_sides(
        SideEntries::workflows_only(Vec::new()),
        SideEntries::workflows_only(Vec::new()),
        &Profile::secmaster(),
        &fixture_options(),
        &[],
    )
    .unwrap();
    let reason = neither.not_compared(Kind::Playbook).unwrap();
    assert!(
        reason.starts_with("neither side holds playbooks"),
        "{reason}"
    );
    let text = soc_diff::render(
        &CheckReport::single(report),
        Format::Text,
        &RenderOptions::default(),
    );
    assert!(
        text.contains("Playbooks\n  not compared: the playbooks of production"),
        "{text}"
    );
    assert!(text.contains("playbooks: not compared"), "{text}");
    let page = soc_diff::render(
        &CheckReport::single(neither),
        Format::Html,
        &RenderOptions::default(),
    );
    assert!(
        page.contains("<p>Not compared: neither side holds playbooks"),
        "{page}"
    );
}

/// The playbook documents of a bundled workspace, built from its answers as soc-api builds them.
pub fn bundled_playbooks(side: &str) -> Vec<Vec<u8>> {
    let ws = soc_sim::bundled_workspace(side).unwrap();
    let names = ws.workflow_names();
    ws.playbooks
        .iter()
        .map(|pb| {
            let (info, listed, shown) = pb.answers();
            build_inline(&info, &listed, shown.as_deref(), &names).unwrap()
        })
        .collect()
}

/// staging vs production of the bundled fixtures: workflows and playbooks.
pub fn bundled_report() -> Report {
    let profile = Profile::secmaster();
    let load = |name: &str| {
        let workflows = crate::diff::normalize_dir(&crate::diff::workspace_dir(name), &profile);
        let mut playbooks = Vec::new();
        for bytes in bundled_playbooks(name) {
            for doc in decode_export("playbook.json", &bytes, &profile).unwrap() {
                playbooks.push(Entry::Loaded(profile.normalize(&doc)));
            }
        }
        SideEntries::new(
            workflows.into_iter().map(Entry::Loaded).collect(),
            playbooks,
        )
    };
    diff_sides(
        load("staging"),
        load("production"),
        &profile,
        &fixture_options(),
        &[],
    )
    .unwrap()
}

#[test]
fn the_bundled_playbooks_drift_as_they_were_made_to() {
    let report = bundled_report();
    let outcome: Vec<(&str, WorkflowStatus, bool)> = report
        .playbooks
        .iter()
        .map(|p| (p.name.as_str(), p.status, p.drift))
        .collect();
    assert_eq!(
        outcome,
        [
            (
                "Auto-block malicious sources",
                WorkflowStatus::Unchanged,
                false
            ),
            (
                "Close stale false positives",
                WorkflowStatus::Modified,
                false
            ),
            ("Contain compromised hosts", WorkflowStatus::Modified, true),
            ("Notify the on-call analyst", WorkflowStatus::Modified, true),
            (
                "Respond to reported phishing",
                WorkflowStatus::Modified,
                true
            ),
            ("Triage suspicious logins", WorkflowStatus::Modified, true),
        ]
    );
    let change = |name: &str| {
        let pb = report.playbooks.iter().find(|p| p.name == name).unwrap();
        assert_eq!(pb.changes.len(), 1, "{pb:#?}");
        let c = &pb.changes[0];
        (c.path.as_str(), c.left.clone(), c.right.clone())
    };
    assert_eq!(
        change("Triage suspicious logins"),
        (
            "/active_version/actions[Contain the account's host]/workflow",
            Some(json!("Isolate compromised host")),
            Some(json!("Block malicious source IP"))
        )
    );
    assert_eq!(
        change("Notify the on-call analyst"),
        ("/enabled", Some(json!(true)), Some(json!(false)))
    );
    assert_eq!(
        change("Contain compromised hosts").0,
        "/active_version/rules/rule/conditions[condition_1]/data/2"
    );
    assert_eq!(
        change("Respond to reported phishing").2,
        Some(json!("Phishing mail triage"))
    );
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn every_format_heads_playbooks_apart() {
    let report = CheckReport::single(bundled_report());
    let plain = RenderOptions::default();
    snapshot(
        "playbooks.txt",
        &soc_diff::render(&report, Format::Text, &plain),
    );
    snapshot(
        "playbooks.md",
        &soc_diff::render(&report, Format::Markdown, &plain),
    );
    snapshot(
        "playbooks.junit.xml",
        &soc_diff::render(&report, Format::Junit, &plain),
    );
    let stat = RenderOptions {
        stat_only: true,
        ..plain
    };
    snapshot(
        "playbooks-stat.txt",
        &soc_diff::render(&report, Format::Text, &stat),
    );
    let annotations = soc_diff::render::github_annotations(&report, &Default::default());
    snapshot("playbooks.annotations", &annotations);
    let json: Value =
        serde_json::from_str(&soc_diff::render(&report, Format::Json, &plain)).unwrap();
    let pair = &json["pairs"][0];
    assert_eq!(pair["playbooks"].as_array().unwrap().len(), 6);
    assert_eq!(pair["summary"]["playbooks"]["modified"], 5);
    assert_eq!(pair["summary"]["playbooks"]["accepted"], 1);
    assert_eq!(pair["summary"]["workflows"]["modified"], 2);
    assert_eq!(pair["summary"]["modified"], 7);
    // The review page lists the playbooks apart, each changed one with a section of its own.
    let page = soc_diff::render(&report, Format::Html, &plain);
    assert!(page.contains("<h3 class=\"kind\">Playbooks</h3>"), "{page}");
    assert!(page.contains("<table class=\"workflows\" data-kind=\"playbook\">"));
    let playbook_sections = page
        .matches("<section class=\"workflow\" id=\"p0-p")
        .count();
    assert_eq!(playbook_sections, 5, "{page}");
    // The playbooks' table and each of their five sections say what they hold.
    assert_eq!(page.matches(" data-kind=\"playbook\"").count(), 6, "{page}");
}

mod props {
    use proptest::prelude::*;

    use super::*;

    /// A playbook document whose actions (each bound to one of `workflows`) and other versions
    /// come in the order given, with every id drawn from `ids`.
    fn document(
        ids: &str,
        actions: &[(String, usize)],
        others: &[String],
        workflows: &[&str],
    ) -> Vec<u8> {
        let names: Vec<(String, &str)> = workflows
            .iter()
            .enumerate()
            .map(|(i, name)| (format!("wf{i}-{ids}"), *name))
            .collect();
        let actions: Vec<Value> = actions
            .iter()
            .map(|(name, wf)| {
                json!({"id": format!("a-{name}-{ids}"), "name": name,
                       "action_type": "AOP_WORKFLOW", "action_id": format!("wf{wf}-{ids}")})
            })
            .collect();
        let mut listed = vec![json!({"id": format!("v-{ids}"), "version": "active"})];
        listed.extend(
            others
                .iter()
                .map(|v| json!({"id": format!("{v}-{ids}"), "version": v, "create_time": ids})),
        );
        let active = json!({"id": format!("v-{ids}"), "version": "active", "rule_id": ids,
            "rules": {"id": ids, "rule": r#"{"logics":["condition_0"]}"#}, "actions": actions});
        let names: Vec<(&str, &str)> = names.iter().map(|(id, n)| (id.as_str(), *n)).collect();
        playbook(
            json!({"id": ids, "name": "P", "version_id": format!("v-{ids}"), "create_time": ids}),
            &listed,
            Some(active),
            &names,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Ids, times and the order of actions and other versions never show as drift, and
        /// normalizing twice changes nothing.
        #[test]
        fn ids_and_order_are_not_drift(
            actions in prop::collection::btree_map("[a-z]{1,6}", 0usize..3, 0..5),
            others in prop::collection::btree_set("v[0-9]{1,2}", 0..4),
            left_ids in "[a-f0-9]{4,8}",
            right_ids in "[g-z]{4,8}",
            seed in any::<u64>(),
        ) {
            let workflows = ["Block IP", "Notify", "Isolate"];
            let actions: Vec<(String, usize)> = actions.into_iter().collect();
            let others: Vec<String> = others.into_iter().collect();
            let mut shuffled_actions = actions.clone();
            let mut shuffled_others = others.clone();
            let rotate = usize::try_from(seed % 7).unwrap();
            if !shuffled_actions.is_empty() {
                let n = rotate % shuffled_actions.len();
                shuffled_actions.rotate_left(n);
            }
            shuffled_others.reverse();
            let left = document(&left_ids, &actions, &others, &workflows);
            let right = document(&right_ids, &shuffled_actions, &shuffled_others, &workflows);
            let report = compare(&left, &right);
            prop_assert_eq!(report.playbooks[0].status, WorkflowStatus::Unchanged);
            // Normalizing the canonical form again changes nothing.
            let profile = Profile::secmaster();
            let doc = &decode_export("p.json", &left, &profile).unwrap()[0];
            let once = profile.normalize(doc);
            let again = soc_normalize::Document {
                name: once.name.clone(),
                source: once.source.clone(),
                content: soc_normalize::Content::Json(once.value().unwrap().unwrap()),
            };
            let twice = profile.normalize(&again);
            prop_assert_eq!(twice.canonical(), once.canonical());
        }
    }
}
