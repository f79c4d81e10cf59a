//! Importing a folder of export files (downloaded by hand from the console) as a snapshot.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use soc_diff::Profile;

use crate::error::{Result, StoreError};
use crate::manifest::{ExportFormat, SourceInfo, SourceKind};
use crate::snapshot::Snapshot;
use crate::store::Store;
use crate::writer::{CommitOutcome, WorkflowInput};

/// The largest ZIP member read, uncompressed: far above any real export, low enough that a small
/// hostile archive cannot fill memory.
const MAX_MEMBER_BYTES: u64 = 256 * 1024 * 1024;

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
    /// `versions`.
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
        source.kind = Some(SourceKind::Import);

        let mut files: Vec<PathBuf> = Vec::new();
        for entry in fs_err::read_dir(&exports_dir)? {
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
        if files.is_empty() {
            return Err(StoreError::EmptyImport { path: exports_dir });
        }

        let mut pieces = Vec::new();
        for path in &files {
            pieces.extend(split_export_file(path)?);
        }
        let writer = self.begin(env, source, profile, self.default_lock_timeout())?;
        for piece in pieces {
            writer.add(WorkflowInput::from_object(
                piece.raw,
                piece.object,
                &piece.file_name,
            )?)?;
        }
        match writer.commit(false)? {
            CommitOutcome::Written(snapshot) | CommitOutcome::Unchanged(snapshot) => Ok(snapshot),
        }
    }
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

/// Cuts one export file into single-workflow exports, keeping each one's exact bytes.
fn split_export_file(path: &Path) -> Result<Vec<Piece>> {
    let bytes = fs_err::read(path)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    match ExportFormat::sniff(&bytes) {
        ExportFormat::Json => split_json(path, &bytes, &file_name),
        ExportFormat::Zip => split_zip(path, &bytes, &file_name),
        ExportFormat::Binary => Err(StoreError::NotAnExport {
            path: path.to_owned(),
            reason: "it is neither JSON nor a ZIP archive".to_owned(),
        }),
    }
}

fn split_json(path: &Path, bytes: &[u8], file_name: &str) -> Result<Vec<Piece>> {
    let not_export = |reason: String| StoreError::NotAnExport {
        path: path.to_owned(),
        reason,
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|err| not_export(format!("invalid JSON ({err})")))?;
    match value {
        Value::Object(object) => Ok(vec![Piece {
            raw: bytes.to_vec(),
            object,
            file_name: file_name.to_owned(),
        }]),
        Value::Array(_) => {
            // A batch export is `[` + single exports joined by `,` + `]`; the raw text of each item
            // is that workflow's single export, byte for byte.
            let items: Vec<&RawValue> = serde_json::from_slice(bytes)
                .map_err(|err| not_export(format!("invalid JSON array ({err})")))?;
            items
                .into_iter()
                .enumerate()
                .map(|(index, item)| match serde_json::from_str(item.get()) {
                    Ok(Value::Object(object)) => Ok(Piece {
                        raw: item.get().as_bytes().to_vec(),
                        object,
                        file_name: format!("{file_name}[{index}]"),
                    }),
                    _ => Err(not_export(format!("item {index} is not a workflow object"))),
                })
                .collect()
        }
        _ => Err(not_export(
            "expected a workflow object or an array of them".to_owned(),
        )),
    }
}

fn split_zip(path: &Path, bytes: &[u8], file_name: &str) -> Result<Vec<Piece>> {
    let zip_error = |source| StoreError::Zip {
        path: path.to_owned(),
        source,
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_error)?;
    let mut pieces = Vec::new();
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).map_err(zip_error)?;
        let member_name = member.name().to_owned();
        let hidden = member_name
            .split('/')
            .any(|part| part.starts_with('.') || part == "__MACOSX");
        if member.is_dir() || hidden {
            continue;
        }
        let mut raw = Vec::new();
        (&mut member)
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(|err| StoreError::NotAnExport {
                path: path.to_owned(),
                reason: format!("member {member_name:?} cannot be read ({err})"),
            })?;
        if raw.len() as u64 > MAX_MEMBER_BYTES {
            return Err(StoreError::NotAnExport {
                path: path.to_owned(),
                reason: format!("member {member_name:?} is larger than {MAX_MEMBER_BYTES} bytes"),
            });
        }
        let label = format!("{file_name}!{member_name}");
        let member_path = PathBuf::from(format!("{}!{member_name}", path.display()));
        pieces.extend(split_json(&member_path, &raw, &label)?);
    }
    Ok(pieces)
}
