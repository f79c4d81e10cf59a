//! `socdrift migrate`: moving a store-v1 layout (one folder per snapshot) into store-v2.
//!
//! Each store-v1 snapshot becomes a store-v2 snapshot with the same time, written like any
//! snapshot (packs, then the manifest, published by one rename), so a migration killed at any
//! moment leaves every snapshot either still in store-v1 or whole in store-v2, and listing shows
//! each once (a store-v1 snapshot whose time a store-v2 snapshot has is its migrated copy and is
//! left out). Running the command again carries on where it stopped. Once every snapshot is
//! moved, `store-v1/` and `raw-v1/` are renamed to temporary names and deleted.
//!
//! Format-2 snapshots keep their content byte for byte (it is redacted already). Format-1
//! snapshots were written before redaction covered the info and every secret shape, so they are
//! renormalized from their inline raw exports under the current profile and their infos redacted:
//! nothing copied into the committed part can hold a secret. Either way the id keeps its time and
//! gets the hash of the new content; the manifest records the old id (`migrated_from`), and the
//! old id still selects the snapshot. Playbooks move with their snapshot, as records of their own
//! kind; tags move once an environment's snapshots are moved, naming the migrated snapshots.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;
use soc_normalize::Profile;

use crate::error::{Result, StoreError};
use crate::fsutil::sync_dir;
use crate::id::SnapshotId;
use crate::lock::EnvLock;
use crate::manifest::{MigratedFrom, NormalizedKind, WorkflowRecord};
use crate::name::validate_environment;
use crate::pack::{compress, parse_hash};
use crate::snapshot::Snapshot;
use crate::store::{Store, TEMP_PREFIX};
use crate::writer::{Prepared, SnapshotWriter, Stamp, WorkflowInput};

/// What [`Store::migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrateReport {
    /// The snapshots moved by this run, oldest first per environment.
    pub migrated: Vec<Migrated>,
    /// Snapshots an earlier, interrupted run had moved already.
    pub already_migrated: usize,
    /// Tags written into store-v2 (store-v1's, and tags naming a snapshot by its store-v1 id),
    /// each naming the migrated snapshot.
    pub tags: usize,
    /// The store-v1 folders deleted once everything was moved.
    pub removed: Vec<PathBuf>,
}

/// One snapshot moved from store-v1 to store-v2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Migrated {
    /// Its environment.
    pub environment: String,
    /// Its id in store-v1.
    pub from: String,
    /// Its id in store-v2 (same time).
    pub to: SnapshotId,
    /// Its manifest format in store-v1 (1: renormalized under the current profile; 2: copied).
    pub format_version: u32,
}

