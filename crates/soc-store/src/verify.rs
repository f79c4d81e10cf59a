//! Checking snapshots against their manifests, read-only.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use soc_text::error_chain;

use crate::error::StoreError;
use crate::fsutil::{is_temporary_name, sha256_file};
use crate::id::SnapshotId;
use crate::lock::{LOCK_FILE, STORE_LOCK_FILE};
use crate::manifest::{
    MANIFEST_EXTENSION, MANIFEST_FILE, Manifest, NormalizedKind, WorkflowRecord, content_hash,
};
use crate::name::validate_environment;
use crate::pack::{self, Hash, Objects, is_pack_name, parse_hash};
use crate::store::{PACKS_DIR, RAW_DIR, SNAPSHOTS_DIR, Store, VIEW_DIR};
use crate::tags::TAGS_DIR;
use crate::view::{STATE_FILE, ViewState};

/// What [`Store::verify`] found. Serializes to JSON for tools; displays as lines for humans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// One entry per snapshot, by environment then id.
    pub snapshots: Vec<SnapshotCheck>,
    /// Problems outside any snapshot (damaged packs and objects, stray entries, a view that does
    /// not show the latest snapshot, unreadable folders).
    pub store_problems: Vec<StoreProblem>,
    /// Temporary files and folders of interrupted writers: never read, removed by the next
    /// writer. Not a problem.
    pub leftovers: Vec<PathBuf>,
    /// How many objects (committed and raw) were read back and checked against their hashes.
    pub objects_checked: usize,
    /// Things worth knowing that are not problems (objects no snapshot lists, a view update a
    /// crash interrupted).
    pub notes: Vec<String>,
}

/// The check of one snapshot folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotCheck {
    /// The environment folder it is in (or the manifest's, for a folder checked by path).
    pub environment: String,
    /// The folder name.
    pub id: String,
    /// The folder.
    pub path: PathBuf,
    /// How many workflows the manifest lists (0 if it cannot be read).
    pub workflows: usize,
    /// How many playbooks the manifest lists.
    pub playbooks: usize,
    /// Format 1: the raw exports (which can hold secrets) are inside the snapshot folder, as
    /// socdrift wrote them before format 2 moved them to the private raw area. Not a problem.
    pub raw_exports_inline: bool,
    /// Format 2: how many of the raw exports are not in the private raw area (all of them in a
    /// store cloned from git, which never holds any). Not a problem: diffs use the normalized
    /// files; only comparing under changed rules needs the raw exports.
    pub raw_exports_missing: usize,
    /// Everything wrong, in file name order; empty when the snapshot is intact.
    pub problems: Vec<Problem>,
}

/// One thing wrong with a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// The folder has no `manifest.json`.
    MissingManifest,
    /// `manifest.json` cannot be read, parsed, or breaks the manifest rules.
    BadManifest { error: String },
    /// The manifest's content no longer hashes to the hash in the snapshot id: the manifest
    /// was edited after the snapshot was written.
    ManifestMismatch { expected: String, actual: String },
    /// The manifest names another environment than the folder it is in.
    WrongEnvironment { manifest: String },
    /// A file the manifest lists is not there.
    MissingFile { file: String, workflow: String },
    /// A file the manifest lists cannot be read.
    UnreadableFile {
        file: String,
        workflow: String,
        error: String,
    },
    /// A file whose size or SHA-256 differs from the manifest.
    CorruptedFile {
        file: String,
        workflow: String,
        expected_sha256: String,
        actual_sha256: String,
        expected_size: Option<u64>,
        actual_size: u64,
    },
    /// A file or folder in the snapshot that the manifest does not list.
    ExtraFile { file: String },
    /// A raw export in the private raw area whose SHA-256 differs from the manifest.
    CorruptedRawExport {
        path: PathBuf,
        workflow: String,
        expected_sha256: String,
        actual_sha256: String,
    },
    /// Store-v2: an object the manifest lists (a workflow's normalized form or info) that no pack
    /// holds.
    MissingObject {
        workflow: String,
        what: String,
        sha256: String,
    },
    /// Store-v2: an object the manifest lists whose bytes in its pack no longer match its hash.
    CorruptedObject {
        workflow: String,
        what: String,
        sha256: String,
        pack: PathBuf,
        reason: String,
    },
}

/// Something wrong in the store outside a snapshot folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreProblem {
    /// The path concerned.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

impl VerifyReport {
    /// Whether nothing is wrong (leftovers of interrupted writers are not a problem).
    pub fn is_ok(&self) -> bool {
        self.store_problems.is_empty() && self.snapshots.iter().all(|s| s.problems.is_empty())
    }

