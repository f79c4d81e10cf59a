//! The store root: environments, their snapshots, selection, writing and pruning.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use soc_normalize::Profile;

use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::fsutil::{create_private_dir_all, is_temporary_name, sync_dir, write_new_file_synced};
use crate::id::{Selector, SnapshotId};
use crate::lock::{EnvLock, LockObserver, LockWait};
use crate::manifest::SourceInfo;
use crate::name::validate_environment;
use crate::snapshot::{Snapshot, SnapshotSummary};
use crate::tags::tagged_ids;
use crate::writer::SnapshotWriter;

/// The versioned folder under the store root that holds the environments. A future incompatible
/// layout gets a new folder (`store-v2`) next to it, so old snapshots stay readable by old tools.
pub const LAYOUT_DIR: &str = "store-v1";

/// The store's private raw area, beside [`LAYOUT_DIR`]: every raw export byte for byte, under
/// `<env>/<export sha256>.<json|zip|bin>`. Raw exports can hold secrets, so this folder is owner-only
/// (`0700`, files `0600`), ignores itself in git (its own `.gitignore` says `*`), and nothing in
/// [`LAYOUT_DIR`] depends on it except normalizing old snapshots under changed rules.
pub const RAW_DIR: &str = "raw-v1";

/// Prefix of temporary folders (snapshots being written, snapshots being pruned). Never read as a
/// snapshot; removed by the next writer of the environment.
pub const TEMP_PREFIX: &str = ".tmp-";

/// How long [`Store::prune`] and [`Store::import_folder`] wait for another writer by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Git must not track lock files or half-written snapshots when a team commits the store.
const GITIGNORE: &str =
    "# Written by socdrift: lock files and unfinished snapshots are not content.\n.lock\n.tmp-*\n";

/// Git must never track raw exports: they can hold secrets.
const RAW_GITIGNORE: &str = "# Written by socdrift: raw exports can hold secrets; never commit, share or publish this folder.\n*\n";

/// A snapshot store rooted at a folder (by default `.socdrift/` beside the configuration).
#[derive(Clone)]
pub struct Store {
    root: PathBuf,
    layout: PathBuf,
    raw: PathBuf,
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
    /// Opens the store at `root`, creating it (and `store-v1/` in it) readable by the owner only.
    /// The private `raw-v1/` is created, with its `.gitignore`, when a writer first needs it.
    pub fn open(root: impl AsRef<Path>) -> Result<Store> {
        let root = root.as_ref().to_owned();
        if root.exists() && !root.is_dir() {
            return Err(StoreError::NotADirectory { path: root });
        }
        create_private_dir_all(&root)?;
        let layout = root.join(LAYOUT_DIR);
        create_private_dir_all(&layout)?;
        write_once(&layout.join(".gitignore"), GITIGNORE)?;
        // The raw folder is made by the first writer: readers (a clone on a CI runner, perhaps
        // read-only) never need it.
        let raw = root.join(RAW_DIR);
        Ok(Store {
            root,
            layout,
            raw,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            on_lock_wait: None,
        })
    }

    /// The same store, telling `observer` at once whenever a writer (a snapshot, a prune, an
    /// import) finds an environment locked and has to wait: whom it waits for, since when, and for
    /// how long at most.
    #[must_use]
    pub fn on_lock_wait(mut self, observer: impl Fn(&LockWait) + Send + Sync + 'static) -> Store {
        self.on_lock_wait = Some(Arc::new(observer));
        self
    }

    /// The same store with another lock timeout for [`prune`](Self::prune) and
    /// [`import_folder`](Self::import_folder).
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Store {
        self.lock_timeout = timeout;
        self
    }

    /// The root folder, as given to [`open`](Self::open).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of an environment (which may not exist yet). Rejects names that are not safe
    /// folder names on every platform.
    pub fn environment_dir(&self, env: &str) -> Result<PathBuf> {
        validate_environment(env)?;
        Ok(self.layout.join(env))
    }

