//! Every output of a run tells the same truth: a pair that could not be compared is an error in
//! stdout (every format), in each report file, in the step summary and in the GitHub annotations,
//! and no report file of an earlier run survives.

use soc_sim::SimConfig;

use crate::assert_run;
use crate::live::Live;
use crate::support::Env;

const STAGING: &str = "workspaces/staging/workflows";
const PRODUCTION: &str = "workspaces/production/workflows";

/// `args` and the three report files under `out/`.
fn with_files<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend([
        "--report-file",
        "out/drift.json",
        "--junit",
        "out/drift.xml",
        "--markdown",
        "out/drift.md",
    ]);
    all
}

/// Report files left by an earlier, green run.
fn stale_reports(env: &Env) {
    env.write("out/drift.json", "{\"status\": \"no_drift\"}\n");
    env.write("out/drift.xml", "<testsuites/>\n");
    env.write("out/drift.md", "No drift\n");
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"))
}

/// Two pairs against the emulator; `production` reads its secret key from a variable that is not
/// set, so the second pair cannot be compared.
fn live_with_a_missing_credential() -> Live {
    let live = Live::start_with(
        SimConfig::default(),
        "[check]\npairs = [[\"staging@live\", \"staging@live\"], [\"staging@live\", \"production@live\"]]\n",
    );
    let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml"))
        .unwrap()
        .replacen(
            "workspace = \"soc-production\"\n",
            "workspace = \"soc-production\"\nsk_env = \"PRODUCTION_SK\"\n",
            1,
        );
    live.env.write("socdrift.toml", &toml);
    live
}

#[test]
fn a_pair_that_cannot_be_compared_is_an_error_in_every_output() {
    let mut live = live_with_a_missing_credential();
    let summary = live.env.write("summary.md", "# earlier step\n");
    live.env
        .var("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .var("GITHUB_ACTIONS", "true");
    stale_reports(&live.env);
    let run = live.env.run(&with_files(&["check", "-o", "json"]));
    assert_eq!(run.code, 2, "{run}");

    // stdout: one JSON document, both pairs, in order, the failed one with its error.
    let doc = json(&run.stdout);
    assert_eq!(doc["status"], "error");
    assert_eq!(doc["pairs"][0]["status"], "no_drift");
    assert_eq!(doc["pairs"][1]["status"], "error");
    let message = doc["pairs"][1]["error"]["message"].as_str().unwrap();
    assert!(message.contains("no secret key is set"), "{message}");
    assert!(
        doc["pairs"][1]["error"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("PRODUCTION_SK"),
        "{doc}"
    );

    // The files of the earlier run are replaced.
    let file = json(&std::fs::read_to_string(live.env.path().join("out/drift.json")).unwrap());
    assert_eq!(file["status"], "error");
    assert_eq!(file["pairs"], doc["pairs"]);
    let junit = std::fs::read_to_string(live.env.path().join("out/drift.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"staging@live vs production@live\" tests=\"1\" failures=\"0\" errors=\"1\""),
        "{junit}"
    );
    assert!(junit.contains("<error message=\""), "{junit}");
    let markdown = std::fs::read_to_string(live.env.path().join("out/drift.md")).unwrap();
    assert!(markdown.starts_with("### socdrift: Error\n"), "{markdown}");
    assert!(markdown.contains("no secret key is set"), "{markdown}");

    // The step summary is appended on error too, errors first.
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.starts_with("# earlier step\n"), "{summary}");
    assert!(summary.ends_with(&format!("{markdown}\n")), "{summary}");

    // GitHub annotations on stderr, one for the pair that could not be compared.
    let annotations: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 1, "{run}");
    assert!(
        annotations[0].starts_with(
            "::error title=staging@live vs production@live::could not compare staging@live with production@live: environment `production` uses auth = \"aksk\" but no secret key is set"
        ),
        "{run}"
    );

    // Every other stdout format says the same.
    for (format, needle) in [
        (
            "text",
            "error (2 pairs: 1 could not be compared, 1 without drift)",
        ),
        (
            "markdown",
            "**Error**: 2 pairs: 1 could not be compared, 1 without drift",
        ),
        (
            "junit",
            "<testsuites name=\"socdrift\" tests=\"13\" failures=\"0\" errors=\"1\"",
        ),
    ] {
        let run = live.env.run(&["check", "-o", format]);
        assert_eq!(run.code, 2, "{format}: {run}");
        assert!(run.stdout.contains(needle), "{format}: {run}");
        assert!(
            run.stdout.contains("no secret key is set"),
            "{format}: {run}"
        );
    }
}