    /// How many problems were found in all.
    pub fn problem_count(&self) -> usize {
        self.store_problems.len()
            + self
                .snapshots
                .iter()
                .map(|s| s.problems.len())
                .sum::<usize>()
    }
}

impl Store {
    /// Checks the store, read-only, like `git fsck`: every object of every pack is read back and
    /// checked against its hash; every snapshot of `env` (or of every environment when `None`)
    /// has a manifest that parses, follows the rules and matches its id, and every object it
    /// lists is in a pack (store-v1 folders: every file exists with the recorded size and SHA-256,
    /// with no file the manifest does not list); each environment's view shows its latest
    /// snapshot. Never modifies anything.
    pub fn verify(&self, env: Option<&str>) -> VerifyReport {
        let mut report = VerifyReport::default();
        let objects = scan_packs(&self.packs_dir(), &mut report);
        let raw = scan_packs(&self.raw_packs_dir(), &mut report);
        let envs = match env {
            Some(env) => match self.environment_dir(env) {
                Ok(dir) if dir.is_dir() || self.legacy_dir().join(env).is_dir() => {
                    vec![env.to_owned()]
                }
                Ok(dir) => {
                    report.store_problems.push(StoreProblem {
                        path: dir,
                        problem: format!("environment '{env}' has no snapshots"),
                    });
                    Vec::new()
                }
                Err(err) => {
                    report.store_problems.push(StoreProblem {
                        path: self.layout_dir().join(SNAPSHOTS_DIR),
                        problem: err.to_string(),
                    });
                    Vec::new()
                }
            },
            None => self.all_environments(&mut report),
        };
        let mut referenced = Referenced::default();
        for env in &envs {
            if let Ok(dir) = self.environment_dir(env) {
                verify_packed_environment(env, &dir, &objects, &raw, &mut referenced, &mut report);
            }
            let legacy = self.legacy_dir().join(env);
            if legacy.is_dir() {
                verify_environment(env, &legacy, &mut report);
                self.note_migrated_copies(env, &legacy, &mut report);
            }
            self.verify_view(env, &mut report);
            self.verify_tags(env, &mut report);
        }
        if env.is_none() && referenced.complete {
            let unlisted = objects
                .present
                .iter()
                .filter(|hash| !referenced.objects.contains(*hash))
                .count()
                + raw
                    .present
                    .iter()
                    .filter(|hash| !referenced.raw.contains(*hash))
                    .count();
            if unlisted > 0 {
                report.notes.push(format!(
                    "{} that no snapshot lists (left by pruned snapshots or interrupted writers); \
                     `socdrift prune` deletes them",
                    plural(unlisted, "object")
                ));
            }
        }
        report
    }

    /// The environments of both layouts; stray entries where environments are kept are problems.
    fn all_environments(&self, report: &mut VerifyReport) -> Vec<String> {
        let mut envs = BTreeSet::new();
        let snapshots = self.layout_dir().join(SNAPSHOTS_DIR);
        for (dir, allowed) in [
            (
                self.layout_dir().to_owned(),
                &[".gitignore", ".gitattributes", STORE_LOCK_FILE][..],
            ),
            (self.legacy_dir().to_owned(), &[".gitignore"][..]),
        ] {
            if !dir.is_dir() {
                continue;
            }
            let in_layout = dir == self.layout_dir();
            for (name, path, is_dir) in read_entries(&dir, report) {
                if allowed.contains(&name.as_str()) && !is_dir {
                    continue;
                }
                if in_layout {
                    if is_dir && [SNAPSHOTS_DIR, PACKS_DIR, VIEW_DIR].contains(&name.as_str()) {
                        continue;
                    }
                    if is_dir && name == TAGS_DIR {
                        // Tags of an environment without snapshots are checked (and dangle).
                        for (name, path, is_dir) in read_entries(&path, report) {
                            classify_environment(name, path, is_dir, &mut envs, report);
                        }
                        continue;
                    }
                    report.store_problems.push(StoreProblem {
                        path,
                        problem: "unexpected entry in the store (not snapshots, packs, view or \
                                  tags)"
                            .to_owned(),
                    });
                    continue;
                }
                classify_environment(name, path, is_dir, &mut envs, report);
            }
        }
        if snapshots.is_dir() {
            for (name, path, is_dir) in read_entries(&snapshots, report) {
                classify_environment(name, path, is_dir, &mut envs, report);
            }
        }
        envs.into_iter().collect()
    }

