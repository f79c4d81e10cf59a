//! Importing a folder of export files (downloaded by hand from the console) as a snapshot.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use soc_normalize::Profile;

use crate::error::{Result, StoreError};
use crate::manifest::SourceInfo;
use crate::snapshot::Snapshot;
use crate::store::Store;
use crate::writer::{CommitOutcome, IfUnchanged, WorkflowInput};

/// One workflow export cut out of an imported file.
#[derive(Debug)]
struct Piece {
    raw: Vec<u8>,
    object: Map<String, Value>,
    file_name: String,
}

impl Store {
    /// Imports a folder of export files as a new snapshot of `env`.
    ///
    /// Reads every `*.json` and `*.zip` file directly in `folder` (or in `folder/workflows/` when
    /// that exists, the layout of the bundled fixtures, whose `workspace.json` then fills the
    /// source information); other and hidden files are ignored. A file may hold one workflow
    /// export, a JSON array of them, or a ZIP with one per member; each becomes one workflow whose
    /// raw export is its exact bytes, and whose info is the export's top-level fields without
    /// `versions`. Playbook documents (as `socdrift export` writes them, into `playbooks/`) are
    /// stored as playbooks: those directly in `folder` and in `folder/playbooks/`; a
    /// `playbooks/` folder, even an empty one, says the export holds every playbook of the
    /// workspace.
    pub fn import_folder(
        &self,
        env: &str,
        folder: impl AsRef<Path>,
        profile: &Profile,
    ) -> Result<Snapshot> {
        let folder = folder.as_ref();
        let nested = folder.join("workflows");
        let exports_dir = if nested.is_dir() {
            nested
        } else {
            folder.to_owned()
        };
        let mut source = read_workspace_info(folder)?;
        source.imported_from = Some(folder.display().to_string());

        let mut files = export_files(&exports_dir)?;
        if files.is_empty() {
            return Err(StoreError::EmptyImport { path: exports_dir });
        }

        // The fixture layout's `playbooks/` holds the emulator's own files, not documents.
        let playbooks_dir = folder.join("playbooks");
        let captured = exports_dir == folder && playbooks_dir.is_dir();
        if captured {
            files.extend(export_files(&playbooks_dir)?);
        }
        let mut pieces = Vec::new();
        for path in &files {
            pieces.extend(split_export_file(path, profile)?);
        }
        let writer = self.begin(env, source, profile, self.default_lock_timeout())?;
        let mut playbooks = Vec::new();
        for piece in pieces {
            let is_playbook = piece.object.get(soc_model::playbook::KIND_KEY)
                == Some(&Value::String(
                    soc_model::playbook::KIND_PLAYBOOK.to_owned(),
                ));
            let mut input = WorkflowInput::from_object(piece.raw, piece.object, &piece.file_name)?;
            if is_playbook {
                // The info is what the playbook list gives, not the document's other parts.
                if let Value::Object(info) = &mut input.info {
                    for key in [
                        soc_model::playbook::KIND_KEY,
                        soc_model::playbook::ACTIVE_KEY,
                        soc_model::playbook::BOUND_KEY,
                    ] {
                        info.remove(key);
                    }
                }
                playbooks.push(input);
            } else {
                writer.add(input)?;
            }
        }
        if captured || !playbooks.is_empty() {
            writer.add_playbooks(playbooks)?;
        }
        match writer.commit(IfUnchanged::Write)? {
            CommitOutcome::Written(snapshot) | CommitOutcome::Unchanged(snapshot) => Ok(snapshot),
        }
    }
}

/// The `*.json` and `*.zip` files directly in `dir` (hidden ones left out), sorted.
fn export_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if !name.starts_with('.')
            && (name.ends_with(".json") || name.ends_with(".zip"))
            && entry.file_type()?.is_file()
        {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Source details from `workspace.json` beside the exports, when there is one.
fn read_workspace_info(folder: &Path) -> Result<SourceInfo> {
    let path = folder.join("workspace.json");
    if !path.is_file() {
        return Ok(SourceInfo::default());
    }
    let bytes = fs_err::read(&path)?;
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(StoreError::NotAnExport {
            path,
            reason: "workspace.json is not a JSON object".to_owned(),
        });
    };
    let field = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    Ok(SourceInfo {
        region: field("region_id"),
        project_id: field("project_id"),
        workspace_id: field("id"),
        workspace_name: field("name"),
        ..SourceInfo::default()
    })
}

/// Cuts one export file into single-workflow exports, keeping each one's exact bytes
/// ([`soc_model::split_pieces`], within the profile's limits).
fn split_export_file(path: &Path, profile: &Profile) -> Result<Vec<Piece>> {
    let limits = profile.limits();
    let not_export = |err: soc_model::ReadError| StoreError::NotAnExport {
        path: path.to_owned(),
        reason: err.to_string(),
    };
    let bytes = soc_model::read_file(path, limits).map_err(not_export)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pieces = soc_model::split_pieces(&file_name, &bytes, limits).map_err(not_export)?;
    Ok(pieces
        .into_iter()
        .map(|piece| Piece {
            raw: piece.bytes,
            object: piece.object,
            file_name: piece.label,
        })
        .collect())
}