#[test]
fn without_github_actions_there_are_no_workflow_commands() {
    let live = live_with_a_missing_credential();
    let run = live.env.run(&["check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(!run.stderr.contains("::error"), "{run}");
    assert_run!(live.env, run);
}

#[test]
fn a_run_that_fails_before_any_pair_rewrites_the_files_as_an_error() {
    let env = Env::with_fixtures();
    stale_reports(&env);
    env.write("socdrift.toml", "[check]\npairz = []\n");
    let run = env.run(&with_files(&["check", "-o", "json"]));
    assert_eq!(run.code, 2, "{run}");
    let doc = json(&run.stdout);
    assert_eq!(doc["status"], "error");
    assert_eq!(doc["pairs"], serde_json::json!([]));
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown key `pairz`"),
        "{doc}"
    );
    let file = json(&std::fs::read_to_string(env.path().join("out/drift.json")).unwrap());
    assert_eq!(file, doc);
    let junit = std::fs::read_to_string(env.path().join("out/drift.xml")).unwrap();
    assert!(junit.contains("errors=\"1\""), "{junit}");
    let markdown = std::fs::read_to_string(env.path().join("out/drift.md")).unwrap();
    assert!(markdown.contains("The run failed"), "{markdown}");
}

#[test]
fn a_report_file_that_cannot_be_written_fails_the_run_and_the_others_say_so() {
    let env = Env::with_fixtures();
    stale_reports(&env);
    // The Markdown file's folder would be inside a regular file.
    env.write("blocker", "a file, not a folder\n");
    let run = env.run(&[
        "check",
        STAGING,
        PRODUCTION,
        "--stat",
        "--report-file",
        "out/drift.json",
        "--markdown",
        "blocker/drift.md",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("cannot create folder"), "{run}");
    assert!(
        run.stdout.contains("error: cannot create folder"),
        "stdout says it too: {run}"
    );
    let file = json(&std::fs::read_to_string(env.path().join("out/drift.json")).unwrap());
    assert_eq!(file["status"], "error");
    assert_eq!(
        file["pairs"][0]["status"], "drift",
        "the comparison itself is still reported"
    );
}

#[test]
fn report_files_are_replaced_whole_and_readable() {
    let env = Env::with_fixtures();
    stale_reports(&env);
    let run = env.run(&["check", STAGING, STAGING, "--report-file", "out/drift.json"]);
    assert_eq!(run.code, 0, "{run}");
    let file = json(&std::fs::read_to_string(env.path().join("out/drift.json")).unwrap());
    assert_eq!(file["status"], "no_drift");
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(env.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".socdrift-report")),
        "{names:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let fresh = env.path().join("out/fresh.json");
        let run = env.run(&["check", STAGING, STAGING, "--report-file", "out/fresh.json"]);
        assert_eq!(run.code, 0, "{run}");
        let mode = std::fs::metadata(fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "a new report is readable by CI tools");
    }
}

#[test]
fn workflow_filters_select_what_a_team_owns() {
    let env = Env::with_fixtures();
    let run = env.run(&[
        "diff",
        STAGING,
        PRODUCTION,
        "-o",
        "json",
        "--workflow",
        "Block*",
        "--workflow",
        "Notify*",
        "--workflow",
        "Isolate*",
        "--exclude",
        "Notify*",
    ]);
    assert_eq!(run.code, 1, "{run}");
    let doc = json(&run.stdout);
    let names: Vec<&str> = doc["pairs"][0]["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Block malicious source IP", "Isolate compromised host"]
    );
    assert_eq!(
        doc["filters"],
        serde_json::json!({"workflow": ["Block*", "Notify*", "Isolate*"], "exclude": ["Notify*"]})
    );

    // Only the layout-only workflow: no drift.
    let run = env.run(&["diff", STAGING, PRODUCTION, "--workflow", "Isolate*"]);
    assert_eq!(run.code, 0, "{run}");

    // A filter that selects nothing proves nothing: an error, not a green gate.
    let run = env.run(&["diff", STAGING, PRODUCTION, "--workflow", "Blokc*"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("matches the workflow filter \"Blokc*\""),
        "{run}"
    );

    // [check] workflow/exclude, with the command line's added.
    env.write(
        "socdrift.toml",
        &format!(
            "[check]\npairs = [[\"{STAGING}\", \"{PRODUCTION}\"]]\nworkflow = [\"Block*\", \"Isolate*\"]\n"
        ),
    );
    let run = env.run(&["check", "-o", "json", "--exclude", "Block*"]);
    assert_eq!(run.code, 0, "{run}");
    let doc = json(&run.stdout);
    assert_eq!(
        doc["filters"],
        serde_json::json!({"workflow": ["Block*", "Isolate*"], "exclude": ["Block*"]})
    );
    assert_eq!(doc["pairs"][0]["summary"]["unchanged"], 1, "{doc}");
}