    /// A note on store-v1 snapshots that a store-v2 snapshot of the same time already replaces
    /// (an interrupted `socdrift migrate`): they are checked, but no longer listed.
    fn note_migrated_copies(&self, env: &str, legacy: &Path, report: &mut VerifyReport) {
        let (Ok(dir), Ok(old)) = (
            self.environment_dir(env),
            Store::list_legacy_env_dir(legacy),
        ) else {
            return;
        };
        let Ok(new) = Store::list_env_dir(&dir) else {
            return;
        };
        let times: BTreeSet<_> = new.iter().map(|s| s.created).collect();
        let copies = old.iter().filter(|s| times.contains(&s.created)).count();
        if copies > 0 {
            report.notes.push(format!(
                "{} of {env} in store-v1 {} already migrated to store-v2, which replaces {}; \
                 run `socdrift migrate` again to finish moving the store",
                plural(copies, "snapshot"),
                if copies == 1 { "is" } else { "are" },
                if copies == 1 { "it" } else { "them" },
            ));
        }
    }

    /// Whether the environment's view shows its latest snapshot. A view a crash left half
    /// updated is a note (the next writer finishes it); one that differs otherwise is a problem.
    fn verify_view(&self, env: &str, report: &mut VerifyReport) {
        let (Ok(view), Ok(env_dir)) = (self.view_dir(env), self.environment_dir(env)) else {
            return;
        };
        let latest = match self.list(env).map(|mut list| list.pop()) {
            Ok(Some(latest)) => latest,
            _ => return,
        };
        // Store-v1 snapshots have no view until migrated or followed by a store-v2 snapshot.
        if latest.path.is_dir() {
            return;
        }
        let Ok(manifest) = read_any_manifest(&latest.path) else {
            return; // reported with the snapshot
        };
        let diff = crate::view::compare(&view, &manifest.workflows);
        if diff.is_empty() {
            return;
        }
        let mut parts = Vec::new();
        for (what, paths) in [
            ("differ", &diff.differing),
            ("missing", &diff.missing),
            ("extra", &diff.extra),
        ] {
            if !paths.is_empty() {
                let names: Vec<String> = paths
                    .iter()
                    .take(3)
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect();
                let more = if paths.len() > 3 { ", …" } else { "" };
                parts.push(format!(
                    "{} {what} ({}{more})",
                    paths.len(),
                    names.join(", ")
                ));
            }
        }
        let state = ViewState::read(&env_dir);
        if state.updating {
            report.notes.push(format!(
                "the view of {env} ({}) is being updated to {} or a writer was interrupted while \
                 updating it ({}); the next snapshot of {env}, or `socdrift view --env {env}`, \
                 finishes it",
                view.display(),
                latest.id,
                parts.join(", ")
            ));
        } else {
            report.store_problems.push(StoreProblem {
                path: view,
                problem: format!(
                    "the view does not show the latest snapshot {} of {env}: {}; \
                     `socdrift view --env {env}` rewrites it",
                    latest.id,
                    parts.join(", ")
                ),
            });
        }
    }
}

/// A manifest of either layout, by the path a listing gives (file or folder).
fn read_any_manifest(path: &Path) -> Result<Manifest, StoreError> {
    if path.is_dir() {
        Manifest::read(path)
    } else {
        Manifest::read_packed(path)
    }
}

fn classify_environment(
    name: String,
    path: PathBuf,
    is_dir: bool,
    envs: &mut BTreeSet<String>,
    report: &mut VerifyReport,
) {
    match validate_environment(&name) {
        Ok(()) if is_dir => {
            envs.insert(name);
        }
        Ok(()) => report.store_problems.push(StoreProblem {
            path,
            problem: "unexpected file where environments are kept".to_owned(),
        }),
        Err(err) => report.store_problems.push(StoreProblem {
            path,
            problem: format!("not an environment: {err}"),
        }),
    }
}

/// What the packs of one area hold, after reading every object back.
#[derive(Debug, Default)]
struct PackScan {
    /// Every object some readable pack holds.
    present: HashSet<Hash>,
    /// Damaged objects: the pack and why.
    damaged: HashMap<Hash, (PathBuf, String)>,
}

