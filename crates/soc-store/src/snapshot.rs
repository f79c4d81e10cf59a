//! A committed snapshot, read-only, and how it feeds the differ.
//!
//! Two layouts are read: store-v2 snapshots (a manifest file whose workflows name their content by
//! hash, the content in packs) and store-v1 snapshot folders (a `manifest.json` beside one file
//! per workflow and part), written by socdrift before store-v2 and readable until
//! `socdrift migrate` moves them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use soc_normalize::{Entry, Kind, Normalized, NormalizedContent, Profile, SideEntries};

use crate::error::{Result, StoreError};
use crate::fsutil::sha256_hex;
use crate::id::SnapshotId;
use crate::manifest::{
    MANIFEST_EXTENSION, MANIFEST_FILE, Manifest, NormalizedKind, WorkflowRecord,
};
use crate::pack::{Objects, parse_hash};
use crate::writer::normalize_single;

/// One snapshot of the store, as listed (without reading its manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// The environment it belongs to.
    pub environment: String,
    /// Its id.
    pub id: SnapshotId,
    /// The creation time encoded in the id.
    pub created: Option<DateTime<Utc>>,
    /// Its manifest file (store-v2), or its folder (store-v1).
    pub path: PathBuf,
}

/// A complete snapshot: its manifest, checked, and where its content is. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Snapshot {
    id: SnapshotId,
    path: PathBuf,
    manifest: Arc<Manifest>,
    content: Content,
}

/// Where a snapshot's content is.
#[derive(Debug, Clone)]
enum Content {
    /// store-v2: objects in the committed packs, raw exports in the private packs.
    Packed {
        objects: Arc<Objects>,
        raw: Arc<Objects>,
    },
    /// store-v1: files in the snapshot folder; raw exports inside it (format 1) or in
    /// `raw-v1/<env>/` (format 2, `None` for a folder outside a store).
    Folder { raw_dir: Option<PathBuf> },
}

impl Snapshot {
    /// Opens a snapshot by path: a store-v2 manifest file (`…/store-v2/snapshots/<env>/<id>.json.zst`,
    /// read with its store's packs), or a store-v1 snapshot folder holding `manifest.json`, inside
    /// a store or not (users pass snapshot folders, or copies of them, to `socdrift diff`).
    ///
    /// The manifest is parsed and checked (no name in it can point outside the snapshot); content
    /// is checked when loaded, or by [`Store::verify`](crate::Store::verify).
    pub fn open(path: impl AsRef<Path>) -> Result<Snapshot> {
        let path = path.as_ref();
        if path.is_dir() {
            return Self::open_folder(path);
        }
        if let Some(folder) = legacy_folder_of_manifest(path) {
            return Self::open_folder(&folder);
        }
        let Some(layout) = layout_of_manifest(path) else {
            if path.exists() || path.to_string_lossy().ends_with(MANIFEST_EXTENSION) {
                return Err(StoreError::OutsideStore {
                    path: path.to_owned(),
                });
            }
            return Err(StoreError::MissingManifest {
                path: path.to_owned(),
            });
        };
        let objects = Arc::new(Objects::new(layout.join(crate::store::PACKS_DIR)));
        let raw = Arc::new(Objects::new(
            layout
                .parent()
                .unwrap_or(Path::new(""))
                .join(crate::store::RAW_DIR)
                .join(crate::store::PACKS_DIR),
        ));
        Self::open_packed(path, objects, raw)
    }

    /// Whether `path` is a snapshot [`open`](Self::open) reads: a store-v1 folder holding
    /// `manifest.json`, or a store-v2 manifest file inside its store.
    pub fn is_snapshot_path(path: &Path) -> bool {
        if path.is_dir() {
            return path.join(MANIFEST_FILE).is_file();
        }
        path.is_file()
            && (layout_of_manifest(path).is_some() || legacy_folder_of_manifest(path).is_some())
    }

    /// Opens a store-v2 manifest file, reading content through the store's shared object indexes.
    pub(crate) fn open_packed(
        path: &Path,
        objects: Arc<Objects>,
        raw: Arc<Objects>,
    ) -> Result<Snapshot> {
        let manifest = Manifest::read_packed(path)?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let id = name
            .strip_suffix(MANIFEST_EXTENSION)
            .unwrap_or(&name)
            .to_owned();
        Ok(Snapshot {
            id: SnapshotId::from_folder_name(id),
            path: path.to_owned(),
            manifest: Arc::new(manifest),
            content: Content::Packed { objects, raw },
        })
    }

