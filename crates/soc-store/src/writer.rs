//! Building a snapshot: objects go to temporary packs as workflows are added (from any number of
//! threads), then `commit` publishes the packs and, last, the manifest that lists them.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, Utc};
use sha2::Digest;
use soc_normalize::{Kind, Normalized, NormalizedContent, Profile};

use crate::error::{Result, StoreError};
use crate::fsutil::{sha256_hex, sync_dir, write_new_file_synced};
use crate::id::SnapshotId;
use crate::lock::EnvLock;
use crate::manifest::{
    ExportFormat, FORMAT, FORMAT_VERSION, MANIFEST_EXTENSION, Manifest, MigratedFrom,
    NormalizedKind, SourceInfo, WorkflowRecord,
};
use crate::name::assign_stems;
use crate::pack::{Hash, Loaded, Objects, PackWriter, compress, parse_hash, publish};
use crate::snapshot::Snapshot;
use crate::store::{Store, TEMP_PREFIX};

/// One workflow as exported, handed to [`SnapshotWriter::add`].
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowInput {
    /// The workflow id in its workspace.
    pub id: String,
    /// The workflow name (its identity across workspaces).
    pub name: String,
    /// The workflow's info object (its entry in the workflow list).
    pub info: serde_json::Value,
    /// The export bytes exactly as received: a single-workflow export.
    pub raw: Vec<u8>,
    /// `Content-Type` of the export response, if any.
    pub content_type: Option<String>,
    /// File name from the export response's `Content-Disposition`, if any.
    pub file_name: Option<String>,
}

impl WorkflowInput {
    /// The input for a single-workflow export known only by its bytes (a file exported by hand):
    /// id, name and info come from the export's own top-level fields, info being all of them but
    /// `versions`. `origin` names the bytes in errors (a path, or `archive.zip!member.json`).
    pub fn from_export(raw: Vec<u8>, origin: &str) -> Result<WorkflowInput> {
        match serde_json::from_slice(&raw) {
            Ok(serde_json::Value::Object(object)) => Self::from_object(raw, object, origin),
            Ok(_) => Err(not_an_export(origin, "it is not a JSON object")),
            Err(err) => Err(not_an_export(origin, &format!("invalid JSON ({err})"))),
        }
    }

    /// Like [`from_export`](Self::from_export) with the export already parsed.
    pub(crate) fn from_object(
        raw: Vec<u8>,
        mut object: serde_json::Map<String, serde_json::Value>,
        origin: &str,
    ) -> Result<WorkflowInput> {
        let name = match object.get("name") {
            Some(serde_json::Value::String(name)) if !name.is_empty() => name.clone(),
            _ => {
                return Err(not_an_export(
                    origin,
                    "the workflow has no non-empty \"name\" field",
                ));
            }
        };
        let id = match object.get("id") {
            Some(serde_json::Value::String(id)) => id.clone(),
            _ => String::new(),
        };
        object.remove("versions");
        Ok(WorkflowInput {
            id,
            name,
            info: serde_json::Value::Object(object),
            raw,
            content_type: None,
            file_name: Some(origin.to_owned()),
        })
    }
}

fn not_an_export(origin: &str, reason: &str) -> StoreError {
    StoreError::NotAnExport {
        path: PathBuf::from(origin),
        reason: reason.to_owned(),
    }
}

/// What [`SnapshotWriter::commit`] does when the new snapshot would hold exactly what the
/// environment's latest one holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfUnchanged {
    /// Write it anyway, under a new id (its objects are already stored, so it costs a manifest).
    Write,
    /// Write nothing and return the latest snapshot (`socdrift snapshot --skip-unchanged`).
    Skip,
}

/// Whether publishing a snapshot brings the environment's readable view up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// Rewrite the view for the new snapshot (every commit).
    Update,
    /// Leave it (a migration publishes many snapshots and updates the view once at the end).
    Leave,
}

/// What [`SnapshotWriter::commit`] did.
#[derive(Debug, Clone)]
pub enum CommitOutcome {
    /// A new snapshot was written.
    Written(Snapshot),
    /// Nothing was written: the content equals the latest snapshot's, which is returned.
    Unchanged(Snapshot),
}

impl CommitOutcome {
    /// The snapshot written, or the latest one it was identical to.
    pub fn snapshot(&self) -> &Snapshot {
        match self {
            CommitOutcome::Written(snapshot) | CommitOutcome::Unchanged(snapshot) => snapshot,
        }
    }
}

