//! The differ over the bundled fixtures and generated workspaces.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use soc_diff::diff::AcceptRule;
use soc_diff::report::{ChangeKind, WorkflowReport, WorkflowStatus};
use soc_diff::{DiffOptions, Report, diff};
use soc_normalize::{Entry, Normalized, Profile};
use soc_sim::generate::{DriftKind, GenerateOptions, generate_with_mutations};

pub fn workspace_dir(side: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/workspaces")
        .join(side)
        .join("workflows")
}

/// Decodes and normalizes every export file under `dir`.
pub fn normalize_dir(dir: &Path, profile: &Profile) -> Vec<Normalized> {
    soc_normalize::decode::load_path(dir, profile)
        .unwrap()
        .iter()
        .map(|doc| profile.normalize(doc))
        .collect()
}

pub fn fixture_options() -> DiffOptions {
    DiffOptions {
        left_label: "staging".into(),
        right_label: "production".into(),
        today: "2026-06-01".parse().unwrap(),
        ..DiffOptions::default()
    }
}

/// staging vs production of the bundled fixtures, everything loaded.
pub fn fixture_report(options: &DiffOptions) -> Report {
    let profile = Profile::secmaster();
    let load = |side| {
        normalize_dir(&workspace_dir(side), &profile)
            .into_iter()
            .map(Entry::Loaded)
            .collect()
    };
    diff(load("staging"), load("production"), &profile, options).unwrap()
}

fn find<'r>(report: &'r Report, name: &str) -> &'r WorkflowReport {
    report
        .workflows
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workflow {name:?} in {report:#?}"))
}

// Long on purpose: every fixture workflow with the drift it was made with, checked in one table.
#[test]
fn fixtures_show_the_drift_they_were_made_with() {
    let report = fixture_report(&fixture_options());
    let outcome: Vec<_> = report
        .workflows
        .iter()
        .map(|w| {
            (
                w.name.as_str(),
                w.status,
                w.previous_name.as_deref(),
                w.layout_changed,
            )
        })
        .collect();
    assert_eq!(
        outcome,
        [
            (
                "Block malicious source IP",
                WorkflowStatus::Modified,
                None,
                false
            ),
            (
                "Close false positives",
                WorkflowStatus::Unchanged,
                None,
                false
            ),
            (
                "Enrich alert with context",
                WorkflowStatus::Removed,
                None,
                false
            ),
            (
                "Isolate compromised host",
                WorkflowStatus::Unchanged,
                None,
                true
            ),
            ("Legacy ticket sync", WorkflowStatus::Added, None, false),
            (
                "Notify on high-severity alert",
                WorkflowStatus::Modified,
                None,
                false
            ),
            (
                "Phishing mail triage",
                WorkflowStatus::Renamed,
                Some("Phishing triage"),
                false
            ),
        ]
    );
    assert!(report.has_drift());
    assert_eq!(report.summary.total.layout_only, 1);

    let block = find(&report, "Block malicious source IP");
    assert_eq!(block.changes.len(), 1, "{block:#?}");
    let change = &block.changes[0];
    // Addressed by what it is, not where it sits; the JSON pointer still says where.
    assert_eq!(
        change.path,
        "/versions[@active]/taskflow/serviceTask[Activity_u0ugsc7]/soar:params/duration"
    );
    assert!(
        change.pointer.ends_with("/attributes/soar:params/duration"),
        "{}",
        change.pointer
    );
    assert_eq!(
        (change.kind, &change.left, &change.right),
        (ChangeKind::Changed, &Some(json!(86400)), &Some(json!(3600)))
    );
    let text = block.text_diff.as_deref().unwrap();
    assert!(
        text.starts_with(
            "--- staging/Block malicious source IP\n+++ production/Block malicious source IP\n@@ "
        ),
        "{text}"
    );

    let notify = find(&report, "Notify on high-severity alert");
    let paths: Vec<_> = notify.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/versions[@active]/taskconfig/node_info/escalation_minutes",
            "/versions[@active]/taskconfig/webhook/api_token"
        ]
    );
    let token = &notify.changes[1];
    for side in [&token.left, &token.right] {
        let shown = side.as_ref().unwrap().as_str().unwrap();
        assert!(shown.starts_with("<redacted:"), "secret shown: {shown}");
    }
    assert_ne!(
        token.left, token.right,
        "a rotated secret still shows as changed"
    );
    let whole = serde_json::to_string(&report).unwrap();
    for secret in ["stg-1Lm4Qw8z", "prod-7Hq2pXk9"] {
        assert!(!whole.contains(secret), "{secret} leaked into the report");
    }
}

