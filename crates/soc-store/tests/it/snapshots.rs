//! Writing, listing, resolving, reading and diffing snapshots.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use soc_diff::DiffOptions;
use soc_normalize::{Entry, NormalizedContent, Profile};
use soc_store::{CommitOutcome, LAYOUT_DIR, MANIFEST_FILE, Selector, Snapshot, Store, StoreError};

use crate::common::{
    LOCK_TIMEOUT, commit_with, files_under, fixture_inputs, listed_ids, small_input, source, write,
    write_series,
};

#[test]
fn a_snapshot_holds_raw_info_and_normalized_files_with_a_canonical_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join(".socdrift")).unwrap();
    let inputs = fixture_inputs("staging");
    let snapshot = write(&store, "staging", inputs.clone());

    assert!(
        snapshot.path().starts_with(
            dir.path()
                .join(".socdrift")
                .join(LAYOUT_DIR)
                .join("staging")
        )
    );
    let manifest = snapshot.manifest();
    assert_eq!(manifest.workflows.len(), inputs.len());
    assert_eq!(manifest.environment, "staging");
    assert_eq!(manifest.profile_hash, Profile::default().hash());
    assert_eq!(
        manifest.source.endpoint.as_deref(),
        Some("http://127.0.0.1:1/")
    );
    let names: Vec<&str> = manifest.workflows.iter().map(|w| w.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "workflows are sorted by name");

    for input in &inputs {
        let record = manifest
            .workflows
            .iter()
            .find(|w| w.name == input.name)
            .unwrap();
        // Raw exports are kept byte for byte, outside the snapshot, in the private raw area.
        assert_eq!(record.export_file, None);
        let raw_path = snapshot.raw_export_path(record).unwrap();
        assert_eq!(
            raw_path,
            dir.path()
                .join(".socdrift/raw-v1/staging")
                .join(format!("{}.json", record.export_sha256))
        );
        let raw = std::fs::read(&raw_path).unwrap();
        assert_eq!(raw, input.raw, "raw export kept byte for byte");
        let info: serde_json::Value = serde_json::from_slice(
            &std::fs::read(snapshot.path().join(&record.info_file)).unwrap(),
        )
        .unwrap();
        assert_eq!(info, input.info);
        let normalized = snapshot.load(record).unwrap();
        assert_eq!(normalized.name, input.name);
        let NormalizedContent::Json { canonical } = &normalized.content else {
            panic!("fixtures are JSON");
        };
        let value = normalized.value().unwrap().unwrap();
        assert_eq!(canonical, &soc_normalize::canonical_json(&value));
        // The stored normalized form is what normalizing the raw export gives now.
        let docs = soc_normalize::decode_export("x.json", &input.raw, &Profile::default()).unwrap();
        let fresh = Profile::default().normalize(&docs[0]);
        assert_eq!(fresh.sha256, record.normalized_sha256);
        assert_eq!(fresh.layout_sha256, record.layout_sha256);
    }

    // The manifest on disk is canonical: sorted keys, two-space indent, trailing newline.
    let text = std::fs::read_to_string(snapshot.path().join(MANIFEST_FILE)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(text, soc_normalize::canonical_json(&value));

    // Readable file names for readable git diffs.
    let files = files_under(snapshot.path());
    assert!(
        !files.iter().any(|f| f.contains(".export.")),
        "raw exports stay out of the snapshot: {files:?}"
    );
    assert!(files.contains(&"block-malicious-source-ip.normalized.json".to_owned()));
    assert!(files.contains(&"block-malicious-source-ip.info.json".to_owned()));
    assert_eq!(files.len(), 1 + 2 * inputs.len());
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn writing_the_same_content_twice_gives_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let a = write(&store, "staging", fixture_inputs("staging"));
    let b = write(&store, "staging", fixture_inputs("staging"));
    assert_ne!(a.id(), b.id());
    assert!(
        b.id() > a.id(),
        "ids sort in commit order even within one second"
    );
    let hash_part = |s: &Snapshot| s.id().as_str().rsplit('-').next().unwrap().to_owned();
    assert_eq!(
        hash_part(&a),
        hash_part(&b),
        "the id hash is of the content"
    );
    for file in files_under(a.path()) {
        let left = std::fs::read(a.path().join(&file)).unwrap();
        let right = std::fs::read(b.path().join(&file)).unwrap();
        if file == MANIFEST_FILE {
            let strip = |bytes: &[u8]| {
                let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                v.as_object_mut().unwrap().remove("created_at");
                v
            };
            assert_eq!(strip(&left), strip(&right));
        } else {
            assert_eq!(left, right, "{file}");
        }
    }
}