/// A workflow ready to be recorded: its record and its objects, compressed, that no pack holds
/// yet.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) record: WorkflowRecord,
    /// Committed objects (normalized form, info): hash, size, compressed bytes.
    pub(crate) objects: Vec<(Hash, u64, Vec<u8>)>,
    /// The raw export, when no private pack holds it yet.
    pub(crate) raw: Option<(Hash, u64, Vec<u8>)>,
}

/// What the latest snapshot says about a raw export, so an unchanged export is not normalized
/// again: same bytes under the same profile give the same normalized form.
#[derive(Debug, Clone)]
struct Known {
    kind: NormalizedKind,
    sha256: String,
    size: u64,
    layout_sha256: Option<String>,
    notes: Vec<String>,
}

/// What a writer records while workflows are added.
#[derive(Debug, Default)]
struct Pending {
    records: Vec<WorkflowRecord>,
    seen: BTreeSet<(Kind, String, String)>,
    /// Whether the environment's playbooks were added (even none).
    playbooks_captured: bool,
    /// Which API the workflow documents came from, when it was learnt after `begin`.
    api_source: Option<soc_model::DocumentSource>,
}

/// Writes one snapshot of an environment; holds the environment's lock (and a share of the
/// store-wide lock) until committed or dropped.
///
/// [`add`](Self::add) takes `&self`: several threads can add workflows at once, each normalizing,
/// hashing and compressing its own, so memory follows the workflows in flight, not the workspace.
/// Dropping a writer without committing removes everything it wrote. A crash leaves only
/// temporary files that readers never see and the next writer of the environment removes.
#[derive(Debug)]
pub struct SnapshotWriter {
    store: Store,
    env: String,
    env_dir: PathBuf,
    profile: Profile,
    profile_hash: String,
    source: SourceInfo,
    /// Objects every published pack holds, as of `begin` (none can go while the writer holds its
    /// share of the store lock).
    known: Arc<Loaded>,
    known_raw: Arc<Loaded>,
    /// The latest snapshot's normalized forms by kind and raw export hash, when it used this
    /// profile.
    reuse: HashMap<(Kind, String), Known>,
    objects: Option<PackWriter>,
    raw: Option<PackWriter>,
    /// Freshly normalized workflows set aside for the view.
    staged: crate::view::Staged,
    pending: Mutex<Pending>,
    // Declared last: fields drop in order, so temporary files are gone before the locks are
    // released.
    _store_lock: EnvLock,
    _lock: EnvLock,
}