#[test]
fn accepting_the_known_differences_clears_the_drift() {
    let mut options = fixture_options();
    options.accept = vec![
        AcceptRule::new(
            "Block malicious source IP",
            "production blocks for one hour until the WAF quota is raised",
        )
        .unwrap()
        .with_path("/**/soar:params/duration")
        .unwrap()
        .with_expires("2026-12-31")
        .unwrap(),
        AcceptRule::new("Notify*", "tokens differ per environment").unwrap(),
        AcceptRule::new(
            "*",
            "renames, additions and removals are tracked in TICKET-1",
        )
        .unwrap()
        .with_expires("2026-01-01")
        .unwrap(),
    ];
    let report = fixture_report(&options);
    let drifting: Vec<_> = report
        .workflows
        .iter()
        .filter(|w| w.drift)
        .map(|w| w.name.as_str())
        .collect();
    // The catch-all expired, so only the two modified workflows are accepted.
    assert_eq!(
        drifting,
        [
            "Enrich alert with context",
            "Legacy ticket sync",
            "Phishing mail triage"
        ]
    );
    assert_eq!(report.summary.total.accepted, 2);
    assert_eq!(
        find(&report, "Legacy ticket sync").notes,
        [
            "acceptance expired on 2026-01-01: renames, additions and removals are tracked in TICKET-1"
        ]
    );
    options.today = "2025-12-31".parse().unwrap();
    assert!(!fixture_report(&options).has_drift());
}

/// Deferred entries that count their loads, as a snapshot store would hand them over.
fn deferred(docs: Vec<Normalized>, profile_hash: &str, loads: &Arc<AtomicUsize>) -> Vec<Entry> {
    docs.into_iter()
        .map(|doc| {
            let loads = Arc::clone(loads);
            Entry::Deferred {
                name: doc.name.clone(),
                sha256: doc.sha256.clone(),
                layout_sha256: doc.layout_sha256.clone(),
                profile_hash: profile_hash.to_owned(),
                load: Box::new(move || {
                    loads.fetch_add(1, Ordering::SeqCst);
                    Ok(doc)
                }),
            }
        })
        .collect()
}

#[test]
fn deferred_entries_are_loaded_only_where_something_changed() {
    let profile = Profile::secmaster();
    let staging = normalize_dir(&workspace_dir("staging"), &profile);
    let production = normalize_dir(&workspace_dir("production"), &profile);
    let loads = Arc::new(AtomicUsize::new(0));
    let report = diff(
        deferred(staging.clone(), &profile.hash(), &loads),
        deferred(production.clone(), &profile.hash(), &loads),
        &profile,
        &fixture_options(),
    )
    .unwrap();
    // 2 modified pairs, 2 sides of the rename, 1 removed, 1 added; the two unchanged pairs never load.
    assert_eq!(loads.load(Ordering::SeqCst), 8);
    assert_eq!(
        report,
        fixture_report(&fixture_options()),
        "the shortcut changes nothing but the cost"
    );

    // Hashes recorded under another profile are not trusted: everything loads.
    let loads = Arc::new(AtomicUsize::new(0));
    diff(
        deferred(staging, "another-profile", &loads),
        deferred(production, "another-profile", &loads),
        &profile,
        &fixture_options(),
    )
    .unwrap();
    assert_eq!(loads.load(Ordering::SeqCst), 12);
}

