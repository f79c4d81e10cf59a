//! File names from hostile workflow names: never outside the snapshot, never shared.

use std::collections::BTreeSet;

use proptest::prelude::*;
use soc_store::{Store, assign_stems, is_safe_file_name};

use crate::common::{files_under, small_input, write};

/// Names built to break things: separators, dots, device names, case twins, control and
/// non-ASCII characters, very long runs.
fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._/\\\\:-]{0,40}",
        "(\\.\\./){1,4}[a-z]{0,8}",
        "(CON|con|Nul|COM1|lpt9|AUX)(\\.[a-z]{1,3})?[ .]?",
        "[\\x00-\\x1f\\u{7f}~!@#$%^&*()]{1,10}",
        "\\PC{0,30}",
        "[a-z]{200,300}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn stems_are_plain_distinct_and_distinct_ignoring_case(
        names in proptest::collection::vec(hostile_name(), 1..24)
    ) {
        let pairs: Vec<(String, String)> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i.to_string()))
            .collect();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(n, i)| (n.as_str(), i.as_str())).collect();
        let stems = assign_stems(&refs);
        let mut folded = BTreeSet::new();
        for stem in &stems {
            for file in [
                format!("{stem}.export.json"),
                format!("{stem}.info.json"),
                format!("{stem}.normalized.json"),
            ] {
                prop_assert!(is_safe_file_name(&file), "{file:?}");
                prop_assert!(file.len() < 200, "{file:?}");
                let path = std::path::Path::new("snap").join(&file);
                prop_assert_eq!(path.parent(), Some(std::path::Path::new("snap")));
                prop_assert_eq!(path.components().count(), 2);
            }
            prop_assert!(folded.insert(stem.to_lowercase()), "two workflows share {stem:?}");
        }
    }

    #[test]
    fn a_workflow_name_maps_to_the_same_stem_every_run(name in hostile_name(), other in hostile_name()) {
        let alone = assign_stems(&[(name.as_str(), "1")]);
        let again = assign_stems(&[(name.as_str(), "1")]);
        prop_assert_eq!(&alone, &again);
        if soc_store::slug(&name) != soc_store::slug(&other) {
            // An unrelated workflow does not change this one's files.
            let with_other = assign_stems(&[(other.as_str(), "2"), (name.as_str(), "1")]);
            prop_assert_eq!(&with_other[1], &alone[0]);
        }
    }
}

/// The same property end to end: real snapshots of hostile names keep every file inside.
#[test]
fn hostile_names_stay_inside_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let names = [
        "../../escape",
        "..",
        ".",
        "/etc/passwd",
        "C:\\Windows\\system32",
        "CON",
        "con",
        "nul.json",
        "Block IP",
        "block ip",
        "BLOCK-IP",
        "block~ip",
        "block-ip~0123abcd",
        "trailing dot.",
        "trailing space ",
        "tab\there",
        "new\nline",
        "阻断恶意IP",
        "阻断恶意IP（副本）",
        " ",
        &"x".repeat(500),
    ];
    let inputs: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| small_input(n, &i.to_string(), "x"))
        .collect();
    let snapshot = write(&store, "staging", inputs);
    let files = files_under(&dir.path().join("store"));
    // Manifests, packs and raw packs are named by ids and hashes, whatever the workflows are
    // called; only the view has a file per workflow, named by its stem.
    let view: Vec<_> = files
        .iter()
        .filter_map(|f| f.strip_prefix("store-v2/view/staging/workflows/"))
        .collect();
    assert_eq!(view.len(), names.len(), "{files:?}");
    for file in &view {
        let stem = file.strip_suffix(".json").unwrap();
        assert!(is_safe_file_name(file), "{file:?}");
        assert!(!stem.contains(['.', '/', '\\']), "{file:?}");
    }
    let folded: BTreeSet<_> = view.iter().map(|f| f.to_lowercase()).collect();
    assert_eq!(folded.len(), view.len(), "distinct ignoring case");
    for file in &files {
        let allowed = file.starts_with("store-v2/view/staging/workflows/")
            || file.starts_with("store-v2/packs/")
            || file.starts_with("raw-v2/packs/")
            || file.starts_with("store-v2/snapshots/staging/")
            || [
                "store-v2/.gitignore",
                "store-v2/.gitattributes",
                "store-v2/.store.lock",
                "raw-v2/.gitignore",
            ]
            .contains(&file.as_str());
        assert!(
            allowed,
            "{file:?} is outside the store's folders: {files:?}"
        );
    }
    for record in &snapshot.manifest().workflows {
        assert_eq!(snapshot.load(record).unwrap().name, record.name);
    }
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}