#[test]
fn unchanged_content_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = write(&store, "staging", fixture_inputs("staging"));

    let mut writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    for mut input in fixture_inputs("staging") {
        // A volatile field changes: the raw export differs, the normalized form does not.
        let mut export: serde_json::Value = serde_json::from_slice(&input.raw).unwrap();
        export["update_time"] = "2030-01-01T00:00:00Z+0800".into();
        input.raw = serde_json::to_vec(&export).unwrap();
        writer.add(input).unwrap();
    }
    match writer.commit(true).unwrap() {
        CommitOutcome::Unchanged(latest) => assert_eq!(latest.id(), first.id()),
        CommitOutcome::Written(s) => panic!("wrote {} although nothing changed", s.id()),
    }
    assert_eq!(store.list("staging").unwrap().len(), 1);
    assert!(
        files_under(&dir.path().join(LAYOUT_DIR).join("staging"))
            .iter()
            .all(|f| !f.starts_with(".tmp-")),
        "a skipped commit leaves nothing behind"
    );

    // A real change is written even when skipping is asked for.
    let mut fewer = fixture_inputs("staging");
    fewer.pop();
    let outcome = commit_with(&store, "staging", &Profile::default(), fewer.clone(), true);
    assert!(matches!(outcome, CommitOutcome::Written(_)));

    // So is the same content under another profile.
    let config = soc_normalize::ProfileConfig {
        keep_layout: true,
        ..Default::default()
    };
    let profile = Profile::default().with_config(&config).unwrap();
    let outcome = commit_with(&store, "staging", &profile, fewer, true);
    assert!(matches!(outcome, CommitOutcome::Written(_)));
    assert_eq!(store.list("staging").unwrap().len(), 3);
}

#[test]
fn selectors_resolve_and_errors_list_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = store.resolve("staging", &Selector::Latest).unwrap_err();
    assert!(matches!(err, StoreError::NoSnapshots { .. }), "{err}");
    assert!(err.to_string().contains("'staging'"), "{err}");

    let ids = write_series(&store, "staging", 0..3);
    let listed = listed_ids(&store, "staging");
    assert_eq!(listed, ids, "oldest to newest");
    assert_eq!(store.environments().unwrap(), vec!["staging".to_owned()]);

    let resolve = |text: &str| store.resolve("staging", &text.parse().unwrap());
    assert_eq!(resolve("latest").unwrap().id(), &ids[2]);
    assert_eq!(resolve("~1").unwrap().id(), &ids[1]);
    assert_eq!(resolve("~2").unwrap().id(), &ids[0]);
    assert_eq!(resolve(ids[0].as_str()).unwrap().id(), &ids[0]);
    let unique_prefix = &ids[2].as_str()[..ids[2].as_str().len() - 1];
    assert_eq!(resolve(unique_prefix).unwrap().id(), &ids[2]);

    let err = resolve("~3").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("'staging'") && message.contains("~3"),
        "{message}"
    );
    for id in &ids {
        assert!(message.contains(id.as_str()), "{message}");
    }
    let err = resolve(&ids[0].as_str()[..4]).unwrap_err();
    assert!(matches!(err, StoreError::AmbiguousId { .. }), "{err}");
    let err = resolve("19990101T000000Z-00000000").unwrap_err();
    assert!(matches!(err, StoreError::SnapshotNotFound { .. }), "{err}");

    let err = store.list("../etc").unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidEnvironment { .. }),
        "{err}"
    );
}

