//! Pruning snapshots and collecting the objects no snapshot lists any more.
//!
//! Garbage collection takes the store-wide lock alone. Every snapshot writer holds a share of that
//! lock from `begin` until its manifest is published, and relies on the objects that exist when it
//! begins (it does not write them again), so no object a writer counts on can go while it writes.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::fsutil::{dir_entries, is_temporary_name, sync_dir};
use crate::id::SnapshotId;
use crate::lock::LockMode;
use crate::manifest::{Manifest, NormalizedKind};
use crate::pack::{self, Hash, is_pack_name, parse_hash};
use crate::snapshot::SnapshotSummary;
use crate::store::{Store, TEMP_PREFIX, is_raw_export_name};

/// What [`Store::prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// The snapshots deleted, oldest first.
    pub removed: Vec<SnapshotId>,
    /// The garbage collection that followed.
    pub gc: GcReport,
}

/// What a garbage collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Objects deleted (committed and raw).
    pub objects_deleted: usize,
    /// Packs deleted, whole or after their live objects were copied to a new pack.
    pub packs_deleted: usize,
    /// Packs written to keep the live objects of partly dead packs.
    pub packs_written: usize,
    /// Why nothing was collected, when nothing could safely be (a manifest that cannot be read).
    pub skipped: Option<String>,
}

impl Store {
    /// Deletes old snapshots of `env` (their ids come back oldest first), then collects the
    /// objects no remaining snapshot lists ([`collect_garbage`](Self::collect_garbage)). When
    /// snapshots are still being written after the lock timeout, the collection is skipped
    /// ([`GcReport::skipped`] says so) and the next prune collects what this one left.
    ///
    /// A snapshot is deleted when it is not among the newest `keep`, no tag names it, and, if
    /// `older_than` is given, it is older than that (by the time in its id). The latest snapshot is never deleted, even with
    /// `keep == 0`. A store-v2 snapshot disappears with its manifest (one unlink); a store-v1
    /// folder is first renamed to a temporary name, so a crash never leaves a half-deleted snapshot
    /// visible.
    pub fn prune(
        &self,
        env: &str,
        keep: usize,
        older_than: Option<Duration>,
    ) -> Result<PruneReport> {
        let removed = {
            let _lock = self.lock(env, self.default_lock_timeout())?;
            let env_dir = self.environment_dir(env)?;
            let mut removed = Vec::new();
            let mut legacy = false;
            let snapshots = self.list(env)?;
            let tagged = self.tagged_ids(env, &snapshots)?;
            for summary in prunable(snapshots, keep, older_than, &tagged) {
                if summary.path.is_dir() {
                    let parent = summary.path.parent().unwrap_or(Path::new(""));
                    let doomed = parent.join(format!("{TEMP_PREFIX}prune-{}", summary.id));
                    fs_err::rename(&summary.path, &doomed)?;
                    sync_dir(parent)?;
                    fs_err::remove_dir_all(&doomed)?;
                    legacy = true;
                } else {
                    fs_err::remove_file(&summary.path)?;
                }
                removed.push(summary.id);
            }
            sync_dir(&env_dir)?;
            if legacy {
                self.collect_legacy_raw_garbage(env)?;
            }
            removed
        };
        let gc = match self.collect_garbage() {
            Err(StoreError::StoreLocked {
                holder, timeout, ..
            }) => GcReport {
                skipped: Some(format!(
                    "the store is locked by {holder} (waited {}); the next prune collects \
                     what this one left",
                    soc_text::duration(timeout)
                )),
                ..GcReport::default()
            },
            other => other?,
        };
        Ok(PruneReport { removed, gc })
    }

    /// The snapshots [`Store::prune`] would delete with the same arguments, oldest first; deletes
    /// nothing (`socdrift prune --dry-run`).
    pub fn prune_plan(
        &self,
        env: &str,
        keep: usize,
        older_than: Option<Duration>,
    ) -> Result<Vec<SnapshotId>> {
        let snapshots = self.list(env)?;
        let tagged = self.tagged_ids(env, &snapshots)?;
        Ok(prunable(snapshots, keep, older_than, &tagged)
            .into_iter()
            .map(|summary| summary.id)
            .collect())
    }