/// Reads every pack of an area and every object in it (checked against its hash); damaged packs
/// and objects are store problems, temporary packs leftovers.
fn scan_packs(dir: &Path, report: &mut VerifyReport) -> PackScan {
    let mut scan = PackScan::default();
    if !dir.is_dir() {
        return scan;
    }
    for (name, path, is_dir) in read_entries(dir, report) {
        if is_temporary_name(&name) {
            report.leftovers.push(path);
            continue;
        }
        if is_dir || !is_pack_name(&name) {
            report.store_problems.push(StoreProblem {
                path,
                problem: "unexpected entry among the packs".to_owned(),
            });
            continue;
        }
        match pack::check_pack(&path) {
            Ok((entries, damaged)) => {
                report.objects_checked += entries.len();
                scan.present.extend(entries.iter().map(|entry| entry.hash));
                for (hash, reason) in damaged {
                    report.store_problems.push(StoreProblem {
                        path: path.clone(),
                        problem: format!("object {hash} is damaged: {reason}"),
                    });
                    if let Some(hash) = parse_hash(&hash) {
                        scan.damaged.insert(hash, (path.clone(), reason));
                    }
                }
            }
            Err(err) => report.store_problems.push(StoreProblem {
                path,
                problem: format!("unreadable pack: {}", error_chain(&err)),
            }),
        }
    }
    scan
}

/// The objects the verified snapshots list; `complete` is false when a manifest could not be read
/// (then what is unlisted is unknown).
#[derive(Debug)]
struct Referenced {
    objects: HashSet<Hash>,
    raw: HashSet<Hash>,
    complete: bool,
}

impl Default for Referenced {
    fn default() -> Self {
        Referenced {
            objects: HashSet::new(),
            raw: HashSet::new(),
            complete: true,
        }
    }
}

/// Checks the store-v2 manifests of an environment folder and its other entries.
fn verify_packed_environment(
    env: &str,
    dir: &Path,
    objects: &PackScan,
    raw: &PackScan,
    referenced: &mut Referenced,
    report: &mut VerifyReport,
) {
    if !dir.is_dir() {
        return;
    }
    for (name, path, is_dir) in read_entries(dir, report) {
        if is_temporary_name(&name) {
            report.leftovers.push(path);
        } else if (name == LOCK_FILE || name == STATE_FILE) && !is_dir {
            continue;
        } else if let Some(id) = name
            .strip_suffix(MANIFEST_EXTENSION)
            .filter(|_| !is_dir)
            .and_then(SnapshotId::parse)
        {
            let check = verify_packed(env, &id, &path, objects, raw, referenced);
            report.snapshots.push(check);
        } else {
            report.store_problems.push(StoreProblem {
                path,
                problem: format!(
                    "unexpected {} in environment '{env}' (not a snapshot manifest)",
                    if is_dir { "folder" } else { "file" }
                ),
            });
        }
    }
}

/// Checks one store-v2 snapshot against the scanned packs.
fn verify_packed(
    env: &str,
    id: &SnapshotId,
    path: &Path,
    objects: &PackScan,
    raw: &PackScan,
    referenced: &mut Referenced,
) -> SnapshotCheck {
    let mut check = SnapshotCheck::unchecked(env, id.to_string(), path);
    let manifest = match crate::manifest::read_compressed(path)
        .and_then(|bytes| Manifest::parse(path, &bytes).map(|manifest| (manifest, bytes)))
    {
        Ok((manifest, bytes)) if manifest.is_packed() => {
            check_id(id, &manifest, &bytes, &mut check);
            manifest
        }
        Ok(_) => {
            check.problems.push(Problem::BadManifest {
                error: "a store-v2 manifest must have format version 3".to_owned(),
            });
            referenced.complete = false;
            return check;
        }
        Err(err) => {
            check.problems.push(Problem::BadManifest {
                error: error_chain(&err),
            });
            referenced.complete = false;
            return check;
        }
    };
    check.playbooks = manifest.records(soc_normalize::Kind::Playbook).count();
    check.workflows = manifest.workflows.len() - check.playbooks;
    if manifest.environment != env {
        check.problems.push(Problem::WrongEnvironment {
            manifest: manifest.environment.clone(),
        });
    }
    for record in &manifest.workflows {
        check_packed_record(record, (objects, raw), referenced, &mut check);
    }
    check.problems.sort_by(|a, b| a.file().cmp(b.file()));
    check
}