#[test]
fn a_snapshot_folder_opens_by_path_even_when_copied() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let snapshot = write(&store, "production", fixture_inputs("production"));
    let copy = dir.path().join("copied-snapshot");
    std::fs::create_dir(&copy).unwrap();
    for file in files_under(snapshot.path()) {
        std::fs::copy(snapshot.path().join(&file), copy.join(&file)).unwrap();
    }
    let opened = Snapshot::open(&copy).unwrap();
    assert_eq!(opened.id().as_str(), "copied-snapshot");
    assert_eq!(opened.manifest(), snapshot.manifest());
    assert_eq!(
        opened.load_all().unwrap().len(),
        snapshot.manifest().workflows.len()
    );
    let check = soc_store::verify_snapshot(&copy);
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.environment, "production");

    let err = Snapshot::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::MissingManifest { .. }), "{err}");
}

/// Entries whose normalized hashes match are never loaded; only changed workflows are read.
#[test]
fn diffing_reads_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let old = write(&store, "staging", fixture_inputs("staging"));
    let mut inputs = fixture_inputs("staging");
    let changed_name = inputs[0].name.clone();
    let mut export: serde_json::Value = serde_json::from_slice(&inputs[0].raw).unwrap();
    export["description"] = "changed on purpose".into();
    inputs[0].raw = serde_json::to_vec(&export).unwrap();
    let new = write(&store, "staging", inputs);

    let loads = Arc::new(AtomicUsize::new(0));
    let counted = |entries: Vec<Entry>| -> Vec<Entry> {
        entries
            .into_iter()
            .map(|entry| match entry {
                Entry::Deferred {
                    name,
                    sha256,
                    layout_sha256,
                    profile_hash,
                    load,
                } => {
                    let loads = Arc::clone(&loads);
                    Entry::Deferred {
                        name,
                        sha256,
                        layout_sha256,
                        profile_hash,
                        load: Box::new(move || {
                            loads.fetch_add(1, Ordering::SeqCst);
                            load()
                        }),
                    }
                }
                loaded => loaded,
            })
            .collect()
    };
    let report = soc_diff::diff(
        counted(old.entries().unwrap()),
        counted(new.entries().unwrap()),
        &Profile::default(),
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2,
        "only the changed workflow, on both sides"
    );
    let changed: Vec<_> = report
        .workflows
        .iter()
        .filter(|w| w.differs())
        .map(|w| w.name.clone())
        .collect();
    assert_eq!(changed, vec![changed_name]);

    // Under another profile the stored hashes are not trusted: everything is loaded.
    loads.store(0, Ordering::SeqCst);
    let other = Profile::generic();
    soc_diff::diff(
        counted(old.entries().unwrap()),
        counted(new.entries().unwrap()),
        &other,
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(
        loads.load(Ordering::SeqCst),
        2 * old.manifest().workflows.len()
    );
}

