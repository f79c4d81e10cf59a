//! No secret value in anything the docs tell users to commit, share or publish: the store outside
//! its private raw folder, every report format, the step summary, and what the commands print.
//! Secrets are planted under every shape redaction knows, in both workspaces, with different
//! values on each side so that every one of them is a reported change.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Value, json};
use soc_sim::{Fixtures, SimConfig, Workflow};

use crate::live::Live;
use crate::packs::decoded_files;
use crate::support::Run;

/// Every planted value starts with this; it occurs nowhere else.
const MARK: &str = "PLANTEDx";

fn secret(side: char, n: usize) -> String {
    format!("{MARK}{side}{n:02}q7Zr")
}

/// A workflow holding `secret(side, 0..=18)`, one under each shape.
fn planted_workflow(side: char) -> Value {
    let s = |n| secret(side, n);
    let params = json!({
        "clientKey": s(14),
        "url": format!("https://intel.example.com/lookup?token={}&ip=${{alert.src_ip}}", s(15)),
        "headers": [{"key": "X-Api-Key", "value": s(16)}],
        "dsn": format!("mysql://root:{}@10.0.0.1:3306/soc", s(17)),
    });
    let graph = json!({"elements": [{"type": "element", "name": "bpmn2:definitions",
        "attributes": {"id": "Definitions_1"}, "elements": [
        {"type": "element", "name": "bpmn2:process", "attributes": {"id": "Process_1"}, "elements": [
            {"type": "element", "name": "bpmn2:startEvent", "attributes": {"id": "Start_1"}},
            {"type": "element", "name": "bpmn2:serviceTask", "attributes": {
                "id": "Activity_1", "name": format!("Look up with token={}", s(18)),
                "soar:params": params.to_string()}},
            {"type": "element", "name": "bpmn2:sequenceFlow", "attributes": {
                "id": "Flow_1", "sourceRef": "Start_1", "targetRef": "Activity_1"}},
        ]},
    ]}]});
    let taskconfig = json!({
        "pwd": s(2),
        "passphrase": s(3),
        "auth": s(4),
        "cookie": s(5),
        "client_key": s(6),
        "signature": s(7),
        "headers": [{"name": "Authorization", "value": format!("Bearer {}", s(8))}],
        "dsn": format!("postgres://soc:{}@db.example.com:5432/soc", s(9)),
        "blob": format!("https://acct.blob.core.windows.net/c/f?sv=2024-01-01&sig={}&se=2030", s(10)),
        "s3": format!("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature={}", s(11)),
        "hook": format!("https://hooks.example.com/x?token={}&channel=soc", s(12)),
    });
    json!({
        "id": "5ec0e7a1-0000-4000-8000-00000000000a",
        "name": "Planted secrets",
        "description": format!("writes to postgres://soc:{}@db.example.com/soc", s(0)),
        "webhook_password": s(1),
        "aop_type": "NORMAL",
        "version_id": "5ec0e7a1-0000-4000-8000-0000000000b1",
        "versions": [{
            "id": "5ec0e7a1-0000-4000-8000-0000000000b1",
            "version_id": "5ec0e7a1-0000-4000-8000-0000000000b1",
            "aopworkflow_id": "5ec0e7a1-0000-4000-8000-00000000000a",
            "status": "activated",
            "taskconfig": taskconfig.to_string(),
            // Not JSON: compared as text, secrets redacted as text.
            "input": format!("{{\"password\": \"{}\", \"user\": ", s(13)),
            "taskflow": base64::engine::general_purpose::STANDARD.encode(graph.to_string()),
        }],
    })
}

