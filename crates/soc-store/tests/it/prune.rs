//! Pruning by count and by age, never the latest.

use std::time::Duration;

use soc_store::{LAYOUT_DIR, Store};

use crate::common::{files_under, listed_ids, small_input, write, write_series};

#[test]
fn prune_by_count_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ids = write_series(&store, "staging", 0..5);
    let other = write(&store, "production", vec![small_input("a", "1", "p")]);

    let removed = store.prune("staging", 2, None).unwrap();
    assert_eq!(removed, ids[..3].to_vec(), "oldest first");
    let left = listed_ids(&store, "staging");
    assert_eq!(left, ids[3..].to_vec());
    assert_eq!(
        store.list("production").unwrap()[0].id,
        *other.id(),
        "other environments untouched"
    );

    // keep = 0 still keeps the latest.
    let removed = store.prune("staging", 0, None).unwrap();
    assert_eq!(removed, vec![ids[3].clone()]);
    assert_eq!(store.list("staging").unwrap()[0].id, ids[4]);
    assert_eq!(store.prune("staging", 0, None).unwrap(), vec![]);
    assert!(store.verify(None).is_ok());
    let env_files = files_under(&dir.path().join(LAYOUT_DIR).join("staging"));
    assert!(
        env_files.iter().all(|f| !f.starts_with(".tmp-")),
        "{env_files:?}"
    );
}

#[test]
fn prune_by_age_spares_recent_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // An old snapshot: the same content under an id from the year 2000.
    let first = write(&store, "staging", vec![small_input("a", "1", "0")]);
    let env_dir = dir.path().join(LAYOUT_DIR).join("staging");
    let old_id = format!(
        "20000101T000000Z-{}",
        first.id().as_str().rsplit('-').next().unwrap()
    );
    std::fs::rename(first.path(), env_dir.join(&old_id)).unwrap();
    let recent = write_series(&store, "staging", 1..4);

    let removed = store
        .prune("staging", 0, Some(Duration::from_secs(24 * 3600)))
        .unwrap();
    assert_eq!(
        removed.iter().map(|id| id.as_str()).collect::<Vec<_>>(),
        vec![old_id.as_str()]
    );
    let left = listed_ids(&store, "staging");
    assert_eq!(left, recent);
    // Age and count together: only snapshots both beyond the count and old enough go.
    assert_eq!(
        store
            .prune("staging", 1, Some(Duration::from_secs(3600)))
            .unwrap(),
        vec![]
    );
    assert_eq!(store.prune("staging", 1, None).unwrap().len(), 2);
}

#[test]
fn prune_waits_for_the_writer_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(50));
    write(&store, "staging", vec![small_input("a", "1", "0")]);
    let _writer = store
        .begin(
            "staging",
            crate::common::source(),
            &soc_normalize::Profile::default(),
            Duration::from_secs(1),
        )
        .unwrap();
    let err = store.prune("staging", 0, None).unwrap_err();
    assert!(
        err.to_string().contains("locked by another writer"),
        "{err}"
    );
}

#[test]
fn prune_deletes_raw_exports_no_snapshot_lists_and_keeps_shared_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let shared = small_input("shared", "1", "same in both");
    let old = write(
        &store,
        "staging",
        vec![shared.clone(), small_input("gone", "2", "old")],
    );
    let new = write(
        &store,
        "staging",
        vec![shared, small_input("gone", "2", "new")],
    );
    let other = write(&store, "production", vec![small_input("gone", "2", "old")]);
    let raw_files = || files_under(&dir.path().join("raw-v1/staging"));
    assert_eq!(raw_files().len(), 3, "the shared export is stored once");
    // A raw export left by a writer that crashed after publishing it.
    std::fs::write(
        dir.path()
            .join("raw-v1/staging")
            .join(format!("{}.json", "0".repeat(64))),
        "{}",
    )
    .unwrap();

    store.prune("staging", 1, None).unwrap();
    assert_eq!(listed_ids(&store, "staging"), vec![new.id().clone()]);
    let left = raw_files();
    let listed: Vec<String> = new
        .manifest()
        .workflows
        .iter()
        .map(|r| r.raw_export_name())
        .collect();
    assert_eq!(left, {
        let mut listed = listed.clone();
        listed.sort();
        listed
    });
    let gone = &old
        .manifest()
        .workflows
        .iter()
        .find(|r| r.name == "gone")
        .unwrap();
    assert!(!left.contains(&gone.raw_export_name()));
    // Another environment's raw exports are its own, even with the same bytes.
    assert!(
        other
            .raw_export(&other.manifest().workflows[0])
            .unwrap()
            .is_some()
    );
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}
