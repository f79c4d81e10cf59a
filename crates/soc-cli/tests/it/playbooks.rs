//! Playbooks end to end: read from the emulator, snapshotted, diffed and checked next to the
//! workflows, their bound workflows compared by name, filters and accept rules naming the kind.

use serde_json::{Value, json};
use soc_sim::{FaultConfig, Fixtures, SimConfig, Workspace};

use crate::live::Live;

fn report(run: &crate::support::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"))
}

fn playbook<'a>(pair: &'a Value, name: &str) -> &'a Value {
    pair["playbooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no playbook {name:?} in {pair}"))
}

#[test]
fn live_environments_differ_in_playbooks_named_by_their_workflows() {
    let live = Live::start();
    let run = live
        .env
        .run(&["diff", "staging@live", "production@live", "-o", "json"]);
    assert_eq!(run.code, 1, "{run}");
    let json = report(&run);
    let pair = &json["pairs"][0];
    assert_eq!(pair["summary"]["playbooks"]["modified"], 5, "{run}");
    assert_eq!(pair["summary"]["playbooks"]["unchanged"], 1, "{run}");
    // Bound to "Block malicious source IP" in both workspaces, by different ids: unchanged.
    assert_eq!(
        playbook(pair, "Auto-block malicious sources")["status"],
        "unchanged"
    );
    let rebound = playbook(pair, "Triage suspicious logins");
    assert_eq!(
        rebound["changes"],
        json!([{"path": "/active_version/actions[Contain the account's host]/workflow",
                "pointer": "/active_version/actions/0/workflow", "kind": "changed",
                "left": "Isolate compromised host", "right": "Block malicious source IP"}])
    );
    assert_eq!(
        playbook(pair, "Notify the on-call analyst")["changes"][0]["path"],
        "/enabled"
    );
    live.assert_read_only();
}

/// The bundled workspaces with production's "Triage suspicious logins" bound to production's own
/// workflow named `workflow`.
fn rebound(workflow: &str) -> SimConfig {
    let mut workspaces: Vec<Workspace> = soc_sim::bundled_workspaces().unwrap();
    let production = &mut workspaces[1];
    let id = production
        .workflow_by_name(workflow)
        .unwrap()
        .id()
        .to_owned();
    let triage = production
        .playbooks
        .iter_mut()
        .find(|p| p.name() == "Triage suspicious logins")
        .unwrap();
    for version in &mut triage.versions {
        for action in &mut version.actions {
            action["action_id"] = json!(id);
        }
    }
    SimConfig {
        fixtures: Fixtures::Workspaces(workspaces),
        ..SimConfig::default()
    }
}

#[test]
fn the_same_named_workflow_is_the_same_binding_and_another_is_named() {
    // Staging binds its "Isolate compromised host"; production its own, under another id.
    let same = Live::start_with(rebound("Isolate compromised host"), "");
    let run = same.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--playbook",
        "Triage*",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("playbooks: 0 modified"), "{run}");
    // Bound to "Close false positives" instead: one change, naming both workflows.
    let other = Live::start_with(rebound("Close false positives"), "");
    let run = other.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--playbook",
        "Triage*",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains(
            "~ /active_version/actions[Contain the account's host]/workflow: \"Isolate compromised host\" -> \"Close false positives\""
        ),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("workflows: not compared; playbooks: 1 modified"),
        "{run}"
    );
}

