//! Helpers shared by the integration tests.

use std::path::Path;
use std::time::Duration;

use soc_normalize::Profile;
use soc_store::{CommitOutcome, Snapshot, SnapshotId, SourceInfo, Store, WorkflowInput};

pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// The bundled fixture workspace (`staging` or `production`) as writer inputs.
pub fn fixture_inputs(workspace: &str) -> Vec<WorkflowInput> {
    let ws = soc_sim::bundled_workspace(workspace).unwrap();
    ws.workflows.iter().map(input_of).collect()
}

/// A simulated workflow as the API client would hand it to the store.
pub fn input_of(workflow: &soc_sim::Workflow) -> WorkflowInput {
    let mut input = WorkflowInput::from_export(workflow.export_bytes().unwrap(), "export").unwrap();
    assert_eq!(input.info, serde_json::to_value(&workflow.info).unwrap());
    input.content_type = Some("application/octet-stream".to_owned());
    input.file_name = Some("workflows.json".to_owned());
    input
}

/// The ids of an environment's snapshots, oldest first.
pub fn listed_ids(store: &Store, env: &str) -> Vec<SnapshotId> {
    store.list(env).unwrap().into_iter().map(|s| s.id).collect()
}

/// A minimal valid single-workflow export for `name`, with `marker` somewhere in its content.
pub fn small_input(name: &str, id: &str, marker: &str) -> WorkflowInput {
    let export = serde_json::json!({
        "id": id,
        "name": name,
        "description": marker,
        "aop_type": "NORMAL",
        "versions": [],
    });
    WorkflowInput {
        id: id.to_owned(),
        name: name.to_owned(),
        info: serde_json::json!({ "id": id, "name": name, "description": marker }),
        raw: serde_json::to_vec(&export).unwrap(),
        content_type: None,
        file_name: None,
    }
}

pub fn source() -> SourceInfo {
    SourceInfo {
        endpoint: Some("http://127.0.0.1:1/".to_owned()),
        workspace_name: Some("test".to_owned()),
        ..SourceInfo::default()
    }
}

/// Writes one snapshot of `inputs` and returns it (always written, never skipped).
pub fn write(store: &Store, env: &str, inputs: Vec<WorkflowInput>) -> Snapshot {
    match commit_with(store, env, &Profile::default(), inputs, false) {
        CommitOutcome::Written(snapshot) => snapshot,
        CommitOutcome::Unchanged(_) => panic!("commit(false) must write"),
    }
}

/// Begins a snapshot under `profile`, adds `inputs` and commits.
pub fn commit_with(
    store: &Store,
    env: &str,
    profile: &Profile,
    inputs: Vec<WorkflowInput>,
    skip_if_unchanged: bool,
) -> CommitOutcome {
    let mut writer = store.begin(env, source(), profile, LOCK_TIMEOUT).unwrap();
    for input in inputs {
        writer.add(input).unwrap();
    }
    writer.commit(skip_if_unchanged).unwrap()
}

/// One small snapshot per marker, each with one workflow `a` whose content is the marker; their
/// ids, oldest first.
pub fn write_series(store: &Store, env: &str, markers: std::ops::Range<usize>) -> Vec<SnapshotId> {
    markers
        .map(|i| {
            write(store, env, vec![small_input("a", "1", &i.to_string())])
                .id()
                .clone()
        })
        .collect()
}

/// Every regular file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry.path().strip_prefix(dir).unwrap().to_owned();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}
