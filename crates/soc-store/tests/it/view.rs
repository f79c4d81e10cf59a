//! The readable view: the latest snapshot's normalized workflows at stable paths, rewritten only
//! where they change, checked by `verify`, repaired by the next writer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use soc_normalize::Profile;
use soc_store::{CommitOutcome, IfUnchanged, Store};

use crate::common::{commit_with, files_under, fixture_inputs, small_input, write};

fn view_dir(root: &Path) -> PathBuf {
    root.join("store-v2/view/staging/workflows")
}

fn modified(dir: &Path) -> BTreeMap<String, SystemTime> {
    files_under(dir)
        .into_iter()
        .map(|f| {
            let time = std::fs::metadata(dir.join(&f)).unwrap().modified().unwrap();
            (f, time)
        })
        .collect()
}

fn changed_description(input: &mut soc_store::WorkflowInput, text: &str) {
    let mut export: serde_json::Value = serde_json::from_slice(&input.raw).unwrap();
    export["description"] = text.into();
    input.raw = serde_json::to_vec(&export).unwrap();
}

#[test]
fn the_view_follows_the_latest_snapshot_writing_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    let view = view_dir(dir.path());
    let before = modified(&view);
    assert_eq!(before.len(), 6, "{before:?}");
    std::thread::sleep(std::time::Duration::from_millis(20));

    let mut inputs = fixture_inputs("staging");
    changed_description(&mut inputs[0], "changed on purpose");
    let removed = inputs.pop().unwrap();
    inputs.push(small_input("Brand new", "99", "x"));
    let latest = write(&store, "staging", inputs);
    let after = modified(&view);

    let changed = latest
        .manifest()
        .workflows
        .iter()
        .find(|r| r.name == fixture_inputs("staging")[0].name)
        .unwrap();
    let changed_file = format!("{}.json", changed.stem);
    let removed_file = format!("{}.json", soc_store::slug(&removed.name));
    assert!(!after.contains_key(&removed_file), "{after:?}");
    assert!(after.contains_key("brand-new.json"), "{after:?}");
    assert_ne!(after[&changed_file], before[&changed_file]);
    for (file, time) in &after {
        if *file != changed_file && file != "brand-new.json" {
            assert_eq!(Some(time), before.get(file), "{file} was rewritten");
        }
    }
    assert_eq!(
        std::fs::read_to_string(view.join(&changed_file)).unwrap(),
        latest.load(changed).unwrap().canonical().unwrap()
    );
    let report = store.verify(None);
    assert!(report.is_ok(), "{report}");
    // The view's bookkeeping stays out of the view (and out of git).
    assert_eq!(files_under(&view).len(), 6);
}

#[test]
fn a_hand_edited_view_is_a_problem_that_refreshing_repairs() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    let view = view_dir(dir.path());
    let file = view.join(files_under(&view)[0].clone());
    std::fs::write(&file, "{}\n").unwrap();
    std::fs::write(view.join("extra.json"), "{}\n").unwrap();
    let report = store.verify(None);
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(text.contains("1 differ"), "{text}");
    assert!(text.contains("1 extra (extra.json)"), "{text}");
    assert!(text.contains("socdrift view --env staging"), "{text}");

    assert_eq!(store.refresh_views(None).unwrap(), ["staging"]);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    assert!(!view.join("extra.json").exists());
}

#[test]
fn a_skipped_commit_repairs_the_view_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    let view = view_dir(dir.path());
    let file = view.join(files_under(&view)[0].clone());
    std::fs::remove_file(&file).unwrap();
    let outcome = commit_with(
        &store,
        "staging",
        &Profile::default(),
        fixture_inputs("staging"),
        IfUnchanged::Skip,
    );
    assert!(matches!(outcome, CommitOutcome::Unchanged(_)));
    assert!(file.is_file());
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}

#[test]
fn an_interrupted_view_update_is_a_note_not_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let snapshot = write(&store, "staging", fixture_inputs("staging"));
    let view = view_dir(dir.path());
    std::fs::remove_file(view.join(files_under(&view)[0].clone())).unwrap();
    // What a writer killed half way through the update leaves in its bookkeeping.
    let state = dir
        .path()
        .join("store-v2/snapshots/staging/.view-state.json");
    std::fs::write(
        &state,
        format!(
            r#"{{"snapshot": "{}", "updating": true, "files": {{}}}}"#,
            snapshot.id()
        ),
    )
    .unwrap();
    let report = store.verify(None);
    assert!(report.is_ok(), "{report}");
    assert!(
        report.to_string().contains("a writer was interrupted"),
        "{report}"
    );
}

#[test]
fn each_environment_has_its_own_view() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "staging", fixture_inputs("staging"));
    write(&store, "production", fixture_inputs("production"));
    for env in ["staging", "production"] {
        let files = files_under(&dir.path().join("store-v2/view").join(env));
        assert_eq!(files.len(), 6, "{files:?}");
        assert!(files.iter().all(|f| f.starts_with("workflows/")));
    }
    assert_eq!(
        store.view_dir("staging").unwrap(),
        dir.path().join("store-v2/view/staging")
    );
}
