//! A scratch pack for a live side of a diff: exports (and playbook documents) are normalized as
//! they arrive and their canonical texts set aside on disk, compressed, so comparing a live
//! workspace holds in memory only the documents being normalized and the pairs being compared,
//! not the workspace.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use soc_normalize::{Entry, Kind, Normalized, NormalizedContent, Profile, SideEntries};

use crate::error::Result;
use crate::fsutil::create_private_dir;
use crate::pack::{Hash, PackEntry, PackWriter, compress, parse_hash, read_object};

/// One workflow or playbook set aside.
#[derive(Debug, Clone)]
struct Item {
    kind: Kind,
    name: String,
    source: String,
    sha256: String,
    layout_sha256: Option<String>,
    notes: Vec<String>,
    /// `None` for opaque content (known by hash and length only).
    opaque_len: Option<u64>,
}

/// Normalizes exports into a private temporary folder; [`finish`](Self::finish) turns it into
/// diff entries. Thread-safe: several threads can [`add_normalized`](Self::add_normalized) at once. The folder is
/// removed when the last of this and its entries is dropped.
#[derive(Debug)]
pub struct Scratch {
    profile_hash: String,
    dir: Arc<TempFolder>,
    pack: PackWriter,
    items: Mutex<Vec<Item>>,
}

/// The diff entries of a finished scratch pack; cheap to clone, reusable.
#[derive(Debug, Clone)]
pub struct ScratchEntries {
    profile_hash: String,
    items: Arc<Vec<Item>>,
    pack: Arc<Option<(PathBuf, HashMap<Hash, PackEntry>)>>,
    _dir: Arc<TempFolder>,
}

/// A folder removed on drop.
#[derive(Debug)]
struct TempFolder(PathBuf);

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.0);
    }
}

impl Scratch {
    /// A scratch pack in a new owner-only folder inside `parent` (the system's temporary folder
    /// when `None`), normalizing under `profile`.
    pub fn new(parent: Option<&Path>, profile: &Profile) -> Result<Scratch> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_owned);
        let dir = parent.join(format!(
            "socdrift-scratch-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        create_private_dir(&dir)?;
        let pack = PackWriter::new(dir.join("normalized.pack"));
        Ok(Scratch {
            profile_hash: profile.hash(),
            dir: Arc::new(TempFolder(dir)),
            pack,
            items: Mutex::new(Vec::new()),
        })
    }

    /// Sets a normalized workflow or playbook aside (normalized under the profile given to
    /// [`new`](Self::new)).
    pub fn add_normalized(&self, kind: Kind, normalized: Normalized) -> Result<()> {
        let opaque_len = match &normalized.content {
            NormalizedContent::Json { canonical } => {
                let hash = parse_hash(&normalized.sha256).unwrap_or_else(|| {
                    <sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes()).into()
                });
                if !self.pack.contains(&hash) {
                    let compressed = compress(canonical.as_bytes())?;
                    self.pack
                        .append(hash, canonical.len() as u64, &compressed)?;
                }
                None
            }
            NormalizedContent::Opaque { len, .. } => Some(*len),
        };
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Item {
                kind,
                name: normalized.name,
                source: normalized.source,
                sha256: normalized.sha256,
                layout_sha256: normalized.layout_sha256,
                notes: normalized.notes,
                opaque_len,
            });
        Ok(())
    }

    /// How many documents were set aside.
    pub fn len(&self) -> usize {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Finishes the pack; the entries read it back as the differ asks.
    pub fn finish(self) -> Result<ScratchEntries> {
        let pack = self.pack.finish()?.map(|pack| {
            let entries = pack.entries.iter().map(|e| (e.hash, *e)).collect();
            (pack.temp, entries)
        });
        let mut items = self
            .items
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        items.sort_by(|a, b| (a.kind, &a.name, &a.source).cmp(&(b.kind, &b.name, &b.source)));
        Ok(ScratchEntries {
            profile_hash: self.profile_hash,
            items: Arc::new(items),
            pack: Arc::new(pack),
            _dir: self.dir,
        })
    }
}