    /// The private folder of an environment's raw exports (which may not exist yet).
    pub fn raw_dir(&self, env: &str) -> Result<PathBuf> {
        validate_environment(env)?;
        Ok(self.raw.join(env))
    }

    /// The environments that have a folder in the store, sorted.
    pub fn environments(&self) -> Result<Vec<String>> {
        let mut envs = Vec::new();
        for entry in fs_err::read_dir(&self.layout)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if entry.file_type()?.is_dir() && validate_environment(&name).is_ok() {
                envs.push(name);
            }
        }
        envs.sort();
        Ok(envs)
    }

    /// The snapshots of an environment, oldest first. Empty if the environment has none.
    pub fn list(&self, env: &str) -> Result<Vec<SnapshotSummary>> {
        let dir = self.environment_dir(env)?;
        if !dir.exists() {
            return Ok(Vec::new());
        }
        Self::list_env_dir(&dir)
    }

    /// Folders of `env_dir` whose names are snapshot ids, oldest first. Temporary folders and
    /// anything else are skipped: a snapshot becomes visible only by the rename that completes it.
    pub(crate) fn list_env_dir(env_dir: &Path) -> Result<Vec<SnapshotSummary>> {
        let environment = env_dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut snapshots = Vec::new();
        for entry in fs_err::read_dir(env_dir)? {
            let entry = entry?;
            let Some(id) = entry.file_name().to_str().and_then(SnapshotId::parse) else {
                continue;
            };
            if entry.file_type()?.is_dir() {
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

    /// The snapshot a selector names: `latest`, `~N`, a tag, or an id (or unique id prefix).
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
                let id = self.tagged(env, name)?;
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
        Snapshot::open(&summary.path)
    }

    /// Starts a snapshot of `env`: takes the environment's lock (waiting up to `lock_timeout` for
    /// another writer), removes what crashed writers left behind, and opens a temporary folder.
    pub fn begin(
        &self,
        env: &str,
        source: SourceInfo,
        profile: &Profile,
        lock_timeout: Duration,
    ) -> Result<SnapshotWriter> {
        let (env_dir, lock) = self.lock(env, lock_timeout)?;
        SnapshotWriter::new(env, env_dir, self.raw_dir(env)?, lock, source, profile)
    }

    /// Creates the environment's folders, takes its lock and cleans leftovers of crashed writers.
    pub(crate) fn lock(&self, env: &str, timeout: Duration) -> Result<(PathBuf, EnvLock)> {
        let env_dir = self.environment_dir(env)?;
        create_private_dir_all(&env_dir)?;
        create_private_dir_all(&self.raw)?;
        write_once(&self.raw.join(".gitignore"), RAW_GITIGNORE)?;
        let raw_dir = self.raw_dir(env)?;
        create_private_dir_all(&raw_dir)?;
        let lock = EnvLock::acquire(env, &env_dir, timeout, self.on_lock_wait.as_ref())?;
        // Holding the lock, every temporary folder belongs to a writer that is gone.
        for dir in [&env_dir, &raw_dir] {
            for entry in fs_err::read_dir(dir)? {
                let entry = entry?;
                if entry.file_name().to_str().is_some_and(is_temporary_name) {
                    if entry.file_type()?.is_dir() {
                        fs_err::remove_dir_all(entry.path())?;
                    } else {
                        fs_err::remove_file(entry.path())?;
                    }
                }
            }
        }
        Ok((env_dir, lock))
    }

    /// Deletes old snapshots of `env` and returns their ids, oldest first.
    ///
    /// A snapshot is deleted when it is not among the newest `keep`, no tag names it, and, if
    /// `older_than` is given, it is older than that (by the time in its id). The latest snapshot is never deleted, even with
    /// `keep == 0`. Each snapshot is first renamed to a temporary name, so a crash in the middle
    /// never leaves a half-deleted snapshot visible.
    pub fn prune(
        &self,
        env: &str,
        keep: usize,
        older_than: Option<Duration>,
    ) -> Result<Vec<SnapshotId>> {
        let (env_dir, _lock) = self.lock(env, self.lock_timeout)?;
        let snapshots = Self::list_env_dir(&env_dir)?;
        let tagged = tagged_ids(&env_dir)?;
        let mut removed = Vec::new();
        for summary in prunable(snapshots, keep, older_than, &tagged) {
            let doomed = env_dir.join(format!("{TEMP_PREFIX}prune-{}", summary.id));
            fs_err::rename(&summary.path, &doomed)?;
            sync_dir(&env_dir)?;
            fs_err::remove_dir_all(&doomed)?;
            removed.push(summary.id);
        }
        self.collect_raw_garbage(env, &env_dir)?;
        Ok(removed)
    }

    /// The snapshots [`Store::prune`] would delete with the same arguments, oldest first; deletes
    /// nothing (`socdrift prune --dry-run`).
    pub fn prune_plan(
        &self,
        env: &str,
        keep: usize,
        older_than: Option<Duration>,
    ) -> Result<Vec<SnapshotId>> {
        let tagged = tagged_ids(&self.environment_dir(env)?)?;
        Ok(prunable(self.list(env)?, keep, older_than, &tagged)
            .into_iter()
            .map(|summary| summary.id)
            .collect())
    }

    /// Deletes the raw exports of `env` that no snapshot of it lists any more (those of pruned
    /// snapshots, and of writers that crashed after publishing their raw exports). Called with the
    /// environment's lock held, so no writer is adding raw exports meanwhile. When a snapshot's
    /// manifest cannot be read, nothing is deleted: what it lists is unknown.
    fn collect_raw_garbage(&self, env: &str, env_dir: &Path) -> Result<()> {
        let raw_dir = self.raw_dir(env)?;
        if !raw_dir.is_dir() {
            return Ok(());
        }
        let mut listed = BTreeSet::new();
        for summary in Self::list_env_dir(env_dir)? {
            let Ok(snapshot) = Snapshot::open(&summary.path) else {
                return Ok(());
            };
            for record in &snapshot.manifest().workflows {
                listed.insert(record.raw_export_name());
            }
        }
        for entry in fs_err::read_dir(&raw_dir)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if is_raw_export_name(&name) && !listed.contains(&name) && entry.file_type()?.is_file()
            {
                fs_err::remove_file(entry.path())?;
            }
        }
        sync_dir(&raw_dir)
    }

    pub(crate) fn default_lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    pub(crate) fn layout_dir(&self) -> &Path {
        &self.layout
    }
}

