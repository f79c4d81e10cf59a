//! Writing, listing, resolving, reading and diffing snapshots.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use soc_diff::DiffOptions;
use soc_normalize::{Entry, NormalizedContent, Profile};
use soc_store::{
    CommitOutcome, IfUnchanged, LAYOUT_DIR, Selector, Snapshot, Store, StoreError, WorkflowInput,
};

use crate::common::{
    LOCK_TIMEOUT, commit_with, damage_object, files_under, fixture_inputs, listed_ids,
    manifest_text, objects_in, pack_dirs, packs, small_input, source, write, write_series,
};

/// One input as the snapshot holds it: named by hash only, raw export and info kept as given,
/// the normalized form what normalizing gives now, shown in the view.
fn assert_stored_as_given(root: &std::path::Path, snapshot: &Snapshot, input: &WorkflowInput) {
    let record = snapshot
        .manifest()
        .workflows
        .iter()
        .find(|w| w.name == input.name)
        .unwrap();
    // Content is named by hash only: no file names in a store-v2 manifest.
    assert_eq!(
        (
            &record.export_file,
            &record.info_file,
            &record.normalized_file
        ),
        (&None, &None, &None)
    );
    assert_eq!(
        snapshot.raw_export(record).unwrap().unwrap(),
        input.raw,
        "raw export kept byte for byte"
    );
    let info: serde_json::Value = serde_json::from_slice(&snapshot.info(record).unwrap()).unwrap();
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
    // The view shows it at a stable path named after the workflow.
    let view = root
        .join(LAYOUT_DIR)
        .join("view/staging/workflows")
        .join(format!("{}.json", record.stem));
    assert_eq!(&std::fs::read_to_string(view).unwrap(), canonical);
}