impl SnapshotWriter {
    pub(crate) fn new(
        store: &Store,
        env: &str,
        locks: (EnvLock, EnvLock),
        source: SourceInfo,
        profile: &Profile,
    ) -> Result<Self> {
        let (lock, store_lock) = locks;
        let env_dir = store.environment_dir(env)?;
        let temp = format!(
            "{TEMP_PREFIX}{env}.{}-{}.pack",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        let packs = store.packs_dir();
        let raw_packs = store.raw_packs_dir();
        crate::fsutil::create_private_dir_all(&packs)?;
        crate::fsutil::create_private_dir_all(&raw_packs)?;
        let known = Objects::new(packs.clone()).loaded()?;
        let known_raw = Objects::new(raw_packs.clone()).loaded()?;
        let profile_hash = profile.hash();
        let reuse = match store.list(env)?.pop() {
            Some(latest) => reusable(store, &latest.path, &profile_hash, &known),
            None => HashMap::new(),
        };
        let staged = crate::view::Staged::new(&store.view_dir(env)?, &env_dir);
        Ok(SnapshotWriter {
            store: store.clone(),
            env: env.to_owned(),
            env_dir,
            profile: profile.clone(),
            profile_hash,
            source: source.sanitized(),
            known,
            known_raw,
            reuse,
            objects: Some(PackWriter::new(packs.join(&temp))),
            raw: Some(PackWriter::new(raw_packs.join(&temp))),
            staged,
            pending: Mutex::new(Pending::default()),
            _store_lock: store_lock,
            _lock: lock,
        })
    }

    /// The environment this writer writes to.
    pub fn environment(&self) -> &str {
        &self.env
    }

    /// How many workflows and playbooks were added so far.
    pub fn len(&self) -> usize {
        self.lock_pending().records.len()
    }

    /// Whether nothing was added yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decodes and normalizes one workflow's export and writes what no pack holds yet: its
    /// normalized form and its info (both redacted) to the snapshot's pack, its raw export to the
    /// private raw pack. [`commit`](Self::commit) syncs and publishes them.
    ///
    /// A raw export the latest snapshot (taken with the same profile) holds is not normalized
    /// again: its normalized form is the one stored.
    ///
    /// Fails, recording nothing for this workflow, if the export is malformed or does not hold
    /// exactly one workflow, or if the same name and id were added before. Earlier workflows stay.
    /// Safe to call from several threads at once.
    pub fn add(&self, input: WorkflowInput) -> Result<()> {
        self.add_kind(Kind::Workflow, input)
    }

    /// [`add`](Self::add) for many workflows, preparing them on every core first; they are
    /// recorded in the order given. Stops at the first workflow that fails, as a loop over `add`
    /// would: the ones before it stay added, the ones after it are not.
    pub fn add_all(&self, inputs: Vec<WorkflowInput>) -> Result<()> {
        self.add_all_of(Kind::Workflow, inputs)
    }

    /// Adds the environment's playbooks, each a playbook document (see `soc_model::playbook`)
    /// given like a workflow export (`raw` the document, `info` the listed `PlaybookInfo`), and
    /// records that the snapshot holds its playbooks, even when there are none. Stored like
    /// workflows, as records of kind `playbook` (their view files in `view/<env>/playbooks/`).
    pub fn add_playbooks(&self, inputs: Vec<WorkflowInput>) -> Result<()> {
        self.mark_playbooks_captured();
        self.add_all_of(Kind::Playbook, inputs)
    }

    /// Records which API the workflow documents came from (`export` or `versions`), for a caller
    /// that learns it only once the documents arrive; it replaces the `api_source` given to
    /// [`Store::begin`].
    pub fn set_api_source(&self, source: soc_model::DocumentSource) {
        self.lock_pending().api_source = Some(source);
    }

    pub(crate) fn mark_playbooks_captured(&self) {
        self.lock_pending().playbooks_captured = true;
    }

    pub(crate) fn add_kind(&self, kind: Kind, input: WorkflowInput) -> Result<()> {
        if self
            .lock_pending()
            .seen
            .contains(&(kind, input.name.clone(), input.id.clone()))
        {
            return Err(StoreError::DuplicateWorkflow {
                name: input.name,
                id: input.id,
            });
        }
        let prepared = self.prepare(kind, input)?;
        self.record(prepared)
    }

    fn add_all_of(&self, kind: Kind, inputs: Vec<WorkflowInput>) -> Result<()> {
        use rayon::prelude::*;
        let prepared: Vec<Result<Prepared>> = inputs
            .into_par_iter()
            .map(|input| self.prepare(kind, input))
            .collect();
        for prepared in prepared {
            self.record(prepared?)?;
        }
        Ok(())
    }

    /// Normalizes (unless the latest snapshot knows the export), redacts, hashes and compresses
    /// one workflow or playbook. Touches no shared state.
    fn prepare(&self, kind: Kind, input: WorkflowInput) -> Result<Prepared> {
        let export_sha256 = sha256_hex(&input.raw);
        let format = ExportFormat::of(&input.raw);
        let mut objects = Vec::new();
        let known = match self.reuse.get(&(kind, export_sha256.clone())) {
            Some(known) => known.clone(),
            None => {
                let normalized = normalize_input(&self.profile, &self.env, kind, &input)?;
                let known = Known::from(&normalized);
                if let NormalizedContent::Json { canonical } = normalized.content {
                    self.keep_object(&normalized.sha256, canonical.as_bytes(), &mut objects)?;
                    self.staged
                        .stage(kind, &input.name, &normalized.sha256, &canonical)?;
                }
                known
            }
        };
        // The info is committed with the snapshot: it gets the same redaction as the content.
        let mut info = input.info;
        self.profile.redact(&mut info);
        let info_text = soc_normalize::canonical_json(&info);
        let info_sha256 = sha256_hex(info_text.as_bytes());
        self.keep_object(&info_sha256, info_text.as_bytes(), &mut objects)?;
        let raw = match parse_hash(&export_sha256) {
            Some(hash) if !self.known_raw.contains(&hash) && !self.raw_pack()?.contains(&hash) => {
                Some((hash, input.raw.len() as u64, compress(&input.raw)?))
            }
            _ => None,
        };
        Ok(Prepared {
            record: WorkflowRecord {
                kind,
                id: input.id,
                name: input.name,
                stem: String::new(),
                content_type: input.content_type,
                file_name: input.file_name,
                export_format: format,
                export_file: None,
                export_size: input.raw.len() as u64,
                export_sha256,
                info_file: None,
                info_sha256,
                normalized_kind: known.kind,
                normalized_file: None,
                normalized_sha256: known.sha256,
                normalized_size: known.size,
                layout_sha256: known.layout_sha256,
                notes: known.notes,
            },
            objects,
            raw,
        })
    }

    /// Adds an object to `objects` (compressed) unless a pack holds it already.
    fn keep_object(
        &self,
        sha256: &str,
        bytes: &[u8],
        objects: &mut Vec<(Hash, u64, Vec<u8>)>,
    ) -> Result<()> {
        // The hashes come from `sha256_hex` (here and in soc-diff); the fallback never runs.
        let hash = parse_hash(sha256).unwrap_or_else(|| sha2::Sha256::digest(bytes).into());
        if !self.known.contains(&hash) && !self.pack()?.contains(&hash) {
            objects.push((hash, bytes.len() as u64, compress(bytes)?));
        }
        Ok(())
    }

    fn pack(&self) -> Result<&PackWriter> {
        self.objects.as_ref().ok_or_else(committed_twice)
    }

    fn raw_pack(&self) -> Result<&PackWriter> {
        self.raw.as_ref().ok_or_else(committed_twice)
    }

    /// Writes a prepared workflow's objects and records it, unless its kind, name and id were
    /// added already.
    pub(crate) fn record(&self, prepared: Prepared) -> Result<()> {
        let key = (
            prepared.record.kind,
            prepared.record.name.clone(),
            prepared.record.id.clone(),
        );
        if !self.lock_pending().seen.insert(key.clone()) {
            return Err(StoreError::DuplicateWorkflow {
                name: key.1,
                id: key.2,
            });
        }
        let written = (|| {
            for (hash, size, compressed) in &prepared.objects {
                if !self.known.contains(hash) {
                    self.pack()?.append(*hash, *size, compressed)?;
                }
            }
            if let Some((hash, size, compressed)) = &prepared.raw {
                if !self.known_raw.contains(hash) {
                    self.raw_pack()?.append(*hash, *size, compressed)?;
                }
            }
            Ok(())
        })();
        let mut pending = self.lock_pending();
        match written {
            Ok(()) => {
                pending.records.push(prepared.record);
                Ok(())
            }
            Err(err) => {
                // Objects already appended are harmless: only listed objects are ever read.
                pending.seen.remove(&key);
                Err(err)
            }
        }
    }

    /// Publishes the snapshot: the packs synced and renamed to their final names (raw exports
    /// first), then `manifest` written, synced and renamed to `<id>.json.zst` (and the environment
    /// folder synced), then the readable view of the environment brought up to date.
    ///
    /// With [`IfUnchanged::Skip`], nothing is written when the latest snapshot of the environment has
    /// the same profile hash and the same workflows and playbooks with the same normalized and
    /// layout hashes (and knows its playbooks as this one does);
    /// the latest snapshot is returned as [`CommitOutcome::Unchanged`] (and the view is still
    /// brought up to date, which repairs one a crash left half written).
    pub fn commit(self, if_unchanged: IfUnchanged) -> Result<CommitOutcome> {
        let latest = self.store.list(&self.env)?.pop();
        let time_floor = latest.as_ref().and_then(|summary| summary.id.time());
        if if_unchanged == IfUnchanged::Skip {
            // A latest snapshot that cannot be opened is never "the same": write a new one.
            let latest_snapshot = latest
                .as_ref()
                .and_then(|summary| self.store.open_snapshot(summary).ok());
            if let Some(latest) = latest_snapshot {
                let same = {
                    let pending = self.lock_pending();
                    same_content(
                        latest.manifest(),
                        &self.profile_hash,
                        pending.playbooks_captured,
                        &pending.records,
                    )
                };
                if same {
                    self.store.refresh_view(&self.env, &latest)?;
                    return Ok(CommitOutcome::Unchanged(latest));
                }
            }
        }
        let now = Utc::now().trunc_subsecs(0);
        let time = match time_floor {
            // Ids must sort in commit order even when the clock steps back or two snapshots fall in
            // the same second.
            Some(previous) if previous >= now => previous + chrono::Duration::seconds(1),
            _ => now,
        };
        let stamp = Stamp {
            time,
            created_at: now,
            tool: format!("socdrift {}", env!("CARGO_PKG_VERSION")),
            profile_hash: self.profile_hash.clone(),
            migrated_from: None,
        };
        self.publish(stamp, View::Update)
            .map(CommitOutcome::Written)
    }

    /// Publishes the snapshot under a given time and history (a migration keeps the time of the
    /// snapshot it moves), and brings the view up to date with [`View::Update`] (a migration
    /// updates it once at the end). Fails if the id is taken.
    pub(crate) fn publish(mut self, stamp: Stamp, view: View) -> Result<Snapshot> {
        // Raw exports first, then the committed objects: a manifest never lists an object that is
        // not on disk under its final name.
        for (writer, dir) in [
            (self.raw.take(), self.store.raw_packs_dir()),
            (self.objects.take(), self.store.packs_dir()),
        ] {
            let Some(writer) = writer else {
                return Err(committed_twice());
            };
            if let Some(pack) = writer.finish()? {
                publish(&pack, &dir)?;
                sync_dir(&dir)?;
            }
        }
        let (mut records, playbooks_captured, api_source) = {
            let mut pending = self.lock_pending();
            (
                std::mem::take(&mut pending.records),
                pending.playbooks_captured,
                pending.api_source,
            )
        };
        assign_record_stems(&mut records);
        records.sort_by(|a, b| (&a.name, &a.id, a.kind).cmp(&(&b.name, &b.id, b.kind)));
        let mut source = self.source.clone();
        if api_source.is_some() {
            source.api_source = api_source;
        }
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            tool: stamp.tool,
            created_at: stamp.created_at,
            environment: self.env.clone(),
            source,
            profile_hash: stamp.profile_hash,
            migrated_from: stamp.migrated_from,
            playbooks_captured,
            workflows: records,
        };
        let id = SnapshotId::new(stamp.time, &content_hash(&manifest)?);
        let final_path = self
            .env_dir
            .join(format!("{}{MANIFEST_EXTENSION}", id.as_str()));
        if final_path.exists() {
            return Err(StoreError::SnapshotExists {
                env: self.env.clone(),
                id: id.to_string(),
            });
        }
        let temp = self.env_dir.join(format!(
            "{TEMP_PREFIX}{}-{}{MANIFEST_EXTENSION}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        write_new_file_synced(&temp, &manifest.to_packed_bytes()?)?;
        if view == View::Update {
            crate::view::mark_updating(&self.env_dir, id.as_str())?;
        }
        if let Err(err) = fs_err::rename(&temp, &final_path) {
            let _ = fs_err::remove_file(&temp);
            return Err(err.into());
        }
        sync_dir(&self.env_dir)?;
        let snapshot = Snapshot::from_packed_parts(
            id,
            final_path,
            manifest,
            self.store.objects(),
            self.store.raw_objects(),
        );
        if view == View::Update {
            self.store
                .refresh_view_with(&self.env, &snapshot, Some(&self.staged))?;
        }
        Ok(snapshot)
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        // Unpublished packs: a failure leaves a `.tmp-*` file that the next writer removes.
        for writer in [self.objects.take(), self.raw.take()].into_iter().flatten() {
            let _ = fs_err::remove_file(writer.path());
        }
    }
}

fn committed_twice() -> StoreError {
    StoreError::Io(std::io::Error::other(
        "the snapshot writer was already committed",
    ))
}

/// The time, origin and profile a snapshot is published under.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    /// The time in the id.
    pub(crate) time: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) tool: String,
    pub(crate) profile_hash: String,
    pub(crate) migrated_from: Option<MigratedFrom>,
}

