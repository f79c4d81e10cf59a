//! Names are data, never terminal control: a workflow name (or archive member name) holding ESC,
//! an OSC title sequence, BEL, a CSI sequence and a right-to-left override reaches stdout and
//! stderr only escaped, at every place socdrift prints one.

use std::io::Write;

use serde_json::{Value, json};
use soc_sim::{Fixtures, SimConfig, Workflow};

use crate::live::Live;
use crate::store::{base64_decode, base64_encode};
use crate::support::{Env, Run};

/// ESC ] 0 ; … BEL retitles a terminal, ESC [ 2 J clears it, U+202E reverses what follows.
const HOSTILE: &str = "Evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gpj.exe";
/// How it must appear instead.
const ESCAPED: &str = "Evil\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{202e}gpj.exe";

/// Neither stream holds a raw control character (but newlines) or bidi control.
fn assert_inert(run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| c != '\n' && soc_text::is_unsafe(c))
            .collect();
        assert!(raw.is_empty(), "raw {raw:?} on {stream}:\n{run}");
    }
}

/// A fixture workflow renamed to `name`, as export JSON.
fn fixture_named(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/workspaces/staging/workflows/01-block-ip.json");
    let mut workflow: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    workflow["name"] = json!(name);
    workflow
}

fn write_json(env: &Env, name: &str, value: &Value) {
    env.write(name, &serde_json::to_string_pretty(value).unwrap());
}

#[test]
fn normalize_escapes_its_warning_and_its_header() {
    let env = Env::new();
    let mut evil = fixture_named(HOSTILE);
    evil["versions"][0]["taskflow"] = json!("%%% not base64 %%%");
    write_json(&env, "evil.json", &json!([evil, fixture_named("Other")]));
    let run = env.run(&["normalize", "evil.json"]);
    assert_eq!(run.code, 0, "{run}");
    assert_inert(&run);
    // The warning on stderr.
    assert!(
        run.stderr.contains(&format!(
            "warning: {ESCAPED}: /versions/0/taskflow: not valid base64, compared as text"
        )),
        "{run}"
    );
    // The `=== NAME (SOURCE)` header on stdout, and the name inside the JSON as a JSON escape.
    assert!(
        run.stdout
            .contains(&format!("=== {ESCAPED} (evil.json[0])")),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("\"name\": \"Evil\\u001b]0;pwned\\u0007\\u001b[2J\\u202egpj.exe\""),
        "{run}"
    );
}

#[test]
fn verify_escapes_its_broken_and_note_lines() {
    let env = Env::new();
    let mut broken = fixture_named(HOSTILE);
    let taskflow = broken["versions"][0]["taskflow"]
        .as_str()
        .unwrap()
        .to_owned();
    let graph = String::from_utf8(base64_decode(&taskflow))
        .unwrap()
        .replacen(
            "\"targetRef\":\"Event_w8q7121\"",
            "\"targetRef\":\"Event_gone\"",
            1,
        );
    broken["versions"][0]["taskflow"] = json!(base64_encode(graph.as_bytes()));
    write_json(&env, "exports/broken.json", &broken);
    let mut noted = fixture_named(&format!("{HOSTILE} 2"));
    noted["versions"][0]["taskflow"] = json!("%%% not base64 %%%");
    write_json(&env, "exports/noted.json", &noted);
    let run = env.run(&["verify", "exports"]);
    assert_eq!(run.code, 2, "{run}");
    assert_inert(&run);
    assert!(
        run.stdout.contains(&format!(
            "BROKEN  exports/broken.json: {ESCAPED}: /versions/0/taskflow: sequence flow"
        )),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!(
            "note    exports/noted.json: {ESCAPED} 2: /versions/0/taskflow: not valid base64, compared as text"
        )),
        "{run}"
    );
}

