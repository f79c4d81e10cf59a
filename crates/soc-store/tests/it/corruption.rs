//! `verify` finds every kind of damage, names the object, pack or file and the workflow, and
//! changes nothing.

use std::path::Path;

use soc_store::{LAYOUT_DIR, Problem, Snapshot, Store};

use crate::common::{damage_object, files_under, fixture_inputs, pack_dirs, packs, write};

fn setup() -> (tempfile::TempDir, Store, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    let snapshot = write(&store, "production", fixture_inputs("production"));
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    (dir, store, snapshot)
}

/// The problems of the one broken snapshot (production) and the store problems, after checking
/// that verifying did not modify the store.
fn verify_problems(store: &Store, root: &Path) -> (Vec<Problem>, Vec<String>) {
    let before = snapshot_of_tree(root);
    let report = store.verify(None);
    assert_eq!(
        snapshot_of_tree(root),
        before,
        "verify must not modify anything"
    );
    assert!(!report.is_ok());
    let broken: Vec<_> = report
        .snapshots
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    let text = report.to_string();
    let store_problems = report
        .store_problems
        .iter()
        .map(|p| format!("{}: {}", p.path.display(), p.problem))
        .collect();
    if broken.is_empty() {
        return (Vec::new(), store_problems);
    }
    assert_eq!(broken.len(), 1, "{report}");
    assert_eq!(broken[0].environment, "production");
    assert!(text.contains("BROKEN  production/"), "{text}");
    (broken[0].problems.clone(), store_problems)
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

/// A workflow of production whose objects production alone has (its staging twin differs).
fn own_record(store: &Store, snapshot: &Snapshot) -> soc_store::WorkflowRecord {
    let staging = store
        .resolve("staging", &soc_store::Selector::Latest)
        .unwrap();
    let theirs: Vec<&str> = staging
        .manifest()
        .workflows
        .iter()
        .map(|r| r.normalized_sha256.as_str())
        .collect();
    snapshot
        .manifest()
        .workflows
        .iter()
        .find(|r| !theirs.contains(&r.normalized_sha256.as_str()))
        .unwrap()
        .clone()
}

#[test]
fn a_flipped_byte_in_an_object_is_reported_by_pack_hash_and_workflow() {
    let (dir, store, snapshot) = setup();
    let record = own_record(&store, &snapshot);
    let pack = damage_object(&pack_dirs(dir.path()).0, &record.normalized_sha256);
    let (problems, store_problems) = verify_problems(&store, dir.path());
    assert_eq!(problems.len(), 1, "{problems:?}");
    match &problems[0] {
        Problem::CorruptedObject {
            workflow,
            what,
            sha256,
            pack: p,
            ..
        } => {
            assert_eq!(
                (workflow, what.as_str(), sha256, p),
                (
                    &record.name,
                    "normalized form",
                    &record.normalized_sha256,
                    &pack
                )
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        problems[0].to_string().starts_with("damaged object "),
        "{}",
        problems[0]
    );
    assert_eq!(store_problems.len(), 1, "{store_problems:?}");
    assert!(
        store_problems[0].contains(&format!("object {} is damaged", record.normalized_sha256)),
        "{store_problems:?}"
    );
}

#[test]
fn a_flipped_byte_in_a_raw_export_is_reported_too() {
    let (dir, store, snapshot) = setup();
    let record = &snapshot.manifest().workflows[0];
    damage_object(&pack_dirs(dir.path()).1, &record.export_sha256);
    let (problems, store_problems) = verify_problems(&store, dir.path());
    assert!(
        matches!(&problems[..], [Problem::CorruptedObject { what, workflow, .. }]
            if what == "raw export" && *workflow == record.name),
        "{problems:?}"
    );
    assert_eq!(store_problems.len(), 1, "{store_problems:?}");
    assert!(snapshot.raw_export(record).is_err());
}

#[test]
fn a_truncated_or_deleted_pack_leaves_its_objects_missing() {
    let (dir, store, snapshot) = setup();
    let record = own_record(&store, &snapshot);
    let (committed, _) = pack_dirs(dir.path());
    let pack = packs(&committed)
        .into_iter()
        .find(|p| {
            crate::common::locate_object(&committed, &record.normalized_sha256)
                .is_some_and(|(found, _, _)| found == *p)
        })
        .unwrap();
    let bytes = std::fs::read(&pack).unwrap();
    std::fs::write(&pack, &bytes[..bytes.len() - 10]).unwrap();
    let (problems, store_problems) = verify_problems(&store, dir.path());
    assert!(
        problems.contains(&Problem::MissingObject {
            workflow: record.name.clone(),
            what: "normalized form".to_owned(),
            sha256: record.normalized_sha256.clone(),
        }),
        "{problems:?}"
    );
    assert!(
        store_problems[0].contains("unreadable pack")
            && store_problems[0].contains("footer is damaged"),
        "{store_problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.to_string().starts_with("missing object ")),
        "{problems:?}"
    );

    std::fs::remove_file(&pack).unwrap();
    let (problems, store_problems) = verify_problems(&store, dir.path());
    assert!(store_problems.is_empty(), "{store_problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, Problem::MissingObject { .. })),
        "{problems:?}"
    );
    let err = snapshot.load(&record).unwrap_err();
    assert!(
        err.to_string().contains("which no pack in"),
        "names the missing object: {err}"
    );
}

fn rewrite_manifest(snapshot: &Snapshot, edit: impl FnOnce(&mut serde_json::Value)) {
    let text = crate::common::manifest_text(snapshot);
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut manifest);
    let bytes = zstd::encode_all(soc_normalize::canonical_json(&manifest).as_bytes(), 3).unwrap();
    std::fs::write(snapshot.path(), bytes).unwrap();
}

#[test]
fn a_manifest_that_does_not_parse_is_reported() {
    let (dir, store, snapshot) = setup();
    let bytes = std::fs::read(snapshot.path()).unwrap();
    std::fs::write(snapshot.path(), &bytes[..bytes.len() - 10]).unwrap();
    let (problems, _) = verify_problems(&store, dir.path());
    assert!(
        matches!(&problems[..], [Problem::BadManifest { .. }]),
        "{problems:?}"
    );
    assert!(
        problems[0].to_string().contains("bad manifest"),
        "{}",
        problems[0]
    );
    assert!(Snapshot::open(snapshot.path()).is_err());
}

#[test]
fn an_edited_manifest_is_caught_by_the_id_hash() {
    let (dir, store, snapshot) = setup();
    rewrite_manifest(&snapshot, |m| {
        m["workflows"][0]["name"] = "Renamed by hand".into();
    });
    let (problems, _) = verify_problems(&store, dir.path());
    assert!(
        matches!(&problems[..], [Problem::ManifestMismatch { .. }]),
        "{problems:?}"
    );
}

#[test]
fn a_hostile_manifest_cannot_name_a_view_file_outside_the_view() {
    let (dir, store, snapshot) = setup();
    rewrite_manifest(&snapshot, |m| {
        m["workflows"][0]["stem"] = "../../../../etc/passwd".into();
    });
    let (problems, _) = verify_problems(&store, dir.path());
    assert!(
        matches!(&problems[..], [Problem::BadManifest { error }] if error.contains("not a plain name")),
        "{problems:?}"
    );
    let err = Snapshot::open(snapshot.path()).unwrap_err();
    assert!(err.to_string().contains("invalid"), "{err}");
    // A manifest of store-v2 naming files (as store-v1 did) is refused as well.
    rewrite_manifest(&snapshot, |m| {
        m["workflows"][0]["stem"] = "fine".into();
        m["workflows"][0]["info_file"] = "../x".into();
    });
    let err = Snapshot::open(snapshot.path()).unwrap_err();
    assert!(err.to_string().contains("names files"), "{err}");
}

#[test]
fn stray_entries_in_the_store_are_reported_and_leftovers_noted() {
    let (dir, store, _snapshot) = setup();
    let env_dir = dir.path().join(LAYOUT_DIR).join("snapshots/production");
    std::fs::create_dir(env_dir.join("not-a-snapshot")).unwrap();
    std::fs::write(env_dir.join(".tmp-999-1.json.zst"), "x").unwrap();
    let (committed, _) = pack_dirs(dir.path());
    std::fs::write(committed.join(".tmp-production.999-1.pack"), "x").unwrap();
    let report = store.verify(None);
    assert_eq!(report.store_problems.len(), 1, "{report}");
    assert!(report.store_problems[0].path.ends_with("not-a-snapshot"));
    assert_eq!(report.leftovers.len(), 2, "{report}");
    assert!(
        report.to_string().contains("interrupted writer"),
        "{report}"
    );
    // Leftovers alone are not a failure.
    std::fs::remove_dir(env_dir.join("not-a-snapshot")).unwrap();
    assert!(store.verify(None).is_ok());
    // A stray file among the packs is.
    std::fs::write(committed.join("notes.txt"), "hello").unwrap();
    let report = store.verify(None);
    assert!(
        report.store_problems[0]
            .problem
            .contains("unexpected entry among the packs"),
        "{report}"
    );
}