/// Checks that the objects one record of a store-v2 snapshot names are in the scanned packs and
/// sound, and marks them referenced; raw exports absent are counted, not problems.
fn check_packed_record(
    record: &WorkflowRecord,
    (objects, raw): (&PackScan, &PackScan),
    referenced: &mut Referenced,
    check: &mut SnapshotCheck,
) {
    let mut listed = vec![("info", &record.info_sha256)];
    if record.normalized_kind == NormalizedKind::Json {
        listed.push(("normalized form", &record.normalized_sha256));
    }
    for (what, sha256) in listed {
        let Some(hash) = parse_hash(sha256) else {
            continue; // the manifest rules refuse malformed hashes
        };
        referenced.objects.insert(hash);
        if let Some((pack, reason)) = objects.damaged.get(&hash) {
            check.problems.push(Problem::CorruptedObject {
                workflow: record.name.clone(),
                what: what.to_owned(),
                sha256: sha256.clone(),
                pack: pack.clone(),
                reason: reason.clone(),
            });
        } else if !objects.present.contains(&hash) {
            check.problems.push(Problem::MissingObject {
                workflow: record.name.clone(),
                what: what.to_owned(),
                sha256: sha256.clone(),
            });
        }
    }
    match parse_hash(&record.export_sha256) {
        Some(hash) => {
            referenced.raw.insert(hash);
            if let Some((pack, reason)) = raw.damaged.get(&hash) {
                check.problems.push(Problem::CorruptedObject {
                    workflow: record.name.clone(),
                    what: "raw export".to_owned(),
                    sha256: record.export_sha256.clone(),
                    pack: pack.clone(),
                    reason: reason.clone(),
                });
            } else if !raw.present.contains(&hash) {
                check.raw_exports_missing += 1;
            }
        }
        None => check.raw_exports_missing += 1,
    }
}

/// Whether the manifest's content still hashes to the hash in its id.
fn check_id(id: &SnapshotId, manifest: &Manifest, bytes: &[u8], check: &mut SnapshotCheck) {
    let workflows = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|mut value| value.get_mut("workflows").map(serde_json::Value::take))
        .unwrap_or_default();
    let actual = content_hash(&manifest.profile_hash, &workflows);
    let expected = id.as_str().rsplit('-').next().unwrap_or_default();
    if !actual.starts_with(expected) {
        check.problems.push(Problem::ManifestMismatch {
            expected: expected.to_owned(),
            actual: actual.chars().take(expected.len()).collect(),
        });
    }
}

/// Entries of a folder as (name, path, is_dir), sorted; failures become store problems.
fn read_entries(dir: &Path, report: &mut VerifyReport) -> Vec<(String, PathBuf, bool)> {
    let mut entries = Vec::new();
    let iter = match fs_err::read_dir(dir) {
        Ok(iter) => iter,
        Err(err) => {
            report.store_problems.push(StoreProblem {
                path: dir.to_owned(),
                problem: format!("cannot read folder: {err}"),
            });
            return entries;
        }
    };
    for entry in iter {
        match entry.and_then(|e| Ok((e.file_name(), e.path(), e.file_type()?.is_dir()))) {
            Ok((name, path, is_dir)) => {
                entries.push((name.to_string_lossy().into_owned(), path, is_dir));
            }
            Err(err) => report.store_problems.push(StoreProblem {
                path: dir.to_owned(),
                problem: format!("cannot read folder entry: {err}"),
            }),
        }
    }
    entries.sort();
    entries
}

fn verify_environment(env: &str, dir: &Path, report: &mut VerifyReport) {
    for (name, path, is_dir) in read_entries(dir, report) {
        if is_temporary_name(&name) {
            report.leftovers.push(path);
        } else if name == LOCK_FILE && !is_dir {
            continue;
        } else if name == TAGS_DIR && is_dir {
            continue; // checked with the environment's store-v2 tags
        } else if is_dir && SnapshotId::parse(&name).is_some() {
            let check = verify_snapshot_in(env, &path, true);
            report.snapshots.push(check);
        } else {
            report.store_problems.push(StoreProblem {
                path,
                problem: format!(
                    "unexpected {} in environment '{env}' (not a snapshot id)",
                    if is_dir { "folder" } else { "file" }
                ),
            });
        }
    }
}

