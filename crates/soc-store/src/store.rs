//! The store root: its layout, environments, their snapshots, selection and locks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use soc_normalize::Profile;

use crate::error::{Result, StoreError};
use crate::fsutil::{
    create_private_dir_all, dir_entries, is_temporary_name, write_new_file_synced,
};
use crate::id::{Selector, SnapshotId};
use crate::lock::{EnvLock, LockMode, LockObserver, LockWait, STORE_LOCK_FILE};
use crate::manifest::{MANIFEST_EXTENSION, SourceInfo};
use crate::name::validate_environment;
use crate::pack::Objects;
use crate::snapshot::{Snapshot, SnapshotSummary};
use crate::writer::SnapshotWriter;

/// The versioned folder under the store root that holds what may be committed: manifests, packs
/// of redacted objects and the readable view. A future incompatible layout gets a new folder
/// (`store-v3`) next to it.
pub const LAYOUT_DIR: &str = "store-v2";

/// The store's private area, beside [`LAYOUT_DIR`]: packs of raw exports, byte for byte. Raw
/// exports can hold secrets, so this folder is owner-only (`0700`, files `0600`) and ignores
/// itself in git (its own `.gitignore` says `*`); nothing in [`LAYOUT_DIR`] depends on it except
/// normalizing old snapshots under changed rules.
pub const RAW_DIR: &str = "raw-v2";

/// The layout socdrift wrote before store-v2: one folder per snapshot. Read until
/// `socdrift migrate` moves it into [`LAYOUT_DIR`].
pub const LEGACY_LAYOUT_DIR: &str = "store-v1";

/// The private raw area of [`LEGACY_LAYOUT_DIR`]: `<env>/<export sha256>.<json|zip|bin>`.
pub const LEGACY_RAW_DIR: &str = "raw-v1";

/// In [`LAYOUT_DIR`]: `snapshots/<env>/<id>.json.zst`, one manifest per snapshot.
pub const SNAPSHOTS_DIR: &str = "snapshots";

/// In [`LAYOUT_DIR`] and [`RAW_DIR`]: the packs of objects.
pub const PACKS_DIR: &str = "packs";

/// In [`LAYOUT_DIR`]: `view/<env>/workflows/<stem>.json`, the latest snapshot's normalized
/// workflows at stable paths, for `git diff` and `git log -p`.
pub const VIEW_DIR: &str = "view";

/// Prefix of temporary files and folders (snapshots being written, snapshots being pruned).
/// Never read; removed by the next writer of the environment.
pub const TEMP_PREFIX: &str = ".tmp-";

/// How long [`Store::prune`], [`Store::import_folder`] and [`Store::migrate`] wait for another
/// writer by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Git must not track lock files, unfinished files or the view's bookkeeping.
const GITIGNORE: &str = "# Written by socdrift: locks, unfinished files and the view's bookkeeping are not content.\n\
.lock\n.store.lock\n.tmp-*\n.view-state.json\n";

/// Packs and manifests are compressed: git is told they are binary, so `git diff` names them in one
/// line each and shows the view's normalized workflows as text. The view keeps `\n` line ends on
/// every platform, so its files keep their hashes in any checkout.
const GITATTRIBUTES: &str = "# Written by socdrift: packs and manifests are compressed, so git shows them as binary;\n\
# read snapshots in view/, one normalized file per workflow and playbook, and tags in tags/,\n\
# always with LF line ends.\n\
packs/** binary\nsnapshots/** binary\nview/** text eol=lf\ntags/** text eol=lf\n";

/// Git must never track raw exports: they can hold secrets.
const RAW_GITIGNORE: &str = "# Written by socdrift: raw exports can hold secrets; never commit, share or publish this folder.\n*\n";

