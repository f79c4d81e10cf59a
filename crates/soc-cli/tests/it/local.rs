//! `diff` and `normalize` over local export files (no emulator, no store).

use std::io::Read;
use std::process::Stdio;

use crate::assert_run;
use crate::support::Env;

const STAGING: &str = "workspaces/staging/workflows";
const PRODUCTION: &str = "workspaces/production/workflows";

#[test]
fn identical_folders_exit_0() {
    let env = Env::with_fixtures();
    let run = env.run(&["diff", STAGING, STAGING]);
    assert_eq!(run.code, 0, "{run}");
    assert_run!(env, run);

    // A second folder with the same workflows, written differently (keys in reverse order, other
    // whitespace, one file a JSON array): every workflow is compared, and none differs.
    let copy = env.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    let mut names = Vec::new();
    for entry in std::fs::read_dir(env.path().join(STAGING)).unwrap() {
        let path = entry.unwrap().path();
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        names.push(value["name"].as_str().unwrap().to_owned());
        let file_name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = if file_name.starts_with("01-") {
            format!("[{}]", reversed_text(&value))
        } else {
            reversed_text(&value)
        };
        std::fs::write(copy.join(file_name), text).unwrap();
    }
    names.sort();
    assert_eq!(names.len(), 6);
    let run = env.run(&["diff", STAGING, "copy", "-o", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "no_drift");
    let pair = &report["pairs"][0];
    assert_eq!(pair["status"], "no_drift");
    let summary = &pair["summary"]["workflows"];
    for (count, expected) in [
        ("unchanged", 6),
        ("modified", 0),
        ("added", 0),
        ("removed", 0),
        ("renamed", 0),
        ("layout_only", 0),
    ] {
        assert_eq!(summary[count], expected, "{count}\n{run}");
    }
    let compared: Vec<(&str, &str)> = pair["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["name"].as_str().unwrap(), w["status"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "unchanged")).collect();
    assert_eq!(compared, expected);
}

/// The JSON text of `value` with every object's keys in reverse order and other whitespace than
/// socdrift's own (serde_json values keep their keys sorted, so the text is written by hand).
fn reversed_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .rev()
                .map(|(key, value)| {
                    format!(
                        "{} :{}",
                        serde_json::Value::from(key.as_str()),
                        reversed_text(value)
                    )
                })
                .collect();
            format!("{{\n\t{}}}", members.join(",\n\t"))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(reversed_text).collect();
            format!("[ {} ]", items.join(" , "))
        }
        other => other.to_string(),
    }
}

#[test]
fn staging_against_production_exits_1_with_the_expected_workflows() {
    let env = Env::with_fixtures();
    let run = env.run(&["diff", STAGING, PRODUCTION]);
    assert_eq!(run.code, 1, "{run}");
    for line in [
        "M Block malicious source IP",
        "M Notify on high-severity alert",
        "= Isolate compromised host (layout only)",
        "R Phishing triage -> Phishing mail triage",
        "D Enrich alert with context",
        "A Legacy ticket sync",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{run}");
    }
    assert_eq!(run.stderr, "");
    assert_run!(env, run);
}

#[test]
fn stat_json_and_output_file() {
    let env = Env::with_fixtures();
    let run = env.run(&["diff", STAGING, PRODUCTION, "--stat"]);
    assert_eq!(run.code, 1);
    assert_run!(env, "diff_stat", run);

    let run = env.run(&[
        "diff",
        STAGING,
        PRODUCTION,
        "-o",
        "json",
        "--output-file",
        "out/report.json",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stdout, "", "the report goes to the file only");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["status"], "drift");
    assert_eq!(report["schema_version"], soc_diff::report::SCHEMA_VERSION);
    let pair = &report["pairs"][0];
    assert_eq!(
        (&pair["left"], &pair["status"]),
        (&STAGING.into(), &"drift".into())
    );
    assert_eq!(pair["summary"]["modified"], 2);
    assert_eq!(pair["summary"]["renamed"], 1);
    // `--output json` is `-o json`; `--format` is the old spelling of it.
    for flag in ["--output", "--format"] {
        let run = env.run(&["diff", STAGING, PRODUCTION, flag, "json"]);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["status"], "drift", "{flag}");
    }
}

