//! Helpers shared by the integration tests.

use std::path::Path;
use std::time::Duration;

use soc_normalize::Profile;
use soc_store::{
    CommitOutcome, IfUnchanged, Snapshot, SnapshotId, SourceInfo, Store, WorkflowInput,
};

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
    match commit_with(store, env, &Profile::default(), inputs, IfUnchanged::Write) {
        CommitOutcome::Written(snapshot) => snapshot,
        CommitOutcome::Unchanged(_) => panic!("IfUnchanged::Write must write"),
    }
}

/// Begins a snapshot under `profile`, adds `inputs` and commits.
pub fn commit_with(
    store: &Store,
    env: &str,
    profile: &Profile,
    inputs: Vec<WorkflowInput>,
    if_unchanged: IfUnchanged,
) -> CommitOutcome {
    let writer = store.begin(env, source(), profile, LOCK_TIMEOUT).unwrap();
    for input in inputs {
        writer.add(input).unwrap();
    }
    writer.commit(if_unchanged).unwrap()
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

/// A store-v2 manifest's text (its file is compressed canonical JSON).
pub fn manifest_text(snapshot: &Snapshot) -> String {
    let bytes = std::fs::read(snapshot.path()).unwrap();
    String::from_utf8(zstd::decode_all(bytes.as_slice()).unwrap()).unwrap()
}

/// The packs in a folder (`store-v2/packs` or `raw-v2/packs`), sorted; temporary ones excluded.
pub fn packs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut packs: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    packs.sort();
    packs
}

/// The index of a pack (as docs/store.md describes the format): per object its SHA-256, offset
/// and stored length.
fn pack_entries(bytes: &[u8]) -> Vec<([u8; 32], usize, usize)> {
    let footer = &bytes[bytes.len() - 56..];
    let index_offset = u64::from_le_bytes(footer[0..8].try_into().unwrap()) as usize;
    let count = u64::from_le_bytes(footer[8..16].try_into().unwrap()) as usize;
    (0..count)
        .map(|i| {
            let entry = &bytes[index_offset + i * 56..index_offset + (i + 1) * 56];
            let offset = u64::from_le_bytes(entry[32..40].try_into().unwrap()) as usize;
            let stored = u64::from_le_bytes(entry[40..48].try_into().unwrap()) as usize;
            (entry[..32].try_into().unwrap(), offset, stored)
        })
        .collect()
}

/// Where an object is stored: its pack, offset and stored length.
pub fn locate_object(dir: &Path, sha256: &str) -> Option<(std::path::PathBuf, usize, usize)> {
    let wanted = hex::decode(sha256).unwrap();
    packs(dir).into_iter().find_map(|pack| {
        let bytes = std::fs::read(&pack).unwrap();
        pack_entries(&bytes)
            .into_iter()
            .find(|(hash, _, _)| hash[..] == wanted[..])
            .map(|(_, offset, stored)| (pack.clone(), offset, stored))
    })
}

/// Flips a byte in the middle of an object's stored bytes.
pub fn damage_object(dir: &Path, sha256: &str) -> std::path::PathBuf {
    let (pack, offset, stored) = locate_object(dir, sha256).expect("the object is in a pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[offset + stored / 2] ^= 0x55;
    std::fs::write(&pack, bytes).unwrap();
    pack
}

/// Every object of the packs in `dir`, decompressed.
pub fn objects_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for pack in packs(dir) {
        let bytes = std::fs::read(&pack).unwrap();
        for (_, offset, stored) in pack_entries(&bytes) {
            out.push(zstd::decode_all(&bytes[offset..offset + stored]).unwrap());
        }
    }
    out
}

/// The committed and the private packs' folders of a store root.
pub fn pack_dirs(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (
        root.join(soc_store::LAYOUT_DIR).join(soc_store::PACKS_DIR),
        root.join(soc_store::RAW_DIR).join(soc_store::PACKS_DIR),
    )
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of a store under `testdata/stores/<name>` (a store-v1 layout written by an older
/// socdrift) in a new temporary folder.
pub fn legacy_store(name: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/stores")
        .join(name);
    for part in [soc_store::LEGACY_LAYOUT_DIR, soc_store::LEGACY_RAW_DIR] {
        if fixture.join(part).is_dir() {
            copy_dir(&fixture.join(part), &dir.path().join(part));
        }
    }
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}