#[test]
fn a_corrupted_normalized_file_fails_the_diff_instead_of_lying() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let snapshot = write(&store, "staging", fixture_inputs("staging"));
    let record = &snapshot.manifest().workflows[0];
    let path = snapshot
        .path()
        .join(record.normalized_file.as_ref().unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();
    let err = snapshot.load(record).unwrap_err();
    assert!(matches!(err, StoreError::Corrupted { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn add_all_writes_what_adding_one_by_one_writes_and_stops_where_it_would() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let one_by_one = write(&store, "a", fixture_inputs("staging"));
    let mut writer = store
        .begin("b", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add_all(fixture_inputs("staging")).unwrap();
    let all_at_once = writer.commit(false).unwrap().snapshot().clone();
    let records = |s: &Snapshot| serde_json::to_value(&s.manifest().workflows).unwrap();
    assert_eq!(records(&one_by_one), records(&all_at_once));
    assert_eq!(
        files_under(one_by_one.path()),
        files_under(all_at_once.path())
    );

    let mut truncated = small_input("broken", "2", "x");
    truncated.raw.truncate(truncated.raw.len() / 2);
    let mut writer = store
        .begin("c", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    let inputs = vec![
        small_input("first", "1", "x"),
        truncated,
        small_input("after", "3", "x"),
    ];
    let err = writer.add_all(inputs).unwrap_err();
    assert!(err.to_string().contains("'broken'"), "{err}");
    assert_eq!(writer.len(), 1, "only the workflow before the bad one");
    let err = writer
        .add_all(vec![small_input("first", "1", "again")])
        .unwrap_err();
    assert!(matches!(err, StoreError::DuplicateWorkflow { .. }), "{err}");
    let snapshot = writer.commit(false).unwrap().snapshot().clone();
    assert_eq!(snapshot.manifest().workflows[0].name, "first");
    assert_eq!(snapshot.manifest().workflows.len(), 1);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn bad_exports_are_refused_by_name_and_earlier_workflows_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add(small_input("good", "1", "x")).unwrap();

    let mut truncated = small_input("broken", "2", "x");
    truncated.raw.truncate(truncated.raw.len() / 2);
    let err = writer.add(truncated).unwrap_err();
    assert!(matches!(err, StoreError::Normalize { .. }), "{err}");
    assert!(err.to_string().contains("'broken'"), "{err}");

    let mut batch = small_input("batch", "3", "x");
    batch.raw = format!("[{0},{0}]", String::from_utf8(batch.raw.clone()).unwrap()).into_bytes();
    let err = writer.add(batch).unwrap_err();
    assert!(
        matches!(err, StoreError::NotSingleWorkflow { count: 2, .. }),
        "{err}"
    );

    let err = writer.add(small_input("good", "1", "again")).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateWorkflow { .. }), "{err}");

    let snapshot = writer.commit(false).unwrap().snapshot().clone();
    assert_eq!(snapshot.manifest().workflows.len(), 1);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn opaque_exports_are_kept_and_compared_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut input = small_input("binary one", "1", "x");
    input.raw = b"\x00\x01not json at all".to_vec();
    let snapshot = write(&store, "staging", vec![input.clone()]);
    let record = &snapshot.manifest().workflows[0];
    assert_eq!(record.export_file, None);
    assert_eq!(
        snapshot.raw_export(record).unwrap().as_deref(),
        Some(input.raw.as_slice())
    );
    assert!(
        snapshot
            .raw_export_path(record)
            .unwrap()
            .to_string_lossy()
            .ends_with(".bin")
    );
    assert_eq!(record.normalized_file, None);
    let normalized = snapshot.load(record).unwrap();
    assert_eq!(
        normalized.name, "binary one",
        "named by the workflow list, not the file"
    );
    assert!(matches!(
        normalized.content,
        NormalizedContent::Opaque { len: 17, .. }
    ));
    assert!(store.verify(None).is_ok());
}

#[test]
fn dropping_a_writer_leaves_nothing_and_releases_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add(small_input("a", "1", "x")).unwrap();
    drop(writer);
    let env_dir = dir.path().join(LAYOUT_DIR).join("staging");
    assert_eq!(files_under(&env_dir), vec![".lock".to_owned()]);
    store
        .begin(
            "staging",
            source(),
            &Profile::default(),
            std::time::Duration::from_millis(10),
        )
        .unwrap();
}

#[cfg(unix)]
#[test]
fn everything_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".socdrift");
    let store = Store::open(&root).unwrap();
    let snapshot = write(&store, "staging", fixture_inputs("staging"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for folder in [
        root.clone(),
        root.join(LAYOUT_DIR),
        root.join(LAYOUT_DIR).join("staging"),
        snapshot.path().to_owned(),
        root.join(soc_store::RAW_DIR),
        root.join(soc_store::RAW_DIR).join("staging"),
    ] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    for file in files_under(snapshot.path()) {
        assert_eq!(mode(&snapshot.path().join(&file)), 0o600, "{file}");
    }
    let raw = files_under(&root.join(soc_store::RAW_DIR));
    assert_eq!(
        raw.len(),
        1 + snapshot.manifest().workflows.len(),
        "{raw:?}"
    );
    for file in raw {
        let path = root.join(soc_store::RAW_DIR).join(&file);
        assert_eq!(mode(&path), 0o600, "{file}");
    }
}

#[test]
fn raw_exports_stay_out_of_git_and_out_of_the_committed_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".socdrift");
    let store = Store::open(&root).unwrap();
    let snapshot = write(&store, "staging", fixture_inputs("staging"));
    let ignore = std::fs::read_to_string(root.join("raw-v1/.gitignore")).unwrap();
    assert_eq!(
        ignore
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["*"],
        "the raw folder ignores everything in it, itself included"
    );
    for record in &snapshot.manifest().workflows {
        let raw = snapshot.raw_export_path(record).unwrap();
        assert!(raw.starts_with(root.join("raw-v1/staging")));
        assert!(raw.is_file());
    }
}

