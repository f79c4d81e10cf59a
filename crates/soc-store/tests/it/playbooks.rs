//! Playbooks stored beside workflows: records of kind `playbook` written through the same path,
//! read back apart from the workflows, shown in the view's own folder, verified like them, and
//! known or not by each snapshot.

use soc_model::playbook::build_inline;
use soc_normalize::{Kind, Profile};
use soc_store::{CommitOutcome, IfUnchanged, Store, StoreError, WorkflowInput};

use crate::common::{LOCK_TIMEOUT, files_under, fixture_inputs, manifest_text, source, write};

/// The bundled workspace's playbooks as the CLI hands them to the store.
pub fn playbook_inputs(workspace: &str) -> Vec<WorkflowInput> {
    let ws = soc_sim::bundled_workspace(workspace).unwrap();
    let names = ws.workflow_names();
    ws.playbooks
        .iter()
        .map(|pb| {
            let (info, listed, shown) = pb.answers();
            let raw = build_inline(&info, &listed, shown.as_deref(), &names).unwrap();
            WorkflowInput {
                id: pb.id().to_owned(),
                name: pb.name().to_owned(),
                info: serde_json::from_str(&info).unwrap(),
                raw,
                content_type: Some("application/json".to_owned()),
                file_name: None,
            }
        })
        .collect()
}

fn snapshot_with_playbooks(store: &Store, env: &str, if_unchanged: IfUnchanged) -> CommitOutcome {
    let writer = store
        .begin(env, source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add_all(fixture_inputs(env)).unwrap();
    writer.add_playbooks(playbook_inputs(env)).unwrap();
    writer.commit(if_unchanged).unwrap()
}

#[test]
fn playbooks_are_records_of_their_own_kind_read_back_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let snapshot = snapshot_with_playbooks(&store, "staging", IfUnchanged::Write)
        .snapshot()
        .clone();
    let manifest = snapshot.manifest();
    assert!(manifest.playbooks_captured);
    assert_eq!(snapshot.records(Kind::Workflow).count(), 6);
    let playbooks: Vec<_> = snapshot.records(Kind::Playbook).collect();
    assert_eq!(playbooks.len(), 6);
    // Each kind has its folder in the view, named from the names alone.
    let view = dir.path().join("store-v2/view/staging");
    let mut stems: Vec<String> = playbooks
        .iter()
        .map(|r| format!("{}.json", r.stem))
        .collect();
    stems.sort();
    assert_eq!(files_under(&view.join("playbooks")), stems);
    assert!(
        stems.contains(&"notify-the-on-call-analyst.json".to_owned()),
        "{stems:?}"
    );
    assert_eq!(files_under(&view.join("workflows")).len(), 6);
    // The manifest names the kind of playbook records only: workflow records read as before.
    let text = manifest_text(&snapshot);
    assert_eq!(text.matches("\"kind\": \"playbook\"").count(), 6);
    assert!(!text.contains("\"kind\": \"workflow\""));

    let entries = snapshot.side_entries(&Profile::default()).unwrap();
    assert_eq!(entries.workflows.len(), 6);
    assert_eq!(entries.playbooks.as_ref().unwrap().len(), 6);
    assert_eq!(
        snapshot.entries().unwrap().len(),
        6,
        "entries() are the workflows"
    );
    assert!(store.verify(Some("staging")).is_ok());

    // The committed normalized form is the comparable shape, bound workflows by name, and the
    // view shows exactly it.
    let notify = playbooks
        .iter()
        .find(|r| r.name == "Notify the on-call analyst")
        .unwrap();
    let normalized =
        std::fs::read_to_string(view.join("playbooks").join(format!("{}.json", notify.stem)))
            .unwrap();
    assert_eq!(
        snapshot.load(notify).unwrap().canonical().unwrap(),
        normalized
    );
    assert!(
        normalized.contains("\"workflow\": \"Notify on high-severity alert\""),
        "{normalized}"
    );
    assert!(
        !normalized.contains(notify.id.as_str()),
        "no playbook id in {normalized}"
    );
}

#[test]
fn an_unchanged_workspace_is_not_written_again_but_knowing_playbooks_is_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // Taken before socdrift read playbooks: workflows only.
    let old = write(&store, "staging", fixture_inputs("staging"));
    assert!(!old.manifest().playbooks_captured);
    assert!(
        old.side_entries(&Profile::default())
            .unwrap()
            .playbooks
            .is_none()
    );
    let first = snapshot_with_playbooks(&store, "staging", IfUnchanged::Skip);
    assert!(matches!(first, CommitOutcome::Written(_)));
    let again = snapshot_with_playbooks(&store, "staging", IfUnchanged::Skip);
    assert!(matches!(again, CommitOutcome::Unchanged(_)));
}

