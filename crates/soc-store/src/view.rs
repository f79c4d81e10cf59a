//! The readable view: per environment, the latest snapshot's normalized workflows and playbooks at
//! stable paths, `view/<env>/workflows/<stem>.json` and `view/<env>/playbooks/<stem>.json`, so
//! that committing the store after each snapshot makes `git diff` and `git log -p` show exactly
//! the changed workflows' and playbooks' normalized lines.
//!
//! The view is derived from the latest snapshot and rewritten by every writer of the environment.
//! Only files whose content changes are written (each to a temporary name, then renamed over the
//! old one); a file whose record no longer exists is removed. `.view-state.json` in the
//! environment's manifest folder (not committed) remembers each file's hash, size and modification
//! time, so an unchanged file is recognized without reading it; a file changed by someone else (a
//! checkout, an editor) has another modification time and is read again. It also says whether an
//! update is under way, so `verify` can tell a view a crash left half written (the next writer
//! finishes it) from one edited by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use soc_normalize::Kind;

use crate::error::Result;
use crate::fsutil::{
    create_private_dir_all, create_private_file, dir_entries, sha256_file, sha256_hex,
};
use crate::manifest::{NormalizedKind, WorkflowRecord};
use crate::snapshot::Snapshot;
use crate::store::{Store, TEMP_PREFIX};

/// The folder of workflows inside an environment's view.
pub const WORKFLOWS_DIR: &str = "workflows";

/// The folder of playbooks inside an environment's view.
pub const PLAYBOOKS_DIR: &str = "playbooks";

/// The folder of the view that holds records of `kind`.
pub fn kind_dir(kind: Kind) -> &'static str {
    match kind {
        Kind::Workflow => WORKFLOWS_DIR,
        Kind::Playbook => PLAYBOOKS_DIR,
    }
}

/// The view's bookkeeping file, in the environment's manifest folder.
pub(crate) const STATE_FILE: &str = ".view-state.json";

/// What the view of an environment holds, as its last writer left it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct ViewState {
    /// The snapshot it shows (or is being updated to).
    #[serde(default)]
    pub(crate) snapshot: String,
    /// Whether a writer started updating it and has not finished.
    #[serde(default)]
    pub(crate) updating: bool,
    /// Per file (`workflows/<stem>.json`, `playbooks/<stem>.json`): what it held when written or
    /// last checked.
    #[serde(default)]
    pub(crate) files: BTreeMap<String, FileState>,
}

/// A view file as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileState {
    sha256: String,
    size: u64,
    modified_ns: u128,
}

