//! The stored shape of workspaces and workflows, and the fixture folder layout.
//!
//! A [`Workflow`] is exactly a single-workflow export: the `AopWorkflowInfo` fields plus a
//! `versions` array of `AopWorkflowVersionInfo`. Field order follows the official SDK models so
//! that serialized bytes read like the real API's (and like the bundled fixtures).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::DataError;
use crate::playbook::{PLAYBOOKS_DIR, Playbook};

/// `AopWorkflowInfo`: a workflow's metadata as `ListWorkflows` and `ShowAopWorkflow` return it.
///
/// Every documented field is optional because real responses omit fields freely; fields the SDK
/// does not know (for example the old typo key `current_rejected_versoin_id`) are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[allow(missing_docs)] // Field names are the API's own; see secmaster-api.md §2.3.
pub struct AopWorkflowInfo {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_approval_version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_rejected_version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aop_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataclass_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataclass_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Fields not in the SDK model, kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `AopWorkflowVersionInfo`: one version of a workflow, holding the BPMN `taskflow`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[allow(missing_docs)] // Field names are the API's own; see secmaster-api.md §2.3.
pub struct AopWorkflowVersionInfo {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aopworkflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modifier_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// JSON document, as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskconfig: Option<String>,
    /// Standard base64 of the xml-js JSON rendering of the BPMN diagram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskflow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskflow_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aop_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataclass_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataclass_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Fields not in the SDK model, kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A stored workflow: its `AopWorkflowInfo` plus all its versions (the single-export shape).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workflow {
    /// The workflow's metadata.
    pub info: AopWorkflowInfo,
    /// Every version, oldest first.
    pub versions: Vec<AopWorkflowVersionInfo>,
    /// File name inside `workflows/` when loaded from (or to be written to) a folder,
    /// e.g. `01-block-ip.json`; `None` means "derive one from the name".
    pub file_name: Option<String>,
}

/// Borrowed serialization shape of a single-workflow export.
#[derive(Serialize)]
struct ExportRef<'a> {
    #[serde(flatten)]
    info: &'a AopWorkflowInfo,
    versions: &'a [AopWorkflowVersionInfo],
}

/// Owned deserialization shape of a single-workflow export.
#[derive(Deserialize)]
struct ExportOwned {
    #[serde(flatten)]
    info: AopWorkflowInfo,
    #[serde(default)]
    versions: Vec<AopWorkflowVersionInfo>,
}

impl Workflow {
    /// The workflow id (`AopWorkflowInfo.id`).
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The workflow name, which identifies a workflow across workspaces.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The active version (`info.version_id`), else the last version.
    pub fn active_version(&self) -> Option<&AopWorkflowVersionInfo> {
        let active = self.info.version_id.as_deref();
        self.versions
            .iter()
            .find(|v| Some(v.id.as_str()) == active)
            .or_else(|| self.versions.last())
    }

    /// The compact single-workflow export bytes (the export contract's unit).
    pub fn export_bytes(&self) -> Result<Vec<u8>, DataError> {
        serde_json::to_vec(&self.export_ref()).map_err(|source| DataError::Serialize {
            what: format!("workflow {:?}", self.info.name),
            source,
        })
    }

    /// Pretty-printed export bytes with a trailing newline, as the fixture files are written.
    pub fn export_bytes_pretty(&self) -> Result<Vec<u8>, DataError> {
        let mut out = serde_json::to_vec_pretty(&self.export_ref()).map_err(|source| {
            DataError::Serialize {
                what: format!("workflow {:?}", self.info.name),
                source,
            }
        })?;
        out.push(b'\n');
        Ok(out)
    }

    /// Parses one single-workflow export document.
    pub fn from_export_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let owned: ExportOwned = serde_json::from_slice(bytes)?;
        Ok(Self::from_owned(owned))
    }

    /// Parses a single-workflow export already decoded as a JSON value.
    pub fn from_export_value(value: Value) -> Result<Self, serde_json::Error> {
        let owned: ExportOwned = serde_json::from_value(value)?;
        Ok(Self::from_owned(owned))
    }

    fn from_owned(owned: ExportOwned) -> Self {
        Self {
            info: owned.info,
            versions: owned.versions,
            file_name: None,
        }
    }

    fn export_ref(&self) -> ExportRef<'_> {
        ExportRef {
            info: &self.info,
            versions: &self.versions,
        }
    }
}