/// The bundled workspaces, each with the planted workflow (different secrets on each side).
fn planted() -> SimConfig {
    let mut workspaces = soc_sim::bundled_workspaces().unwrap();
    for (workspace, side) in workspaces.iter_mut().zip(['s', 'p']) {
        workspace
            .workflows
            .push(Workflow::from_export_value(planted_workflow(side)).unwrap());
    }
    SimConfig {
        fixtures: Fixtures::Workspaces(workspaces),
        ..SimConfig::default()
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(MARK),
        "a planted secret reached {what}:\n{}",
        text.lines()
            .filter(|l| l.contains(MARK))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn assert_run_clean(run: &Run) {
    assert_no_secret("stdout", &run.stdout);
    assert_no_secret("stderr", &run.stderr);
}

// Long on purpose: one run from snapshot to every report file, so that every artifact of the same
// run is searched for the planted secrets.
#[test]
fn nothing_committed_or_published_holds_a_secret() {
    let mut live = Live::start_with(
        planted(),
        "[check]\npairs = [[\"staging\", \"production@live\"]]\n",
    );
    let summary = live.env.write("summary.md", "");
    live.env
        .var("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    let root = live.env.path().to_owned();

    let mut runs = Vec::new();
    let mut run = |args: &[&str], code: i32| {
        let run = live.env.run(args);
        assert_eq!(run.code, code, "{args:?}\n{run}");
        assert_run_clean(&run);
        runs.push(run);
    };
    run(&["snapshot", "--all"], 0);
    run(&["diff", "staging", "production"], 1);
    for (format, file) in [
        ("text", "out/diff.txt"),
        ("json", "out/diff.json"),
        ("markdown", "out/diff.md"),
        ("junit", "out/diff.xml"),
        // The review page draws node names: a secret in one is redacted there too.
        ("html", "out/diff.html"),
    ] {
        run(
            &[
                "diff",
                "staging",
                "production",
                "-o",
                format,
                "--output-file",
                file,
            ],
            1,
        );
    }
    run(
        &[
            "check",
            "--report-file",
            "out/check.json",
            "--junit",
            "out/check.xml",
            "--markdown",
            "out/check.md",
            "--html",
            "out/check.html",
        ],
        1,
    );
    run(&["verify"], 0);
    run(&["log", "staging"], 0);
    run(&["export", "--env", "staging", "--out", "exported"], 0);
    // `normalize` is the git textconv driver: what `git diff` shows of exports.
    run(&["normalize", "exported/planted-secrets.json"], 0);

    // The page drew the node, under its redacted name.
    let page = std::fs::read_to_string(root.join("out/diff.html")).unwrap();
    assert!(
        page.contains("data-node-id=\"Activity_1\" data-name=\"Look up with token=&lt;redacted:"),
        "{page}"
    );

    // Every planted shape was seen, and shows as a redacted change.
    let report: Value =
        serde_json::from_slice(&std::fs::read(root.join("out/diff.json")).unwrap()).unwrap();
    let planted = report["pairs"][0]["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Planted secrets")
        .unwrap();
    let changes = planted["changes"].as_array().unwrap();
    assert_eq!(
        changes.len(),
        19,
        "one change per planted secret: {planted:#}"
    );
    for change in changes {
        for side in ["left", "right"] {
            if let Some(value) = change.get(side) {
                assert!(value.to_string().contains("<redacted:"), "{change}");
            }
        }
    }

    // The published and committed files: the store outside its raw folder (every object of
    // every pack and every manifest decompressed, the view as it is), reports, summary.
    let mut scanned = 0;
    let published = decoded_files(&root.join(".socdrift/store-v2"))
        .into_iter()
        .chain(decoded_files(&root.join("out")))
        .chain([(summary.clone(), std::fs::read(&summary).unwrap())]);
    for (file, bytes) in published {
        assert_no_secret(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
        scanned += 1;
    }
    assert!(scanned > 30, "{scanned} files and objects scanned");
    assert!(!std::fs::read_to_string(&summary).unwrap().is_empty());
    let store_files: Vec<_> = files_under(&root.join(".socdrift"));
    assert!(
        store_files
            .iter()
            .all(|f| f.starts_with(root.join(".socdrift/store-v2"))
                || f.starts_with(root.join(".socdrift/raw-v2"))),
        "{store_files:?}"
    );

    // The raw exports, byte for byte, are only in the private raw folder, which git ignores.
    let raw: String = decoded_files(&root.join(".socdrift/raw-v2"))
        .iter()
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    for n in [0, 1, 2, 9, 13] {
        assert!(raw.contains(&secret('s', n)), "raw export {n} kept");
    }
    if let Some(tracked) = git_would_commit(&root.join(".socdrift")) {
        assert!(!tracked.is_empty());
        assert!(
            tracked.iter().all(|f| !f.starts_with("raw-v2/")),
            "{tracked:?}"
        );
        assert!(
            tracked
                .iter()
                .any(|f| f == "store-v2/view/staging/workflows/planted-secrets.json"),
            "{tracked:?}"
        );
    }
}

/// What `git add .` would stage in `dir`, when git is installed.
fn git_would_commit(dir: &Path) -> Option<Vec<String>> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .output()
            .ok()
            .filter(|out| out.status.success())
    };
    git(&["init", "-q", "."])?;
    let out = git(&["add", "--dry-run", "."])?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix("add '"))
            .map(|path| path.trim_end_matches('\'').to_owned())
            .collect(),
    )
}

#[test]
fn a_clone_without_raw_exports_still_diffs_checks_and_verifies() {
    let live = Live::start_with(
        planted(),
        "[check]\npairs = [[\"staging\", \"production@live\"]]\n",
    );
    let run = live.env.run(&["snapshot", "--all"]);
    assert_eq!(run.code, 0, "{run}");
    // What another CI runner gets from git: everything but the ignored raw folder.
    std::fs::remove_dir_all(live.env.path().join(".socdrift/raw-v2")).unwrap();

    let run = live.env.run(&["diff", "staging", "production", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    let run = live.env.run(&["check", "--stat"]);
    assert_eq!(run.code, 1, "{run}");
    let run = live.env.run(&["log", "production"]);
    assert_eq!(run.code, 0, "{run}");
    let run = live.env.run(&["verify"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("note    26 raw exports of 2 snapshots are not in this store"),
        "{run}"
    );

    // Changed rules need the raw exports to renormalize: an error that says so, never a report
    // under the wrong rules.
    let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml")).unwrap();
    live.env.write(
        "socdrift.toml",
        &format!("{toml}\n[normalize]\nignore = [\"/versions/*/status\"]\n"),
    );
    let run = live.env.run(&["diff", "staging", "production"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr
            .contains("applying the current rules needs its raw exports"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("hint: raw exports stay on the machine that took a snapshot"),
        "{run}"
    );
}

#[cfg(unix)]
#[test]
fn export_writes_raw_exports_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let live = Live::start();
    let run = live
        .env
        .run(&["export", "--env", "staging", "--out", "exp/raw"]);
    assert_eq!(run.code, 0, "{run}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let out = live.env.path().join("exp");
    assert_eq!(mode(&out), 0o700, "a folder it creates");
    assert_eq!(mode(&out.join("raw")), 0o700);
    assert_eq!(mode(&out.join("raw/playbooks")), 0o700);
    let files = files_under(&out);
    assert_eq!(files.len(), 12, "6 workflows and 6 playbooks");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    // --force replaces a file of the same name, which becomes owner-only too.
    let file = &files[0];
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = live
        .env
        .run(&["export", "--env", "staging", "--out", "exp/raw", "--force"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(mode(file), 0o600);
    assert_eq!(files_under(&out), files, "no temporary file left behind");
}