#[test]
fn a_clone_without_raw_exports_diffs_but_refuses_to_renormalize() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".socdrift");
    let store = Store::open(&root).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    write(&store, "production", fixture_inputs("production"));
    // What a git clone of the store holds: everything but the ignored raw folder.
    std::fs::remove_dir_all(root.join("raw-v1")).unwrap();
    let store = Store::open(&root).unwrap();
    let report = store.verify(None);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.snapshots[0].raw_exports_missing, 6);
    assert!(
        report
            .to_string()
            .contains("12 raw exports of 2 snapshots are not in this store"),
        "{report}"
    );
    let staging = store.resolve("staging", &Selector::Latest).unwrap();
    let production = store.resolve("production", &Selector::Latest).unwrap();
    let profile = Profile::default();
    let report = soc_diff::diff(
        staging.entries_under(&profile).unwrap(),
        production.entries_under(&profile).unwrap(),
        &profile,
        &DiffOptions::default(),
    )
    .unwrap();
    assert!(report.has_drift());

    let changed = profile
        .with_config(&soc_normalize::ProfileConfig {
            ignore: vec!["/description".into()],
            ..Default::default()
        })
        .unwrap();
    assert!(
        !root.join("raw-v1").exists(),
        "readers never create the raw folder (a clone may be read-only)"
    );
    let err = staging.entries_under(&changed).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::RawExportsMissing {
                missing: 6,
                total: 6,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("applying the current rules needs its raw exports"),
        "{err}"
    );
}

#[test]
fn a_failed_write_does_not_block_later_workflows_nor_leave_extra_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add(small_input("first", "1", "x")).unwrap();
    // Something else put a file where the next workflow's export would go.
    let env_dir = dir.path().join(LAYOUT_DIR).join("staging");
    let temp = std::fs::read_dir(&env_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp-")
        })
        .unwrap();
    std::fs::write(temp.join("w000001.info.json"), "in the way").unwrap();
    let err = writer.add(small_input("second", "2", "x")).unwrap_err();
    assert!(err.to_string().contains("w000001.info.json"), "{err}");
    writer.add(small_input("third", "3", "x")).unwrap();
    let snapshot = writer.commit(false).unwrap().snapshot().clone();
    let names: Vec<_> = snapshot
        .manifest()
        .workflows
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(names, ["first", "third"]);
    assert_eq!(files_under(snapshot.path()).len(), 1 + 2 * 2);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn a_new_snapshot_sorts_after_the_latest_even_when_the_clock_is_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = write(&store, "staging", vec![small_input("a", "1", "x")]);
    // The latest snapshot claims a time far ahead of this machine's clock.
    let hash = first.id().as_str().rsplit('-').next().unwrap();
    let future = first
        .path()
        .with_file_name(format!("20991231T235959Z-{hash}"));
    std::fs::rename(first.path(), &future).unwrap();
    let next = write(&store, "staging", vec![small_input("a", "1", "y")]);
    assert!(
        next.id().as_str().starts_with("21000101T000000Z-"),
        "{}",
        next.id()
    );
    assert_eq!(
        store.resolve("staging", &Selector::Latest).unwrap().id(),
        next.id()
    );
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