#[test]
fn a_snapshot_is_a_compressed_canonical_manifest_of_objects_in_packs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".socdrift");
    let store = Store::open(&root).unwrap();
    let inputs = fixture_inputs("staging");
    let snapshot = write(&store, "staging", inputs.clone());

    assert_eq!(
        snapshot.path(),
        root.join(LAYOUT_DIR)
            .join("snapshots/staging")
            .join(format!("{}.json.zst", snapshot.id()))
    );
    let manifest = snapshot.manifest();
    assert_eq!(manifest.format_version, 3);
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
        assert_stored_as_given(&root, &snapshot, input);
    }

    // The manifest is canonical JSON (sorted keys, two-space indent, trailing newline), compressed.
    let text = manifest_text(&snapshot);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(text, soc_normalize::canonical_json(&value));

    // One pack of committed objects (normalized forms and infos), one of raw exports.
    let (committed, raw) = pack_dirs(&root);
    assert_eq!(packs(&committed).len(), 1);
    assert_eq!(packs(&raw).len(), 1);
    assert_eq!(objects_in(&committed).len(), 2 * inputs.len());
    assert_eq!(objects_in(&raw).len(), inputs.len());
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn unchanged_workflows_cost_nothing_and_identical_ones_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::open(&root).unwrap();
    let a = write(&store, "staging", fixture_inputs("staging"));
    let (committed, raw) = pack_dirs(&root);
    let before = (packs(&committed), packs(&raw));
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
    assert_eq!(
        (packs(&committed), packs(&raw)),
        before,
        "a second snapshot of the same content adds no object, only its manifest"
    );
    let strip = |s: &Snapshot| {
        let mut v: serde_json::Value = serde_json::from_str(&manifest_text(s)).unwrap();
        v.as_object_mut().unwrap().remove("created_at");
        v
    };
    assert_eq!(strip(&a), strip(&b));

    // The same workflows in another environment: nothing new either.
    write(&store, "copy", fixture_inputs("staging"));
    assert_eq!((packs(&committed), packs(&raw)), before);

    // One changed workflow: one new pack holding its new normalized form and info only.
    let mut inputs = fixture_inputs("staging");
    let mut export: serde_json::Value = serde_json::from_slice(&inputs[0].raw).unwrap();
    export["description"] = "changed".into();
    inputs[0].raw = serde_json::to_vec(&export).unwrap();
    inputs[0].info["description"] = "changed".into();
    write(&store, "staging", inputs);
    let after = packs(&committed);
    assert_eq!(after.len(), 2);
    let new_pack = after.iter().find(|p| !before.0.contains(p)).unwrap();
    let new_dir = dir.path().join("new-pack");
    std::fs::create_dir(&new_dir).unwrap();
    std::fs::copy(new_pack, new_dir.join("x.pack")).unwrap();
    assert_eq!(objects_in(&new_dir).len(), 2);
    assert_eq!(packs(&raw).len(), 2);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn unchanged_content_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = write(&store, "staging", fixture_inputs("staging"));

    let writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    for mut input in fixture_inputs("staging") {
        // A volatile field changes: the raw export differs, the normalized form does not.
        let mut export: serde_json::Value = serde_json::from_slice(&input.raw).unwrap();
        export["update_time"] = "2030-01-01T00:00:00Z+0800".into();
        input.raw = serde_json::to_vec(&export).unwrap();
        writer.add(input).unwrap();
    }
    match writer.commit(IfUnchanged::Skip).unwrap() {
        CommitOutcome::Unchanged(latest) => assert_eq!(latest.id(), first.id()),
        CommitOutcome::Written(s) => panic!("wrote {} although nothing changed", s.id()),
    }
    assert_eq!(store.list("staging").unwrap().len(), 1);
    for folder in [
        dir.path().join(LAYOUT_DIR),
        dir.path().join(soc_store::RAW_DIR),
    ] {
        assert!(
            files_under(&folder).iter().all(|f| !f
                .rsplit('/')
                .next()
                .unwrap()
                .starts_with(".tmp-")),
            "a skipped commit leaves nothing behind: {:?}",
            files_under(&folder)
        );
    }

    // A real change is written even when skipping is asked for.
    let mut fewer = fixture_inputs("staging");
    fewer.pop();
    let outcome = commit_with(
        &store,
        "staging",
        &Profile::default(),
        fewer.clone(),
        IfUnchanged::Skip,
    );
    assert!(matches!(outcome, CommitOutcome::Written(_)));

    // So is the same content under another profile.
    let config = soc_normalize::ProfileConfig {
        keep_layout: true,
        ..Default::default()
    };
    let profile = Profile::default().with_config(&config).unwrap();
    let outcome = commit_with(&store, "staging", &profile, fewer, IfUnchanged::Skip);
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
fn a_snapshot_opens_by_its_manifest_path_inside_its_store_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let snapshot = write(&store, "production", fixture_inputs("production"));
    let opened = Snapshot::open(snapshot.path()).unwrap();
    assert_eq!(opened.id(), snapshot.id());
    assert_eq!(opened.manifest(), snapshot.manifest());
    assert_eq!(
        opened.load_all().unwrap().len(),
        snapshot.manifest().workflows.len()
    );
    let check = soc_store::verify_snapshot(snapshot.path());
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.environment, "production");

    // Copied out of its store, a manifest has no objects to read: a clear error.
    let copy = dir.path().join(snapshot.path().file_name().unwrap());
    std::fs::copy(snapshot.path(), &copy).unwrap();
    let err = Snapshot::open(&copy).unwrap_err();
    assert!(matches!(err, StoreError::OutsideStore { .. }), "{err}");
    assert!(err.to_string().contains("pass the store"), "{err}");

    let err = Snapshot::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::MissingManifest { .. }), "{err}");

    // The store is found around any folder inside it, and nowhere outside it.
    let root = std::fs::canonicalize(dir.path().join("store")).unwrap();
    for inside in [
        dir.path().join("store"),
        dir.path().join("store").join(LAYOUT_DIR),
        snapshot.path().parent().unwrap().to_path_buf(),
    ] {
        assert_eq!(
            Store::root_around(&inside),
            Some(root.clone()),
            "{inside:?}"
        );
    }
    assert_eq!(Store::root_around(dir.path()), None);
    assert_eq!(Store::root_around(dir.path().join("missing")), None);
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
fn a_damaged_object_fails_the_diff_instead_of_lying() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let snapshot = write(&store, "staging", fixture_inputs("staging"));
    let record = &snapshot.manifest().workflows[0];
    let pack = damage_object(&pack_dirs(dir.path()).0, &record.normalized_sha256);
    let err = snapshot.load(record).unwrap_err();
    assert!(matches!(err, StoreError::CorruptedObject { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(&pack.display().to_string()), "{message}");
    assert!(message.contains(&record.normalized_sha256), "{message}");
    assert!(message.contains("socdrift verify"), "{message}");
}

#[test]
fn add_all_writes_what_adding_one_by_one_writes_and_stops_where_it_would() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let one_by_one = write(&store, "a", fixture_inputs("staging"));
    let writer = store
        .begin("b", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add_all(fixture_inputs("staging")).unwrap();
    let all_at_once = writer
        .commit(IfUnchanged::Write)
        .unwrap()
        .snapshot()
        .clone();
    let records = |s: &Snapshot| serde_json::to_value(&s.manifest().workflows).unwrap();
    assert_eq!(records(&one_by_one), records(&all_at_once));

    let mut truncated = small_input("broken", "2", "x");
    truncated.raw.truncate(truncated.raw.len() / 2);
    let writer = store
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
    let snapshot = writer
        .commit(IfUnchanged::Write)
        .unwrap()
        .snapshot()
        .clone();
    assert_eq!(snapshot.manifest().workflows[0].name, "first");
    assert_eq!(snapshot.manifest().workflows.len(), 1);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn bad_exports_are_refused_by_name_and_earlier_workflows_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = store
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

    let snapshot = writer
        .commit(IfUnchanged::Write)
        .unwrap()
        .snapshot()
        .clone();
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
    assert_eq!(record.export_format, soc_store::ExportFormat::Binary);
    assert_eq!(record.normalized_file, None);
    // The view names it, its hash and size, so a change shows in git too.
    let view = dir
        .path()
        .join(LAYOUT_DIR)
        .join("view/staging/workflows/binary-one.json");
    let text = std::fs::read_to_string(view).unwrap();
    assert!(text.contains("\"normalized_kind\": \"opaque\""), "{text}");
    assert!(text.contains(&record.normalized_sha256), "{text}");
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
    let writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add(small_input("a", "1", "x")).unwrap();
    drop(writer);
    let env_dir = dir.path().join(LAYOUT_DIR).join("snapshots/staging");
    assert_eq!(files_under(&env_dir), vec![".lock".to_owned()]);
    let (committed, raw) = pack_dirs(dir.path());
    assert_eq!(files_under(&committed), Vec::<String>::new());
    assert_eq!(files_under(&raw), Vec::<String>::new());
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
    write(&store, "staging", fixture_inputs("staging"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut folders = vec![root.clone()];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "{files:?}");
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn raw_exports_stay_out_of_git_and_out_of_the_committed_part() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".socdrift");
    let store = Store::open(&root).unwrap();
    let inputs = fixture_inputs("staging");
    write(&store, "staging", inputs.clone());
    let ignore = std::fs::read_to_string(root.join("raw-v2/.gitignore")).unwrap();
    assert_eq!(
        ignore
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        ["*"],
        "the raw folder ignores everything in it, itself included"
    );
    let (committed, raw) = pack_dirs(&root);
    let raw_objects = objects_in(&raw);
    let committed_objects = objects_in(&committed);
    for input in &inputs {
        assert!(raw_objects.contains(&input.raw));
        assert!(!committed_objects.contains(&input.raw));
    }
    // Git is told what the committed part holds: packs and manifests are binary.
    let attributes = std::fs::read_to_string(root.join("store-v2/.gitattributes")).unwrap();
    assert!(attributes.contains("packs/** binary"), "{attributes}");
    assert!(attributes.contains("view/** text eol=lf"), "{attributes}");
    let ignored = std::fs::read_to_string(root.join("store-v2/.gitignore")).unwrap();
    for pattern in [".lock", ".tmp-*", ".view-state.json"] {
        assert!(ignored.lines().any(|l| l == pattern), "{ignored}");
    }
}

#[test]
fn workflows_added_from_several_threads_make_the_same_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let inputs: Vec<_> = (0..40)
        .map(|i| small_input(&format!("w{i}"), &i.to_string(), &format!("m{}", i % 7)))
        .collect();
    let sequential = write(&store, "one", inputs.clone());
    let writer = store
        .begin("many", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    std::thread::scope(|scope| {
        for chunk in inputs.chunks(5) {
            let writer = &writer;
            scope.spawn(move || {
                for input in chunk.iter().rev() {
                    writer.add(input.clone()).unwrap();
                }
            });
        }
    });
    let err = writer.add(inputs[3].clone()).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateWorkflow { .. }), "{err}");
    let parallel = writer
        .commit(IfUnchanged::Write)
        .unwrap()
        .snapshot()
        .clone();
    assert_eq!(
        serde_json::to_value(&sequential.manifest().workflows).unwrap(),
        serde_json::to_value(&parallel.manifest().workflows).unwrap()
    );
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn a_clone_without_raw_exports_diffs_but_refuses_to_renormalize() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join(".socdrift");
    let store = Store::open(&root).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    write(&store, "production", fixture_inputs("production"));
    // What a git clone of the store holds: everything but the ignored raw folder.
    std::fs::remove_dir_all(root.join("raw-v2")).unwrap();
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
        !root.join("raw-v2").exists(),
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
fn a_new_snapshot_sorts_after_the_latest_even_when_the_clock_is_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let first = write(&store, "staging", vec![small_input("a", "1", "x")]);
    // The latest snapshot claims a time far ahead of this machine's clock.
    let hash = first.id().as_str().rsplit('-').next().unwrap();
    let future = first
        .path()
        .with_file_name(format!("20991231T235959Z-{hash}.json.zst"));
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
    damage_object(&pack_dirs(dir.path()).1, &record.export_sha256);
    let err = old.normalize_under(record, &ignoring).unwrap_err();
    assert!(matches!(err, StoreError::CorruptedObject { .. }), "{err}");
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