impl ViewState {
    pub(crate) fn read(env_dir: &Path) -> ViewState {
        fs_err::read(env_dir.join(STATE_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces the state file (temporary file, then rename: never half written).
    fn write(&self, env_dir: &Path) -> Result<()> {
        let bytes = serde_json::to_vec(self).map_err(|source| crate::StoreError::Serialize {
            what: "the view state".to_owned(),
            source,
        })?;
        replace_file(&env_dir.join(STATE_FILE), &bytes)
    }
}

/// The path of a record's file in its environment's view: `workflows/<stem>.json` or
/// `playbooks/<stem>.json`.
pub(crate) fn file_name(record: &WorkflowRecord) -> String {
    view_path(record.kind, &record.stem)
}

fn view_path(kind: Kind, stem: &str) -> String {
    format!("{}/{stem}.json", kind_dir(kind))
}

/// The bytes the view holds for a workflow: its canonical normalized JSON, or for content that is
/// not JSON (compared by hash only) a small canonical JSON naming its hash and size.
pub(crate) fn content(snapshot: &Snapshot, record: &WorkflowRecord) -> Result<Vec<u8>> {
    match record.normalized_kind {
        // Checked against its hash, which the manifest took of the normalizer's output.
        NormalizedKind::Json => Ok(snapshot.normalized_bytes(record)?.0),
        NormalizedKind::Opaque => Ok(opaque_text(record).into_bytes()),
    }
}

/// The hash of what the view holds for a workflow, known from the manifest alone.
pub(crate) fn expected_sha256(record: &WorkflowRecord) -> String {
    match record.normalized_kind {
        NormalizedKind::Json => record.normalized_sha256.clone(),
        NormalizedKind::Opaque => sha256_hex(opaque_text(record).as_bytes()),
    }
}

fn opaque_text(record: &WorkflowRecord) -> String {
    soc_normalize::canonical_json(&serde_json::json!({
        "name": record.name,
        "normalized_kind": "opaque",
        "sha256": record.normalized_sha256,
        "size": record.normalized_size,
        "notes": record.notes,
    }))
}

fn stat(path: &Path) -> Option<(u64, u128)> {
    let metadata = fs_err::metadata(path).ok()?;
    let modified = metadata
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((metadata.len(), modified))
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename.
fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!("{TEMP_PREFIX}{}-{name}", std::process::id()));
    let _ = fs_err::remove_file(&temp);
    let written = create_private_file(&temp)
        .and_then(|mut file| Ok(file.write_all(bytes)?))
        .and_then(|()| Ok(fs_err::rename(&temp, path)?));
    if written.is_err() {
        let _ = fs_err::remove_file(&temp);
    }
    written
}

/// Marks the view of the environment as being updated to `snapshot`, before the snapshot is
/// published: a crash between publishing and the end of the view update then leaves a view
/// `verify` knows to be unfinished rather than edited.
pub(crate) fn mark_updating(env_dir: &Path, snapshot: &str) -> Result<()> {
    let mut state = ViewState::read(env_dir);
    state.snapshot = snapshot.to_owned();
    state.updating = true;
    state.write(env_dir)
}

/// Workflows a writer normalized, set aside for the view as `<normalized sha256>.json` in a
/// temporary folder of the environment's view (so publishing them is a rename, not a read of the
/// object back), and the view files as the writer found them.
#[derive(Debug)]
pub(crate) struct Staged {
    dir: PathBuf,
    /// The view's files when the writer began: path in the view -> sha256.
    current: BTreeMap<String, String>,
}

impl Staged {
    /// A staging folder in the view of the environment whose manifests are in `env_dir`.
    pub(crate) fn new(view_dir: &Path, env_dir: &Path) -> Staged {
        let dir = view_dir.join(format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let current = ViewState::read(env_dir)
            .files
            .into_iter()
            .map(|(stem, file)| (stem, file.sha256))
            .collect();
        Staged { dir, current }
    }

    /// Sets a freshly normalized workflow (or playbook) aside, unless the view shows it already
    /// (its stem is most likely the slug of its name).
    pub(crate) fn stage(
        &self,
        kind: Kind,
        name: &str,
        sha256: &str,
        canonical: &str,
    ) -> Result<()> {
        use std::io::Write;
        let path = view_path(kind, &crate::name::slug(name));
        if self.current.get(&path).is_some_and(|seen| seen == sha256) {
            return Ok(());
        }
        create_private_dir_all(&self.dir)?;
        match create_private_file(&self.dir.join(format!("{sha256}.json"))) {
            Ok(mut file) => Ok(file.write_all(canonical.as_bytes())?),
            // Another workflow with the same content set it aside already.
            Err(crate::StoreError::Io(err)) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    /// The staged file of a workflow's content, when there is one.
    fn take(&self, sha256: &str) -> Option<PathBuf> {
        let path = self.dir.join(format!("{sha256}.json"));
        path.is_file().then_some(path)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // What is left was not needed; a failure leaves a `.tmp-*` folder the next writer removes.
        let _ = fs_err::remove_dir_all(&self.dir);
    }
}

impl Store {
    /// Brings the view of `env` up to date with `snapshot` (its latest). Called with the
    /// environment's lock held.
    pub(crate) fn refresh_view(&self, env: &str, snapshot: &Snapshot) -> Result<()> {
        self.refresh_view_with(env, snapshot, None)
    }

    /// [`refresh_view`](Self::refresh_view), moving workflows a writer set aside into place
    /// instead of reading them back from the packs.
    pub(crate) fn refresh_view_with(
        &self,
        env: &str,
        snapshot: &Snapshot,
        staged: Option<&Staged>,
    ) -> Result<()> {
        let env_dir = self.environment_dir(env)?;
        let view = self.view_dir(env)?;
        let records = &snapshot.manifest().workflows;
        create_private_dir_all(&view.join(WORKFLOWS_DIR))?;
        if records.iter().any(|r| r.kind == Kind::Playbook) {
            create_private_dir_all(&view.join(PLAYBOOKS_DIR))?;
        }
        mark_updating(&env_dir, snapshot.id().as_str())?;
        let mut state = ViewState::read(&env_dir);

        let mut files = BTreeMap::new();
        for record in records {
            let name = file_name(record);
            let path = view.join(&name);
            let wanted = expected_sha256(record);
            let current = stat(&path);
            let unchanged = match (state.files.get(&name), current) {
                (Some(seen), Some((size, modified))) if seen.sha256 == wanted => {
                    (seen.size, seen.modified_ns) == (size, modified)
                        || sha256_file(&path).is_ok_and(|(sha, _)| sha == wanted)
                }
                (_, Some(_)) => sha256_file(&path).is_ok_and(|(sha, _)| sha == wanted),
                (_, None) => false,
            };
            if !unchanged {
                let moved = staged
                    .and_then(|staged| staged.take(&wanted))
                    .is_some_and(|file| fs_err::rename(file, &path).is_ok());
                if !moved {
                    replace_file(&path, &content(snapshot, record)?)?;
                }
            }
            let (size, modified_ns) = stat(&path).unwrap_or_default();
            files.insert(
                name,
                FileState {
                    sha256: wanted,
                    size,
                    modified_ns,
                },
            );
        }
        for kind in [Kind::Workflow, Kind::Playbook] {
            let dir = view.join(kind_dir(kind));
            for entry in dir_entries(&dir)? {
                let name = entry.file_name().to_string_lossy().into_owned();
                let stray = name.starts_with(TEMP_PREFIX)
                    || (name.ends_with(".json")
                        && !files.contains_key(&format!("{}/{name}", kind_dir(kind))));
                if stray && entry.file_type()?.is_file() {
                    fs_err::remove_file(entry.path())?;
                }
            }
        }
        state.files = files;
        state.updating = false;
        state.write(&env_dir)
    }

    /// Rewrites the view of every environment (or of `env`) from its latest snapshot: after git
    /// merged snapshots taken elsewhere, or to repair a view someone edited. Takes each
    /// environment's lock in turn. Returns the environments whose view it wrote.
    pub fn refresh_views(&self, env: Option<&str>) -> Result<Vec<String>> {
        let envs = match env {
            Some(env) => vec![env.to_owned()],
            None => self.environments()?,
        };
        let mut done = Vec::new();
        for env in envs {
            let Some(latest) = self.list(&env)?.pop() else {
                continue;
            };
            let _lock = self.lock(&env, self.default_lock_timeout())?;
            let snapshot = self.open_snapshot(&latest)?;
            self.refresh_view(&env, &snapshot)?;
            done.push(env);
        }
        Ok(done)
    }
}

/// How a view differs from the snapshot it should show: files missing, differing, or extra.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ViewDiff {
    pub(crate) missing: Vec<PathBuf>,
    pub(crate) differing: Vec<PathBuf>,
    pub(crate) extra: Vec<PathBuf>,
}

impl ViewDiff {
    pub(crate) fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.differing.is_empty() && self.extra.is_empty()
    }
}

/// Reads every file of a view and compares it with what `records` (the latest snapshot's) say.
pub(crate) fn compare(view_dir: &Path, records: &[WorkflowRecord]) -> ViewDiff {
    let mut diff = ViewDiff::default();
    let mut wanted = BTreeSet::new();
    for record in records {
        let name = file_name(record);
        let path = view_dir.join(&name);
        match sha256_file(&path) {
            Ok((sha, _)) if sha == expected_sha256(record) => {}
            Ok(_) => diff.differing.push(path),
            Err(_) => diff.missing.push(path),
        }
        wanted.insert(name);
    }
    let mut extra = Vec::new();
    for kind in [Kind::Workflow, Kind::Playbook] {
        let folder = kind_dir(kind);
        if let Ok(entries) = fs_err::read_dir(view_dir.join(folder)) {
            extra.extend(
                entries
                    .filter_map(|entry| entry.ok())
                    .filter(|entry| {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        !wanted.contains(&format!("{folder}/{name}"))
                    })
                    .map(|entry| entry.path()),
            );
        }
    }
    extra.sort();
    diff.extra = extra;
    diff
}