#[test]
fn the_deprecated_endpoints_are_said_once_and_change_nothing() {
    let separate = Live::start_with(
        SimConfig {
            faults: FaultConfig {
                playbook_details_separate: true,
                ..FaultConfig::default()
            },
            ..SimConfig::default()
        },
        "",
    );
    let run = separate
        .env
        .run(&["diff", "staging@live", "production@live", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(
        run.stderr.matches("announce their deprecation").count(),
        1,
        "{run}"
    );
    assert!(run.stderr.contains("is deprecated (date "), "{run}");
    let inline = Live::start();
    let same = inline
        .env
        .run(&["diff", "staging@live", "production@live", "--stat"]);
    assert_eq!(run.stdout, same.stdout);
    assert!(!same.stderr.contains("deprecat"), "{same}");
}

#[test]
fn accept_rules_and_filters_name_the_playbook_kind() {
    let live = Live::start_with(
        SimConfig::default(),
        "[[accept]]\nplaybook = \"Notify the on-call analyst\"\npath = \"/enabled\"\n\
         reason = \"paused while the pager is replaced\"\n\n\
         [[accept]]\nworkflow = \"Triage suspicious logins\"\nreason = \"a workflow rule\"\n",
    );
    let run = live.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--playbook",
        "Notify*",
        "--playbook",
        "Triage*",
    ]);
    assert_eq!(
        run.code, 1,
        "a workflow rule does not accept a playbook: {run}"
    );
    assert!(
        run.stdout
            .contains("~ /enabled: true -> false (accepted: paused while the pager is replaced)"),
        "{run}"
    );
    assert!(
        run.stdout.contains("M Triage suspicious logins (1 change)"),
        "{run}"
    );
    assert!(
        run.stdout
            .starts_with("Workflows\n  not compared: not named by the filters"),
        "{run}"
    );
    let run = live.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--playbook",
        "Notify*",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let json = report(&run);
    assert_eq!(json["filters"], json!({"playbook": ["Notify*"]}));
    assert_eq!(json["pairs"][0]["workflows"], json!([]));
}

#[test]
fn snapshots_keep_playbooks_and_old_snapshots_say_they_do_not_know_them() {
    let live = Live::start();
    let run = live.env.run(&["snapshot", "--all"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("(6 workflows, 6 playbooks)"), "{run}");
    let run = live.env.run(&["diff", "staging", "production", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("playbooks: 5 modified"), "{run}");
    // A snapshot written before socdrift read playbooks (a store-v1 folder of format 2, as
    // socdrift wrote them then): its manifest knows none.
    let store = soc_store::Store::open(live.env.path().join(".socdrift")).unwrap();
    let snapshot = store
        .resolve("staging", &soc_store::Selector::Latest)
        .unwrap();
    let copy = live.env.path().join("old-staging");
    std::fs::create_dir_all(&copy).unwrap();
    let mut old = serde_json::to_value(snapshot.manifest()).unwrap();
    old["format_version"] = json!(2);
    old.as_object_mut().unwrap().remove("playbooks_captured");
    let mut records = Vec::new();
    for record in snapshot.records(soc_normalize::Kind::Workflow) {
        let (info, normalized) = (
            format!("{}.info.json", record.stem),
            format!("{}.normalized.json", record.stem),
        );
        std::fs::write(copy.join(&info), snapshot.info(record).unwrap()).unwrap();
        let loaded = snapshot.load(record).unwrap();
        std::fs::write(copy.join(&normalized), loaded.canonical().unwrap()).unwrap();
        let mut value = serde_json::to_value(record).unwrap();
        value["info_file"] = json!(info);
        value["normalized_file"] = json!(normalized);
        records.push(value);
    }
    old["workflows"] = Value::Array(records);
    std::fs::write(
        copy.join("manifest.json"),
        serde_json::to_vec_pretty(&old).unwrap(),
    )
    .unwrap();
    let run = live
        .env
        .run(&["diff", "./old-staging", "production", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout
            .contains("not compared: the playbooks of ./old-staging are not known"),
        "{run}"
    );
    assert!(
        !run.stdout.contains("A Auto-block"),
        "not reported as added: {run}"
    );
}

#[test]
fn a_playbook_api_error_fails_the_run_in_the_apis_own_words() {
    let mut workspaces: Vec<Workspace> = soc_sim::bundled_workspaces().unwrap();
    workspaces[0].playbooks[0]
        .info
        .insert("version_id".into(), json!("deleted-version"));
    let live = Live::start_with(
        SimConfig {
            fixtures: Fixtures::Workspaces(workspaces),
            ..SimConfig::default()
        },
        "",
    );
    let run = live.env.run(&["snapshot", "--env", "staging"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("cannot read the playbooks of `staging`"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("SecMaster.20048004: The playbook version does not exist: deleted-version (the playbook version or rule does not exist)"),
        "{run}"
    );
    assert!(
        !live.env.path().join(".socdrift/store-v1/staging").exists()
            || std::fs::read_dir(live.env.path().join(".socdrift/store-v1/staging"))
                .unwrap()
                .next()
                .is_none(),
        "nothing stored"
    );
    let run = live
        .env
        .run(&["check", "-o", "json", "staging@live", "production@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert_eq!(report(&run)["status"], "error");
}
