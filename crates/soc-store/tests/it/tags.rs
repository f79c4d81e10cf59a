//! Tags: naming a snapshot, moving and deleting the name, and what prune and verify make of it.

use soc_store::{LAYOUT_DIR, SNAPSHOTS_DIR, Selector, Store, StoreError, TAGS_DIR};

use crate::common::{files_under, listed_ids, write_series};

#[test]
fn a_tag_names_a_snapshot_until_it_is_moved_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ids = write_series(&store, "production", 0..3);
    let promoted = Selector::Tag("promoted".into());

    assert_eq!(store.tag("production", "promoted", &ids[0]).unwrap(), None);
    assert_eq!(
        store.resolve("production", &promoted).unwrap().id(),
        &ids[0]
    );
    assert_eq!(
        "production@promoted"
            .split_once('@')
            .map(|(_, s)| s.parse::<Selector>().unwrap()),
        Some(promoted.clone())
    );
    // Moving it says where it was.
    assert_eq!(
        store.tag("production", "promoted", &ids[2]).unwrap(),
        Some(ids[0].clone())
    );
    assert_eq!(
        store.resolve("production", &promoted).unwrap().id(),
        &ids[2]
    );
    store.tag("production", "release-1", &ids[1]).unwrap();
    assert_eq!(
        store.tags("production").unwrap(),
        [
            ("promoted".to_owned(), ids[2].clone()),
            ("release-1".to_owned(), ids[1].clone())
        ]
    );
    // One small text file per tag, committed with the store, no temporary file left, and the
    // store still verifies.
    let tags_dir = dir
        .path()
        .join(LAYOUT_DIR)
        .join(TAGS_DIR)
        .join("production");
    assert_eq!(store.tags_dir("production").unwrap(), tags_dir);
    assert_eq!(
        std::fs::read_to_string(tags_dir.join("promoted")).unwrap(),
        format!("{}\n", ids[2])
    );
    assert_eq!(files_under(&tags_dir), ["promoted", "release-1"]);
    assert!(store.verify(None).is_ok(), "{:?}", store.verify(None));

    assert_eq!(store.untag("production", "promoted").unwrap(), ids[2]);
    let err = store.resolve("production", &promoted).unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment 'production' has no tag 'promoted' (it has: release-1)"
    );
    assert!(matches!(
        store.untag("production", "promoted"),
        Err(StoreError::TagNotFound { .. })
    ));
}

#[test]
fn tags_name_only_snapshots_that_exist_with_names_that_cannot_be_misread() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ids = write_series(&store, "production", 0..1);
    let other = write_series(&store, "staging", 5..6);
    // A snapshot of another environment is not one of this one.
    assert!(matches!(
        store.tag("production", "promoted", &other[0]),
        Err(StoreError::SnapshotNotFound { .. })
    ));
    for bad in ["latest", "live", "Promoted", "9lives", "../x"] {
        assert!(
            matches!(
                store.tag("production", bad, &ids[0]),
                Err(StoreError::InvalidTag { .. })
            ),
            "{bad}"
        );
    }
    assert!(store.tags("production").unwrap().is_empty());
}

#[test]
fn prune_keeps_tagged_snapshots_and_verify_reports_broken_tags() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ids = write_series(&store, "production", 0..4);
    store.tag("production", "promoted", &ids[1]).unwrap();
    assert_eq!(
        store.prune_plan("production", 1, None).unwrap(),
        [ids[0].clone(), ids[2].clone()]
    );
    store.prune("production", 1, None).unwrap();
    assert_eq!(
        listed_ids(&store, "production"),
        [ids[1].clone(), ids[3].clone()]
    );
    assert_eq!(
        store
            .resolve("production", &Selector::Tag("promoted".into()))
            .unwrap()
            .id(),
        &ids[1]
    );

    // Deleting the snapshot by hand leaves the tag dangling: an error that says what to do, and
    // a verify problem.
    let env_dir = dir
        .path()
        .join(LAYOUT_DIR)
        .join(SNAPSHOTS_DIR)
        .join("production");
    std::fs::remove_file(env_dir.join(format!("{}.json.zst", ids[1]))).unwrap();
    let err = store
        .resolve("production", &Selector::Tag("promoted".into()))
        .unwrap_err();
    assert!(matches!(err, StoreError::DanglingTag { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("socdrift tag production promoted SNAPSHOT"),
        "{err}"
    );
    let tags_dir = store.tags_dir("production").unwrap();
    std::fs::write(tags_dir.join("broken"), "not an id\n").unwrap();
    std::fs::write(tags_dir.join("Bad Name"), "x").unwrap();
    let report = store.verify(Some("production"));
    let problems: Vec<_> = report
        .store_problems
        .iter()
        .map(|p| p.problem.clone())
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("tag 'promoted' names snapshot"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("does not hold a snapshot id"))
    );
    assert!(problems.iter().any(|p| p.contains("not a tag name")));
}
