//! Importing folders of export files.

use soc_normalize::Profile;
use soc_store::{Store, StoreError};

use crate::common::{fixture_inputs, write};

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/workspaces")
}

#[test]
fn the_bundled_fixture_folder_imports_like_a_fetched_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let imported = store
        .import_folder("staging", fixtures().join("staging"), &Profile::default())
        .unwrap();
    let fetched = write(&store, "fetched", fixture_inputs("staging"));

    let manifest = imported.manifest();
    assert_eq!(
        manifest.source.workspace_name.as_deref(),
        Some("soc-staging")
    );
    assert!(manifest.source.imported_from.is_some());
    let key = |m: &soc_store::Manifest| {
        m.workflows
            .iter()
            .map(|w| {
                (
                    w.name.clone(),
                    w.id.clone(),
                    w.normalized_sha256.clone(),
                    w.layout_sha256.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        key(manifest),
        key(fetched.manifest()),
        "pretty files normalize like compact exports"
    );
    for record in &manifest.workflows {
        let info: serde_json::Value =
            serde_json::from_slice(&imported.info(record).unwrap()).unwrap();
        assert!(info.get("versions").is_none());
        assert_eq!(info["name"], record.name.as_str());
        assert!(record.file_name.as_deref().unwrap().ends_with(".json"));
    }
    assert!(store.verify(None).is_ok());
}

#[test]
fn batch_json_and_zip_files_are_split_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    let ws = soc_sim::bundled_workspace("production").unwrap();
    let all: Vec<&soc_sim::Workflow> = ws.workflows.iter().collect();
    let (first, rest) = all.split_at(2);
    std::fs::write(
        folder.join("batch.json"),
        soc_sim::export::export_json(first).unwrap(),
    )
    .unwrap();
    std::fs::write(
        folder.join("more.zip"),
        soc_sim::export::export_zip(rest).unwrap(),
    )
    .unwrap();
    std::fs::write(folder.join("README.md"), "not an export").unwrap();
    std::fs::write(folder.join(".hidden.json"), "{").unwrap();

    let store = Store::open(dir.path().join("store")).unwrap();
    let snapshot = store
        .import_folder("production", &folder, &Profile::default())
        .unwrap();
    assert_eq!(snapshot.manifest().workflows.len(), ws.workflows.len());
    for workflow in &ws.workflows {
        let record = snapshot
            .manifest()
            .workflows
            .iter()
            .find(|r| r.id == workflow.id())
            .unwrap();
        let raw = snapshot.raw_export(record).unwrap().unwrap();
        assert_eq!(raw, workflow.export_bytes().unwrap(), "{}", record.name);
    }
}

#[test]
fn import_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store")).unwrap();
    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    let err = store
        .import_folder("staging", &folder, &Profile::default())
        .unwrap_err();
    assert!(matches!(err, StoreError::EmptyImport { .. }), "{err}");

    std::fs::write(folder.join("broken.json"), "{\"name\": \"x\", ").unwrap();
    let err = store
        .import_folder("staging", &folder, &Profile::default())
        .unwrap_err();
    assert!(err.to_string().contains("broken.json"), "{err}");

    std::fs::write(folder.join("broken.json"), "{\"id\": \"1\"}").unwrap();
    let err = store
        .import_folder("staging", &folder, &Profile::default())
        .unwrap_err();
    assert!(
        err.to_string().contains("broken.json") && err.to_string().contains("name"),
        "{err}"
    );

    std::fs::write(folder.join("broken.json"), "{}").unwrap();
    std::fs::write(folder.join("fake.zip"), "PK\u{3}\u{4}garbage").unwrap();
    let err = store
        .import_folder("staging", &folder, &Profile::default())
        .unwrap_err();
    assert!(
        err.to_string().contains("broken.json") || err.to_string().contains("fake.zip"),
        "{err}"
    );
    assert!(
        store.list("staging").unwrap().is_empty(),
        "a failed import writes nothing"
    );
}
