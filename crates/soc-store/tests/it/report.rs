//! What `verify` prints and serializes, reviewed as snapshots.

use soc_store::{Store, StoreError, verify_snapshot};

use crate::common::{damage_object, fixture_inputs, pack_dirs, small_input, write};

/// A store with one intact and one damaged snapshot, a stray folder, leftovers and a bad
/// environment name.
fn damaged_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    write(&store, "production", fixture_inputs("production"));
    let snapshot = write(&store, "staging", fixture_inputs("staging"));
    let records = &snapshot.manifest().workflows;
    let (committed, raw) = pack_dirs(dir.path());
    damage_object(&raw, &records[0].export_sha256);
    damage_object(&committed, &records[1].info_sha256);
    let env_dir = dir.path().join("store-v2/snapshots/staging");
    std::fs::write(env_dir.join("stray.txt"), "x").unwrap();
    std::fs::write(env_dir.join(".tmp-1-2.json.zst"), "x").unwrap();
    std::fs::create_dir(dir.path().join("store-v2/snapshots/Bad Env")).unwrap();
    (dir, store)
}

fn settings(dir: &std::path::Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&dir.display().to_string()), "[STORE]");
    settings.add_filter(r"\d{8}T\d{6}Z-[0-9a-f]{8}", "[ID]");
    // Hashes and sizes of normalized files follow soc-diff's normalization, which may evolve.
    settings.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
    settings.add_filter(r"\b\d+ objects checked", "[N] objects checked");
    settings.add_filter(r#""objects_checked": \d+"#, r#""objects_checked": "[N]""#);
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

#[test]
fn verify_report_for_people() {
    let (dir, store) = damaged_store();
    let report = store.verify(None);
    settings(dir.path()).bind(|| insta::assert_snapshot!("verify-damaged", report.to_string()));
}

#[test]
fn verify_report_for_tools() {
    let (dir, store) = damaged_store();
    let report = store.verify(Some("staging"));
    settings(dir.path()).bind(|| insta::assert_json_snapshot!("verify-damaged-staging", report));
}

#[test]
fn a_healthy_snapshot_checked_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let snapshot = write(&store, "staging", vec![small_input("a", "1", "x")]);
    let check = verify_snapshot(snapshot.path());
    assert!(check.problems.is_empty());
    assert_eq!(check.workflows, 1);
    std::fs::write(snapshot.path(), "[]").unwrap();
    let check = verify_snapshot(snapshot.path());
    settings(dir.path())
        .bind(|| insta::assert_debug_snapshot!("bad-manifest-by-path", check.problems));
}

#[test]
fn store_errors_read_well() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = Store::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::NotADirectory { .. }), "{err}");
    let store = Store::open(dir.path().join("store")).unwrap();
    let messages = [
        store.list("Prod").unwrap_err().to_string(),
        store
            .resolve("staging", &soc_store::Selector::Latest)
            .unwrap_err()
            .to_string(),
        "a/b"
            .parse::<soc_store::Selector>()
            .unwrap_err()
            .to_string(),
        err.to_string(),
    ]
    .join("\n");
    settings(dir.path()).bind(|| insta::assert_snapshot!("errors", messages));
}