    /// Deletes every object no store-v2 snapshot lists: packs whose objects are all unlisted go;
    /// packs that hold some listed objects are rewritten as a new pack of those (the old one is
    /// deleted once the new one is published). Also removes temporary packs of crashed writers.
    ///
    /// Waits (up to the lock timeout) until no snapshot is being written. When a manifest cannot be
    /// read, what it lists is unknown, so nothing is deleted ([`GcReport::skipped`] says why).
    pub fn collect_garbage(&self) -> Result<GcReport> {
        let _lock = self.store_lock("*", LockMode::Exclusive, self.default_lock_timeout())?;
        let mut report = GcReport::default();
        let (live, live_raw) = match self.live_objects() {
            Ok(live) => live,
            Err(reason) => {
                report.skipped = Some(reason);
                return Ok(report);
            }
        };
        for (dir, live) in [(self.packs_dir(), live), (self.raw_packs_dir(), live_raw)] {
            sweep(&dir, &live, &mut report)?;
        }
        Ok(report)
    }

    /// The hashes every store-v2 manifest lists: committed objects, raw exports. `Err` says which
    /// manifest could not be read.
    fn live_objects(&self) -> std::result::Result<(HashSet<Hash>, HashSet<Hash>), String> {
        let mut live = HashSet::new();
        let mut live_raw = HashSet::new();
        let envs = self.environments().map_err(|err| err.to_string())?;
        for env in envs {
            let dir = self.environment_dir(&env).map_err(|err| err.to_string())?;
            for summary in Store::list_env_dir(&dir).map_err(|err| err.to_string())? {
                let manifest = Manifest::read_packed(&summary.path).map_err(|err| {
                    format!(
                        "{} cannot be read ({}), so what it lists is unknown",
                        summary.path.display(),
                        soc_text::error_chain(&err)
                    )
                })?;
                for record in &manifest.workflows {
                    live.extend(parse_hash(&record.info_sha256));
                    if record.normalized_kind == NormalizedKind::Json {
                        live.extend(parse_hash(&record.normalized_sha256));
                    }
                    live_raw.extend(parse_hash(&record.export_sha256));
                }
            }
        }
        Ok((live, live_raw))
    }

    /// Deletes the store-v1 raw exports of `env` that no store-v1 snapshot lists any more. When a
    /// snapshot's manifest cannot be read, nothing is deleted: what it lists is unknown.
    fn collect_legacy_raw_garbage(&self, env: &str) -> Result<()> {
        let raw_dir = self.legacy_raw_dir().join(env);
        let env_dir = self.legacy_dir().join(env);
        if !raw_dir.is_dir() || !env_dir.is_dir() {
            return Ok(());
        }
        let mut listed = HashSet::new();
        for summary in Store::list_legacy_env_dir(&env_dir)? {
            let Ok(manifest) = Manifest::read(&summary.path) else {
                return Ok(());
            };
            for record in &manifest.workflows {
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
}

/// Collects one area's packs: keeps packs whose objects are all live (and not kept already by an
/// earlier pack), deletes dead ones, rewrites mixed ones. Removes temporary packs (no writer is
/// active while the store lock is held alone).
fn sweep(dir: &Path, live: &HashSet<Hash>, report: &mut GcReport) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut packs = Vec::new();
    for entry in dir_entries(dir)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_temporary_name(&name) {
            fs_err::remove_file(entry.path())?;
        } else if is_pack_name(&name) {
            packs.push(entry.path());
        }
    }
    packs.sort();
    let mut kept: HashSet<Hash> = HashSet::new();
    for path in packs {
        // A pack whose index cannot be read is left for `verify` to report: what it holds is
        // unknown.
        let Ok(entries) = pack::read_index(&path) else {
            continue;
        };
        let wanted: HashSet<Hash> = entries
            .iter()
            .map(|entry| entry.hash)
            .filter(|hash| live.contains(hash) && !kept.contains(hash))
            .collect();
        if wanted.len() == entries.len() {
            kept.extend(wanted);
            continue;
        }
        if !wanted.is_empty() {
            let temp = dir.join(format!(
                "{TEMP_PREFIX}gc.{}-{}.pack",
                std::process::id(),
                Utc::now().timestamp_nanos_opt().unwrap_or_default()
            ));
            if let Some(new) = pack::repack(&path, temp, |hash| wanted.contains(hash))? {
                pack::publish(&new, dir)?;
                sync_dir(dir)?;
                report.packs_written += 1;
            }
            kept.extend(wanted.iter().copied());
        }
        report.objects_deleted += entries.len() - wanted.len();
        fs_err::remove_file(&path)?;
        report.packs_deleted += 1;
    }
    sync_dir(dir)
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