#[test]
fn generated_drift_is_found_exactly() {
    let generated = generate_with_mutations(&GenerateOptions {
        workflows: 60,
        nodes_per_workflow: 12,
        seed: 7,
        drift_rate: 0.2,
    });
    assert!(!generated.mutations.is_empty());
    let profile = Profile::secmaster();
    let entries = |ws: &soc_sim::Workspace| -> Vec<Entry> {
        ws.workflows
            .iter()
            .flat_map(|wf| {
                let bytes = wf.export_bytes().unwrap();
                soc_normalize::decode_export(&format!("{}.json", wf.info.id), &bytes, &profile)
                    .unwrap()
            })
            .map(|doc| Entry::Loaded(profile.normalize(&doc)))
            .collect()
    };
    let report = diff(
        entries(&generated.base),
        entries(&generated.drifted),
        &profile,
        &fixture_options(),
    )
    .unwrap();
    for wf in &report.workflows {
        let kinds: Vec<DriftKind> = generated
            .mutations
            .iter()
            .filter(|m| m.workflow == wf.name)
            .map(|m| m.kind)
            .collect();
        let semantic = kinds.iter().any(|k| *k != DriftKind::LayoutMove);
        let expected = if semantic {
            WorkflowStatus::Modified
        } else {
            WorkflowStatus::Unchanged
        };
        assert_eq!(wf.status, expected, "{}: mutations {kinds:?}", wf.name);
        if kinds.contains(&DriftKind::LayoutMove) {
            assert!(wf.layout_changed, "{}", wf.name);
        }
        if kinds.contains(&DriftKind::NodeAdded) {
            // The inserted task is one added element, not a cascade over the elements after it.
            let added = wf
                .changes
                .iter()
                .filter(|c| {
                    c.kind == ChangeKind::Added
                        && c.right.as_ref().is_some_and(|v| {
                            v.get("name").is_some_and(|n| n == "bpmn2:serviceTask")
                        })
                })
                .count();
            assert_eq!(added, 1, "{}: {:#?}", wf.name, wf.changes);
        }
    }
}

/// The staging fixtures as if built again by hand: every BPMN element id replaced by a new one.
fn rebuilt_by_hand(mutate: impl Fn(&mut serde_json::Value)) -> Vec<(String, Vec<u8>)> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut files: Vec<_> = std::fs::read_dir(workspace_dir("staging"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let mut export: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            for version in export["versions"].as_array_mut().unwrap() {
                let mut text =
                    String::from_utf8(b64.decode(version["taskflow"].as_str().unwrap()).unwrap())
                        .unwrap();
                let graph: serde_json::Value = serde_json::from_str(&text).unwrap();
                let mut ids = Vec::new();
                collect_ids(&graph, &mut ids);
                assert!(ids.len() > 5, "fixture taskflows have elements");
                for (n, id) in ids.iter().enumerate() {
                    // As the console would: a new creation time for the process (which its
                    // generated name repeats), new random suffixes for everything else.
                    let fresh = match id.strip_prefix("Process_") {
                        Some(ms) => {
                            let new_ms = format!("17999999{n:05}");
                            text = text.replace(
                                &format!("Service_Process{ms}"),
                                &format!("Service_Process{new_ms}"),
                            );
                            format!("Process_{new_ms}")
                        }
                        None => format!("Rebuilt_{n}x9"),
                    };
                    text = text.replace(&format!("\"{id}\""), &format!("\"{fresh}\""));
                }
                let mut graph: serde_json::Value = serde_json::from_str(&text).unwrap();
                mutate(&mut graph);
                version["taskflow"] = b64.encode(serde_json::to_vec(&graph).unwrap()).into();
            }
            (
                path.display().to_string(),
                serde_json::to_vec(&export).unwrap(),
            )
        })
        .collect()
}

fn collect_ids(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(id) = map
                .get("attributes")
                .and_then(|a| a.get("id"))
                .and_then(|id| id.as_str())
            {
                out.push(id.to_owned());
            }
            map.values().for_each(|v| collect_ids(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_ids(v, out)),
        _ => {}
    }
}

fn diff_rebuilt(profile: &Profile, rebuilt: &[(String, Vec<u8>)]) -> Report {
    let left = normalize_dir(&workspace_dir("staging"), profile)
        .into_iter()
        .map(Entry::Loaded)
        .collect();
    let right = rebuilt
        .iter()
        .flat_map(|(source, bytes)| soc_normalize::decode_export(source, bytes, profile).unwrap())
        .map(|doc| Entry::Loaded(profile.normalize(&doc)))
        .collect();
    diff(left, right, profile, &DiffOptions::default()).unwrap()
}