impl ScratchEntries {
    /// How many documents (workflows and playbooks) there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One deferred entry per workflow, known by its hashes under the scratch's profile; a loader
    /// reads the canonical text back (checked against its hash).
    pub fn entries(&self) -> Vec<Entry> {
        self.entries_of(Kind::Workflow)
    }

    /// Both kinds, as a live side of a diff: the workflows, and the playbooks (a live side
    /// always knows its playbooks).
    pub fn side_entries(&self) -> SideEntries {
        SideEntries {
            workflows: self.entries_of(Kind::Workflow),
            playbooks: Some(self.entries_of(Kind::Playbook)),
        }
    }

    /// One deferred entry per document of `kind`.
    pub fn entries_of(&self, kind: Kind) -> Vec<Entry> {
        self.items
            .iter()
            .filter(|item| item.kind == kind)
            .map(|item| {
                let (item, pack, dir) =
                    (item.clone(), Arc::clone(&self.pack), Arc::clone(&self._dir));
                Entry::Deferred {
                    name: item.name.clone(),
                    sha256: item.sha256.clone(),
                    layout_sha256: item.layout_sha256.clone(),
                    profile_hash: self.profile_hash.clone(),
                    load: Box::new(move || {
                        let _keep = dir;
                        load(&item, &pack).map_err(|err| Box::new(err) as _)
                    }),
                }
            })
            .collect()
    }
}

fn load(item: &Item, pack: &Option<(PathBuf, HashMap<Hash, PackEntry>)>) -> Result<Normalized> {
    let content = match item.opaque_len {
        Some(len) => NormalizedContent::Opaque {
            sha256: item.sha256.clone(),
            len,
        },
        None => {
            let found = parse_hash(&item.sha256).and_then(|hash| {
                pack.as_ref()
                    .and_then(|(path, entries)| entries.get(&hash).map(|entry| (path, *entry)))
            });
            let Some((path, entry)) = found else {
                return Err(crate::StoreError::Io(std::io::Error::other(format!(
                    "the normalized form of {:?} is not in the scratch pack",
                    item.name
                ))));
            };
            let bytes = read_object(path, &entry)?;
            let canonical =
                String::from_utf8(bytes).map_err(|err| crate::StoreError::BadNormalized {
                    path: path.clone(),
                    source: serde::de::Error::custom(err),
                })?;
            NormalizedContent::Json { canonical }
        }
    };
    Ok(Normalized {
        name: item.name.clone(),
        source: item.source.clone(),
        content,
        sha256: item.sha256.clone(),
        layout_sha256: item.layout_sha256.clone(),
        notes: item.notes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_aside_workflows_come_back_as_they_were_and_the_folder_goes() {
        let profile = Profile::default();
        let parent = tempfile::tempdir().unwrap();
        let scratch = Scratch::new(Some(parent.path()), &profile).unwrap();
        let raw = serde_json::json!({"id": "1", "name": "a", "versions": []}).to_string();
        let expected = crate::writer::normalize_single(
            &profile,
            raw.as_bytes(),
            Kind::Workflow,
            "a",
            "1",
            "live/1",
        )
        .unwrap();
        scratch
            .add_normalized(Kind::Workflow, expected.clone())
            .unwrap();
        let opaque = crate::writer::normalize_single(
            &profile,
            b"not json at all",
            Kind::Workflow,
            "b",
            "2",
            "live/2",
        )
        .unwrap();
        scratch.add_normalized(Kind::Workflow, opaque).unwrap();
        let entries = scratch.finish().unwrap();
        assert_eq!(entries.len(), 2);
        let mut loaded = Vec::new();
        for entry in entries.entries() {
            let Entry::Deferred { load, .. } = entry else {
                panic!("deferred entries")
            };
            loaded.push(load().unwrap());
        }
        assert_eq!(loaded[0], expected);
        assert!(matches!(
            loaded[1].content,
            NormalizedContent::Opaque { .. }
        ));
        assert_eq!(fs_err::read_dir(parent.path()).unwrap().count(), 1);
        drop(entries);
        assert_eq!(fs_err::read_dir(parent.path()).unwrap().count(), 0);
    }
}
