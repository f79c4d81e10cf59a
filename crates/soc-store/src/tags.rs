//! Named snapshots: `promoted`, `release-42`.
//!
//! A tag names one snapshot of one environment, like a git tag names a commit, so CI can compare
//! against "what was promoted last" (`production@promoted`) without knowing its id. Each tag is
//! one small file, `store-v1/<env>/tags/<name>`, holding the snapshot id and a newline: readable,
//! committable, and moved by writing a new file and renaming it over the old one, so a reader
//! sees the old target or the new one, never a half-written file. Moving a tag takes the
//! environment's lock, so it never races a prune; pruning keeps tagged snapshots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};
use crate::fsutil::{create_private_dir_all, replace_file_synced, unique_temp_name};
use crate::id::SnapshotId;
use crate::store::Store;
use crate::verify::{StoreProblem, VerifyReport};

/// The folder of an environment that holds its tags.
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
    /// Points tag `name` of `env` at the snapshot `id` (which must exist), creating or moving the
    /// tag; returns the snapshot it named before, if any.
    pub fn tag(&self, env: &str, name: &str, id: &SnapshotId) -> Result<Option<SnapshotId>> {
        validate_tag(name)?;
        let (env_dir, _lock) = self.lock(env, self.default_lock_timeout())?;
        if !Self::list_env_dir(&env_dir)?.iter().any(|s| &s.id == id) {
            return Err(StoreError::SnapshotNotFound {
                env: env.to_owned(),
                selector: id.to_string(),
                available: "see `socdrift log`".to_owned(),
            });
        }
        let previous = read_tag(&env_dir, name)?;
        let dir = env_dir.join(TAGS_DIR);
        create_private_dir_all(&dir)?;
        // The temporary file lives where the lock holder cleans up after crashed writers.
        let temp = env_dir.join(unique_temp_name("tag"));
        replace_file_synced(&temp, &dir.join(name), format!("{id}\n").as_bytes())?;
        Ok(previous)
    }

    /// Deletes tag `name` of `env`; returns the snapshot it named.
    pub fn untag(&self, env: &str, name: &str) -> Result<SnapshotId> {
        validate_tag(name)?;
        let (env_dir, _lock) = self.lock(env, self.default_lock_timeout())?;
        let target =
            read_tag(&env_dir, name)?.ok_or_else(|| self.tag_not_found(env, name, &env_dir))?;
        fs_err::remove_file(env_dir.join(TAGS_DIR).join(name))?;
        crate::fsutil::sync_dir(&env_dir.join(TAGS_DIR))?;
        Ok(target)
    }

    /// The tags of `env` and the snapshots they name, sorted by tag name.
    pub fn tags(&self, env: &str) -> Result<Vec<(String, SnapshotId)>> {
        read_tags(&self.environment_dir(env)?)
    }

    /// The snapshot tag `name` names, checked to exist.
    pub(crate) fn tagged(&self, env: &str, name: &str) -> Result<SnapshotId> {
        let env_dir = self.environment_dir(env)?;
        let id =
            read_tag(&env_dir, name)?.ok_or_else(|| self.tag_not_found(env, name, &env_dir))?;
        if !Self::list_env_dir(&env_dir)?.iter().any(|s| s.id == id) {
            return Err(StoreError::DanglingTag {
                env: env.to_owned(),
                tag: name.to_owned(),
                id: id.to_string(),
            });
        }
        Ok(id)
    }

    fn tag_not_found(&self, env: &str, name: &str, env_dir: &Path) -> StoreError {
        let available = read_tags(env_dir)
            .map(|tags| tags.into_iter().map(|(name, _)| name).collect())
            .unwrap_or_default();
        StoreError::TagNotFound {
            env: env.to_owned(),
            tag: name.to_owned(),
            available,
        }
    }
}

/// The ids of the snapshots that some tag of the environment in `env_dir` names.
pub(crate) fn tagged_ids(env_dir: &Path) -> Result<BTreeSet<SnapshotId>> {
    Ok(read_tags(env_dir)?.into_iter().map(|(_, id)| id).collect())
}

fn read_tags(env_dir: &Path) -> Result<Vec<(String, SnapshotId)>> {
    let dir = env_dir.join(TAGS_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut tags = Vec::new();
    for entry in fs_err::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if validate_tag(&name).is_ok() {
            if let Some(id) = read_tag(env_dir, &name)? {
                tags.push((name, id));
            }
        }
    }
    tags.sort();
    Ok(tags)
}

/// The snapshot a tag file names; `None` when there is no such tag.
fn read_tag(env_dir: &Path, name: &str) -> Result<Option<SnapshotId>> {
    let path = env_dir.join(TAGS_DIR).join(name);
    let text = match fs_err::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    SnapshotId::parse(text.trim_end_matches('\n'))
        .map(Some)
        .ok_or(StoreError::BadTag { path })
}

/// Checks an environment's tags folder: every file a valid tag naming a snapshot that exists.
pub(crate) fn verify_tags(env: &str, env_dir: &Path, report: &mut VerifyReport) {
    let dir = env_dir.join(TAGS_DIR);
    let entries = match fs_err::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) => {
            report
                .store_problems
                .push(problem(dir, format!("cannot list tags: {err}")));
            return;
        }
    };
    let snapshots: BTreeSet<SnapshotId> = Store::list_env_dir(env_dir)
        .map(|list| list.into_iter().map(|s| s.id).collect())
        .unwrap_or_default();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if validate_tag(&name).is_err() {
            report.store_problems.push(problem(
                path,
                format!("unexpected file in the tags of environment '{env}' (not a tag name)"),
            ));
            continue;
        }
        match read_tag(env_dir, &name) {
            Ok(Some(id)) if !snapshots.contains(&id) => report.store_problems.push(problem(
                path,
                format!("tag '{name}' names snapshot {id}, which does not exist"),
            )),
            Ok(_) => {}
            Err(err) => report.store_problems.push(problem(path, err.to_string())),
        }
    }
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