#[test]
fn element_ids_by_name_matches_workflows_built_separately() {
    let by_name = Profile::secmaster()
        .with_config(&soc_normalize::ProfileConfig {
            element_ids: soc_normalize::ElementIds::ByName,
            ..Default::default()
        })
        .unwrap();
    assert_ne!(by_name.hash(), Profile::secmaster().hash());
    let rebuilt = rebuilt_by_hand(|_| {});

    // Compared as they are, new ids make every workflow drift, and the report says plainly
    // that ids are all that differ, and what to do.
    let as_is = diff_rebuilt(&Profile::secmaster(), &rebuilt);
    assert_eq!(
        as_is.summary.total.modified,
        rebuilt.len(),
        "{:?}",
        as_is.summary
    );
    for workflow in &as_is.workflows {
        assert!(
            workflow
                .notes
                .iter()
                .any(|note| note.contains("element_ids = \"by_name\"")),
            "{:?}",
            workflow.notes
        );
        let graph = workflow.graph.as_ref().unwrap();
        assert!(graph.ids_only && graph.nodes.is_empty(), "{graph:#?}");
    }

    // By name, the same graphs are the same.
    let report = diff_rebuilt(&by_name, &rebuilt);
    assert_eq!(report.summary.total.modified, 0, "{report:#?}");
    assert_eq!(report.summary.total.unchanged, rebuilt.len());

    // A real change still shows, as one change at a path a reviewer can read.
    let changed = rebuilt_by_hand(|graph| {
        // soar:params is JSON text inside the graph, so its quotes are escaped here.
        let text = graph
            .to_string()
            .replace("\\\"duration\\\":86400", "\\\"duration\\\":3600");
        *graph = serde_json::from_str(&text).unwrap();
    });
    let report = diff_rebuilt(&by_name, &changed);
    assert_eq!(report.summary.total.modified, 1, "{report:#?}");
    // Real drift on top of new ids gets no such hint under the default rules.
    let as_is = diff_rebuilt(&Profile::secmaster(), &changed);
    let block = find(&as_is, "Block malicious source IP");
    assert!(
        block.notes.iter().all(|note| !note.contains("element_ids")),
        "{:?}",
        block.notes
    );
    assert!(
        find(&as_is, "Phishing triage")
            .notes
            .iter()
            .any(|note| note.contains("element_ids"))
    );
    let drifted = report.workflows.iter().find(|w| w.differs()).unwrap();
    assert_eq!(drifted.changes.len(), 1, "{:#?}", drifted.changes);
    // The graph summary names the node by type and name.
    let nodes = &drifted.graph.as_ref().unwrap().nodes;
    assert_eq!(nodes.len(), 1, "{nodes:#?}");
    assert_eq!(
        (nodes[0].kind.as_str(), nodes[0].name.as_deref()),
        ("serviceTask", Some("Block on WAF"))
    );
    assert_eq!(nodes[0].params[0].name, "soar:params/duration");
    // By type and name, as the rebuilt workflow has no other identity in common.
    assert_eq!(
        drifted.changes[0].path,
        "/versions[@active]/taskflow/serviceTask[Block on WAF]/soar:params/duration"
    );
}