/// A snapshot store rooted at a folder (by default `.socdrift/` beside the configuration).
#[derive(Clone)]
pub struct Store {
    root: PathBuf,
    layout: PathBuf,
    raw: PathBuf,
    legacy: PathBuf,
    legacy_raw: PathBuf,
    objects: Arc<Objects>,
    raw_objects: Arc<Objects>,
    lock_timeout: Duration,
    on_lock_wait: Option<LockObserver>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.root)
            .field("lock_timeout", &self.lock_timeout)
            .field("on_lock_wait", &self.on_lock_wait.is_some())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `root`, creating it (and `store-v2/` in it, with its `.gitignore` and
    /// `.gitattributes`) readable by the owner only. The private `raw-v2/` is created, with its
    /// `.gitignore`, when a writer first needs it. A store-v1 layout beside it stays readable.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref().to_owned();
        if root.exists() && !root.is_dir() {
            return Err(StoreError::NotADirectory { path: root });
        }
        create_private_dir_all(&root)?;
        let layout = root.join(LAYOUT_DIR);
        create_private_dir_all(&layout)?;
        write_once(&layout.join(".gitignore"), GITIGNORE)?;
        write_once(&layout.join(".gitattributes"), GITATTRIBUTES)?;
        // The raw folder is made by the first writer: readers (a clone on a CI runner, perhaps
        // read-only) never need it.
        let raw = root.join(RAW_DIR);
        Ok(Store {
            objects: Arc::new(Objects::new(layout.join(PACKS_DIR))),
            raw_objects: Arc::new(Objects::new(raw.join(PACKS_DIR))),
            legacy: root.join(LEGACY_LAYOUT_DIR),
            legacy_raw: root.join(LEGACY_RAW_DIR),
            root,
            layout,
            raw,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            on_lock_wait: None,
        })
    }

    /// Whether `root` holds a store (either layout), without creating anything.
    pub fn exists_at(root: impl AsRef<Path>) -> bool {
        let root = root.as_ref();
        root.join(LAYOUT_DIR).is_dir() || root.join(LEGACY_LAYOUT_DIR).is_dir()
    }

    /// The root of the store `path` is, or is inside (its `store-v2/`, an environment's folder of
    /// snapshots, ...), when there is one: a folder that directly holds either layout.
    pub fn root_around(path: impl AsRef<Path>) -> Option<PathBuf> {
        let path = std::fs::canonicalize(path).ok()?;
        path.ancestors()
            .find(|candidate| Self::exists_at(candidate))
            .map(Path::to_path_buf)
    }

    /// Whether the store at `root` has a folder of snapshots of `env` (in either layout), without
    /// creating anything; false for a name that is not a valid environment name.
    pub fn holds_environment_at(root: impl AsRef<Path>, env: &str) -> bool {
        let root = root.as_ref();
        validate_environment(env).is_ok()
            && (root.join(LAYOUT_DIR).join(SNAPSHOTS_DIR).join(env).is_dir()
                || root.join(LEGACY_LAYOUT_DIR).join(env).is_dir())
    }

    /// The same store, telling `observer` at once whenever a writer (a snapshot, a prune, an
    /// import, a migration) finds a lock taken and has to wait: whom it waits for, since when, and
    /// for how long at most.
    #[must_use]
    pub fn on_lock_wait(mut self, observer: impl Fn(&LockWait) + Send + Sync + 'static) -> Store {
        self.on_lock_wait = Some(Arc::new(observer));
        self
    }

    /// The same store with another lock timeout for [`prune`](Self::prune),
    /// [`import_folder`](Self::import_folder) and [`migrate`](Self::migrate).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Store {
        self.lock_timeout = timeout;
        self
    }

    /// The root folder, as given to [`open`](Self::open).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of an environment's manifests (which may not exist yet). Rejects names that are
    /// not safe folder names on every platform.
    pub fn environment_dir(&self, env: &str) -> Result<PathBuf> {
        validate_environment(env)?;
        Ok(self.layout.join(SNAPSHOTS_DIR).join(env))
    }

    /// The readable view of an environment's latest snapshot: `<this>/workflows/<stem>.json`.
    pub fn view_dir(&self, env: &str) -> Result<PathBuf> {
        validate_environment(env)?;
        Ok(self.layout.join(VIEW_DIR).join(env))
    }

    /// The environments that have snapshots in the store (in either layout), sorted.
    pub fn environments(&self) -> Result<Vec<String>> {
        let mut envs = BTreeSet::new();
        for dir in [self.layout.join(SNAPSHOTS_DIR), self.legacy.clone()] {
            for entry in dir_entries(&dir)? {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if entry.file_type()?.is_dir() && validate_environment(&name).is_ok() {
                    envs.insert(name);
                }
            }
        }
        Ok(envs.into_iter().collect())
    }

    /// The snapshots of an environment, oldest first. Empty if the environment has none.
    ///
    /// Store-v1 snapshots are listed too until migrated; one whose time a store-v2 snapshot has
    /// (its migrated copy) is left out.
    pub fn list(&self, env: &str) -> Result<Vec<SnapshotSummary>> {
        let mut snapshots = Self::list_env_dir(&self.environment_dir(env)?)?;
        let legacy_dir = self.legacy.join(env);
        if legacy_dir.is_dir() {
            let times: BTreeSet<_> = snapshots.iter().map(|s| s.created).collect();
            snapshots.extend(
                Self::list_legacy_env_dir(&legacy_dir)?
                    .into_iter()
                    .filter(|s| !times.contains(&s.created)),
            );
            snapshots.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(snapshots)
    }

    /// The store-v2 manifests of an environment folder, oldest first. Temporary files and anything
    /// else are skipped: a snapshot becomes visible only by the rename that completes it.
    pub(crate) fn list_env_dir(env_dir: &Path) -> Result<Vec<SnapshotSummary>> {
        list_snapshots(env_dir, false, |name| {
            name.strip_suffix(MANIFEST_EXTENSION)
                .and_then(SnapshotId::parse)
        })
    }

    /// Folders of a store-v1 environment folder whose names are snapshot ids, oldest first.
    pub(crate) fn list_legacy_env_dir(env_dir: &Path) -> Result<Vec<SnapshotSummary>> {
        list_snapshots(env_dir, true, SnapshotId::parse)
    }

    /// Opens a listed snapshot, reading store-v2 content through this store's object indexes.
    pub fn open_snapshot(&self, summary: &SnapshotSummary) -> Result<Snapshot> {
        self.open_snapshot_path(&summary.path)
    }

    pub(crate) fn open_snapshot_path(&self, path: &Path) -> Result<Snapshot> {
        if path.is_dir() {
            return Snapshot::open(path);
        }
        Snapshot::open_packed(path, self.objects(), self.raw_objects())
    }

    /// The snapshot a selector names: `latest`, `~N`, a tag, or an id (or unique id prefix). A
    /// full id a snapshot had in store-v1, before `socdrift migrate` gave it a new hash part,
    /// still names it, and so does a tag that names that id.
    pub fn resolve(&self, env: &str, selector: &Selector) -> Result<Snapshot> {
        let snapshots = self.list(env)?;
        if snapshots.is_empty() {
            return Err(StoreError::NoSnapshots {
                env: env.to_owned(),
                path: self.environment_dir(env)?,
            });
        }
        let not_found = || StoreError::SnapshotNotFound {
            env: env.to_owned(),
            selector: selector.to_string(),
            available: describe_available(&snapshots),
        };
        let chosen = match selector {
            Selector::Tag(name) => {
                let id = self.tagged(env, name, &snapshots)?;
                snapshots.iter().find(|s| s.id == id)
            }
            Selector::Latest => snapshots.last(),
            Selector::Previous(back) => snapshots
                .len()
                .checked_sub(back.saturating_add(1))
                .and_then(|index| snapshots.get(index)),
            Selector::Id(text) => {
                if let Some(exact) = snapshots.iter().find(|s| s.id.as_str() == text) {
                    Some(exact)
                } else if let Some(migrated) = self.migrated_as(&snapshots, text) {
                    return Ok(migrated);
                } else {
                    let matches: Vec<_> = snapshots
                        .iter()
                        .filter(|s| s.id.as_str().starts_with(text.as_str()))
                        .collect();
                    if matches.len() > 1 {
                        return Err(StoreError::AmbiguousId {
                            env: env.to_owned(),
                            prefix: text.clone(),
                            matches: matches
                                .iter()
                                .map(|s| s.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        });
                    }
                    matches.into_iter().next()
                }
            }
        };
        let summary = chosen.ok_or_else(not_found)?;
        self.open_snapshot(summary)
    }

    /// The snapshot migrated from the store-v1 snapshot `old_id`: the one with its time whose
    /// manifest says so.
    pub(crate) fn migrated_as(
        &self,
        snapshots: &[SnapshotSummary],
        old_id: &str,
    ) -> Option<Snapshot> {
        let time = SnapshotId::parse(old_id)?.time()?;
        snapshots
            .iter()
            .filter(|s| s.created == Some(time) && !s.path.is_dir())
            .filter_map(|s| self.open_snapshot(s).ok())
            .find(|snapshot| {
                snapshot
                    .manifest()
                    .migrated_from
                    .as_ref()
                    .is_some_and(|from| from.id == old_id)
            })
    }

    /// Starts a snapshot of `env`: takes the environment's lock (waiting up to `lock_timeout` for
    /// another writer) and a share of the store-wide lock, removes what crashed writers left
    /// behind, and opens temporary packs.
    pub fn begin(
        &self,
        env: &str,
        source: SourceInfo,
        profile: &Profile,
        lock_timeout: Duration,
    ) -> Result<SnapshotWriter> {
        let locks = self.lock_for_writing(env, lock_timeout)?;
        SnapshotWriter::new(self, env, locks, source, profile)
    }

    /// Takes the environment's lock, then a share of the store-wide lock (in that order, always),
    /// creating the folders a writer needs, and cleans leftovers of crashed writers.
    pub(crate) fn lock_for_writing(
        &self,
        env: &str,
        timeout: Duration,
    ) -> Result<(EnvLock, EnvLock)> {
        let lock = self.lock(env, timeout)?;
        let store_lock = self.store_lock(env, LockMode::Shared, timeout)?;
        Ok((lock, store_lock))
    }

    /// Takes the environment's lock, creating its folders and the private raw area, and removes
    /// the temporary files of the environment's crashed writers.
    pub(crate) fn lock(&self, env: &str, timeout: Duration) -> Result<EnvLock> {
        let env_dir = self.environment_dir(env)?;
        create_private_dir_all(&env_dir)?;
        create_private_dir_all(&self.raw)?;
        write_once(&self.raw.join(".gitignore"), RAW_GITIGNORE)?;
        let lock = EnvLock::acquire(env, &env_dir, timeout, self.on_lock_wait.as_ref())?;
        // Holding the lock, every temporary file of this environment belongs to a writer that is
        // gone.
        remove_temporary(&env_dir, TEMP_PREFIX)?;
        let pack_prefix = format!("{TEMP_PREFIX}{env}.");
        remove_temporary(&self.packs_dir(), &pack_prefix)?;
        remove_temporary(&self.raw_packs_dir(), &pack_prefix)?;
        let view = self.view_dir(env)?;
        for dir in [
            view.join(crate::view::WORKFLOWS_DIR),
            view.join(crate::view::PLAYBOOKS_DIR),
            view,
            self.tags_dir(env)?,
        ] {
            remove_temporary(&dir, TEMP_PREFIX)?;
        }
        Ok(lock)
    }

    /// Takes the store-wide lock in `mode` on behalf of `env` (named in messages).
    pub(crate) fn store_lock(
        &self,
        env: &str,
        mode: LockMode,
        timeout: Duration,
    ) -> Result<EnvLock> {
        EnvLock::acquire_file(
            env,
            &self.layout.join(STORE_LOCK_FILE),
            mode,
            timeout,
            self.on_lock_wait.as_ref(),
        )
    }

    pub(crate) fn default_lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    pub(crate) fn layout_dir(&self) -> &Path {
        &self.layout
    }

    pub(crate) fn legacy_dir(&self) -> &Path {
        &self.legacy
    }

    pub(crate) fn legacy_raw_dir(&self) -> &Path {
        &self.legacy_raw
    }

    /// The committed packs' folder.
    pub(crate) fn packs_dir(&self) -> PathBuf {
        self.layout.join(PACKS_DIR)
    }

    /// The private packs' folder.
    pub(crate) fn raw_packs_dir(&self) -> PathBuf {
        self.raw.join(PACKS_DIR)
    }

    pub(crate) fn objects(&self) -> Arc<Objects> {
        Arc::clone(&self.objects)
    }

    pub(crate) fn raw_objects(&self) -> Arc<Objects> {
        Arc::clone(&self.raw_objects)
    }
}

/// The entries of `env_dir` (folders when `folders`, else files) whose names `id_of` reads as
/// snapshot ids, oldest first; nothing when the folder does not exist.
fn list_snapshots(
    env_dir: &Path,
    folders: bool,
    id_of: impl Fn(&str) -> Option<SnapshotId>,
) -> Result<Vec<SnapshotSummary>> {
    let environment = folder_name(env_dir);
    let mut snapshots = Vec::new();
    for entry in dir_entries(env_dir)? {
        let Some(id) = entry.file_name().to_str().and_then(&id_of) else {
            continue;
        };
        if entry.file_type()?.is_dir() == folders {
            snapshots.push(SnapshotSummary {
                environment: environment.clone(),
                created: id.time(),
                path: entry.path(),
                id,
            });
        }
    }
    snapshots.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(snapshots)
}

/// The last component of a path, as text.
fn folder_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Removes the entries of `dir` whose names start with `prefix` (a missing `dir` has none).
fn remove_temporary(dir: &Path, prefix: &str) -> Result<()> {
    for entry in dir_entries(dir)? {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_temporary_name(name) && name.starts_with(prefix) {
            if entry.file_type()?.is_dir() {
                fs_err::remove_dir_all(entry.path())?;
            } else {
                fs_err::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

/// Writes a small file the store owns unless it is there already.
pub(crate) fn write_once(path: &Path, text: &str) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    match write_new_file_synced(path, text.as_bytes()) {
        // Two processes opening a new store at once: the other one wrote it.
        Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Whether a file name in a store-v1 raw folder is a raw export: `<64 hex>.<json|zip|bin>`.
pub(crate) fn is_raw_export_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hash, extension)| {
        crate::manifest::is_sha256_hex(hash) && matches!(extension, "json" | "zip" | "bin")
    })
}

/// "a, b, c (3 snapshots)", the newest few, for error messages.
fn describe_available(snapshots: &[SnapshotSummary]) -> String {
    const SHOWN: usize = 5;
    let newest: Vec<&str> = snapshots
        .iter()
        .rev()
        .take(SHOWN)
        .map(|s| s.id.as_str())
        .collect();
    let more = snapshots.len().saturating_sub(SHOWN);
    let count = snapshots.len();
    let plural = if count == 1 { "" } else { "s" };
    if more > 0 {
        format!(
            "{} and {more} older ({count} snapshot{plural}; `~N` selects the N-th previous)",
            newest.join(", ")
        )
    } else {
        format!(
            "{} ({count} snapshot{plural}, newest first; `~N` selects the N-th previous)",
            newest.join(", ")
        )
    }
}