#[test]
fn keep_layout_turns_a_layout_move_into_drift() {
    let env = Env::with_fixtures();
    let left = format!("{STAGING}/03-isolate.json");
    let right = format!("{PRODUCTION}/03-isolate.json");
    let run = env.run(&["diff", &left, &right]);
    assert_eq!(run.code, 0, "{run}");
    let run = env.run(&["diff", &left, &right, "--keep-layout", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stdout.contains("M Isolate compromised host"), "{run}");
}

#[test]
fn accepted_differences_do_not_count_as_drift() {
    let env = Env::with_fixtures();
    env.write(
        "socdrift.toml",
        r#"
[[accept]]
workflow = "Block malicious source IP"
path = "/versions/*/taskflow/**/duration"
reason = "production blocks for an hour on purpose"
expires = 2999-12-31

[[accept]]
workflow = "Notify on high-severity alert"
reason = "escalation and webhook token differ per environment"

[[accept]]
workflow = "Phishing*"
reason = "renamed in production by the SOC lead"

[[accept]]
workflow = "Enrich alert with context"
reason = "staging only, under test"

[[accept]]
workflow = "Legacy ticket sync"
reason = "production only, being retired"
"#,
    );
    let run = env.run(&["diff", STAGING, PRODUCTION, "-o", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "no_drift");
    assert_eq!(report["pairs"][0]["summary"]["accepted"], 5);

    // An expired acceptance is drift again, and the report says why.
    env.write(
        "socdrift.toml",
        "[[accept]]\nworkflow = \"*\"\nreason = \"old\"\nexpires = 2000-01-01\n",
    );
    let run = env.run(&["diff", STAGING, PRODUCTION, "--stat"]);
    assert_eq!(run.code, 1, "{run}");
}

#[test]
fn a_missing_path_exits_2() {
    let env = Env::with_fixtures();
    let run = env.run(&["diff", "./nowhere", STAGING]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn an_empty_folder_is_no_export_and_exits_2() {
    let env = Env::with_fixtures();
    for dir in ["empty-a", "empty-b", "empty-export/playbooks"] {
        std::fs::create_dir_all(env.path().join(dir)).unwrap();
    }
    // Hidden files are skipped: a folder of only those holds no export either.
    env.write("empty-b/.keep", "");
    let run = env.run(&["diff", "empty-a", "empty-b"]);
    assert_eq!(
        run.code, 2,
        "two folders of nothing are not 'no drift': {run}"
    );
    assert!(
        run.stderr
            .contains("empty-a holds no export file (hidden files and folders are skipped)"),
        "{run}"
    );
    assert!(run.stderr.contains("hint: check the step"), "{run}");
    let run = env.run(&["diff", "empty-a", STAGING, "-o", "json"]);
    assert_eq!(run.code, 2, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["status"], "error", "{report:#}");
    // What `socdrift export` writes for a workspace without workflows or playbooks says what it is.
    let run = env.run(&["diff", "empty-export", "empty-export"]);
    assert_eq!(run.code, 0, "{run}");
    // verify says the same of the folder, rather than "0 problems" about nothing.
    let run = env.run(&["verify", "empty-a"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("empty-a holds no export file"), "{run}");
}

#[test]
fn verify_given_a_store_folder_points_at_the_store_check() {
    let env = Env::with_fixtures();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/stores/format2");
    crate::support::copy_dir(&fixture.join("store-v1"), &env.path().join("kept/store-v1"));
    // Read as export files, its manifests and snapshot files were "checked" and found sound.
    for folder in ["kept", "kept/store-v1", "kept/store-v1/staging"] {
        let run = env.run(&["verify", folder]);
        assert_eq!(run.code, 2, "{folder}: {run}");
        assert!(
            run.stderr
                .contains("is a snapshot store, or a folder inside one, not export files"),
            "{folder}: {run}"
        );
        assert!(
            run.stderr
                .contains("hint: verify the store: socdrift --store "),
            "{run}"
        );
    }
    let run = env.run(&["--store", "kept", "verify"]);
    assert_eq!(run.code, 0, "{run}");
    // A snapshot of it given by path is still one.
    let staging = env.path().join("kept/store-v1/staging");
    let snapshot = std::fs::read_dir(&staging)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let run = env.run(&["verify", snapshot.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    // Export files are what they were.
    let run = env.run(&["verify", STAGING]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn a_malformed_export_exits_2_naming_the_file() {
    let env = Env::with_fixtures();
    env.write("bad/01.json", "{\"name\": \"x\", \"versions\": [");
    let run = env.run(&["diff", "bad", STAGING]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn normalize_prints_canonical_text() {
    let env = Env::with_fixtures();
    let run = env.run(&["normalize", &format!("{STAGING}/02-notify.json")]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        !run.stdout.contains("create_time"),
        "volatile fields are gone"
    );
    assert!(run.stdout.contains("<redacted:"), "secrets are redacted");
    assert_run!(env, run);
}

#[test]
fn normalize_works_as_a_git_textconv_driver() {
    let env = Env::with_fixtures();
    // git invokes `<textconv> <file>` and diffs the outputs: two exports differing only in ids,
    // timestamps and layout give identical text.
    let a = env.run(&["normalize", &format!("{STAGING}/03-isolate.json")]);
    let b = env.run(&["normalize", &format!("{PRODUCTION}/03-isolate.json")]);
    assert_eq!((a.code, b.code), (0, 0));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let env = Env::with_fixtures();
    let mut child = env
        .command(&["diff", STAGING, PRODUCTION])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "drift is still reported: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn check_writes_every_ci_file_and_appends_the_step_summary() {
    let mut env = Env::with_fixtures();
    let summary = env.write("summary.md", "# earlier step\n");
    env.var("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    let run = env.run(&[
        "check",
        STAGING,
        PRODUCTION,
        "--stat",
        "--report-file",
        "out/drift.json",
        "--junit",
        "out/drift.xml",
        "--markdown",
        "out/drift.md",
    ]);
    assert_eq!(run.code, 1, "{run}");
    assert_run!(env, run);
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("# earlier step\n"),
        "appended, not replaced"
    );
    let markdown = std::fs::read_to_string(env.path().join("out/drift.md")).unwrap();
    assert!(summary.ends_with(&format!("{markdown}\n")), "{summary}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path().join("out/drift.json")).unwrap()).unwrap();
    assert_eq!(report["status"], "drift");
    let junit = std::fs::read_to_string(env.path().join("out/drift.xml")).unwrap();
    assert!(
        junit.contains(&format!(
            "<testsuite name=\"{STAGING} vs {PRODUCTION}\" tests=\"8\" failures=\"5\" errors=\"0\""
        )),
        "{junit}"
    );
}

#[test]
fn check_runs_the_configured_pairs_and_exits_with_the_worst() {
    let env = Env::with_fixtures();
    env.write(
        "socdrift.toml",
        &format!(
            "[check]\npairs = [[\"{STAGING}\", \"{STAGING}\"], [\"{STAGING}\", \"{PRODUCTION}\"], [\"./missing\", \"{STAGING}\"]]\n"
        ),
    );
    let run = env.run(&[
        "check",
        "--stat",
        "--report-file",
        "all.json",
        "--junit",
        "all.xml",
    ]);
    assert_eq!(run.code, 2, "an error in one pair wins: {run}");
    assert_run!(env, run);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path().join("all.json")).unwrap()).unwrap();
    assert_eq!(report["status"], "error");
    let statuses: Vec<&str> = report["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["no_drift", "drift", "error"],
        "every pair, in the configured order"
    );
    assert_eq!(
        report["pairs"][2]["error"]["message"],
        "./missing does not exist"
    );
    let junit = std::fs::read_to_string(env.path().join("all.xml")).unwrap();
    assert_eq!(junit.matches("<?xml").count(), 1, "{junit}");
    assert_eq!(junit.matches("<testsuite ").count(), 3, "{junit}");
    assert!(
        // Each compared pair of export folders also has a skipped case: their playbooks.
        junit.contains("<testsuites name=\"socdrift\" tests=\"16\" failures=\"5\" errors=\"1\""),
        "{junit}"
    );
}

#[test]
fn check_with_nothing_configured_says_what_to_do() {
    let env = Env::new();
    let run = env.run(&["check"]);
    assert_eq!(run.code, 2);
    assert_run!(env, run);
}

#[test]
fn as_a_textconv_driver_other_json_files_never_make_git_fail() {
    let env = Env::with_fixtures();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(env.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", env.path())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "t@example.invalid"]);
    git(&["config", "user.name", "t"]);
    let textconv = format!("{} normalize", env!("CARGO_BIN_EXE_socdrift"));
    git(&["config", "diff.socdrift.textconv", &textconv]);
    env.write(".gitattributes", "*.json diff=socdrift\n");
    // A settings file, a socdrift report, a truncated JSON file, and a real export.
    env.write("settings.json", "{\"b\": 1, \"a\": [1, 2]}");
    env.write("report.json", "{\"status\": \"no_drift\", \"pairs\": []}");
    env.write("notes.json", "[1, 2\n");
    std::fs::copy(
        env.path().join(format!("{STAGING}/01-block-ip.json")),
        env.path().join("export.json"),
    )
    .unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "before"]);
    env.write("settings.json", "{\"a\": [1, 3], \"b\": 1}");
    env.write("report.json", "{\"status\": \"drift\", \"pairs\": []}");
    env.write("notes.json", "[1, 3\n");
    std::fs::copy(
        env.path().join(format!("{PRODUCTION}/01-block-ip.json")),
        env.path().join("export.json"),
    )
    .unwrap();
    let (code, diff, stderr) = git(&["diff"]);
    assert_eq!(code, Some(0), "git diff failed: {stderr}");
    for line in [
        "-    2",
        "+    3",
        "-  \"status\": \"no_drift\"",
        "+  \"status\": \"drift\"",
        "-[1, 2",
        "+[1, 3",
        "-                          \"duration\": 86400,",
    ] {
        assert!(
            diff.contains(line),
            "{line:?} missing from:\n{diff}\n{stderr}"
        );
    }
    assert!(stderr.contains("not a workflow export"), "{stderr}");
}

#[test]
fn three_way_against_a_base_classes_and_gates_on_drift_and_conflicts() {
    let env = Env::with_fixtures();
    // With production as the base, everything staging differs in is its own new work: promote.
    let run = env.run(&["diff", STAGING, PRODUCTION, "--base", PRODUCTION, "--stat"]);
    assert_eq!(
        run.code, 0,
        "promotions pending do not fail the gate\n{run}"
    );
    assert_run!(env, "three_way_promote_only", run);
    // The same with promotions failing too.
    let run = env.run(&[
        "diff",
        STAGING,
        PRODUCTION,
        "--base",
        PRODUCTION,
        "--fail-on",
        "promote,drift,conflict",
    ]);
    assert_eq!(run.code, 1, "{run}");
    // With staging as the base, everything production differs in was done there: drift.
    let run = env.run(&["diff", STAGING, PRODUCTION, "--base", STAGING, "-o", "json"]);
    assert_eq!(run.code, 1, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let pair = &report["pairs"][0];
    assert_eq!(pair["base"], STAGING);
    assert_eq!(pair["summary"]["classes"]["drift"], 6, "{pair:#}");
    assert_eq!(pair["summary"]["classes"]["promote"], 0);
    for wf in pair["workflows"].as_array().unwrap() {
        if wf["status"] != "unchanged" {
            assert_eq!(wf["class"], "drift", "{wf:#}");
        }
    }
    // A base that cannot be read is an error, never a green gate.
    let run = env.run(&["diff", STAGING, PRODUCTION, "--base", "workspaces/nowhere"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("workspaces/nowhere does not exist"),
        "{run}"
    );
    // --fail-on without --base is a usage error.
    let run = env.run(&["diff", STAGING, PRODUCTION, "--fail-on", "drift"]);
    assert_eq!(run.code, 2, "{run}");
}