/// A fixture workflow's export, as JSON.
fn fixture_json(side: &str, file: &str) -> serde_json::Value {
    let path = workspace_dir(side).join(file);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Decodes the taskflow of each version, lets `edit` change the diagram's process, encodes it back.
fn edit_process(export: &mut serde_json::Value, edit: impl Fn(&mut Vec<serde_json::Value>)) {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    for version in export["versions"].as_array_mut().unwrap() {
        let text = version["taskflow"].as_str().unwrap();
        let mut taskflow: serde_json::Value =
            serde_json::from_slice(&engine.decode(text).unwrap()).unwrap();
        let process = &mut taskflow["workflow"]["elements"][0]["elements"][0]["elements"];
        edit(process.as_array_mut().unwrap());
        version["taskflow"] = json!(engine.encode(taskflow.to_string()));
    }
}

/// Staging's and production's "Block malicious source IP" (production blocks for one hour), with
/// `edit` applied to production's process, diffed with `options`.
fn block_ip(edit: impl Fn(&mut Vec<serde_json::Value>), options: &DiffOptions) -> WorkflowReport {
    let profile = Profile::secmaster();
    let entries = |export: serde_json::Value| -> Vec<Entry> {
        soc_normalize::decode_export("x.json", export.to_string().as_bytes(), &profile)
            .unwrap()
            .iter()
            .map(|doc| Entry::Loaded(profile.normalize(doc)))
            .collect()
    };
    let mut production = fixture_json("production", "01-block-ip.json");
    edit_process(&mut production, edit);
    let staging = fixture_json("staging", "01-block-ip.json");
    let report = diff(entries(staging), entries(production), &profile, options).unwrap();
    find(&report, "Block malicious source IP").clone()
}

fn new_task(id: &str, name: &str) -> serde_json::Value {
    json!({"type": "element", "name": "bpmn2:serviceTask",
           "attributes": {"id": id, "name": name, "soar:timeout": "30"}})
}

#[test]
fn a_change_keeps_its_address_when_unrelated_nodes_are_added_removed_or_reordered() {
    let options = fixture_options();
    let alone = block_ip(|_| {}, &options);
    assert_eq!(alone.changes.len(), 1);
    let address = alone.changes[0].path.clone();
    let crowded = block_ip(
        |process| {
            // A task inserted first (its id sorts first, too), the end event gone, the rest reversed.
            process.insert(0, new_task("Activity_0000000", "Ask an analyst"));
            process.retain(|e| e["attributes"]["id"] != "Event_w8q7121");
            process.reverse();
        },
        &options,
    );
    let duration: Vec<_> = crowded
        .changes
        .iter()
        .filter(|c| c.path.ends_with("/soar:params/duration"))
        .collect();
    assert_eq!(duration.len(), 1, "{:#?}", crowded.changes);
    assert_eq!(duration[0].path, address);
    assert_ne!(
        duration[0].pointer, alone.changes[0].pointer,
        "the JSON pointer moved; the address did not"
    );
    let others: Vec<_> = crowded.changes.iter().map(|c| c.path.as_str()).collect();
    assert!(
        others.contains(&"/versions[@active]/taskflow/serviceTask[Activity_0000000]"),
        "{others:?}"
    );
    assert!(
        others.contains(&"/versions[@active]/taskflow/endEvent[Event_w8q7121]"),
        "{others:?}"
    );
}

#[test]
fn an_accept_rule_copied_from_a_report_keeps_matching() {
    let first = block_ip(|_| {}, &fixture_options());
    // The reviewer copies the path of the change from the report into socdrift.toml.
    let rule = AcceptRule::new(
        "Block malicious source IP",
        "one hour until the WAF quota grows",
    )
    .unwrap()
    .with_path(&first.changes[0].path)
    .unwrap();
    let options = DiffOptions {
        accept: vec![rule],
        ..fixture_options()
    };
    assert!(!block_ip(|_| {}, &options).drift);
    // A week later someone adds a task before it; the rule still accepts the duration, and
    // only the new task is drift.
    let later = block_ip(
        |process| process.insert(0, new_task("Activity_0000000", "Ask an analyst")),
        &options,
    );
    assert!(later.drift);
    let open: Vec<_> = later
        .changes
        .iter()
        .filter(|c| c.accepted.is_none())
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        open,
        ["/versions[@active]/taskflow/serviceTask[Activity_0000000]"]
    );
    assert!(later.notes.is_empty(), "{:?}", later.notes);
}

#[test]
fn a_positional_rule_of_an_older_report_still_matches_and_says_what_to_write() {
    let rule = AcceptRule::new("Block malicious source IP", "one hour")
        .unwrap()
        .with_path(
            "/versions/0/taskflow/workflow/elements/0/elements/0/elements/2/attributes/soar:params/duration",
        )
        .unwrap();
    let options = DiffOptions {
        accept: vec![rule],
        ..fixture_options()
    };
    let report = block_ip(|_| {}, &options);
    assert!(!report.drift);
    assert_eq!(
        report.notes,
        [
            "the [[accept]] rule for \"Block malicious source IP\" matched \
             `/versions/0/taskflow/workflow/elements/0/elements/0/elements/2/attributes/soar:params/duration` \
             by JSON pointer, whose array positions move when unrelated nodes are added or removed; \
             write `path = \"/versions[@active]/taskflow/serviceTask[Activity_u0ugsc7]/soar:params/duration\"` instead"
        ]
    );
}

#[test]
fn ignore_rules_name_places_by_address_too() {
    let config = soc_normalize::ProfileConfig {
        ignore: vec![
            "/versions[@active]/taskflow/serviceTask[Activity_u0ugsc7]/soar:params/duration".into(),
            "/**/webhook/api_token".into(),
        ],
        ..Default::default()
    };
    let profile = Profile::secmaster().with_config(&config).unwrap();
    let load = |side| {
        normalize_dir(&workspace_dir(side), &profile)
            .into_iter()
            .map(Entry::Loaded)
            .collect()
    };
    let report = diff(
        load("staging"),
        load("production"),
        &profile,
        &fixture_options(),
    )
    .unwrap();
    assert_eq!(
        find(&report, "Block malicious source IP").status,
        WorkflowStatus::Unchanged
    );
    let notify = find(&report, "Notify on high-severity alert");
    let paths: Vec<_> = notify.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/versions[@active]/taskconfig/node_info/escalation_minutes"]
    );

    // Array rules name arrays by JSON pointer; an identity there is a clear error.
    let err = Profile::secmaster()
        .with_config(&soc_normalize::ProfileConfig {
            sets: vec!["/versions[@active]/taskconfig/recipients".into()],
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("`/versions/*/taskconfig/steps`"),
        "{err}"
    );
}

