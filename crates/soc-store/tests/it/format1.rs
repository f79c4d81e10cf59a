//! Stores written before manifest format 2 (raw exports inside the snapshot folders) stay
//! readable: they verify, diff, renormalize under today's rules from their own raw exports, and
//! take new snapshots beside the old ones.

use soc_diff::DiffOptions;
use soc_normalize::Profile;
use soc_store::{Selector, Store};

use crate::common::{fixture_inputs, legacy_store, write};

fn format1_store() -> (tempfile::TempDir, Store) {
    legacy_store("format1")
}

#[test]
fn a_format1_store_verifies_and_says_where_its_raw_exports_are() {
    let (_dir, store) = format1_store();
    let report = store.verify(None);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.snapshots.len(), 2);
    assert!(report.snapshots.iter().all(|s| s.raw_exports_inline));
    assert!(
        report
            .to_string()
            .contains("keeps its raw exports, which can hold secrets, inside the snapshot folder"),
        "{report}"
    );
    let staging = store.resolve("staging", &Selector::Latest).unwrap();
    assert_eq!(staging.manifest().format_version, 1);
    let record = &staging.manifest().workflows[0];
    let path = staging.raw_export_path(record).unwrap();
    assert!(path.starts_with(staging.path()), "{}", path.display());
    assert_eq!(
        staging.raw_export(record).unwrap().map(|b| b.len() as u64),
        Some(record.export_size)
    );
}

#[test]
fn a_format1_store_diffs_under_todays_rules_from_its_own_raw_exports() {
    let (_dir, store) = format1_store();
    let profile = Profile::default();
    let staging = store.resolve("staging", &Selector::Latest).unwrap();
    let production = store.resolve("production", &Selector::Latest).unwrap();
    // Written under an older normalizer: today's profile hash differs, so entries renormalize.
    assert_ne!(staging.manifest().profile_hash, profile.hash());
    let options = DiffOptions {
        left_label: "staging".into(),
        right_label: "production".into(),
        ..DiffOptions::default()
    };
    let report = soc_diff::diff(
        staging.entries_under(&profile).unwrap(),
        production.entries_under(&profile).unwrap(),
        &profile,
        &options,
    )
    .unwrap();
    let stat = soc_diff::render(
        &soc_diff::CheckReport::single(report),
        soc_diff::Format::Text,
        &soc_diff::RenderOptions {
            stat_only: true,
            ..Default::default()
        },
    );
    assert!(
        stat.contains("2 modified, 1 added, 1 removed, 1 renamed, 2 unchanged"),
        "{stat}"
    );
    // Against a fresh store-v2 snapshot of the same workspace: nothing differs.
    let fresh = write(&store, "staging", fixture_inputs("staging"));
    assert_eq!(fresh.manifest().format_version, 3);
    let report = soc_diff::diff(
        staging.entries_under(&profile).unwrap(),
        fresh.entries_under(&profile).unwrap(),
        &profile,
        &options,
    )
    .unwrap();
    assert!(!report.has_drift());
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    // Pruning the old snapshot leaves the new one and its raw exports whole.
    let removed = store.prune("staging", 1, None).unwrap().removed;
    assert_eq!(removed.len(), 1);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
    for record in &fresh.manifest().workflows {
        assert!(fresh.raw_export(record).unwrap().is_some());
    }
}