#[test]
fn error_chains_escape_names_and_archive_members() {
    let env = Env::new();
    // Two workflows with one name: the error lists the name.
    write_json(&env, "twice/a.json", &fixture_named(HOSTILE));
    write_json(&env, "twice/b.json", &fixture_named(HOSTILE));
    write_json(&env, "one/a.json", &fixture_named("Other"));
    let run = env.run(&["diff", "twice", "one"]);
    assert_eq!(run.code, 2, "{run}");
    assert_inert(&run);
    assert!(run.stderr.contains(ESCAPED), "{run}");

    // A ZIP whose member is named with control sequences and holds broken JSON.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        format!("{HOSTILE}.json"),
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(b"{\"name\": ").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    std::fs::write(env.path().join("evil.zip"), bytes).unwrap();
    let run = env.run(&["diff", "evil.zip", "one"]);
    assert_eq!(run.code, 2, "{run}");
    assert_inert(&run);
    assert!(
        run.stderr.contains(&format!("evil.zip!{ESCAPED}.json")),
        "{run}"
    );
}

#[test]
fn log_escapes_where_a_snapshot_came_from() {
    let env = Env::new();
    let store = soc_store::Store::open(env.path().join(".socdrift")).unwrap();
    let source = soc_store::SourceInfo {
        workspace_name: Some(HOSTILE.to_owned()),
        ..soc_store::SourceInfo::default()
    };
    let profile = soc_normalize::Profile::default();
    let writer = store
        .begin(
            "staging",
            source,
            &profile,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
    let raw = serde_json::to_vec(&fixture_named("A")).unwrap();
    writer
        .add(soc_store::WorkflowInput::from_export(raw, "a.json").unwrap())
        .unwrap();
    writer.commit(soc_store::IfUnchanged::Write).unwrap();
    let run = env.run(&["log", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert_inert(&run);
    assert!(
        run.stdout
            .contains(&format!("1 workflows     - playbooks  {ESCAPED}")),
        "{run}"
    );
}

#[cfg(unix)]
#[test]
fn log_lines_escape_paths() {
    let env = Env::new();
    // A folder whose name holds the sequences (any byte but `/` and NUL is allowed on Unix).
    let folder = format!("in-{HOSTILE}");
    write_json(&env, &format!("{folder}/a.json"), &fixture_named("A"));
    write_json(&env, "other/a.json", &fixture_named("A"));
    let run = env.run(&["-v", "diff", &format!("./{folder}"), "./other"]);
    assert_eq!(run.code, 0, "{run}");
    assert_inert(&run);
    assert!(
        run.stderr.contains(&format!("path=./in-{ESCAPED}")),
        "{run}"
    );
}

/// The bundled staging workspace plus one workflow named `HOSTILE` whose taskflow does not decode.
fn hostile_workspaces() -> SimConfig {
    let mut workspaces = soc_sim::bundled_workspaces().unwrap();
    let mut evil = fixture_named(HOSTILE);
    evil["id"] = json!("e0e0e0e0-0000-4000-8000-000000000001");
    evil["versions"][0]["taskflow"] = json!("%%% not base64 %%%");
    workspaces[0]
        .workflows
        .push(Workflow::from_export_value(evil).unwrap());
    SimConfig {
        fixtures: Fixtures::Workspaces(workspaces),
        ..SimConfig::default()
    }
}

#[test]
fn export_snapshot_and_verify_escape_names_from_the_server() {
    let live = Live::start_with(hostile_workspaces(), "");
    let staging = soc_sim::bundled_workspaces().unwrap().remove(0).name;
    assert_eq!(staging, "soc-staging");

    // `export --workflow` with a near miss: the "did you mean" hint names the hostile workflow.
    let near = HOSTILE.trim_end_matches(".exe");
    let run = live.env.run(&[
        "export",
        "--env",
        "staging",
        "--out",
        "one",
        "--workflow",
        near,
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert_inert(&run);
    assert!(
        run.stderr
            .contains(&format!("hint: did you mean `{ESCAPED}`?")),
        "{run}"
    );

    // `snapshot` warns about the taskflow it compares as text.
    let run = live.env.run(&["snapshot", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert_inert(&run);
    assert!(
        run.stderr.contains(&format!(
            "warning: staging: {ESCAPED}: /versions/0/taskflow: not valid base64, compared as text"
        )),
        "{run}"
    );

    // `verify` of the stored snapshot notes it, escaped, and is sound.
    let run = live.env.run(&["verify", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert_inert(&run);
    assert!(
        run.stdout.contains(&format!(
            "{ESCAPED}: /versions/0/taskflow: not valid base64, compared as text"
        )),
        "{run}"
    );
}