/// Checks one snapshot given by path: a store-v2 manifest file (each object it lists is read back
/// from its store's packs and checked against its hash), or a store-v1 snapshot folder anywhere
/// (the snapshot-id check applies only when the folder's name is a snapshot id).
pub fn verify_snapshot(path: &Path) -> SnapshotCheck {
    if path.is_dir() {
        return verify_snapshot_in("", path, false);
    }
    if let Some(folder) = crate::snapshot::legacy_folder_of_manifest(path) {
        return verify_snapshot_in("", &folder, false);
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = SnapshotId::parse(name.strip_suffix(MANIFEST_EXTENSION).unwrap_or(&name))
        .unwrap_or_else(|| SnapshotId::from_folder_name(name.clone()));
    let env = path
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(layout) = crate::snapshot::layout_of_manifest(path) else {
        return SnapshotCheck {
            environment: env,
            id: id.to_string(),
            path: path.to_owned(),
            workflows: 0,
            playbooks: 0,
            raw_exports_inline: false,
            raw_exports_missing: 0,
            problems: vec![Problem::BadManifest {
                error: StoreError::OutsideStore {
                    path: path.to_owned(),
                }
                .to_string(),
            }],
        };
    };
    let objects = Objects::new(layout.join(PACKS_DIR));
    let raw = Objects::new(
        layout
            .parent()
            .unwrap_or(Path::new(""))
            .join(RAW_DIR)
            .join(PACKS_DIR),
    );
    let (scan, raw_scan) = match crate::manifest::read_compressed(path)
        .and_then(|bytes| Manifest::parse(path, &bytes))
    {
        Ok(manifest) => (
            read_listed(
                &objects,
                manifest.workflows.iter().flat_map(|r| {
                    let normalized = (r.normalized_kind == NormalizedKind::Json)
                        .then_some(r.normalized_sha256.as_str());
                    std::iter::once(r.info_sha256.as_str()).chain(normalized)
                }),
            ),
            read_listed(
                &raw,
                manifest.workflows.iter().map(|r| r.export_sha256.as_str()),
            ),
        ),
        Err(_) => (PackScan::default(), PackScan::default()),
    };
    verify_packed(
        &env,
        &id,
        path,
        &scan,
        &raw_scan,
        &mut Referenced::default(),
    )
}

/// Reads each listed object back from `objects`, checking it against its hash.
fn read_listed<'a>(objects: &Objects, hashes: impl Iterator<Item = &'a str>) -> PackScan {
    let mut scan = PackScan::default();
    for hash in hashes.filter_map(parse_hash) {
        match objects.get(&hash) {
            Ok(Some(_)) => {
                scan.present.insert(hash);
            }
            Ok(None) => {}
            Err(StoreError::CorruptedObject { pack, reason, .. }) => {
                scan.damaged.insert(hash, (pack, reason));
            }
            Err(err) => {
                scan.damaged
                    .insert(hash, (objects.dir().to_owned(), error_chain(&err)));
            }
        }
    }
    scan
}

fn verify_snapshot_in(env: &str, path: &Path, in_store: bool) -> SnapshotCheck {
    let id = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut check = SnapshotCheck::unchecked(env, id.clone(), path);
    let (bytes, manifest) = match read_snapshot_manifest(path) {
        Ok(read) => read,
        Err(problem) => {
            check.problems.push(problem);
            return check;
        }
    };
    let playbooks = manifest.records(soc_normalize::Kind::Playbook).count();
    check.workflows = manifest.workflows.len() - playbooks;
    check.playbooks = playbooks;
    check.raw_exports_inline = manifest.raw_exports_inline();
    if !check.raw_exports_inline {
        verify_raw_exports(path, &manifest, &mut check);
    }
    if !in_store {
        check.environment.clone_from(&manifest.environment);
    } else if manifest.environment != env {
        check.problems.push(Problem::WrongEnvironment {
            manifest: manifest.environment.clone(),
        });
    }
    if let Some(parsed) = SnapshotId::parse(&id) {
        check_id(&parsed, &manifest, &bytes, &mut check);
    }
    let listed = verify_listed_files(path, &manifest, &mut check);
    report_unlisted_files(path, &listed, &mut check);
    check.problems.sort_by(|a, b| a.file().cmp(b.file()));
    check
}

/// Reads and parses a snapshot folder's manifest, keeping its bytes for the id check; a missing
/// or unreadable manifest is the snapshot's one problem.
fn read_snapshot_manifest(path: &Path) -> Result<(Vec<u8>, Manifest), Problem> {
    let manifest_path = path.join(MANIFEST_FILE);
    let bytes = match fs_err::read(&manifest_path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(Problem::MissingManifest);
        }
        Err(err) => {
            return Err(Problem::BadManifest {
                error: err.to_string(),
            });
        }
    };
    match Manifest::parse(&manifest_path, &bytes) {
        Ok(manifest) => Ok((bytes, manifest)),
        Err(err) => Err(Problem::BadManifest {
            error: error_chain(&err),
        }),
    }
}