    fn open_folder(path: &Path) -> Result<Snapshot> {
        let manifest = Manifest::read(path)?;
        if manifest.is_packed() {
            return Err(StoreError::InvalidManifest {
                path: path.join(MANIFEST_FILE),
                reason: "a store-v2 manifest (format 3) never lives in a snapshot folder"
                    .to_owned(),
            });
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Ok(Snapshot {
            id: SnapshotId::from_folder_name(name),
            path: path.to_owned(),
            manifest: Arc::new(manifest),
            content: Content::Folder {
                raw_dir: legacy_raw_dir_of(path),
            },
        })
    }

    pub(crate) fn from_packed_parts(
        id: SnapshotId,
        path: PathBuf,
        manifest: Manifest,
        objects: Arc<Objects>,
        raw: Arc<Objects>,
    ) -> Snapshot {
        Snapshot {
            id,
            path,
            manifest: Arc::new(manifest),
            content: Content::Packed { objects, raw },
        }
    }

    /// The snapshot id.
    pub fn id(&self) -> &SnapshotId {
        &self.id
    }

    /// The manifest file (store-v2) or the snapshot folder (store-v1).
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

    /// Whether this is a store-v2 snapshot (content in packs) rather than a store-v1 folder.
    pub fn is_packed(&self) -> bool {
        matches!(self.content, Content::Packed { .. })
    }

    /// Diff inputs for every workflow (not the playbooks; see
    /// [`side_entries`](Self::side_entries)), straight from the manifest: nothing else is read
    /// until the differ calls a loader, which it does only for workflows whose normalized hashes
    /// differ from the other side's (or when the profiles differ).
    ///
    /// Each loader checks what it reads against the manifest's hash, so damaged content fails the
    /// diff ([`StoreError::Corrupted`], [`StoreError::CorruptedObject`]) instead of producing a
    /// wrong report.
    ///
    /// The loaders return the normalized form as stored, made by the snapshot's profile; to
    /// compare under another profile use [`entries_under`](Self::entries_under).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let this = self.clone();
        Ok(self.deferred(Kind::Workflow, move |record| this.load(record)))
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
        self.manifest.records(kind)
    }

    fn entries_of(&self, kind: Kind, profile: &Profile) -> Result<Vec<Entry>> {
        if profile.hash() == self.manifest.profile_hash {
            let this = self.clone();
            return Ok(self.deferred(kind, move |record| this.load(record)));
        }
        let mut missing = 0;
        for record in &self.manifest.workflows {
            if !self.has_raw_export(record)? {
                missing += 1;
            }
        }
        if missing > 0 {
            return Err(self.raw_missing(missing));
        }
        let (this, profile) = (self.clone(), Arc::new(profile.clone()));
        Ok(self.deferred(kind, move |record| this.normalize_under(record, &profile)))
    }

    /// Whether this workflow's raw export is in this store (and, for a store-v1 folder, where it
    /// should be). Raw exports are never committed, so a store cloned from git holds none.
    pub fn has_raw_export(&self, record: &WorkflowRecord) -> Result<bool> {
        match &self.content {
            Content::Packed { raw, .. } => match parse_hash(&record.export_sha256) {
                Some(hash) => raw.contains(&hash),
                None => Ok(false),
            },
            Content::Folder { .. } => Ok(self.raw_export_path(record).is_some_and(|p| p.is_file())),
        }
    }

    /// Store-v1 only: where this workflow's raw export file is kept, inside the snapshot folder
    /// for format 1, in the private `raw-v1/<env>/` for format 2 (`None` for a folder outside a
    /// store). `None` for store-v2 snapshots, whose raw exports live in packs
    /// ([`raw_export`](Self::raw_export) reads them).
    pub fn raw_export_path(&self, record: &WorkflowRecord) -> Option<PathBuf> {
        let Content::Folder { raw_dir } = &self.content else {
            return None;
        };
        match (&record.export_file, raw_dir) {
            (Some(file), _) if self.manifest.raw_exports_inline() => Some(self.path.join(file)),
            (_, Some(raw_dir)) if !self.manifest.raw_exports_inline() => {
                Some(raw_dir.join(record.raw_export_name()))
            }
            _ => None,
        }
    }

