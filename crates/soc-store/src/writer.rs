//! Building a snapshot: files go to a temporary folder in the environment, then one rename
//! publishes the whole snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{SubsecRound, Utc};
use soc_normalize::{Kind, Normalized, NormalizedContent, Profile};

use crate::error::{Result, StoreError};
use crate::fsutil::{
    create_private_dir, sha256_hex, sync_dir, sync_files, write_new_file, write_new_file_synced,
};
use crate::id::SnapshotId;
use crate::lock::EnvLock;
use crate::manifest::{
    ExportFormat, FORMAT, FORMAT_VERSION, MANIFEST_FILE, Manifest, NormalizedKind, SourceInfo,
    WorkflowRecord,
};
use crate::name::assign_stems;
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

/// A workflow already written to the temporary folder, under provisional file names (the final
/// stems depend on all names of the snapshot, see [`assign_stems`]).
#[derive(Debug)]
struct Pending {
    provisional: String,
    record: WorkflowRecord,
    /// The raw export in the writer's private temporary folder, unless the raw area already holds
    /// it intact.
    raw_temp: Option<PathBuf>,
}

/// A temporary folder that removes itself unless published.
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.keep {
            // A failure leaves a `.tmp-*` folder that the next writer removes.
            let _ = fs_err::remove_dir_all(&self.path);
        }
    }
}

/// Writes one snapshot of an environment; holds the environment's lock until committed or dropped.
///
/// Dropping a writer without committing removes everything it wrote. A crash leaves only a
/// temporary folder that readers never see and the next writer removes.
#[derive(Debug)]
pub struct SnapshotWriter {
    env: String,
    env_dir: PathBuf,
    profile: Profile,
    profile_hash: String,
    source: SourceInfo,
    temp: TempDir,
    /// The environment's private raw folder, and the writer's temporary folder inside it.
    raw_dir: PathBuf,
    raw_temp: TempDir,
    pending: Vec<Pending>,
    attempts: usize,
    seen: BTreeSet<(Kind, String, String)>,
    playbooks_captured: bool,
    // Declared last: fields drop in order, so the temporary folder is gone before the lock is
    // released.
    _lock: EnvLock,
}

impl SnapshotWriter {
    pub(crate) fn new(
        env: &str,
        env_dir: PathBuf,
        raw_dir: PathBuf,
        lock: EnvLock,
        source: SourceInfo,
        profile: &Profile,
    ) -> Result<Self> {
        let name = format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        let path = env_dir.join(&name);
        create_private_dir(&path)?;
        let temp = TempDir { path, keep: false };
        let raw_temp_path = raw_dir.join(&name);
        create_private_dir(&raw_temp_path)?;
        let raw_temp = TempDir {
            path: raw_temp_path,
            keep: false,
        };
        Ok(SnapshotWriter {
            env: env.to_owned(),
            env_dir,
            profile: profile.clone(),
            profile_hash: profile.hash(),
            source: source.sanitized(),
            temp,
            raw_dir,
            raw_temp,
            pending: Vec::new(),
            attempts: 0,
            seen: BTreeSet::new(),
            playbooks_captured: false,
            _lock: lock,
        })
    }

    /// The environment this writer writes to.
    pub fn environment(&self) -> &str {
        &self.env
    }

    /// How many workflows were added so far.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no workflow was added yet.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Decodes and normalizes one workflow's export and writes its files (info and normalized
    /// form, both redacted, to the snapshot's temporary folder; the raw export to the private raw
    /// area's); [`commit`](Self::commit) forces them to disk.
    ///
    /// Fails, writing nothing for this workflow, if the export is malformed or does not hold
    /// exactly one workflow, or if the same name and id were added before. Earlier workflows stay.
    pub fn add(&mut self, input: WorkflowInput) -> Result<()> {
        let normalized = normalize_input(&self.profile, &self.env, Kind::Workflow, &input);
        self.add_normalized(Kind::Workflow, input, normalized)
    }

