//! Commands that use the snapshot store, against soc-sim: snapshot, log, diff of snapshots,
//! check against the latest snapshot, prune, verify, export, and the demo.

use crate::assert_run;
use crate::live::Live;
use crate::support::{Env, copy_dir};

fn snapshot_both(live: &Live) {
    let run = live
        .env
        .run(&["snapshot", "--env", "staging", "--env", "production"]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn snapshot_then_log_and_diff_the_snapshots() {
    let live = Live::start();
    let run = live
        .env
        .run(&["snapshot", "--env", "staging", "--env", "production"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(live.env, "snapshot_both", run);

    let run = live.env.run(&["log", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(live.env, "log_staging", run);

    // The latest snapshots compare like the live workspaces did.
    let run = live.env.run(&["diff", "staging", "production", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    assert_run!(live.env, "diff_latest_snapshots", run);

    // A snapshot given by the path of its manifest is a side too.
    let manifest = std::fs::read_dir(live.env.path().join(".socdrift/store-v2/snapshots/staging"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".json.zst"))
        .unwrap();
    let run = live
        .env
        .run(&["diff", manifest.to_str().unwrap(), "staging@live", "--stat"]);
    assert_eq!(run.code, 0, "{run}");

    let run = live
        .env
        .run(&["snapshot", "--env", "staging", "--skip-unchanged"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("staging: unchanged since snapshot"),
        "{run}"
    );
    live.assert_read_only();
}

#[test]
fn check_without_pairs_compares_live_against_latest() {
    let live = Live::start();
    snapshot_both(&live);
    let run = live.env.run(&["check", "--stat"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(live.env, "check_no_change", run);

    // Point `staging` at the production workspace: now live differs from the stored staging.
    let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml")).unwrap();
    let toml = toml.replacen(
        "workspace = \"soc-staging\"",
        "workspace = \"soc-production\"",
        1,
    );
    live.env.write("socdrift.toml", &toml);
    let run = live.env.run(&["check", "--stat", "--report", "r.json"]);
    assert_eq!(run.code, 1, "{run}");
    assert_run!(live.env, "check_change_drift", run);
    live.assert_read_only();
}

#[test]
fn selectors_that_match_nothing_list_what_exists() {
    let live = Live::start();
    let run = live.env.run(&["diff", "staging", "production"]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(live.env, "no_store_yet", run);
    snapshot_both(&live);
    let run = live.env.run(&["diff", "staging@~3", "production"]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(live.env, "previous_that_does_not_exist", run);
}

#[test]
fn prune_keeps_the_newest() {
    let live = Live::start();
    for _ in 0..3 {
        snapshot_both(&live);
        // Snapshot ids carry the time to the second.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let log = live.env.run(&["log", "staging", "-o", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&log.stdout).unwrap();
    let ids: Vec<String> = listed["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "{log}");
    assert_eq!(listed["snapshots"][0]["workflows"], 6, "{log}");
    assert_eq!(listed["snapshots"][0]["playbooks"], 6, "{log}");
    // A dry run names the two oldest and deletes nothing.
    let dry = live
        .env
        .run(&["prune", "staging", "--keep", "1", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry}");
    assert_eq!(dry.stdout, format!("{}\n{}\n", ids[2], ids[1]), "{dry}");
    assert!(dry.stderr.contains("would delete 2 snapshots"), "{dry}");
    let log = live.env.run(&["log", "staging"]);
    assert_eq!(log.stdout.lines().count(), 3, "nothing deleted: {log}");
    let run = live.env.run(&["prune", "staging", "--keep", "1"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, dry.stdout, "the dry run said what happened");
    assert_run!(live.env, "prune", run);
    let log = live.env.run(&["log", "staging"]);
    assert_eq!(log.stdout.lines().count(), 1, "{log}");
    let log = live.env.run(&["log", "production"]);
    assert_eq!(log.stdout.lines().count(), 3, "{log}");
}

#[test]
fn verify_reports_corruption_and_broken_content() {
    let live = Live::start();
    snapshot_both(&live);
    let run = live.env.run(&["verify"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(live.env, "verify_ok", run);
    let run = live.env.run(&["verify", "-o", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["status"], "ok", "{run}");
    assert_eq!(doc["content"]["exports"], 24, "{run}");

    // Damage the stored normalized form of one workflow of staging.
    let store = soc_store::Store::open(live.env.path().join(".socdrift")).unwrap();
    let snapshot = store
        .resolve("staging", &soc_store::Selector::Latest)
        .unwrap();
    let record = snapshot
        .manifest()
        .workflows
        .iter()
        .find(|r| r.name == "Block malicious source IP")
        .unwrap();
    crate::packs::damage_object(
        &live.env.path().join(".socdrift/store-v2/packs"),
        &record.normalized_sha256,
    );
    let run = live.env.run(&["verify", "staging"]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(live.env, "verify_corrupted", run);
    let run = live.env.run(&["verify", "staging", "--output", "json"]);
    assert_eq!(run.code, 2, "{run}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["status"], "problems", "{run}");
    let store_problems: usize = doc["store"]["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["problems"].as_array().unwrap().len())
        .sum();
    assert_eq!(store_problems, 1, "the damaged object: {run}");

    // Export files checked by path: a flow to a node that does not exist.
    let mut workflow: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/workspaces/staging/workflows/01-block-ip.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let taskflow = workflow["versions"][0]["taskflow"]
        .as_str()
        .unwrap()
        .to_string();
    let decoded = String::from_utf8(base64_decode(&taskflow)).unwrap();
    let broken = decoded.replacen(
        "\"targetRef\":\"Event_w8q7121\"",
        "\"targetRef\":\"Event_gone\"",
        1,
    );
    assert_ne!(broken, decoded, "the fixture has the flow this test breaks");
    workflow["versions"][0]["taskflow"] =
        serde_json::Value::String(base64_encode(broken.as_bytes()));
    live.env.write("exports/01.json", &workflow.to_string());
    let run = live.env.run(&["verify", "exports"]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(live.env, "verify_dangling_flow", run);
}

#[test]
fn verify_reads_its_target_by_the_rule_diff_reads_sides_by() {
    let live = Live::start();
    snapshot_both(&live);
    // A name alone is every snapshot of it; with a selector, one snapshot.
    for target in ["staging", "staging@latest", "production@~0"] {
        let run = live.env.run(&["verify", target]);
        assert_eq!(run.code, 0, "{target}: {run}");
    }
    let run = live.env.run(&["verify", "staging@live"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("`staging@live`: a live workspace has no store to verify"),
        "{run}"
    );
    assert!(run.stderr.contains("socdrift verify staging"), "{run}");
    let run = live.env.run(&["verify", "staging@latets"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("bad selector `latets` in `staging@latets`"),
        "{run}"
    );
    assert!(run.stderr.contains("did you mean `latest`?"), "{run}");
    let run = live.env.run(&["verify", "stagin"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("stagin"), "{run}");
    assert!(
        run.stderr.contains("`staging`"),
        "the nearest is named: {run}"
    );
}

#[test]
fn a_snapshot_given_by_path_is_read_as_checked_as_one_given_by_name() {
    let live = Live::start();
    snapshot_both(&live);
    let store = soc_store::Store::open(live.env.path().join(".socdrift")).unwrap();
    let latest = |env: &str| store.resolve(env, &soc_store::Selector::Latest).unwrap();
    let (staging, production) = (latest("staging"), latest("production"));
    // A workflow that differs, so the diff has to read its normalized form.
    let record = staging
        .manifest()
        .workflows
        .iter()
        .find(|r| {
            production
                .manifest()
                .workflows
                .iter()
                .any(|p| p.name == r.name && p.normalized_sha256 != r.normalized_sha256)
        })
        .unwrap();
    crate::packs::damage_object(
        &live.env.path().join(".socdrift/store-v2/packs"),
        &record.normalized_sha256,
    );
    let manifest = staging.path().to_str().unwrap().to_owned();
    for left in [manifest.as_str(), "staging"] {
        let run = live.env.run(&["diff", left, "production", "--stat"]);
        assert_eq!(run.code, 2, "{left}: {run}");
        // The report says the pair could not be compared rather than listing what differs.
        assert!(run.stdout.contains("could not compare"), "{left}: {run}");
        assert!(
            run.stderr.contains(&record.normalized_sha256),
            "{left}: {run}"
        );
        assert!(run.stderr.contains("socdrift verify"), "{left}: {run}");
    }
}

#[test]
fn export_writes_safe_names_and_never_overwrites_silently() {
    let live = Live::start();
    let run = live
        .env
        .run(&["export", "--env", "staging", "--out", "exp"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(live.env, "export_staging", run);
    let mut files: Vec<String> = std::fs::read_dir(live.env.path().join("exp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "block-malicious-source-ip.json",
            "close-false-positives.json",
            "enrich-alert-with-context.json",
            "isolate-compromised-host.json",
            "notify-on-high-severity-alert.json",
            "phishing-triage.json",
            "playbooks",
        ]
    );
    assert_eq!(
        std::fs::read_dir(live.env.path().join("exp/playbooks"))
            .unwrap()
            .count(),
        6
    );
    // The exported files are what the workspace holds: diffing them against it shows nothing.
    let run = live.env.run(&["diff", "exp", "staging@live"]);
    assert_eq!(run.code, 0, "{run}");

    let run = live
        .env
        .run(&["export", "--env", "staging", "--out", "exp"]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(live.env, "export_not_empty", run);
    let run = live
        .env
        .run(&["export", "--env", "staging", "--out", "exp", "--force"]);
    assert_eq!(run.code, 0, "{run}");

    let run = live.env.run(&[
        "export",
        "--env",
        "production",
        "--out",
        "one",
        "--workflow",
        "Legacy ticket sync",
        "--workflow",
        "Legacy ticket sync",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        live.env
            .path()
            .join("one/legacy-ticket-sync.json")
            .is_file()
    );
    let run = live.env.run(&[
        "export",
        "--env",
        "production",
        "--out",
        "two",
        "--workflow",
        "Legacy ticket synk",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert_run!(live.env, "export_unknown_workflow", run);
    live.assert_read_only();
}

/// The arguments the README's demo command passes to `socdrift` (what follows `--` in the
/// `cargo run … -- demo` line), so the README and this test cannot drift apart.
fn readme_demo_args() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md at the workspace root");
    let line = readme
        .lines()
        .find(|line| line.starts_with("cargo run") && line.contains("-- demo"))
        .expect("README.md gives the demo command as `cargo run … -- demo`");
    let command = line.split('#').next().unwrap_or(line);
    let (cargo, args) = command.split_once(" -- ").unwrap();
    assert!(
        cargo.contains("-p soc-cli"),
        "the README runs another package: {line}"
    );
    args.split_whitespace().map(str::to_string).collect()
}

#[test]
fn demo_runs_with_nothing_configured() {
    let env = Env::new();
    let args = readme_demo_args();
    assert_eq!(args, ["demo"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = env.run(&args);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("R Phishing triage -> Phishing mail triage")
    );
    assert!(run.stderr.contains("Drift found, as expected"), "{run}");
    assert_run!(env, run);
    // Nothing is left behind in the current folder.
    assert_eq!(std::fs::read_dir(env.path()).unwrap().count(), 0);
}

pub fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

pub fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_rule_added_after_the_snapshots_applies_to_them() {
    let live = Live::start();
    snapshot_both(&live);
    let run = live
        .env
        .run(&["diff", "staging", "production", "--format", "json"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("escalation_minutes"), "{run}");

    // Snapshots keep the normalized form of the day they were taken; a rule added later must
    // still hide the field when they are compared, or users would have to re-snapshot history.
    let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml")).unwrap();
    live.env.write(
        "socdrift.toml",
        &format!(
            "{toml}\n[normalize]\nignore = [\"/versions/*/taskconfig/node_info/escalation_minutes\"]\n"
        ),
    );
    let run = live
        .env
        .run(&["diff", "staging", "production", "--format", "json"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(!run.stdout.contains("escalation_minutes"), "{run}");
    assert!(run.stdout.contains("api_token"), "{run}");
}

#[test]
fn a_writer_says_at_once_whom_it_waits_for() {
    use std::io::BufRead;
    use std::time::Duration;

    let live = Live::start();
    let store = soc_store::Store::open(live.env.path().join(".socdrift")).unwrap();
    let holder = store
        .begin(
            "staging",
            soc_store::SourceInfo::default(),
            &soc_normalize::Profile::default(),
            Duration::from_secs(5),
        )
        .unwrap();
    let mut child = live
        .env
        .command(&["snapshot", "--env", "staging"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            lines.send(line.unwrap()).unwrap();
        }
    });
    // Long before the 30 s timeout, while the lock is still held.
    let first = received.recv_timeout(Duration::from_secs(10)).unwrap();
    let pid = std::process::id();
    assert!(
        first.starts_with(&format!(
            "staging: waiting for the store lock, held by process {pid}, holding it since 20"
        )),
        "{first}"
    );
    assert!(
        first.contains(" ago); giving up after 30s (lock file "),
        "{first}"
    );
    drop(holder);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let rest: Vec<String> = received.try_iter().collect();
    assert!(status.success(), "{first}\n{rest:?}");
    assert!(
        rest.iter().any(|l| l.starts_with("staging: snapshot ")),
        "{rest:?}"
    );
}

#[test]
fn an_undecodable_taskflow_is_a_note_in_snapshot_diff_and_verify_alike() {
    use soc_sim::{Fixtures, SimConfig, Workflow};
    let mut workspaces = soc_sim::bundled_workspaces().unwrap();
    for (workspace, text) in workspaces.iter_mut().zip(["%%% one %%%", "%%% two %%%"]) {
        let mut odd = serde_json::to_value(&workspace.workflows[0].info).unwrap();
        odd["id"] = serde_json::json!("0dd00000-0000-4000-8000-000000000001");
        odd["name"] = serde_json::json!("Odd taskflow");
        odd["versions"] = serde_json::json!([{"id": "v1", "taskflow": text}]);
        workspace
            .workflows
            .push(Workflow::from_export_value(odd).unwrap());
    }
    let config = SimConfig {
        fixtures: Fixtures::Workspaces(workspaces),
        ..SimConfig::default()
    };
    let live = Live::start_with(config, "");
    let note = "Odd taskflow: /versions/0/taskflow: not valid base64, compared as text";

    let run = live.env.run(&["snapshot", "--all"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains(&format!("warning: staging: {note}")),
        "{run}"
    );
    // Compared as text: the change shows, with the same note.
    let run = live.env.run(&["diff", "staging", "production"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("M Odd taskflow (1 change)"), "{run}");
    assert!(
        run.stdout
            .contains("note: /versions/0/taskflow: not valid base64, compared as text"),
        "{run}"
    );
    let run = live.env.run(&["verify"]);
    assert_eq!(run.code, 0, "a note is not a problem: {run}");
    assert!(!run.stdout.contains("BROKEN"), "{run}");
    assert!(run.stdout.contains(note), "{run}");
    assert!(
        run.stdout
            .contains("content of 26 exports checked, 0 problems, 2 notes"),
        "{run}"
    );
    let run = live
        .env
        .run(&["export", "--env", "staging", "--out", "exported"]);
    assert_eq!(run.code, 0, "{run}");
    let run = live.env.run(&["verify", "exported"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains(&format!("note    exported/odd-taskflow.json: {note}")),
        "{run}"
    );
}

/// A store-v1 snapshot's manifest.json given by path is that snapshot, not an export file whose
/// records would be taken for workflows.
fn assert_a_legacy_manifest_is_its_snapshot(env: &Env) {
    let latest = env.run(&["diff", "staging", "production", "--stat"]);
    assert_eq!(latest.code, 1, "{latest}");
    let staging_dir = env.path().join(".socdrift/store-v1/staging");
    let mut folders: Vec<_> = std::fs::read_dir(&staging_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("20"))
        .collect();
    folders.sort();
    let manifest = format!(
        ".socdrift/store-v1/staging/{}/manifest.json",
        folders.last().unwrap()
    );
    let by_path = env.run(&["diff", &manifest, "production", "--stat"]);
    assert_eq!(
        (by_path.code, by_path.stdout.replace(&manifest, "staging")),
        (latest.code, latest.stdout.clone()),
        "{by_path}"
    );
    let run = env.run(&["verify", &manifest]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn a_store_v1_store_is_read_then_migrated_by_one_command() {
    let env = Env::new();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/stores/format2");
    for part in ["store-v1", "raw-v1"] {
        copy_dir(
            &fixture.join(part),
            &env.path().join(".socdrift").join(part),
        );
    }
    // Stored snapshots need no credentials, only the environments' names.
    env.write(
        "socdrift.toml",
        "[env.staging]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"s\"\n\
         [env.production]\nregion = \"r\"\nproject_id = \"p\"\nworkspace_id = \"p\"\n",
    );
    let before = env.run(&["log", "staging", "-o", "json"]);
    assert_eq!(before.code, 0, "{before}");
    let run = env.run(&["verify"]);
    assert_eq!(run.code, 0, "{run}");
    let diff_before = env.run(&["diff", "staging@~1", "staging", "--stat"]);
    assert_eq!(diff_before.code, 1, "{diff_before}");
    assert!(
        diff_before.stdout.contains("1 modified"),
        "one description was edited between them: {diff_before}"
    );
    assert_a_legacy_manifest_is_its_snapshot(&env);

    let run = env.run(&["migrate"]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(env, "migrate_format2", run);
    assert!(!env.path().join(".socdrift/store-v1").exists());
    let run = env.run(&["verify"]);
    assert_eq!(run.code, 0, "{run}");
    // The old ids still select the snapshots.
    let before: serde_json::Value = serde_json::from_str(&before.stdout).unwrap();
    let old_id = before["snapshots"][1]["id"].as_str().unwrap();
    let run = env.run(&["diff", &format!("staging@{old_id}"), "staging", "--stat"]);
    assert_eq!(
        (run.code, run.stdout.replace(old_id, "~1")),
        (1, diff_before.stdout.clone()),
        "the same comparison after migrating: {run}"
    );
    let run = env.run(&["migrate"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("nothing to migrate"), "{run}");

    // The view shows each environment's latest snapshot; `view` rewrites one edited by hand.
    let file = env
        .path()
        .join(".socdrift/store-v2/view/staging/workflows/block-malicious-source-ip.json");
    std::fs::write(&file, "{}\n").unwrap();
    let run = env.run(&["verify"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stdout.contains("socdrift view --env staging"), "{run}");
    let run = env.run(&["view", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("staging: the view"), "{run}");
    assert_eq!(env.run(&["verify"]).code, 0);
}

/// Playbooks are classed against `base` too: with production unchanged since, what differs is
/// staging's (or accepted), none of it drift.
fn assert_playbooks_are_promotions(live: &Live, base: &str) {
    let run = live.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--base",
        base,
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let pair = &report["pairs"][0];
    assert!(pair["not_compared"].get("playbook").is_none(), "{pair:#}");
    let playbooks = pair["playbooks"].as_array().unwrap();
    let changed: Vec<_> = playbooks
        .iter()
        .filter(|pb| pb["status"] != "unchanged")
        .collect();
    assert!(!changed.is_empty(), "{pair:#}");
    for pb in changed {
        assert_eq!(pb["drift"], false, "{pb:#}");
        for change in pb["changes"].as_array().unwrap() {
            assert!(
                change["class"] == "promote" || change["accepted"].is_object(),
                "{change:#}"
            );
        }
    }
}

#[test]
fn tag_a_snapshot_and_diff_against_it() {
    let live = Live::start();
    snapshot_both(&live);
    let run = live.env.run(&["tag", "production", "promoted"]);
    assert_eq!(run.code, 0, "{run}");
    let id = run.stdout.trim().to_owned();
    assert!(id.starts_with("20"), "{run}");
    assert!(
        run.stderr.contains("select it with production@promoted"),
        "{run}"
    );
    let run = live.env.run(&["tag", "production"]);
    assert_eq!(run.stdout, format!("promoted  {id}\n"), "{run}");
    let run = live.env.run(&["log", "production"]);
    assert!(run.stdout.contains("  (tag: promoted)\n"), "{run}");

    // What CI runs after a release: staging and production now, against what was promoted.
    // Production has not changed since, so every difference is staging's work: exit 0.
    let run = live.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--base",
        "production@promoted",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("promote: changed in staging@live since production@promoted"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("no drift (staging@live -> production@live, base production@promoted)"),
        "{run}"
    );
    assert_playbooks_are_promotions(&live, "production@promoted");

    // Names that cannot be told from selectors are refused; unknown tags say what exists.
    let run = live.env.run(&["tag", "production", "latets"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("misspelt"), "{run}");
    let run = live.env.run(&["diff", "staging", "production@promotd"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("environment 'production' has no tag 'promotd' (it has: promoted)"),
        "{run}"
    );
    assert!(
        run.stderr.contains("hint: did you mean `promoted`?"),
        "{run}"
    );
    let run = live.env.run(&["tag", "production", "--delete", "promoted"]);
    assert_eq!(run.code, 0, "{run}");
    let run = live.env.run(&["tag", "production"]);
    assert_eq!(run.stdout, "", "{run}");
    live.assert_read_only();
}
