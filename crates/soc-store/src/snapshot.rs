//! A committed snapshot, read-only, and how it feeds the differ.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use soc_diff::{Entry, Normalized, NormalizedContent, Profile};

use crate::error::{Result, StoreError};
use crate::fsutil::sha256_hex;
use crate::id::SnapshotId;
use crate::manifest::{Manifest, NormalizedKind, WorkflowRecord};
use crate::writer::normalize_single;

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
    ///
    /// The loaders return the normalized form as stored, made by the snapshot's profile; to
    /// compare under another profile use [`entries_under`](Self::entries_under).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        Ok(self.deferred(load_record))
    }

    /// Diff inputs for comparing under `profile`: [`entries`](Self::entries) when the snapshot was
    /// normalized by a profile with the same hash; otherwise entries that, when loaded, normalize
    /// each stored raw export afresh under `profile` (checked against the manifest first), so a
    /// changed `[normalize]` configuration applies to old snapshots too. (The differ never trusts
    /// the stored hashes then, since they belong to another profile, and always loads.)
    pub fn entries_under(&self, profile: &Profile) -> Result<Vec<Entry>> {
        if profile.hash() == self.manifest.profile_hash {
            return self.entries();
        }
        let profile = Arc::new(profile.clone());
        Ok(self.deferred(move |dir, record| renormalize(dir, record, &profile)))
    }

    /// One deferred entry per workflow, known by the manifest's hashes, loaded by `load`.
    fn deferred<F>(&self, load: F) -> Vec<Entry>
    where
        F: Fn(&Path, &WorkflowRecord) -> Result<Normalized> + Clone + Send + 'static,
    {
        self.manifest
            .workflows
            .iter()
            .map(|record| {
                let (path, owned, load) = (self.path.clone(), record.clone(), load.clone());
                Entry::Deferred {
                    name: record.name.clone(),
                    sha256: record.normalized_sha256.clone(),
                    layout_sha256: record.layout_sha256.clone(),
                    profile_hash: self.manifest.profile_hash.clone(),
                    load: Box::new(move || load(&path, &owned).map_err(|err| Box::new(err) as _)),
                }
            })
            .collect()
    }

    /// Normalizes one workflow's stored raw export afresh under `profile`, checking the export
    /// against the manifest first.
    pub fn normalize_under(
        &self,
        record: &WorkflowRecord,
        profile: &Profile,
    ) -> Result<Normalized> {
        renormalize(&self.path, record, profile)
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

fn renormalize(dir: &Path, record: &WorkflowRecord, profile: &Profile) -> Result<Normalized> {
    let path = dir.join(&record.export_file);
    let raw = read_checked(&path, &record.export_sha256)?;
    let source = path.display().to_string();
    normalize_single(profile, &raw, &record.name, &record.id, &source)
}

/// A stored file's bytes, refused as [`StoreError::Corrupted`] unless they hash to `expected`.
fn read_checked(path: &Path, expected: &str) -> Result<Vec<u8>> {
    let bytes = fs_err::read(path)?;
    let actual = sha256_hex(&bytes);
    if actual != expected {
        return Err(StoreError::Corrupted {
            path: path.to_path_buf(),
            expected: expected.to_owned(),
            actual,
        });
    }
    Ok(bytes)
}

fn load_record(dir: &Path, record: &WorkflowRecord) -> Result<Normalized> {
    let export_path = dir.join(&record.export_file);
    let content = match (record.normalized_kind, &record.normalized_file) {
        (NormalizedKind::Json, Some(file)) => {
            let path = dir.join(file);
            let bytes = read_checked(&path, &record.normalized_sha256)?;
            let canonical = String::from_utf8(bytes).map_err(|err| StoreError::BadNormalized {
                path: path.clone(),
                source: serde::de::Error::custom(err),
            })?;
            soc_diff::normalize::validate_canonical(&canonical)
                .map_err(|source| StoreError::BadNormalized { path, source })?;
            NormalizedContent::Json { canonical }
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