/// Checks every file the manifest lists in the snapshot folder against its recorded hash and
/// size; returns the names listed (the manifest included) so unlisted files can be reported.
fn verify_listed_files(
    path: &Path,
    manifest: &Manifest,
    check: &mut SnapshotCheck,
) -> BTreeSet<String> {
    let mut listed = BTreeSet::new();
    listed.insert(MANIFEST_FILE.to_owned());
    for record in &manifest.workflows {
        for file in record.files() {
            listed.insert(file.name.to_owned());
            let workflow = record.name.clone();
            let file_path = path.join(file.name);
            match sha256_file(&file_path) {
                Ok((actual_sha256, actual_size)) => {
                    let size_ok = file.size.is_none_or(|size| size == actual_size);
                    if actual_sha256 != file.sha256 || !size_ok {
                        check.problems.push(Problem::CorruptedFile {
                            file: file.name.to_owned(),
                            workflow,
                            expected_sha256: file.sha256.to_owned(),
                            actual_sha256,
                            expected_size: file.size,
                            actual_size,
                        });
                    }
                }
                Err(StoreError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                    check.problems.push(Problem::MissingFile {
                        file: file.name.to_owned(),
                        workflow,
                    });
                }
                Err(err) => check.problems.push(Problem::UnreadableFile {
                    file: file.name.to_owned(),
                    workflow,
                    error: error_chain(&err),
                }),
            }
        }
    }
    listed
}

/// Reports files in the snapshot folder the manifest does not list, and a folder that cannot be
/// listed at all.
fn report_unlisted_files(path: &Path, listed: &BTreeSet<String>, check: &mut SnapshotCheck) {
    let mut scratch = VerifyReport::default();
    for (name, _, _) in read_entries(path, &mut scratch) {
        if !listed.contains(&name) {
            check.problems.push(Problem::ExtraFile { file: name });
        }
    }
    for problem in scratch.store_problems {
        check.problems.push(Problem::UnreadableFile {
            file: ".".to_owned(),
            workflow: String::new(),
            error: problem.problem,
        });
    }
}

/// Checks the raw exports a format-2 snapshot lists in the private raw area: those present must
/// match the manifest; those absent are counted (normal in a clone).
fn verify_raw_exports(path: &Path, manifest: &Manifest, check: &mut SnapshotCheck) {
    let raw_dir = crate::snapshot::legacy_raw_dir_of(path);
    for record in &manifest.workflows {
        let Some(raw) = raw_dir
            .as_ref()
            .map(|dir| dir.join(record.raw_export_name()))
        else {
            check.raw_exports_missing += 1;
            continue;
        };
        match sha256_file(&raw) {
            Ok((actual, _)) if actual == record.export_sha256 => {}
            Ok((actual, _)) => check.problems.push(Problem::CorruptedRawExport {
                path: raw,
                workflow: record.name.clone(),
                expected_sha256: record.export_sha256.clone(),
                actual_sha256: actual,
            }),
            Err(_) => check.raw_exports_missing += 1,
        }
    }
}

