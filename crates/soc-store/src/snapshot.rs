//! A committed snapshot, read-only, and how it feeds the differ.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use soc_normalize::{Entry, Kind, Normalized, NormalizedContent, Profile, SideEntries};

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
    /// The private folder of its environment's raw exports, when the snapshot is in a store.
    raw_dir: Option<PathBuf>,
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
            raw_dir: raw_dir_of(&path),
            path,
            manifest: Arc::new(manifest),
        })
    }

    pub(crate) fn from_parts(id: SnapshotId, path: PathBuf, manifest: Manifest) -> Snapshot {
        Snapshot {
            id,
            raw_dir: raw_dir_of(&path),
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

    /// Diff inputs for every workflow (not the playbooks; see
    /// [`side_entries`](Self::side_entries)), straight from the manifest: nothing else is read until the
    /// differ calls a loader, which it does only for workflows whose normalized hashes differ from
    /// the other side's (or when the profiles differ).
    ///
    /// Each loader checks the stored file against the manifest's hash, so a corrupted file fails
    /// the diff with [`StoreError::Corrupted`] instead of producing a wrong report.
    ///
    /// The loaders return the normalized form as stored, made by the snapshot's profile; to
    /// compare under another profile use [`entries_under`](Self::entries_under).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        Ok(self.deferred(Kind::Workflow, load_record))
    }

    /// Diff inputs for comparing under `profile`: [`entries`](Self::entries) when the snapshot was
    /// normalized by a profile with the same hash; otherwise entries that, when loaded, normalize
    /// each stored raw export afresh under `profile` (checked against the manifest first), so a
    /// changed `[normalize]` configuration applies to old snapshots too. (The differ never trusts
    /// the stored hashes then, since they belong to another profile, and always loads.)
    ///
    /// Renormalizing needs the raw exports. When some are not here (a store cloned from git holds
    /// none: they never leave the machine that took the snapshot), this fails at once with
    /// [`StoreError::RawExportsMissing`] rather than compare under the wrong rules.
    pub fn entries_under(&self, profile: &Profile) -> Result<Vec<Entry>> {
        self.entries_of(Kind::Workflow, profile)
    }

    /// Diff inputs for both kinds, as [`entries_under`](Self::entries_under) makes them: the
    /// workflows, and the playbooks when the snapshot holds them (`None` for a snapshot taken
    /// before socdrift read playbooks, whose playbooks are unknown).
    pub fn side_entries(&self, profile: &Profile) -> Result<SideEntries> {
        let workflows = self.entries_of(Kind::Workflow, profile)?;
        let playbooks = if self.manifest.playbooks_captured {
            Some(self.entries_of(Kind::Playbook, profile)?)
        } else {
            None
        };
        Ok(SideEntries {
            workflows,
            playbooks,
        })
    }

    /// The records of one kind.
    pub fn records(&self, kind: Kind) -> impl Iterator<Item = &WorkflowRecord> {
        self.manifest
            .workflows
            .iter()
            .filter(move |record| record.kind == kind)
    }

    fn entries_of(&self, kind: Kind, profile: &Profile) -> Result<Vec<Entry>> {
        if profile.hash() == self.manifest.profile_hash {
            return Ok(self.deferred(kind, load_record));
        }
        let missing = self
            .manifest
            .workflows
            .iter()
            .filter(|record| !self.raw_export_path(record).is_some_and(|p| p.is_file()))
            .count();
        if missing > 0 {
            return Err(self.raw_missing(missing));
        }
        let profile = Arc::new(profile.clone());
        let raw = RawSource {
            snapshot: self.path.clone(),
            raw_dir: self.raw_dir.clone(),
            inline: self.manifest.raw_exports_inline(),
        };
        Ok(self.deferred(kind, move |dir, record| {
            let path = raw.path(record).unwrap_or_else(|| dir.join(&record.stem));
            renormalize(&path, record, &profile)
        }))
    }

    /// Where this workflow's raw export is kept: inside the snapshot folder for format 1, in the
    /// store's private raw area for format 2 (`None` for a snapshot outside a store). The file may
    /// not exist: raw exports are never committed, so a cloned store has none.
    pub fn raw_export_path(&self, record: &WorkflowRecord) -> Option<PathBuf> {
        RawSource {
            snapshot: self.path.clone(),
            raw_dir: self.raw_dir.clone(),
            inline: self.manifest.raw_exports_inline(),
        }
        .path(record)
    }

    /// This workflow's raw export, checked against the manifest; `None` when it is not here.
    pub fn raw_export(&self, record: &WorkflowRecord) -> Result<Option<Vec<u8>>> {
        let Some(path) = self.raw_export_path(record) else {
            return Ok(None);
        };
        match read_checked(&path, &record.export_sha256) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The private folder of this snapshot's raw exports, when the snapshot is in a store.
    pub fn raw_dir(&self) -> Option<&Path> {
        self.raw_dir.as_deref()
    }

    fn raw_missing(&self, missing: usize) -> StoreError {
        StoreError::RawExportsMissing {
            env: self.manifest.environment.clone(),
            id: self.id.to_string(),
            missing,
            total: self.manifest.workflows.len(),
            raw_dir: if self.manifest.raw_exports_inline() {
                self.path.clone()
            } else {
                self.raw_dir.clone().unwrap_or_else(|| self.path.clone())
            },
        }
    }

    /// One deferred entry per record of `kind`, known by the manifest's hashes, loaded by `load`.
    fn deferred<F>(&self, kind: Kind, load: F) -> Vec<Entry>
    where
        F: Fn(&Path, &WorkflowRecord) -> Result<Normalized> + Clone + Send + 'static,
    {
        self.records(kind)
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
    /// against the manifest first; [`StoreError::RawExportsMissing`] when it is not here.
    pub fn normalize_under(
        &self,
        record: &WorkflowRecord,
        profile: &Profile,
    ) -> Result<Normalized> {
        match self.raw_export_path(record) {
            Some(path) if path.is_file() => renormalize(&path, record, profile),
            _ => Err(self.raw_missing(1)),
        }
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

/// Where a snapshot's raw exports are, for loaders that outlive the [`Snapshot`].
#[derive(Debug, Clone)]
struct RawSource {
    snapshot: PathBuf,
    raw_dir: Option<PathBuf>,
    inline: bool,
}

impl RawSource {
    fn path(&self, record: &WorkflowRecord) -> Option<PathBuf> {
        match (&record.export_file, &self.raw_dir) {
            (Some(file), _) if self.inline => Some(self.snapshot.join(file)),
            (_, Some(raw_dir)) if !self.inline => Some(raw_dir.join(record.raw_export_name())),
            _ => None,
        }
    }
}

/// `<root>/raw-v1/<env>` for a snapshot folder `<root>/store-v1/<env>/<id>`; `None` for a snapshot
/// folder that is not in a store.
pub(crate) fn raw_dir_of(snapshot: &Path) -> Option<PathBuf> {
    let env_dir = snapshot.parent()?;
    let layout = env_dir.parent()?;
    if layout.file_name()? != crate::store::LAYOUT_DIR {
        return None;
    }
    Some(
        layout
            .parent()?
            .join(crate::store::RAW_DIR)
            .join(env_dir.file_name()?),
    )
}

fn renormalize(path: &Path, record: &WorkflowRecord, profile: &Profile) -> Result<Normalized> {
    let raw = read_checked(path, &record.export_sha256)?;
    let source = path.display().to_string();
    normalize_single(
        profile,
        &raw,
        record.kind,
        &record.name,
        &record.id,
        &source,
    )
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
    let source_path = dir.join(record.normalized_file.as_deref().unwrap_or(&record.stem));
    let content = match (record.normalized_kind, &record.normalized_file) {
        (NormalizedKind::Json, Some(file)) => {
            let path = dir.join(file);
            let bytes = read_checked(&path, &record.normalized_sha256)?;
            let canonical = String::from_utf8(bytes).map_err(|err| StoreError::BadNormalized {
                path: path.clone(),
                source: serde::de::Error::custom(err),
            })?;
            soc_normalize::normalize::validate_canonical(&canonical)
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
        source: source_path.display().to_string(),
        content,
        sha256: record.normalized_sha256.clone(),
        layout_sha256: record.layout_sha256.clone(),
        notes: record.notes.clone(),
    })
}