/// Of `snapshots` (oldest first), those beyond the newest `keep` (at least 1) that are older than
/// `older_than` when it is given and that no tag names.
fn prunable(
    snapshots: Vec<SnapshotSummary>,
    keep: usize,
    older_than: Option<Duration>,
    tagged: &BTreeSet<SnapshotId>,
) -> Vec<SnapshotSummary> {
    let cutoff = older_than
        .and_then(|age| chrono::Duration::from_std(age).ok())
        .and_then(|age| Utc::now().checked_sub_signed(age));
    let candidates = snapshots.len().saturating_sub(keep.max(1));
    snapshots
        .into_iter()
        .take(candidates)
        .filter(|summary| !tagged.contains(&summary.id))
        .filter(|summary| match (cutoff, summary.created) {
            (None, _) => true,
            (Some(cutoff), Some(created)) => created < cutoff,
            (Some(_), None) => false,
        })
        .collect()
}

/// Writes a small file the store owns unless it is there already.
fn write_once(path: &Path, text: &str) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    match write_new_file_synced(path, text.as_bytes()) {
        // Two processes opening a new store at once: the other one wrote it.
        Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Whether a file name in a raw folder is a raw export: `<64 hex>.<json|zip|bin>`.
pub(crate) fn is_raw_export_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hash, extension)| {
        hash.len() == 64
            && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && matches!(extension, "json" | "zip" | "bin")
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