#[test]
fn a_workflow_given_as_a_playbook_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    let err = writer.add_playbooks(fixture_inputs("staging")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::WrongKind {
                expected: Kind::Playbook,
                found: Kind::Workflow,
                ..
            }
        ),
        "{err}"
    );
    let err = writer.add_all(playbook_inputs("staging")).unwrap_err();
    assert!(
        err.to_string()
            .contains("was given as a workflow but its document is a playbook"),
        "{err}"
    );
}

#[test]
fn renormalizing_from_raw_keeps_the_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let snapshot = snapshot_with_playbooks(&store, "production", IfUnchanged::Write)
        .snapshot()
        .clone();
    let other = Profile::secmaster()
        .with_config(&soc_normalize::ProfileConfig {
            ignore: vec!["/enabled".into()],
            ..Default::default()
        })
        .unwrap();
    let entries = snapshot.side_entries(&other).unwrap();
    let playbooks = entries.playbooks.unwrap();
    assert_eq!(playbooks.len(), 6);
    for entry in playbooks {
        let soc_normalize::Entry::Deferred { load, .. } = entry else {
            panic!("deferred")
        };
        let normalized = load().unwrap();
        assert!(
            !normalized
                .canonical()
                .unwrap()
                .contains("\"enabled\": false")
        );
    }
}

#[test]
fn an_imported_export_folder_keeps_its_playbooks() {
    let dir = tempfile::tempdir().unwrap();
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(exports.join("playbooks")).unwrap();
    for (i, input) in fixture_inputs("staging").into_iter().enumerate() {
        std::fs::write(exports.join(format!("w{i}.json")), &input.raw).unwrap();
    }
    for (i, input) in playbook_inputs("staging").into_iter().enumerate() {
        std::fs::write(
            exports.join("playbooks").join(format!("p{i}.json")),
            &input.raw,
        )
        .unwrap();
    }
    let store = Store::open(dir.path().join("store")).unwrap();
    let snapshot = store
        .import_folder("staging", &exports, &Profile::default())
        .unwrap();
    assert!(snapshot.manifest().playbooks_captured);
    assert_eq!(snapshot.records(Kind::Playbook).count(), 6);
    assert_eq!(snapshot.records(Kind::Workflow).count(), 6);
    let record = snapshot.records(Kind::Playbook).next().unwrap();
    let info = String::from_utf8(snapshot.info(record).unwrap()).unwrap();
    assert!(
        !info.contains("active_version") && !info.contains("bound_workflows"),
        "{info}"
    );
}

#[test]
fn a_playbook_and_a_workflow_of_the_same_name_each_keep_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut playbooks = playbook_inputs("staging");
    playbooks.truncate(1);
    let workflow = fixture_inputs("staging").remove(0);
    playbooks[0].name = workflow.name.clone();
    let writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add(workflow.clone()).unwrap();
    writer.add_playbooks(playbooks).unwrap();
    let snapshot = writer
        .commit(IfUnchanged::Write)
        .unwrap()
        .snapshot()
        .clone();
    let view = dir.path().join("store-v2/view/staging");
    let file = format!("{}.json", soc_store::slug(&workflow.name));
    assert_eq!(
        files_under(&view.join("workflows")),
        std::slice::from_ref(&file)
    );
    assert_eq!(files_under(&view.join("playbooks")), [file]);
    assert_eq!(
        snapshot
            .side_entries(&Profile::default())
            .unwrap()
            .workflows
            .len(),
        1
    );
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));

    // The next snapshot without playbooks (none in the workspace now) removes the playbook's
    // file and nothing else.
    let writer = store
        .begin("staging", source(), &Profile::default(), LOCK_TIMEOUT)
        .unwrap();
    writer.add(workflow).unwrap();
    writer.add_playbooks(Vec::new()).unwrap();
    writer.commit(IfUnchanged::Write).unwrap();
    assert_eq!(files_under(&view.join("playbooks")), Vec::<String>::new());
    assert_eq!(files_under(&view.join("workflows")).len(), 1);
    assert!(store.verify(None).is_ok(), "{}", store.verify(None));
}