    /// [`add`](Self::add) for many workflows, normalizing them on every core first; files are
    /// written in the order given. Stops at the first workflow that fails, as a loop over `add`
    /// would: the ones before it stay added, the ones after it are not.
    pub fn add_all(&mut self, inputs: Vec<WorkflowInput>) -> Result<()> {
        self.add_all_of(Kind::Workflow, inputs)
    }

    /// Adds the environment's playbooks, each a playbook document (see
    /// `soc_model::playbook`) given like a workflow export (`raw` the document, `info` the
    /// listed `PlaybookInfo`), and records that the snapshot holds its playbooks, even when there
    /// are none. Stored through the same path as workflows, as records of kind `playbook`.
    pub fn add_playbooks(&mut self, inputs: Vec<WorkflowInput>) -> Result<()> {
        self.playbooks_captured = true;
        self.add_all_of(Kind::Playbook, inputs)
    }

    fn add_all_of(&mut self, kind: Kind, inputs: Vec<WorkflowInput>) -> Result<()> {
        use rayon::prelude::*;
        let normalized: Vec<Result<Normalized>> = inputs
            .par_iter()
            .map(|input| normalize_input(&self.profile, &self.env, kind, input))
            .collect();
        for (input, normalized) in inputs.into_iter().zip(normalized) {
            self.add_normalized(kind, input, normalized)?;
        }
        Ok(())
    }

    fn add_normalized(
        &mut self,
        kind: Kind,
        input: WorkflowInput,
        normalized: Result<Normalized>,
    ) -> Result<()> {
        let key = (kind, input.name.clone(), input.id.clone());
        if self.seen.contains(&key) {
            return Err(StoreError::DuplicateWorkflow {
                name: input.name,
                id: input.id,
            });
        }
        let format = ExportFormat::of(&input.raw);
        // Never reused, even after a failed add, so a new file never meets an old one.
        let provisional = format!("w{:06}", self.attempts);
        self.attempts += 1;
        let normalized = normalized?;

        // The info is committed with the snapshot: it gets the same redaction as the content.
        let mut info = input.info;
        self.profile.redact(&mut info);
        let info_text = soc_normalize::canonical_json(&info);
        let (normalized_kind, normalized_text, normalized_size) = match &normalized.content {
            NormalizedContent::Json { canonical, .. } => (
                NormalizedKind::Json,
                Some(canonical.as_str()),
                canonical.len() as u64,
            ),
            NormalizedContent::Opaque { len, .. } => (NormalizedKind::Opaque, None, *len),
        };
        let info_file = format!("{provisional}.info.json");
        let mut files = vec![(info_file.as_str(), info_text.as_bytes())];
        let normalized_file = normalized_text.map(|_| format!("{provisional}.normalized.json"));
        if let (Some(file), Some(text)) = (&normalized_file, normalized_text) {
            files.push((file.as_str(), text.as_bytes()));
        }
        let export_sha256 = sha256_hex(&input.raw);
        let raw_name = format!("{export_sha256}.{}", format.extension());
        let raw_temp = if raw_export_intact(&self.raw_dir.join(&raw_name), &export_sha256) {
            None
        } else {
            Some(
                self.raw_temp
                    .path
                    .join(format!("{provisional}.{}", format.extension())),
            )
        };
        for (done, (file, bytes)) in files.iter().enumerate() {
            if let Err(err) = write_new_file(&self.temp.path.join(file), bytes) {
                // Best effort: `commit` removes anything no record lists anyway.
                for (written, _) in files.iter().take(done + 1) {
                    let _ = fs_err::remove_file(self.temp.path.join(written));
                }
                return Err(err);
            }
        }
        if let Some(path) = &raw_temp {
            // A raw export left by a failed write is never published: only pending records are.
            write_new_file(path, &input.raw)?;
        }
        let record = WorkflowRecord {
            kind,
            id: input.id,
            name: input.name,
            stem: provisional.clone(),
            content_type: input.content_type,
            file_name: input.file_name,
            export_format: format,
            export_file: None,
            export_size: input.raw.len() as u64,
            export_sha256,
            info_file,
            info_sha256: sha256_hex(info_text.as_bytes()),
            normalized_kind,
            normalized_file,
            normalized_sha256: normalized.sha256,
            normalized_size,
            layout_sha256: normalized.layout_sha256,
            notes: normalized.notes,
        };
        self.seen.insert(key);
        self.pending.push(Pending {
            provisional,
            record,
            raw_temp,
        });
        Ok(())
    }

