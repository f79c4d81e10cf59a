//! `verify` finds every kind of damage, names the file, and changes nothing.

use std::path::Path;

use soc_store::{LAYOUT_DIR, MANIFEST_FILE, Problem, Snapshot, Store};

use crate::common::{files_under, fixture_inputs, write};

fn setup() -> (tempfile::TempDir, Store, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    let snapshot = write(&store, "production", fixture_inputs("production"));
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    (dir, store, snapshot)
}

/// The single problem `verify` reports, after checking that nothing else is reported and that
/// verifying did not modify the store.
fn only_problem(store: &Store, root: &Path) -> Problem {
    let before = snapshot_of_tree(root);
    let report = store.verify(None);
    assert_eq!(
        snapshot_of_tree(root),
        before,
        "verify must not modify anything"
    );
    assert!(!report.is_ok());
    assert!(report.store_problems.is_empty(), "{report}");
    let broken: Vec<_> = report
        .snapshots
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    assert_eq!(broken.len(), 1, "{report}");
    assert_eq!(broken[0].environment, "production");
    assert_eq!(broken[0].problems.len(), 1, "{report}");
    let text = report.to_string();
    assert!(text.contains("BROKEN  production/"), "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert!(
        json["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| !s["problems"].as_array().unwrap().is_empty())
    );
    broken[0].problems[0].clone()
}

fn snapshot_of_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(root)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(root.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

fn first_info(snapshot: &Snapshot) -> (String, String) {
    let record = &snapshot.manifest().workflows[0];
    (record.info_file.clone(), record.name.clone())
}

#[test]
fn a_flipped_byte_in_a_raw_export_is_reported_by_path_and_workflow() {
    let (dir, store, snapshot) = setup();
    let record = &snapshot.manifest().workflows[0];
    let path = snapshot.raw_export_path(record).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[20] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let problem = only_problem(&store, dir.path());
    match &problem {
        Problem::CorruptedRawExport {
            path: p,
            workflow,
            expected_sha256,
            actual_sha256,
        } => {
            assert_eq!((p, workflow), (&path, &record.name));
            assert_ne!(expected_sha256, actual_sha256);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        problem.to_string().starts_with("corrupted raw export "),
        "{problem}"
    );
}

#[test]
fn a_flipped_byte_is_reported_by_file_and_workflow() {
    let (dir, store, snapshot) = setup();
    let (file, workflow) = first_info(&snapshot);
    let path = snapshot.path().join(&file);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[20] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let problem = only_problem(&store, dir.path());
    match &problem {
        Problem::CorruptedFile {
            file: f,
            workflow: w,
            expected_sha256,
            actual_sha256,
            ..
        } => {
            assert_eq!((f, w), (&file, &workflow));
            assert_ne!(expected_sha256, actual_sha256);
        }
        other => panic!("{other:?}"),
    }
    assert!(problem.to_string().contains(&file), "{problem}");
    assert!(problem.to_string().contains("sha256"), "{problem}");
}

#[test]
fn a_truncated_file_is_reported_with_sizes() {
    let (dir, store, snapshot) = setup();
    let record = &snapshot.manifest().workflows[1];
    let file = record.normalized_file.clone().unwrap();
    let path = snapshot.path().join(&file);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let problem = only_problem(&store, dir.path());
    assert!(
        matches!(&problem, Problem::CorruptedFile { file: f, .. } if *f == file),
        "{problem:?}"
    );
    assert!(
        problem.to_string().contains(&format!(
            "{} bytes, manifest says {}",
            bytes.len() / 2,
            bytes.len()
        )),
        "{problem}"
    );
}

#[test]
fn a_deleted_file_is_reported_missing() {
    let (dir, store, snapshot) = setup();
    let record = &snapshot.manifest().workflows[2];
    std::fs::remove_file(snapshot.path().join(&record.info_file)).unwrap();
    let problem = only_problem(&store, dir.path());
    assert_eq!(
        problem,
        Problem::MissingFile {
            file: record.info_file.clone(),
            workflow: record.name.clone()
        }
    );
    assert!(problem.to_string().starts_with("missing "), "{problem}");
}

#[test]
fn an_extra_file_is_reported() {
    let (dir, store, snapshot) = setup();
    std::fs::write(snapshot.path().join("notes.txt"), "hello").unwrap();
    let problem = only_problem(&store, dir.path());
    assert_eq!(
        problem,
        Problem::ExtraFile {
            file: "notes.txt".to_owned()
        }
    );
}

#[test]
fn a_manifest_that_does_not_parse_is_reported() {
    let (dir, store, snapshot) = setup();
    let path = snapshot.path().join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 10]).unwrap();
    let problem = only_problem(&store, dir.path());
    assert!(
        matches!(&problem, Problem::BadManifest { .. }),
        "{problem:?}"
    );
    assert!(problem.to_string().contains(MANIFEST_FILE), "{problem}");
    assert!(Snapshot::open(snapshot.path()).is_err());
}

#[test]
fn an_edited_manifest_is_caught_by_the_id_hash() {
    let (dir, store, snapshot) = setup();
    let path = snapshot.path().join(MANIFEST_FILE);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["workflows"][0]["name"] = "Renamed by hand".into();
    std::fs::write(&path, soc_normalize::canonical_json(&manifest)).unwrap();
    let problem = only_problem(&store, dir.path());
    assert!(
        matches!(&problem, Problem::ManifestMismatch { .. }),
        "{problem:?}"
    );
}

#[test]
fn a_hostile_manifest_cannot_point_outside_the_snapshot() {
    let (dir, store, snapshot) = setup();
    let path = snapshot.path().join(MANIFEST_FILE);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["workflows"][0]["normalized_file"] = "../../../../etc/passwd".into();
    std::fs::write(&path, soc_normalize::canonical_json(&manifest)).unwrap();
    let problem = only_problem(&store, dir.path());
    assert!(
        matches!(&problem, Problem::BadManifest { error } if error.contains("not a plain file name")),
        "{problem:?}"
    );
    let err = Snapshot::open(snapshot.path()).unwrap_err();
    assert!(err.to_string().contains("invalid"), "{err}");
}

#[test]
fn stray_entries_in_the_store_are_reported_and_leftovers_noted() {
    let (dir, store, _snapshot) = setup();
    let env_dir = dir.path().join(LAYOUT_DIR).join("production");
    std::fs::create_dir(env_dir.join("not-a-snapshot")).unwrap();
    std::fs::create_dir(env_dir.join(".tmp-999-1")).unwrap();
    let report = store.verify(None);
    assert_eq!(report.store_problems.len(), 1, "{report}");
    assert!(report.store_problems[0].path.ends_with("not-a-snapshot"));
    assert_eq!(report.leftovers, vec![env_dir.join(".tmp-999-1")]);
    assert!(
        report.to_string().contains("interrupted writer"),
        "{report}"
    );
    // Leftovers alone are not a failure.
    std::fs::remove_dir(env_dir.join("not-a-snapshot")).unwrap();
    assert!(store.verify(None).is_ok());
    // A snapshot whose manifest is missing.
    let bare = env_dir.join("20000101T000000Z-00000000");
    std::fs::create_dir(&bare).unwrap();
    let report = store.verify(Some("production"));
    assert!(
        report
            .snapshots
            .iter()
            .any(|s| s.problems == vec![Problem::MissingManifest]),
        "{report}"
    );
}