/// A `[normalize]` rule added after the snapshots were taken applies to them: their raw exports
/// are normalized afresh, never compared in their stored form.
#[test]
fn a_changed_profile_renormalizes_stored_exports() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let [old, new] = ["before", "after"].map(|marker| {
        let inputs = vec![small_input("a", "1", marker), small_input("b", "2", "same")];
        write(&store, "staging", inputs)
    });
    let ignoring = Profile::default()
        .with_config(&soc_normalize::ProfileConfig {
            ignore: vec!["/description".to_owned()],
            ..Default::default()
        })
        .unwrap();
    let drifted = |entries: fn(&Snapshot, &Profile) -> Vec<Entry>, profile: &Profile| {
        soc_diff::diff(
            entries(&old, profile),
            entries(&new, profile),
            profile,
            &DiffOptions::default(),
        )
        .unwrap()
        .workflows
        .iter()
        .filter(|w| w.differs())
        .map(|w| w.name.clone())
        .collect::<Vec<_>>()
    };
    let stored: fn(&Snapshot, &Profile) -> Vec<Entry> = |s, _| s.entries().unwrap();
    let under: fn(&Snapshot, &Profile) -> Vec<Entry> = |s, p| s.entries_under(p).unwrap();
    assert_eq!(drifted(under, &Profile::default()), ["a"]);
    assert_eq!(
        drifted(under, &ignoring),
        Vec::<String>::new(),
        "the new rule applies"
    );
    assert_eq!(
        drifted(stored, &ignoring),
        ["a"],
        "stored forms predate the rule"
    );

    let record = &old.manifest().workflows[0];
    let fresh = old.normalize_under(record, &Profile::default()).unwrap();
    assert_eq!(
        fresh.sha256, record.normalized_sha256,
        "same profile, same result as stored"
    );
    std::fs::write(old.raw_export_path(record).unwrap(), b"{}").unwrap();
    let err = old.normalize_under(record, &ignoring).unwrap_err();
    assert!(matches!(err, StoreError::Corrupted { .. }), "{err}");
}

#[test]
fn the_deepest_workflow_normalization_allows_reads_back_from_a_snapshot() {
    use base64::Engine as _;
    // A taskflow 126 levels deep (as deep as serde_json parses) inside a workflow that adds three
    // more: the normalized form is deeper than serde_json parses by default (128), but within
    // what normalization allows.
    let deep = |leaf: &str| {
        let graph = format!(
            "{{\"nodes\":{}\"{leaf}\"{}}}",
            "[".repeat(125),
            "]".repeat(125)
        );
        let taskflow = base64::engine::general_purpose::STANDARD.encode(graph);
        let export = serde_json::json!({
            "id": "deep-1",
            "name": "deep",
            "versions": [{"taskconfig": "{}", "taskflow": taskflow}],
        });
        let mut input = small_input("deep", "deep-1", "");
        input.raw = serde_json::to_vec(&export).unwrap();
        input
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let old = write(&store, "staging", vec![deep("before")]);
    let new = write(&store, "staging", vec![deep("after")]);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    let record = &new.manifest().workflows[0];
    assert!(new.load(record).is_ok(), "{:?}", new.load(record).err());

    let report = soc_diff::diff(
        old.entries().unwrap(),
        new.entries().unwrap(),
        &Profile::default(),
        &DiffOptions::default(),
    )
    .unwrap();
    let changes = &report.workflows[0].changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, soc_diff::report::ChangeKind::Changed);
    assert!(changes[0].path.ends_with("/0/0/0"), "{}", changes[0].path);
}