    /// Publishes the snapshot: final file names, every file forced to disk, `manifest.json`
    /// written and synced, the folder synced, then one rename of the folder into place (and the
    /// environment folder synced).
    ///
    /// With `skip_if_unchanged`, nothing is written when the latest snapshot of the environment has
    /// the same profile hash and the same workflows with the same normalized and layout hashes;
    /// the latest snapshot is returned as [`CommitOutcome::Unchanged`].
    pub fn commit(mut self, skip_if_unchanged: bool) -> Result<CommitOutcome> {
        let latest = Store::list_env_dir(&self.env_dir)?.pop();
        if skip_if_unchanged {
            // A latest snapshot that cannot be opened is never "the same": write a new one.
            let latest_snapshot = latest
                .as_ref()
                .and_then(|summary| Snapshot::open(&summary.path).ok());
            if let Some(latest) = latest_snapshot {
                let pending: Vec<&WorkflowRecord> =
                    self.pending.iter().map(|p| &p.record).collect();
                if same_content(
                    latest.manifest(),
                    &self.profile_hash,
                    self.playbooks_captured,
                    &pending,
                ) {
                    return Ok(CommitOutcome::Unchanged(latest));
                }
            }
        }

        // Raw exports first: each reaches the disk under its final, content-addressed name before
        // any snapshot that lists it exists. One already there stays (its bytes are the same).
        let raw_files: Vec<(PathBuf, PathBuf)> = self
            .pending
            .iter()
            .filter_map(|p| {
                let temp = p.raw_temp.clone()?;
                Some((temp, self.raw_dir.join(p.record.raw_export_name())))
            })
            .collect();
        let temps: Vec<PathBuf> = raw_files.iter().map(|(temp, _)| temp.clone()).collect();
        sync_files(&temps)?;
        for (temp, published) in &raw_files {
            fs_err::rename(temp, published)?;
        }
        sync_dir(&self.raw_dir)?;

        // Playbook files are named `playbook-<slug>`, so a playbook and a workflow of the same
        // name keep readable, distinct names.
        let names: Vec<(String, &str)> = self
            .pending
            .iter()
            .map(|p| {
                (
                    stem_name(p.record.kind, &p.record.name),
                    p.record.id.as_str(),
                )
            })
            .collect();
        let names: Vec<(&str, &str)> = names.iter().map(|(n, i)| (n.as_str(), *i)).collect();
        let stems = assign_stems(&names);
        let mut records = Vec::with_capacity(self.pending.len());
        for (pending, stem) in std::mem::take(&mut self.pending).into_iter().zip(stems) {
            records.push(rename_to_stem(&self.temp.path, pending, stem)?);
        }
        records.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));

        // Files of a failed `add` that could not be removed then must not become extra files.
        let listed: BTreeSet<&str> = records
            .iter()
            .flat_map(|record| record.files())
            .map(|file| file.name)
            .collect();
        for entry in fs_err::read_dir(&self.temp.path)? {
            let entry = entry?;
            if !entry
                .file_name()
                .to_str()
                .is_some_and(|name| listed.contains(name))
            {
                fs_err::remove_file(entry.path())?;
            }
        }

        // Every file reaches the disk before the manifest that vouches for it.
        let files: Vec<PathBuf> = listed
            .iter()
            .map(|name| self.temp.path.join(name))
            .collect();
        sync_files(&files)?;

        let now = Utc::now().trunc_subsecs(0);
        let time = match latest.as_ref().and_then(|summary| summary.id.time()) {
            // Ids must sort in commit order even when the clock steps back or two snapshots fall in
            // the same second.
            Some(previous) if previous >= now => previous + chrono::Duration::seconds(1),
            _ => now,
        };
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            tool: format!("socdrift {}", env!("CARGO_PKG_VERSION")),
            created_at: now,
            environment: self.env.clone(),
            source: self.source.clone(),
            profile_hash: self.profile_hash.clone(),
            playbooks_captured: self.playbooks_captured,
            workflows: records,
        };
        let text = manifest.to_canonical_json()?;
        write_new_file_synced(&self.temp.path.join(MANIFEST_FILE), text.as_bytes())?;
        sync_dir(&self.temp.path)?;

        let id = SnapshotId::new(time, &content_hash(&manifest)?);
        let final_path = self.env_dir.join(id.as_str());
        fs_err::rename(&self.temp.path, &final_path)?;
        self.temp.keep = true;
        sync_dir(&self.env_dir)?;
        Ok(CommitOutcome::Written(Snapshot::from_parts(
            id, final_path, manifest,
        )))
    }
}