impl Known {
    fn from(normalized: &Normalized) -> Known {
        let (kind, size) = match &normalized.content {
            NormalizedContent::Json { canonical } => (NormalizedKind::Json, canonical.len() as u64),
            NormalizedContent::Opaque { len, .. } => (NormalizedKind::Opaque, *len),
        };
        Known {
            kind,
            sha256: normalized.sha256.clone(),
            size,
            layout_sha256: normalized.layout_sha256.clone(),
            notes: normalized.notes.clone(),
        }
    }
}

/// Gives each record its file stem in the view, from its name: workflows and playbooks apart,
/// since each kind has its own folder.
fn assign_record_stems(records: &mut [WorkflowRecord]) {
    for kind in [Kind::Workflow, Kind::Playbook] {
        let names: Vec<(&str, &str)> = records
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.name.as_str(), r.id.as_str()))
            .collect();
        let stems = assign_stems(&names);
        for (record, stem) in records.iter_mut().filter(|r| r.kind == kind).zip(stems) {
            record.stem = stem;
        }
    }
}

/// The normalized forms of the latest snapshot, by kind and raw export hash, when it was taken
/// with the profile `profile_hash` and its objects are in the packs. Anything unreadable gives
/// nothing: the workflows are then normalized afresh.
fn reusable(
    store: &Store,
    latest: &std::path::Path,
    profile_hash: &str,
    known: &Loaded,
) -> HashMap<(Kind, String), Known> {
    let Ok(snapshot) = store.open_snapshot_path(latest) else {
        return HashMap::new();
    };
    let manifest = snapshot.manifest();
    if manifest.profile_hash != profile_hash {
        return HashMap::new();
    }
    manifest
        .workflows
        .iter()
        .filter(|record| {
            record.normalized_kind == NormalizedKind::Opaque
                || parse_hash(&record.normalized_sha256).is_some_and(|hash| known.contains(&hash))
        })
        .map(|record| {
            (
                (record.kind, record.export_sha256.clone()),
                Known {
                    kind: record.normalized_kind,
                    sha256: record.normalized_sha256.clone(),
                    size: record.normalized_size,
                    layout_sha256: record.layout_sha256.clone(),
                    notes: record.notes.clone(),
                },
            )
        })
        .collect()
}