    /// This workflow's raw export, checked against the manifest; `None` when it is not here.
    pub fn raw_export(&self, record: &WorkflowRecord) -> Result<Option<Vec<u8>>> {
        match &self.content {
            Content::Packed { raw, .. } => match parse_hash(&record.export_sha256) {
                Some(hash) => raw.get(&hash),
                None => Ok(None),
            },
            Content::Folder { .. } => {
                let Some(path) = self.raw_export_path(record) else {
                    return Ok(None);
                };
                match read_checked(&path, &record.export_sha256) {
                    Ok(bytes) => Ok(Some(bytes)),
                    Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                        Ok(None)
                    }
                    Err(err) => Err(err),
                }
            }
        }
    }

    /// Store-v1 only: the private folder of this snapshot's raw exports, when it is in a store.
    pub fn raw_dir(&self) -> Option<&Path> {
        match &self.content {
            Content::Folder { raw_dir } => raw_dir.as_deref(),
            Content::Packed { .. } => None,
        }
    }

    fn raw_missing(&self, missing: usize) -> StoreError {
        let raw_dir = match &self.content {
            Content::Packed { raw, .. } => raw.dir().to_owned(),
            Content::Folder { raw_dir } if !self.manifest.raw_exports_inline() => {
                raw_dir.clone().unwrap_or_else(|| self.path.clone())
            }
            Content::Folder { .. } => self.path.clone(),
        };
        StoreError::RawExportsMissing {
            env: self.manifest.environment.clone(),
            id: self.id.to_string(),
            missing,
            total: self.manifest.workflows.len(),
            raw_dir,
        }
    }

    /// One deferred entry per record of `kind`, known by the manifest's hashes, loaded by `load`.
    fn deferred<F>(&self, kind: Kind, load: F) -> Vec<Entry>
    where
        F: Fn(&WorkflowRecord) -> Result<Normalized> + Clone + Send + 'static,
    {
        self.records(kind)
            .map(|record| {
                let (owned, load) = (record.clone(), load.clone());
                Entry::Deferred {
                    name: record.name.clone(),
                    sha256: record.normalized_sha256.clone(),
                    layout_sha256: record.layout_sha256.clone(),
                    profile_hash: self.manifest.profile_hash.clone(),
                    load: Box::new(move || load(&owned).map_err(|err| Box::new(err) as _)),
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
        let Some(raw) = self.raw_export(record)? else {
            return Err(self.raw_missing(1));
        };
        let source = format!("{}/{} {}", self.environment(), self.id, record.stem);
        normalize_single(
            profile,
            &raw,
            record.kind,
            &record.name,
            &record.id,
            &source,
        )
    }

    /// Loads one workflow's normalized form, checking it against the manifest.
    pub fn load(&self, record: &WorkflowRecord) -> Result<Normalized> {
        let content = match record.normalized_kind {
            NormalizedKind::Json => {
                let (bytes, place) = self.normalized_bytes(record)?;
                let canonical =
                    String::from_utf8(bytes).map_err(|err| StoreError::BadNormalized {
                        path: place.clone(),
                        source: serde::de::Error::custom(err),
                    })?;
                soc_normalize::normalize::validate_canonical(&canonical).map_err(|source| {
                    StoreError::BadNormalized {
                        path: place,
                        source,
                    }
                })?;
                NormalizedContent::Json { canonical }
            }
            NormalizedKind::Opaque => NormalizedContent::Opaque {
                sha256: record.normalized_sha256.clone(),
                len: record.normalized_size,
            },
        };
        Ok(Normalized {
            name: record.name.clone(),
            source: self.place(record).display().to_string(),
            content,
            sha256: record.normalized_sha256.clone(),
            layout_sha256: record.layout_sha256.clone(),
            notes: record.notes.clone(),
        })
    }

    /// Where a workflow is, for messages: its normalized file (store-v1), or
    /// `<manifest>#<stem>` (store-v2).
    fn place(&self, record: &WorkflowRecord) -> PathBuf {
        match (&self.content, &record.normalized_file) {
            (Content::Folder { .. }, Some(file)) => self.path.join(file),
            (Content::Folder { .. }, None) => self.path.join(&record.stem),
            (Content::Packed { .. }, _) => {
                PathBuf::from(format!("{}#{}", self.path.display(), record.stem))
            }
        }
    }

    /// The stored canonical normalized text of a JSON workflow, checked against its hash, and
    /// where it was read (for messages).
    pub(crate) fn normalized_bytes(&self, record: &WorkflowRecord) -> Result<(Vec<u8>, PathBuf)> {
        match &self.content {
            Content::Packed { objects, .. } => {
                let bytes = self.object(
                    objects,
                    &record.normalized_sha256,
                    record,
                    "normalized form",
                )?;
                Ok((bytes, self.place(record)))
            }
            Content::Folder { .. } => {
                let path = self.place(record);
                Ok((read_checked(&path, &record.normalized_sha256)?, path))
            }
        }
    }

    /// The workflow info as stored (redacted; format 1 as received), checked against its hash.
    pub fn info(&self, record: &WorkflowRecord) -> Result<Vec<u8>> {
        match &self.content {
            Content::Packed { objects, .. } => {
                self.object(objects, &record.info_sha256, record, "info")
            }
            Content::Folder { .. } => {
                let file = record.info_file.as_deref().unwrap_or(&record.stem);
                read_checked(&self.path.join(file), &record.info_sha256)
            }
        }
    }

    fn object(
        &self,
        objects: &Objects,
        hash: &str,
        record: &WorkflowRecord,
        what: &'static str,
    ) -> Result<Vec<u8>> {
        let missing = || StoreError::MissingObject {
            snapshot: format!("{}/{}", self.manifest.environment, self.id),
            workflow: record.name.clone(),
            what,
            hash: hash.to_owned(),
            packs: objects.dir().to_owned(),
        };
        let hash = parse_hash(hash).ok_or_else(missing)?;
        objects.get(&hash)?.ok_or_else(missing)
    }

    /// Loads every record's normalized form, workflows and playbooks (what a diff costs without
    /// the manifest shortcut).
    pub fn load_all(&self) -> Result<Vec<Normalized>> {
        self.manifest
            .workflows
            .iter()
            .map(|record| self.load(record))
            .collect()
    }
}

/// `<root>/store-v2` for a manifest `<root>/store-v2/snapshots/<env>/<id>.json.zst`.
pub(crate) fn layout_of_manifest(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(MANIFEST_EXTENSION)?;
    let snapshots = path.parent()?.parent()?;
    if snapshots.file_name()? != crate::store::SNAPSHOTS_DIR {
        return None;
    }
    let layout = snapshots.parent()?;
    (layout.file_name()? == crate::store::LAYOUT_DIR).then(|| layout.to_owned())
}

/// The store-v1 snapshot folder whose `manifest.json` is `path`, when the file says it is a
/// snapshot manifest: users pass it as readily as the folder, and read as an export, its records
/// would be taken for workflows.
pub(crate) fn legacy_folder_of_manifest(path: &Path) -> Option<PathBuf> {
    #[derive(serde::Deserialize)]
    struct Head {
        format: String,
    }
    if path.file_name()? != MANIFEST_FILE {
        return None;
    }
    let head: Head = serde_json::from_slice(&fs_err::read(path).ok()?).ok()?;
    if head.format != crate::manifest::FORMAT {
        return None;
    }
    // `manifest.json` given from inside the folder has an empty parent: the folder's own name is
    // the snapshot's id, and its place in a store finds the raw exports.
    match path.parent()? {
        folder if folder.as_os_str().is_empty() => std::env::current_dir().ok(),
        folder => Some(folder.to_owned()),
    }
}

/// `<root>/raw-v1/<env>` for a store-v1 snapshot folder `<root>/store-v1/<env>/<id>`; `None` for a
/// snapshot folder that is not in a store.
pub(crate) fn legacy_raw_dir_of(snapshot: &Path) -> Option<PathBuf> {
    // A relative path (`.`, or a folder named from inside its environment) says nothing of the
    // store around it; the absolute one does.
    let snapshot = std::fs::canonicalize(snapshot).ok()?;
    let env_dir = snapshot.parent()?;
    let layout = env_dir.parent()?;
    if layout.file_name()? != crate::store::LEGACY_LAYOUT_DIR {
        return None;
    }
    Some(
        layout
            .parent()?
            .join(crate::store::LEGACY_RAW_DIR)
            .join(env_dir.file_name()?),
    )
}

/// A stored file's bytes, refused as [`StoreError::Corrupted`] unless they hash to `expected`.
pub(crate) fn read_checked(path: &Path, expected: &str) -> Result<Vec<u8>> {
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
