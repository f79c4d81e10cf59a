//! A committed snapshot, read-only, and how it feeds the differ.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use soc_diff::{Entry, Normalized, NormalizedContent};

use crate::error::{Result, StoreError};
use crate::fsutil::sha256_hex;
use crate::id::SnapshotId;
use crate::manifest::{Manifest, NormalizedKind, WorkflowRecord};

/// One snapshot of the store, as listed (without reading its manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// The environment it belongs to.
    pub environment: String,
    /// Its id (also its folder name).
    pub id: SnapshotId,
    /// The creation time encoded in the id.
    pub created: Option<DateTime<Utc>>,
    /// Its folder.
    pub path: PathBuf,
}

/// A complete snapshot: its folder and its checked manifest. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Snapshot {
    id: SnapshotId,
    path: PathBuf,
    manifest: Arc<Manifest>,
}

impl Snapshot {
    /// Opens the snapshot in `path` (a folder holding `manifest.json`), inside a store or not:
    /// users pass snapshot folders, or copies of them, to `socdrift diff` directly.
    ///
    /// The id is the folder's name. The manifest is parsed and checked (no file name in it can
    /// point outside the folder); file contents are checked when loaded, or by
    /// [`Store::verify`](crate::Store::verify).
    pub fn open(path: impl AsRef<Path>) -> Result<Snapshot> {
        let path = path.as_ref().to_owned();
        let manifest = Manifest::read(&path)?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Ok(Snapshot {
            id: SnapshotId::from_folder_name(name),
            path,
            manifest: Arc::new(manifest),
        })
    }

    pub(crate) fn from_parts(id: SnapshotId, path: PathBuf, manifest: Manifest) -> Snapshot {
        Snapshot {
            id,
            path,
            manifest: Arc::new(manifest),
        }
    }

    /// The snapshot id (its folder name).
    pub fn id(&self) -> &SnapshotId {
        &self.id
    }

    /// The snapshot folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The environment recorded in the manifest.
    pub fn environment(&self) -> &str {
        &self.manifest.environment
    }

    /// The parsed, checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Diff inputs for every workflow, straight from the manifest: nothing else is read until the
    /// differ calls a loader, which it does only for workflows whose normalized hashes differ from
    /// the other side's (or when the profiles differ).
    ///
    /// Each loader checks the stored file against the manifest's hash, so a corrupted file fails
    /// the diff with [`StoreError::Corrupted`] instead of producing a wrong report.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        Ok(self
            .manifest
            .workflows
            .iter()
            .map(|record| {
                let path = self.path.clone();
                let owned = record.clone();
                Entry::Deferred {
                    name: record.name.clone(),
                    sha256: record.normalized_sha256.clone(),
                    layout_sha256: record.layout_sha256.clone(),
                    profile_hash: self.manifest.profile_hash.clone(),
                    load: Box::new(move || {
                        load_record(&path, &owned).map_err(|err| Box::new(err) as _)
                    }),
                }
            })
            .collect())
    }

    /// Loads one workflow's normalized form, checking it against the manifest.
    pub fn load(&self, record: &WorkflowRecord) -> Result<Normalized> {
        load_record(&self.path, record)
    }

    /// Loads every workflow's normalized form (what a diff costs without the manifest shortcut).
    pub fn load_all(&self) -> Result<Vec<Normalized>> {
        self.manifest
            .workflows
            .iter()
            .map(|record| load_record(&self.path, record))
            .collect()
    }
}

fn load_record(dir: &Path, record: &WorkflowRecord) -> Result<Normalized> {
    let export_path = dir.join(&record.export_file);
    let content = match (record.normalized_kind, &record.normalized_file) {
        (NormalizedKind::Json, Some(file)) => {
            let path = dir.join(file);
            let bytes = fs_err::read(&path)?;
            let actual = sha256_hex(&bytes);
            if actual != record.normalized_sha256 {
                return Err(StoreError::Corrupted {
                    path,
                    expected: record.normalized_sha256.clone(),
                    actual,
                });
            }
            let value = serde_json::from_slice(&bytes)
                .map_err(|source| StoreError::BadNormalized { path, source })?;
            // The parse succeeded, so the bytes are UTF-8 and nothing is replaced.
            let canonical = String::from_utf8_lossy(&bytes).into_owned();
            NormalizedContent::Json { value, canonical }
        }
        _ => NormalizedContent::Opaque {
            sha256: record.normalized_sha256.clone(),
            len: record.normalized_size,
        },
    };
    Ok(Normalized {
        name: record.name.clone(),
        source: export_path.display().to_string(),
        content,
        sha256: record.normalized_sha256.clone(),
        layout_sha256: record.layout_sha256.clone(),
        notes: record.notes.clone(),
    })
}