/// The name a record's file stem is made from: the name, `playbook <name>` for a playbook.
fn stem_name(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Workflow => name.to_owned(),
        Kind::Playbook => format!("playbook {name}"),
    }
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
    let mut normalized = profile.normalize(&document);
    normalized.name = name.to_owned();
    Ok(normalized)
}

/// Decodes and normalizes one workflow's export, naming it in messages by the file it will most
/// likely be stored as (the final stem can gain a suffix at commit).
fn normalize_input(
    profile: &Profile,
    env: &str,
    kind: Kind,
    input: &WorkflowInput,
) -> Result<Normalized> {
    let source = format!(
        "{env}/{}.export.{}",
        crate::name::slug(&stem_name(kind, &input.name)),
        ExportFormat::of(&input.raw).extension()
    );
    normalize_single(profile, &input.raw, kind, &input.name, &input.id, &source)
}

/// Renames a pending workflow's provisional files to its final stem.
fn rename_to_stem(dir: &Path, pending: Pending, stem: String) -> Result<WorkflowRecord> {
    let mut record = pending.record;
    let rename = |file: &str| -> Result<String> {
        let renamed = format!(
            "{stem}{}",
            file.strip_prefix(&pending.provisional).unwrap_or(file)
        );
        fs_err::rename(dir.join(file), dir.join(&renamed))?;
        Ok(renamed)
    };
    record.info_file = rename(&record.info_file)?;
    record.normalized_file = match &record.normalized_file {
        Some(file) => Some(rename(file)?),
        None => None,
    };
    record.stem = stem;
    Ok(record)
}

/// Whether the raw area already holds this raw export intact (then it is not written again: a
/// rewrite could only leave a torn file behind if the machine crashed).
fn raw_export_intact(path: &Path, sha256: &str) -> bool {
    crate::fsutil::sha256_file(path).is_ok_and(|(actual, _)| actual == sha256)
}

/// Whether a new snapshot would hold the same workflows and playbooks, normalized the same way,
/// as `latest` (and know its playbooks as `latest` does).
fn same_content(
    latest: &Manifest,
    profile_hash: &str,
    playbooks_captured: bool,
    records: &[&WorkflowRecord],
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
    let mut new: Vec<_> = records.iter().map(|r| key(r)).collect();
    old.sort();
    new.sort();
    latest.profile_hash == profile_hash
        && latest.playbooks_captured == playbooks_captured
        && old == new
}

/// The hash in a snapshot id: of the workflows and the profile, not of the time.
fn content_hash(manifest: &Manifest) -> Result<String> {
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
