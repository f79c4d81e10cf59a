//! Pruning by count and by age, never the latest; collecting the objects no snapshot lists,
//! safely while snapshots are being written.

use std::time::Duration;

use soc_store::{LAYOUT_DIR, Store};

use crate::common::{
    files_under, listed_ids, locate_object, pack_dirs, packs, small_input, write, write_series,
};

#[test]
fn prune_by_count_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ids = write_series(&store, "staging", 0..5);
    let other = write(&store, "production", vec![small_input("a", "1", "p")]);

    let removed = store.prune("staging", 2, None).unwrap().removed;
    assert_eq!(removed, ids[..3].to_vec(), "oldest first");
    let left = listed_ids(&store, "staging");
    assert_eq!(left, ids[3..].to_vec());
    assert_eq!(
        store.list("production").unwrap()[0].id,
        *other.id(),
        "other environments untouched"
    );

    // keep = 0 still keeps the latest.
    let removed = store.prune("staging", 0, None).unwrap().removed;
    assert_eq!(removed, vec![ids[3].clone()]);
    assert_eq!(store.list("staging").unwrap()[0].id, ids[4]);
    assert_eq!(store.prune("staging", 0, None).unwrap().removed, vec![]);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    let env_files = files_under(&dir.path().join(LAYOUT_DIR).join("snapshots/staging"));
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
    let env_dir = dir.path().join(LAYOUT_DIR).join("snapshots/staging");
    let old_id = format!(
        "20000101T000000Z-{}",
        first.id().as_str().rsplit('-').next().unwrap()
    );
    std::fs::rename(first.path(), env_dir.join(format!("{old_id}.json.zst"))).unwrap();
    let recent = write_series(&store, "staging", 1..4);

    let removed = store
        .prune("staging", 0, Some(Duration::from_secs(24 * 3600)))
        .unwrap()
        .removed;
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
            .unwrap()
            .removed,
        vec![]
    );
    assert_eq!(store.prune("staging", 1, None).unwrap().removed.len(), 2);
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
fn collecting_garbage_waits_for_writers_of_other_environments() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(100));
    write_series(&store, "staging", 0..3);
    let writer = store
        .begin(
            "production",
            crate::common::source(),
            &soc_normalize::Profile::default(),
            Duration::from_secs(1),
        )
        .unwrap();
    // The snapshots go; their objects stay until no snapshot is being written.
    let report = store.prune("staging", 1, None).unwrap();
    assert_eq!(report.removed.len(), 2);
    let skipped = report.gc.skipped.unwrap();
    assert!(
        skipped.contains("processes writing snapshots to the store"),
        "{skipped}"
    );
    assert!(
        store
            .verify(None)
            .to_string()
            .contains("that no snapshot lists"),
        "{}",
        store.verify(None)
    );
    drop(writer);
    let gc = store.collect_garbage().unwrap();
    assert_eq!(gc.skipped, None);
    // Two snapshots of one workflow each: its normalized form, info and raw export.
    assert_eq!(gc.objects_deleted, 6, "{gc:?}");
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    assert!(
        !store.verify(None).to_string().contains("no snapshot lists"),
        "{}",
        store.verify(None)
    );
}

#[test]
fn prune_deletes_objects_no_snapshot_lists_and_keeps_shared_ones() {
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
    let other = write(&store, "production", vec![small_input("only", "3", "old")]);
    let (committed, raw) = pack_dirs(dir.path());
    // A pack left by a writer that crashed after publishing it, and one it never finished.
    let stray = store.root().join("stray");
    {
        let crashed = Store::open(&stray).unwrap();
        write(&crashed, "staging", vec![small_input("crashed", "9", "x")]);
    }
    for pack in packs(&pack_dirs(&stray).0) {
        std::fs::copy(&pack, committed.join(pack.file_name().unwrap())).unwrap();
    }
    std::fs::remove_dir_all(&stray).unwrap();
    std::fs::write(committed.join(".tmp-staging.1-2.pack"), "half").unwrap();

    let gone = old
        .manifest()
        .workflows
        .iter()
        .find(|r| r.name == "gone")
        .unwrap()
        .clone();
    assert!(locate_object(&committed, &gone.normalized_sha256).is_some());
    let report = store.prune("staging", 1, None).unwrap();
    assert_eq!(report.removed, vec![old.id().clone()]);
    assert_eq!(listed_ids(&store, "staging"), vec![new.id().clone()]);
    assert!(report.gc.objects_deleted >= 4, "{:?}", report.gc);
    assert!(report.gc.packs_written >= 1, "{:?}", report.gc);
    assert_eq!(locate_object(&committed, &gone.normalized_sha256), None);
    assert_eq!(locate_object(&raw, &gone.export_sha256), None);
    assert!(
        !files_under(&committed)
            .iter()
            .any(|f| f.starts_with(".tmp-")),
        "{:?}",
        files_under(&committed)
    );
    for snapshot in [&new, &other] {
        for record in &snapshot.manifest().workflows {
            assert!(snapshot.load(record).is_ok(), "{}", record.name);
            assert!(snapshot.raw_export(record).unwrap().is_some());
        }
    }
    let verify = store.verify(None);
    assert!(verify.is_ok(), "{verify}");
    assert!(verify.notes.is_empty(), "{verify}");
    // Nothing more to collect.
    let again = store.collect_garbage().unwrap();
    assert_eq!(
        (
            again.objects_deleted,
            again.packs_deleted,
            again.packs_written
        ),
        (0, 0, 0)
    );
}

/// Garbage collection never deletes an object a snapshot being written relies on: a writer adds
/// snapshots that share objects with another environment while that environment is pruned over
/// and over; every snapshot stays whole.
#[test]
fn pruning_while_another_environment_is_written_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let inputs = |round: usize| {
        (0..6)
            .map(|i| {
                small_input(
                    &format!("w{i}"),
                    &i.to_string(),
                    &format!("{}", (round + i) % 4),
                )
            })
            .collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for round in 0..25 {
                write(&store, "writer", inputs(round));
            }
        });
        let mut round = 0;
        while !writer.is_finished() {
            write(&store, "pruned", inputs(round));
            store.prune("pruned", 1, None).unwrap();
            round += 1;
        }
        writer.join().unwrap();
    });
    store.prune("writer", 3, None).unwrap();
    let report = store.verify(None);
    assert!(report.is_ok(), "{report}");
    for env in ["writer", "pruned"] {
        for summary in store.list(env).unwrap() {
            let snapshot = store.open_snapshot(&summary).unwrap();
            assert_eq!(snapshot.load_all().unwrap().len(), 6);
            for record in &snapshot.manifest().workflows {
                assert!(snapshot.raw_export(record).unwrap().is_some());
            }
        }
    }
}