/// Every fixture export of one side, as JSON, by file name.
fn fixture_exports(side: &str) -> Vec<(String, serde_json::Value)> {
    let mut files: Vec<_> = std::fs::read_dir(workspace_dir(side))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let export = fixture_json(side, &file);
            (file, export)
        })
        .collect()
}

/// The promotion scenario on the bundled fixtures: `production@promoted` (the base) is the
/// production fixture, what was promoted last; `staging@live` is the staging fixture, whose
/// every difference is new work, plus a draft of "Close false positives"; `production@live` is
/// the base edited by hand since: Notify escalates after 45 minutes (staging says 15: a
/// conflict) and Create ticket times out after 120 s (drift).
pub fn promotion_report(options: &DiffOptions) -> Report {
    let mut staging = fixture_exports("staging");
    let mut production = fixture_exports("production");
    let base = production.clone();
    for (file, export) in &mut staging {
        if file.starts_with("04-") {
            let mut draft = export["versions"][0].clone();
            draft["version"] = json!("v1.1.0");
            draft["status"] = json!("pending_submit");
            draft["enabled"] = json!(false);
            draft["taskconfig"] = json!(
                r#"{"node_info":{"allow_list":"corp_scanners,pentest_2026"},"usertask_info":{}}"#
            );
            export["versions"].as_array_mut().unwrap().push(draft);
        }
    }
    for (file, export) in &mut production {
        if file.starts_with("02-") {
            let config = export["versions"][0]["taskconfig"].as_str().unwrap();
            let config = config.replace("\"escalation_minutes\":30", "\"escalation_minutes\":45");
            export["versions"][0]["taskconfig"] = json!(config);
        }
        if file.starts_with("03-") {
            edit_process(export, |process| {
                for node in process.iter_mut() {
                    if node["attributes"]["name"] == "Create ticket" {
                        node["attributes"]["soar:timeout"] = json!("120");
                    }
                }
            });
        }
    }
    let profile = Profile::secmaster();
    let entries = |side: Vec<(String, serde_json::Value)>| -> Vec<Entry> {
        side.iter()
            .flat_map(|(file, export)| {
                soc_normalize::decode_export(file, export.to_string().as_bytes(), &profile).unwrap()
            })
            .map(|doc| Entry::Loaded(profile.normalize(&doc)))
            .collect()
    };
    let options = DiffOptions {
        left_label: "staging@live".into(),
        right_label: "production@live".into(),
        base_label: "production@promoted".into(),
        ..options.clone()
    };
    soc_diff::diff_three(
        entries(staging),
        entries(production),
        entries(base),
        &profile,
        &options,
    )
    .unwrap()
}

#[test]
fn the_promotion_scenario_classes_what_it_was_made_with() {
    use soc_diff::report::ChangeClass::*;
    let report = promotion_report(&fixture_options());
    let got: Vec<_> = report
        .workflows
        .iter()
        .filter(|w| w.differs())
        .map(|w| (w.name.as_str(), w.status, w.class, w.drift))
        .collect();
    assert_eq!(
        got,
        [
            (
                "Block malicious source IP",
                WorkflowStatus::Modified,
                Some(Promote),
                false
            ),
            (
                "Close false positives",
                WorkflowStatus::Modified,
                None,
                false
            ),
            (
                "Enrich alert with context",
                WorkflowStatus::Removed,
                Some(Promote),
                false
            ),
            (
                "Isolate compromised host",
                WorkflowStatus::Modified,
                Some(Drift),
                true
            ),
            (
                "Legacy ticket sync",
                WorkflowStatus::Added,
                Some(Promote),
                false
            ),
            (
                "Notify on high-severity alert",
                WorkflowStatus::Modified,
                Some(Conflict),
                true
            ),
            (
                "Phishing mail triage",
                WorkflowStatus::Renamed,
                Some(Promote),
                false
            ),
        ]
    );
    let notify = find(&report, "Notify on high-severity alert");
    let conflict = &notify.changes[0];
    assert_eq!(
        (conflict.class, &conflict.base, &conflict.right),
        (Some(Conflict), &Some(json!(30)), &Some(json!(45)))
    );
    let drafts = find(&report, "Close false positives");
    assert!(drafts.changes.is_empty());
    assert_eq!(drafts.versions[0].version, "v1.1.0");
    assert_eq!(drafts.versions[0].status, WorkflowStatus::Removed);
}