/// Decodes a single-workflow export (or a playbook document, for `kind` playbook) and normalizes
/// it under `profile`; it is named `name` (the list's name, which the differ matches by),
/// whatever the export holds.
pub(crate) fn normalize_single(
    profile: &Profile,
    raw: &[u8],
    kind: Kind,
    name: &str,
    id: &str,
    source: &str,
) -> Result<Normalized> {
    let not_single = |count| StoreError::NotSingleWorkflow {
        name: name.to_owned(),
        id: id.to_owned(),
        count,
    };
    let mut documents =
        soc_normalize::decode_export(source, raw, profile).map_err(|e| StoreError::Normalize {
            name: name.to_owned(),
            id: id.to_owned(),
            source: Box::new(e),
        })?;
    if documents.len() != 1 {
        return Err(not_single(documents.len()));
    }
    let Some(mut document) = documents.pop() else {
        return Err(not_single(0));
    };
    let found = Kind::of(&document);
    if found != kind {
        return Err(StoreError::WrongKind {
            name: name.to_owned(),
            id: id.to_owned(),
            expected: kind,
            found,
        });
    }
    // An opaque export would otherwise be named after its file.
    document.name = name.to_owned();
    Ok(profile.normalize_owned(document))
}

/// Decodes and normalizes one workflow's export (or playbook's document), naming it in messages
/// by environment and the stem it will most likely get (the final stem can gain a suffix at
/// commit).
fn normalize_input(
    profile: &Profile,
    env: &str,
    kind: Kind,
    input: &WorkflowInput,
) -> Result<Normalized> {
    let folder = match kind {
        Kind::Workflow => "",
        Kind::Playbook => "playbooks/",
    };
    let source = format!(
        "{env}/{folder}{}.export.{}",
        crate::name::slug(&input.name),
        ExportFormat::of(&input.raw).extension()
    );
    normalize_single(profile, &input.raw, kind, &input.name, &input.id, &source)
}

/// Whether a new snapshot would hold the same workflows and playbooks, normalized the same way,
/// as `latest` (and know its playbooks as `latest` does).
fn same_content(
    latest: &Manifest,
    profile_hash: &str,
    playbooks_captured: bool,
    records: &[WorkflowRecord],
) -> bool {
    let key = |r: &WorkflowRecord| {
        (
            r.kind,
            r.name.clone(),
            r.normalized_sha256.clone(),
            r.layout_sha256.clone(),
        )
    };
    let mut old: Vec<_> = latest.workflows.iter().map(key).collect();
    let mut new: Vec<_> = records.iter().map(key).collect();
    old.sort();
    new.sort();
    latest.profile_hash == profile_hash
        && latest.playbooks_captured == playbooks_captured
        && old == new
}

/// The hash in a snapshot id: of the workflows and the profile, not of the time.
pub(crate) fn content_hash(manifest: &Manifest) -> Result<String> {
    let workflows =
        serde_json::to_value(&manifest.workflows).map_err(|source| StoreError::Serialize {
            what: "the workflow records".to_owned(),
            source,
        })?;
    Ok(crate::manifest::content_hash(
        &manifest.profile_hash,
        &workflows,
    ))
}