impl Problem {
    /// The file concerned, if any (`manifest.json` for manifest problems).
    pub fn file(&self) -> &str {
        match self {
            Problem::MissingManifest
            | Problem::BadManifest { .. }
            | Problem::ManifestMismatch { .. }
            | Problem::WrongEnvironment { .. } => MANIFEST_FILE,
            Problem::MissingFile { file, .. }
            | Problem::UnreadableFile { file, .. }
            | Problem::CorruptedFile { file, .. }
            | Problem::ExtraFile { file } => file,
            Problem::CorruptedRawExport { .. } => "",
            Problem::MissingObject { sha256, .. } | Problem::CorruptedObject { sha256, .. } => {
                sha256
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MissingManifest => write!(f, "missing {MANIFEST_FILE}"),
            Problem::BadManifest { error } => write!(f, "bad {MANIFEST_FILE}: {error}"),
            Problem::ManifestMismatch { expected, actual } => write!(
                f,
                "{MANIFEST_FILE} was edited: its content hashes to {actual}, the snapshot id says {expected}"
            ),
            Problem::WrongEnvironment { manifest } => write!(
                f,
                "{MANIFEST_FILE} belongs to environment '{manifest}', not the one it is stored in"
            ),
            Problem::MissingFile { file, workflow } => {
                write!(f, "missing {file} (workflow {workflow:?})")
            }
            Problem::UnreadableFile {
                file,
                workflow,
                error,
            } => write!(f, "unreadable {file} (workflow {workflow:?}): {error}"),
            Problem::CorruptedFile {
                file,
                workflow,
                expected_sha256,
                actual_sha256,
                expected_size,
                actual_size,
            } => {
                write!(f, "corrupted {file} (workflow {workflow:?}): ")?;
                match expected_size {
                    Some(expected) if expected != actual_size => {
                        write!(f, "{actual_size} bytes, manifest says {expected}")
                    }
                    _ => write!(f, "sha256 {actual_sha256}, manifest says {expected_sha256}"),
                }
            }
            Problem::ExtraFile { file } => write!(f, "extra file {file} (not in {MANIFEST_FILE})"),
            Problem::CorruptedRawExport {
                path,
                workflow,
                expected_sha256,
                actual_sha256,
            } => write!(
                f,
                "corrupted raw export {} (workflow {workflow:?}): sha256 {actual_sha256}, manifest says {expected_sha256}",
                path.display()
            ),
            Problem::MissingObject {
                workflow,
                what,
                sha256,
            } => write!(
                f,
                "missing object {sha256}: the {what} of workflow {workflow:?} is in no pack"
            ),
            Problem::CorruptedObject {
                workflow,
                what,
                sha256,
                pack,
                reason,
            } => write!(
                f,
                "damaged object {sha256} in {}: the {what} of workflow {workflow:?}; {reason}",
                pack.display()
            ),
        }
    }
}

impl VerifyReport {
    /// The report for people, one line each: a line per snapshot, its problems indented below it,
    /// notes, then a summary. Lines hold names and paths as they are; print them escaped
    /// ([`soc_text::printable`]), as `Display` does.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for problem in &self.store_problems {
            lines.push(format!(
                "problem {}: {}",
                problem.path.display(),
                problem.problem
            ));
        }
        for snapshot in &self.snapshots {
            let label = snapshot.label();
            if snapshot.problems.is_empty() {
                let playbooks = if snapshot.playbooks > 0 {
                    format!(", {}", plural(snapshot.playbooks, "playbook"))
                } else {
                    String::new()
                };
                lines.push(format!(
                    "ok      {label} ({} workflows{playbooks})",
                    snapshot.workflows
                ));
            } else {
                lines.push(format!(
                    "BROKEN  {label} ({})",
                    plural(snapshot.problems.len(), "problem")
                ));
                for problem in &snapshot.problems {
                    lines.push(format!("          {problem}"));
                }
            }
        }
        for leftover in &self.leftovers {
            lines.push(format!(
                "note    {} is left over from an interrupted writer; the next snapshot removes it",
                leftover.display()
            ));
        }
        lines.extend(raw_export_notes(&self.snapshots));
        for note in &self.notes {
            lines.push(format!("note    {note}"));
        }
        let broken = self
            .snapshots
            .iter()
            .filter(|s| !s.problems.is_empty())
            .count();
        let mut summary = format!(
            "{} and {} checked, {}",
            plural(self.snapshots.len(), "snapshot"),
            plural(self.objects_checked, "object"),
            plural(self.problem_count(), "problem")
        );
        if broken > 0 {
            summary.push_str(&format!(" in {}", plural(broken, "snapshot")));
        }
        lines.push(summary);
        lines
    }
}

impl SnapshotCheck {
    /// The check of the snapshot at `path` before anything is known of it: no records, no
    /// problems.
    fn unchecked(env: &str, id: String, path: &Path) -> SnapshotCheck {
        SnapshotCheck {
            environment: env.to_owned(),
            id,
            path: path.to_owned(),
            workflows: 0,
            playbooks: 0,
            raw_exports_inline: false,
            raw_exports_missing: 0,
            problems: Vec::new(),
        }
    }

    /// `env/id`, or the id alone for a folder checked by path whose environment is unknown.
    pub fn label(&self) -> String {
        if self.environment.is_empty() {
            self.id.clone()
        } else {
            format!("{}/{}", self.environment, self.id)
        }
    }
}

/// Notes on where raw exports are: format-1 snapshots keep them inside (the folder must not be
/// published); format-2 snapshots whose raw exports are not here (a clone) can be diffed but not
/// renormalized under changed rules.
fn raw_export_notes(snapshots: &[SnapshotCheck]) -> Vec<String> {
    let mut notes = Vec::new();
    for snapshot in snapshots.iter().filter(|s| s.raw_exports_inline) {
        notes.push(format!(
            "note    {} keeps its raw exports, which can hold secrets, inside the snapshot folder \
             (format 1); `socdrift migrate` moves it to store-v2, whose raw exports stay in the \
             private raw-v2 folder",
            snapshot.label()
        ));
    }
    let without: Vec<&SnapshotCheck> = snapshots
        .iter()
        .filter(|s| s.raw_exports_missing > 0)
        .collect();
    if !without.is_empty() {
        let missing: usize = without.iter().map(|s| s.raw_exports_missing).sum();
        notes.push(format!(
            "note    {} of {} are not in this store (raw exports stay on the machine that took \
             the snapshot and are never committed); diffs use the normalized files, but comparing \
             under changed [normalize] rules needs a new snapshot",
            plural(missing, "raw export"),
            plural(without.len(), "snapshot")
        ));
    }
    notes
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{}", soc_text::printable(&line))?;
        }
        Ok(())
    }
}
