//! Named snapshots: `promoted`, `release-42`.
//!
//! A tag names one snapshot of one environment, like a git tag names a commit, so CI can compare
//! against "what was promoted last" (`production@promoted`) without knowing its id. Each tag is
//! one small text file, `store-v2/tags/<env>/<name>`, holding the snapshot id and a newline:
//! readable, committed with the store (git shows a moved tag as a one-line change), and moved by
//! writing a new file and renaming it over the old one, so a reader sees the old target or the
//! new one, never a half-written file. Moving a tag takes the environment's lock, so it never
//! races a prune; pruning keeps tagged snapshots, so garbage collection keeps their objects.
//!
//! Tags of a store-v1 layout (`store-v1/<env>/tags/<name>`) are read beside them until
//! `socdrift migrate` moves them (a store-v2 tag of the same name wins). A tag that names a
//! store-v1 id that a migration gave a new hash part names the migrated snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::fsutil::{
    create_private_dir_all, dir_entries, is_temporary_name, replace_file_synced, sync_dir,
    unique_temp_name,
};
use crate::id::SnapshotId;
use crate::name::validate_environment;
use crate::snapshot::SnapshotSummary;
use crate::store::Store;
use crate::verify::{StoreProblem, VerifyReport};

/// The folder of tags: `store-v2/tags/<env>/` (and, in a store-v1 layout, `store-v1/<env>/tags/`).
pub const TAGS_DIR: &str = "tags";

/// Longest tag name, in bytes.
pub const MAX_TAG_BYTES: usize = 64;

/// Names that already mean something after `ENV@`.
const RESERVED: &[&str] = &["latest", "live"];