/// A SecMaster workspace and the workflows it holds.
///
/// Serializes (without `workflows`) to the fixture's `workspace.json`, a subset of the API's
/// workspace object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Workspace {
    /// Workspace id (`workspace_id` in every SecMaster path).
    pub id: String,
    /// Workspace name, e.g. `soc-staging`.
    pub name: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Project the workspace belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Region id, e.g. `ap-southeast-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    /// Creation time (opaque string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// Who created the workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_name: Option<String>,
    /// Fields beyond the ones above, kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
    /// The workflows, in file (or creation) order.
    #[serde(skip)]
    pub workflows: Vec<Workflow>,
    /// The playbooks, in file (or creation) order.
    #[serde(skip)]
    pub playbooks: Vec<Playbook>,
}

/// Name of the workspace metadata file inside a workspace folder.
pub const WORKSPACE_FILE: &str = "workspace.json";
/// Name of the folder of workflow export files inside a workspace folder.
pub const WORKFLOWS_DIR: &str = "workflows";

impl Workspace {
    /// The workflow with this id.
    pub fn workflow(&self, id: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.info.id == id)
    }

    /// The first workflow with this name.
    pub fn workflow_by_name(&self, name: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.info.name == name)
    }

    /// Every workflow's id and name, as a client resolves a playbook's bindings.
    pub fn workflow_names(&self) -> BTreeMap<String, String> {
        self.workflows
            .iter()
            .map(|w| (w.info.id.clone(), w.info.name.clone()))
            .collect()
    }

    /// The playbook with this id.
    pub fn playbook(&self, id: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.id() == id)
    }

    /// Loads a workspace folder: `workspace.json` plus `workflows/*.json` and
    /// `playbooks/*.json`, each in file-name order.
    pub fn load_dir(dir: &Path) -> Result<Self, DataError> {
        let meta_path = dir.join(WORKSPACE_FILE);
        let meta_bytes = read(&meta_path)?;
        let mut ws = parse_meta(&meta_bytes, &meta_path)?;
        for path in json_files(&dir.join(WORKFLOWS_DIR))? {
            let bytes = read(&path)?;
            let mut wf = parse_workflow(&bytes, &path)?;
            wf.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            ws.workflows.push(wf);
        }
        for path in json_files(&dir.join(PLAYBOOKS_DIR))? {
            let bytes = read(&path)?;
            let mut pb = parse_playbook(&bytes, &path)?;
            pb.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            ws.playbooks.push(pb);
        }
        Ok(ws)
    }

    /// Loads every workspace folder (a folder holding `workspace.json`) directly under `root`,
    /// sorted by folder name.
    pub fn load_root(root: &Path) -> Result<Vec<Self>, DataError> {
        let entries = std::fs::read_dir(root).map_err(|source| DataError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let mut dirs = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| DataError::Io {
                path: root.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.join(WORKSPACE_FILE).is_file() {
                dirs.push(path);
            }
        }
        if dirs.is_empty() {
            return Err(DataError::NoWorkspaces {
                path: root.to_path_buf(),
            });
        }
        dirs.sort();
        dirs.iter().map(|d| Self::load_dir(d)).collect()
    }

    /// Writes the fixture folder layout: `dir/workspace.json` and `dir/workflows/NN-key.json`
    /// (pretty-printed single-workflow exports). Creates `dir` if needed; existing files with
    /// other names are left alone.
    pub fn write_dir(&self, dir: &Path) -> Result<(), DataError> {
        let wf_dir = dir.join(WORKFLOWS_DIR);
        std::fs::create_dir_all(&wf_dir).map_err(|source| DataError::Io {
            path: wf_dir.clone(),
            source,
        })?;
        let mut meta = serde_json::to_vec_pretty(self).map_err(|source| DataError::Serialize {
            what: format!("workspace {:?}", self.name),
            source,
        })?;
        meta.push(b'\n');
        write(&dir.join(WORKSPACE_FILE), &meta)?;
        let width = self.workflows.len().to_string().len().max(2);
        for (i, wf) in self.workflows.iter().enumerate() {
            let name = match &wf.file_name {
                Some(n) => n.clone(),
                None => format!("{:0width$}-{}.json", i + 1, slug(&wf.info.name)),
            };
            write(&wf_dir.join(name), &wf.export_bytes_pretty()?)?;
        }
        if self.playbooks.is_empty() {
            return Ok(());
        }
        let pb_dir = dir.join(PLAYBOOKS_DIR);
        std::fs::create_dir_all(&pb_dir).map_err(|source| DataError::Io {
            path: pb_dir.clone(),
            source,
        })?;
        let width = self.playbooks.len().to_string().len().max(2);
        for (i, pb) in self.playbooks.iter().enumerate() {
            let name = match &pb.file_name {
                Some(n) => n.clone(),
                None => format!("{:0width$}-{}.json", i + 1, slug(pb.name())),
            };
            let bytes = pb
                .file_bytes_pretty()
                .map_err(|source| DataError::Serialize {
                    what: format!("playbook {:?}", pb.name()),
                    source,
                })?;
            write(&pb_dir.join(name), &bytes)?;
        }
        Ok(())
    }
}

/// A file-name-safe lowercase slug of a workflow name (`Block malicious IP` -> `block-malicious-ip`).
pub fn slug(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out.truncate(60);
    if out.is_empty() {
        out.push_str("workflow");
    }
    out
}

pub(crate) fn parse_meta(bytes: &[u8], path: &Path) -> Result<Workspace, DataError> {
    serde_json::from_slice(bytes).map_err(|source| DataError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn parse_workflow(bytes: &[u8], path: &Path) -> Result<Workflow, DataError> {
    Workflow::from_export_bytes(bytes).map_err(|source| DataError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn parse_playbook(bytes: &[u8], path: &Path) -> Result<Playbook, DataError> {
    Playbook::from_file_bytes(bytes).map_err(|source| DataError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// The `*.json` files of a folder, sorted; none when the folder does not exist (a workspace
/// without workflows or playbooks is legitimate).
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let io = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    std::fs::write(path, bytes).map_err(|source| DataError::Io {
        path: PathBuf::from(path),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_is_file_name_safe() {
        assert_eq!(
            slug("Block malicious source IP"),
            "block-malicious-source-ip"
        );
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("   "), "workflow");
        assert_eq!(slug("Ünïcode only ✓"), "n-code-only");
    }

    #[test]
    fn export_round_trips_unknown_fields() {
        let raw = br#"{"id":"a","name":"n","current_rejected_versoin_id":"x","versions":[{"id":"v","odd":1}]}"#;
        let wf = Workflow::from_export_bytes(raw).unwrap();
        assert_eq!(wf.info.extra["current_rejected_versoin_id"], "x");
        assert_eq!(wf.versions[0].extra["odd"], 1);
        let back: Value = serde_json::from_slice(&wf.export_bytes().unwrap()).unwrap();
        let orig: Value = serde_json::from_slice(raw).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn export_without_name_is_an_error() {
        assert!(Workflow::from_export_bytes(br#"{"id":"a"}"#).is_err());
        assert!(Workflow::from_export_bytes(b"[1,2]").is_err());
    }

    #[test]
    fn write_dir_reproduces_the_fixture_files_byte_for_byte() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/workspaces/staging");
        let ws = Workspace::load_dir(&src).unwrap();
        let out = tempfile::tempdir().unwrap();
        ws.write_dir(out.path()).unwrap();
        let mut names = Vec::new();
        for entry in std::fs::read_dir(src.join(WORKFLOWS_DIR)).unwrap() {
            let name = entry.unwrap().file_name();
            let orig = std::fs::read(src.join(WORKFLOWS_DIR).join(&name)).unwrap();
            let written = std::fs::read(out.path().join(WORKFLOWS_DIR).join(&name)).unwrap();
            assert!(orig == written, "{name:?} differs");
            names.push(name);
        }
        assert_eq!(names.len(), 6);
        let mut playbooks = 0;
        for entry in std::fs::read_dir(src.join(PLAYBOOKS_DIR)).unwrap() {
            let name = entry.unwrap().file_name();
            let orig = std::fs::read(src.join(PLAYBOOKS_DIR).join(&name)).unwrap();
            let written = std::fs::read(out.path().join(PLAYBOOKS_DIR).join(&name)).unwrap();
            assert!(orig == written, "{name:?} differs");
            playbooks += 1;
        }
        assert_eq!(playbooks, 6);
        assert_eq!(
            std::fs::read(src.join(WORKSPACE_FILE)).unwrap(),
            std::fs::read(out.path().join(WORKSPACE_FILE)).unwrap()
        );
        assert_eq!(Workspace::load_dir(out.path()).unwrap(), ws);
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = Workspace::load_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains("workspace.json"), "{err}");
        std::fs::write(dir.path().join(WORKSPACE_FILE), br#"{"id":"w","name":"n"}"#).unwrap();
        std::fs::create_dir(dir.path().join(WORKFLOWS_DIR)).unwrap();
        std::fs::write(
            dir.path().join(WORKFLOWS_DIR).join("01-x.json"),
            b"{truncated",
        )
        .unwrap();
        let err = Workspace::load_dir(dir.path()).unwrap_err();
        assert!(
            matches!(&err, DataError::Parse { path, .. } if path.ends_with("01-x.json")),
            "{err}"
        );
        assert!(matches!(
            Workspace::load_root(dir.path().join(WORKFLOWS_DIR).as_path()),
            Err(DataError::NoWorkspaces { .. })
        ));
    }
}
