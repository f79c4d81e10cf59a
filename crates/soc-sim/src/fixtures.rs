//! The bundled staging and production workspaces, embedded in the binary.
//!
//! Embedding (rather than reading `testdata/` at run time) means an installed `socdrift` can run
//! its demo from any directory.

use std::path::Path;

use include_dir::{Dir, include_dir};

use crate::error::DataError;
use crate::model::{
    WORKFLOWS_DIR, WORKSPACE_FILE, Workspace, parse_meta, parse_playbook, parse_workflow,
};
use crate::playbook::PLAYBOOKS_DIR;

static BUNDLED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../testdata/workspaces");

/// Names of the bundled workspaces, in the order [`bundled_workspaces`] returns them.
pub const BUNDLED_NAMES: [&str; 2] = ["staging", "production"];

/// Loads one bundled workspace by folder name (`staging` or `production`).
pub fn bundled_workspace(name: &str) -> Result<Workspace, DataError> {
    let dir = BUNDLED
        .get_dir(name)
        .ok_or_else(|| DataError::UnknownBundled {
            name: name.to_owned(),
        })?;
    load_embedded(dir)
}

/// Loads the bundled workspaces: staging first, then production.
pub fn bundled_workspaces() -> Result<Vec<Workspace>, DataError> {
    BUNDLED_NAMES.iter().map(|n| bundled_workspace(n)).collect()
}

fn load_embedded(dir: &Dir<'static>) -> Result<Workspace, DataError> {
    let base = dir.path();
    let meta_path = base.join(WORKSPACE_FILE);
    let meta = dir
        .get_file(&meta_path)
        .ok_or_else(|| DataError::NoWorkspaces {
            path: embedded_path(base),
        })?;
    let mut ws = parse_meta(meta.contents(), &embedded_path(&meta_path))?;
    for file in embedded_json(dir, WORKFLOWS_DIR) {
        let mut wf = parse_workflow(file.contents(), &embedded_path(file.path()))?;
        wf.file_name = file
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        ws.workflows.push(wf);
    }
    for file in embedded_json(dir, PLAYBOOKS_DIR) {
        let mut pb = parse_playbook(file.contents(), &embedded_path(file.path()))?;
        pb.file_name = file
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        ws.playbooks.push(pb);
    }
    Ok(ws)
}

/// The `*.json` files of an embedded sub-folder, sorted by path.
fn embedded_json(dir: &Dir<'static>, sub: &str) -> Vec<&'static include_dir::File<'static>> {
    let Some(sub) = dir.get_dir(dir.path().join(sub)) else {
        return Vec::new();
    };
    let mut files: Vec<_> = sub
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort_by_key(|f| f.path());
    files
}

/// A path that says where an embedded file came from, for error messages.
fn embedded_path(p: &Path) -> std::path::PathBuf {
    Path::new("<bundled>/testdata/workspaces").join(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_fixtures_load_with_their_drift() {
        let [staging, production]: [Workspace; 2] =
            bundled_workspaces().unwrap().try_into().unwrap();
        assert_eq!(staging.name, "soc-staging");
        assert_eq!(production.name, "soc-production");
        assert_eq!(staging.workflows.len(), 6);
        assert_eq!(production.workflows.len(), 6);
        assert!(
            staging
                .workflow_by_name("Enrich alert with context")
                .is_some()
        );
        assert!(
            production
                .workflow_by_name("Enrich alert with context")
                .is_none()
        );
        assert!(production.workflow_by_name("Legacy ticket sync").is_some());
        for ws in [&staging, &production] {
            assert_eq!(ws.playbooks.len(), 6);
            // Every action binds a workflow of its own workspace.
            for pb in &ws.playbooks {
                assert_eq!(pb.info["workspace_id"], ws.id.as_str());
                for action in pb.versions.iter().flat_map(|v| &v.actions) {
                    let id = action["action_id"].as_str().unwrap();
                    assert!(ws.workflow(id).is_some(), "{} binds {id}", pb.name());
                }
            }
            for wf in &ws.workflows {
                assert_eq!(wf.info.workspace_id.as_deref(), Some(ws.id.as_str()));
                assert!(
                    wf.active_version()
                        .and_then(|v| v.taskflow.as_ref())
                        .is_some()
                );
            }
        }
    }

    #[test]
    fn unknown_bundled_name_is_a_typed_error() {
        let err = bundled_workspace("qa").unwrap_err();
        assert!(matches!(err, DataError::UnknownBundled { .. }));
        assert!(err.to_string().contains("qa"));
    }

    #[test]
    fn embedded_fixtures_equal_the_files_on_disk() {
        // Guards against a stale embed (build.rs makes cargo rebuild when the fixtures change).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/workspaces");
        let mut on_disk = Workspace::load_root(&root).unwrap();
        // load_root sorts by folder name (production, staging); bundled order is staging first.
        on_disk.reverse();
        assert_eq!(on_disk, bundled_workspaces().unwrap());
    }
}