/// Checks that `name` can be a tag: lowercase ASCII letters, digits, `-` and `_`, starting with a
/// letter (snapshot ids start with a digit, so a selector is never both), at most
/// [`MAX_TAG_BYTES`], and neither `latest` nor `live`.
pub fn validate_tag(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > MAX_TAG_BYTES {
        Some("it is too long")
    } else if !name.bytes().next().is_some_and(|b| b.is_ascii_lowercase()) {
        Some("it does not start with a lowercase letter")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        Some("it holds a character that is not allowed")
    } else if RESERVED.contains(&name) {
        Some("`latest` and `live` already name a snapshot")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::InvalidTag {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

impl Store {
    /// The folder of an environment's tags (which may not exist yet).
    pub fn tags_dir(&self, env: &str) -> Result<PathBuf> {
        validate_environment(env)?;
        Ok(self.layout_dir().join(TAGS_DIR).join(env))
    }

    /// A store-v1 environment's tags, read until `socdrift migrate` moves them.
    fn legacy_tags_dir(&self, env: &str) -> PathBuf {
        self.legacy_dir().join(env).join(TAGS_DIR)
    }

    /// Points tag `name` of `env` at the snapshot `id` (which must exist), creating or moving the
    /// tag; returns the snapshot it named before, if any.
    pub fn tag(&self, env: &str, name: &str, id: &SnapshotId) -> Result<Option<SnapshotId>> {
        validate_tag(name)?;
        let _lock = self.lock(env, self.default_lock_timeout())?;
        let snapshots = self.list(env)?;
        if !snapshots.iter().any(|s| &s.id == id) {
            return Err(StoreError::SnapshotNotFound {
                env: env.to_owned(),
                selector: id.to_string(),
                available: "see `socdrift log`".to_owned(),
            });
        }
        let previous = self.resolved_tags(env, &snapshots)?.remove(name);
        self.write_tag(env, name, id)?;
        Ok(previous)
    }

    /// Deletes tag `name` of `env`; returns the snapshot it named.
    pub fn untag(&self, env: &str, name: &str) -> Result<SnapshotId> {
        validate_tag(name)?;
        let _lock = self.lock(env, self.default_lock_timeout())?;
        let snapshots = self.list(env)?;
        let target = self
            .resolved_tags(env, &snapshots)?
            .remove(name)
            .ok_or_else(|| self.tag_not_found(env, name))?;
        for dir in [self.tags_dir(env)?, self.legacy_tags_dir(env)] {
            match fs_err::remove_file(dir.join(name)) {
                Ok(()) => sync_dir(&dir)?,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(target)
    }

    /// The tags of `env` and the snapshots they name, sorted by tag name.
    pub fn tags(&self, env: &str) -> Result<Vec<(String, SnapshotId)>> {
        let snapshots = self.list(env)?;
        Ok(self.resolved_tags(env, &snapshots)?.into_iter().collect())
    }

    /// The snapshot tag `name` names, checked to exist.
    pub(crate) fn tagged(
        &self,
        env: &str,
        name: &str,
        snapshots: &[SnapshotSummary],
    ) -> Result<SnapshotId> {
        let id = self
            .resolved_tags(env, snapshots)?
            .remove(name)
            .ok_or_else(|| self.tag_not_found(env, name))?;
        if !snapshots.iter().any(|s| s.id == id) {
            return Err(StoreError::DanglingTag {
                env: env.to_owned(),
                tag: name.to_owned(),
                id: id.to_string(),
            });
        }
        Ok(id)
    }

    /// The ids of the snapshots (of `snapshots`, the environment's listing) that some tag names.
    pub(crate) fn tagged_ids(
        &self,
        env: &str,
        snapshots: &[SnapshotSummary],
    ) -> Result<BTreeSet<SnapshotId>> {
        Ok(self.resolved_tags(env, snapshots)?.into_values().collect())
    }

    /// Every tag of `env` with the id it names, an id a migration replaced mapped to the new one.
    fn resolved_tags(
        &self,
        env: &str,
        snapshots: &[SnapshotSummary],
    ) -> Result<BTreeMap<String, SnapshotId>> {
        let mut tags = BTreeMap::new();
        for (name, id) in self.stored_tags(env)? {
            let id = self.current_id(snapshots, id);
            tags.insert(name, id);
        }
        Ok(tags)
    }

    /// The tags as their files say: store-v1's, overridden by store-v2's of the same name.
    fn stored_tags(&self, env: &str) -> Result<BTreeMap<String, SnapshotId>> {
        let mut tags = read_tags(&self.legacy_tags_dir(env))?;
        tags.extend(read_tags(&self.tags_dir(env)?)?);
        Ok(tags)
    }

    /// `id` as the listing knows it: itself, or the id of the snapshot migrated from it.
    fn current_id(&self, snapshots: &[SnapshotSummary], id: SnapshotId) -> SnapshotId {
        if snapshots.iter().any(|s| s.id == id) {
            return id;
        }
        match self.migrated_as(snapshots, id.as_str()) {
            Some(snapshot) => snapshot.id().clone(),
            None => id,
        }
    }

    /// Writes tag `name` of `env` (the caller holds the environment's lock).
    fn write_tag(&self, env: &str, name: &str, id: &SnapshotId) -> Result<()> {
        let dir = self.tags_dir(env)?;
        create_private_dir_all(&dir)?;
        // The temporary file lives where the lock holder cleans up after crashed writers.
        let temp = dir.join(unique_temp_name("tag"));
        replace_file_synced(&temp, &dir.join(name), format!("{id}\n").as_bytes())
    }

    /// Migration: writes every tag of `env` into store-v2, naming the migrated snapshots, once
    /// its store-v1 snapshots are moved (store-v1 and its tags are deleted afterwards).
    pub(crate) fn migrate_tags(&self, env: &str) -> Result<usize> {
        let _lock = self.lock(env, self.default_lock_timeout())?;
        let snapshots = self.list(env)?;
        let stored = self.stored_tags(env)?;
        let in_v2 = read_tags(&self.tags_dir(env)?)?;
        let mut written = 0;
        for (name, id) in stored {
            let current = self.current_id(&snapshots, id);
            if in_v2.get(&name) != Some(&current) {
                self.write_tag(env, &name, &current)?;
                written += 1;
            }
        }
        Ok(written)
    }

    fn tag_not_found(&self, env: &str, name: &str) -> StoreError {
        let available = self
            .stored_tags(env)
            .map(|tags| tags.into_keys().collect())
            .unwrap_or_default();
        StoreError::TagNotFound {
            env: env.to_owned(),
            tag: name.to_owned(),
            available,
        }
    }

    /// Checks an environment's tags (both layouts): every file a valid tag naming a snapshot
    /// that exists; temporary files of interrupted writers are leftovers.
    pub(crate) fn verify_tags(&self, env: &str, report: &mut VerifyReport) {
        let Ok(v2) = self.tags_dir(env) else { return };
        let snapshots = self.list(env).unwrap_or_default();
        for dir in [v2, self.legacy_tags_dir(env)] {
            let entries = match fs_err::read_dir(&dir) {
                Ok(entries) => entries,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => {
                    report
                        .store_problems
                        .push(problem(dir, format!("cannot list tags: {err}")));
                    continue;
                }
            };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(|entry| entry.file_name());
            for entry in entries {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if is_temporary_name(&name) {
                    report.leftovers.push(path);
                    continue;
                }
                if validate_tag(&name).is_err() {
                    report.store_problems.push(problem(
                        path,
                        format!(
                            "unexpected file in the tags of environment '{env}' (not a tag name)"
                        ),
                    ));
                    continue;
                }
                match read_tag(&dir, &name) {
                    Ok(Some(id)) => {
                        let current = self.current_id(&snapshots, id);
                        if !snapshots.iter().any(|s| s.id == current) {
                            report.store_problems.push(problem(
                                path,
                                format!(
                                    "tag '{name}' names snapshot {current}, which does not exist"
                                ),
                            ));
                        }
                    }
                    Ok(None) => {}
                    Err(err) => report.store_problems.push(problem(path, err.to_string())),
                }
            }
        }
    }
}

/// The tags in a tags folder (none when it does not exist); temporary and misnamed files are
/// left out (`verify` reports them).
fn read_tags(dir: &Path) -> Result<BTreeMap<String, SnapshotId>> {
    let mut tags = BTreeMap::new();
    for entry in dir_entries(dir)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if validate_tag(&name).is_ok() {
            if let Some(id) = read_tag(dir, &name)? {
                tags.insert(name, id);
            }
        }
    }
    Ok(tags)
}

/// The snapshot a tag file names; `None` when there is no such tag.
fn read_tag(dir: &Path, name: &str) -> Result<Option<SnapshotId>> {
    let path = dir.join(name);
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    // A checkout on Windows may have turned the newline into CRLF.
    SnapshotId::parse(text.trim_end_matches(['\n', '\r']))
        .map(Some)
        .ok_or(StoreError::BadTag { path })
}

fn problem(path: PathBuf, problem: String) -> StoreProblem {
    StoreProblem { path, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_cannot_be_mistaken_for_anything_else() {
        for good in ["promoted", "release-42", "r_1", "a"] {
            assert!(validate_tag(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "latest",
            "live",
            "Promoted",
            "20261128T031500Z-3fa9c2d1",
            "1st",
            "../x",
            "a/b",
            "a b",
            "-x",
            &"x".repeat(65),
        ] {
            let err = validate_tag(bad).unwrap_err();
            assert!(matches!(err, StoreError::InvalidTag { .. }), "{bad}: {err}");
        }
    }
}