impl Store {
    /// Moves every store-v1 snapshot into store-v2, then deletes `store-v1/` and `raw-v1/`.
    /// `profile` renormalizes format-1 snapshots (see the module docs). Crash-safe and
    /// idempotent: run it again after an interruption. Fails on the first snapshot that cannot be
    /// read (naming it), having moved the ones before it and deleted nothing.
    pub fn migrate(&self, profile: &Profile) -> Result<MigrateReport> {
        let mut report = MigrateReport::default();
        self.remove_migration_leftovers()?;
        if self.legacy_dir().is_dir() {
            let mut envs = Vec::new();
            for entry in fs_err::read_dir(self.legacy_dir())? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.file_type()?.is_dir() && validate_environment(&name).is_ok() {
                    envs.push(name);
                }
            }
            envs.sort();
            for env in &envs {
                self.migrate_environment(env, profile, &mut report)?;
            }
            self.refresh_views(None)?;
        }
        for dir in [
            self.legacy_dir().to_owned(),
            self.legacy_raw_dir().to_owned(),
        ] {
            if dir.is_dir() {
                self.remove_folder(&dir)?;
                report.removed.push(dir);
            }
        }
        Ok(report)
    }

    fn migrate_environment(
        &self,
        env: &str,
        profile: &Profile,
        report: &mut MigrateReport,
    ) -> Result<()> {
        let timeout = self.default_lock_timeout();
        // An older socdrift writing into store-v1 at the same time would be lost: wait for it.
        let _legacy_lock = EnvLock::acquire(env, &self.legacy_dir().join(env), timeout, None)?;
        // The view is brought up to date once every snapshot is moved; until then a view that
        // lags behind is known to be unfinished.
        {
            let _lock = self.lock(env, timeout)?;
            crate::view::mark_updating(&self.environment_dir(env)?, "migration")?;
        }
        let moved: std::collections::BTreeSet<_> =
            Store::list_env_dir(&self.environment_dir(env)?)?
                .into_iter()
                .map(|summary| summary.created)
                .collect();
        for summary in Store::list_legacy_env_dir(&self.legacy_dir().join(env))? {
            if moved.contains(&summary.created) {
                report.already_migrated += 1;
                continue;
            }
            let snapshot = Snapshot::open(&summary.path)?;
            let to = self.migrate_snapshot(env, &snapshot, profile, timeout)?;
            report.migrated.push(Migrated {
                environment: env.to_owned(),
                from: summary.id.to_string(),
                to,
                format_version: snapshot.manifest().format_version,
            });
        }
        report.tags += self.migrate_tags(env)?;
        Ok(())
    }

    /// Writes one store-v1 snapshot as a store-v2 snapshot of the same time.
    fn migrate_snapshot(
        &self,
        env: &str,
        snapshot: &Snapshot,
        profile: &Profile,
        timeout: std::time::Duration,
    ) -> Result<SnapshotId> {
        let manifest = snapshot.manifest();
        let Some(time) = snapshot.id().time() else {
            return Err(StoreError::InvalidManifest {
                path: snapshot.path().to_owned(),
                reason: "its folder name is not a snapshot id".to_owned(),
            });
        };
        let locks = self.lock_for_writing(env, timeout)?;
        let writer = SnapshotWriter::new(self, env, locks, manifest.source.clone(), profile)?;
        let renormalize = manifest.raw_exports_inline();
        if manifest.playbooks_captured {
            writer.mark_playbooks_captured();
        }
        for record in &manifest.workflows {
            if renormalize {
                writer.add_kind(record.kind, legacy_input(snapshot, record)?)?;
            } else {
                writer.record(stored(snapshot, record)?)?;
            }
        }
        let stamp = Stamp {
            time,
            created_at: manifest.created_at,
            tool: manifest.tool.clone(),
            profile_hash: if renormalize {
                profile.hash()
            } else {
                manifest.profile_hash.clone()
            },
            migrated_from: Some(MigratedFrom {
                id: snapshot.id().to_string(),
                format_version: manifest.format_version,
            }),
        };
        Ok(writer
            .publish(stamp, crate::writer::View::Leave)?
            .id()
            .clone())
    }

    /// Deletes a folder by renaming it to a temporary name in the root first, so a crash never
    /// leaves half of `store-v1/` looking like a store.
    fn remove_folder(&self, dir: &Path) -> Result<()> {
        let name = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let doomed = self.root().join(format!(
            "{TEMP_PREFIX}migrated-{name}-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        fs_err::rename(dir, &doomed)?;
        sync_dir(self.root())?;
        fs_err::remove_dir_all(&doomed)?;
        Ok(())
    }

    /// Removes what an interrupted deletion of store-v1 left in the root.
    fn remove_migration_leftovers(&self) -> Result<()> {
        let prefix = format!("{TEMP_PREFIX}migrated-");
        for entry in fs_err::read_dir(self.root())? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(&prefix)
                && entry.file_type()?.is_dir()
            {
                fs_err::remove_dir_all(entry.path())?;
            }
        }
        Ok(())
    }
}

/// A format-1 workflow as the writer takes new ones: its inline raw export, to renormalize, and
/// its info as received, to redact.
fn legacy_input(snapshot: &Snapshot, record: &WorkflowRecord) -> Result<WorkflowInput> {
    let raw = snapshot
        .raw_export(record)?
        .ok_or_else(|| StoreError::RawExportsMissing {
            env: snapshot.environment().to_owned(),
            id: snapshot.id().to_string(),
            missing: 1,
            total: snapshot.manifest().workflows.len(),
            raw_dir: snapshot.path().to_owned(),
        })?;
    let info_bytes = snapshot.info(record)?;
    let info = serde_json::from_slice(&info_bytes).map_err(|source| StoreError::BadNormalized {
        path: snapshot
            .path()
            .join(record.info_file.as_deref().unwrap_or(&record.stem)),
        source,
    })?;
    Ok(WorkflowInput {
        id: record.id.clone(),
        name: record.name.clone(),
        info,
        raw,
        content_type: record.content_type.clone(),
        file_name: record.file_name.clone(),
    })
}

/// A format-2 workflow as stored: the same record without file names, its objects (checked
/// against the manifest as they are read) and its raw export when this store has it.
fn stored(snapshot: &Snapshot, record: &WorkflowRecord) -> Result<Prepared> {
    let mut objects = Vec::new();
    let mut keep = |sha256: &str, bytes: Vec<u8>| -> Result<()> {
        if let Some(hash) = parse_hash(sha256) {
            objects.push((hash, bytes.len() as u64, compress(&bytes)?));
        }
        Ok(())
    };
    keep(&record.info_sha256, snapshot.info(record)?)?;
    if record.normalized_kind == NormalizedKind::Json {
        keep(
            &record.normalized_sha256,
            snapshot.normalized_bytes(record)?.0,
        )?;
    }
    let raw = match (
        snapshot.raw_export(record)?,
        parse_hash(&record.export_sha256),
    ) {
        (Some(bytes), Some(hash)) => Some((hash, bytes.len() as u64, compress(&bytes)?)),
        _ => None,
    };
    Ok(Prepared {
        record: WorkflowRecord {
            info_file: None,
            normalized_file: None,
            export_file: None,
            ..record.clone()
        },
        objects,
        raw,
    })
}
