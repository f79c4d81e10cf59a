//! Checking snapshots against their manifests, read-only.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::StoreError;
use crate::fsutil::{is_temporary_name, sha256_file};
use crate::id::SnapshotId;
use crate::lock::LOCK_FILE;
use crate::manifest::{MANIFEST_FILE, Manifest, content_hash};
use crate::name::validate_environment;
use crate::store::Store;

/// What [`Store::verify`] found. Serializes to JSON for tools; displays as lines for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// One entry per snapshot folder, by environment then id.
    pub snapshots: Vec<SnapshotCheck>,
    /// Problems outside any snapshot (stray entries, unreadable folders).
    pub store_problems: Vec<StoreProblem>,
    /// Temporary folders of interrupted writers: never read, removed by the next writer. Not a
    /// problem.
    pub leftovers: Vec<PathBuf>,
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
    /// Checks every snapshot of `env`, or of every environment when `None`: the manifest parses and
    /// follows the rules, its content matches the id, and every file exists with the recorded size
    /// and SHA-256, with no file the manifest does not list. Never modifies anything.
    pub fn verify(&self, env: Option<&str>) -> VerifyReport {
        let mut report = VerifyReport {
            snapshots: Vec::new(),
            store_problems: Vec::new(),
            leftovers: Vec::new(),
        };
        let envs = match env {
            Some(env) => match self.environment_dir(env) {
                Ok(dir) if dir.is_dir() => vec![(env.to_owned(), dir)],
                Ok(dir) => {
                    report.store_problems.push(StoreProblem {
                        path: dir,
                        problem: format!("environment '{env}' has no snapshots"),
                    });
                    Vec::new()
                }
                Err(err) => {
                    report.store_problems.push(StoreProblem {
                        path: self.layout_dir().to_owned(),
                        problem: err.to_string(),
                    });
                    Vec::new()
                }
            },
            None => self.all_environment_dirs(&mut report),
        };
        for (env, dir) in envs {
            verify_environment(&env, &dir, &mut report);
        }
        report
    }

    fn all_environment_dirs(&self, report: &mut VerifyReport) -> Vec<(String, PathBuf)> {
        let mut envs = Vec::new();
        for (name, path, is_dir) in read_entries(self.layout_dir(), report) {
            if name == ".gitignore" && !is_dir {
                continue;
            }
            match validate_environment(&name) {
                Ok(()) if is_dir => envs.push((name, path)),
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
        envs
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
        } else if name == crate::tags::TAGS_DIR && is_dir {
            crate::tags::verify_tags(env, dir, report);
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

/// Checks one snapshot folder anywhere (for example one passed by path). The snapshot-id check
/// applies only when the folder's name is a snapshot id.
pub fn verify_snapshot(path: &Path) -> SnapshotCheck {
    verify_snapshot_in("", path, false)
}

fn verify_snapshot_in(env: &str, path: &Path, in_store: bool) -> SnapshotCheck {
    let id = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut check = SnapshotCheck {
        environment: env.to_owned(),
        id: id.clone(),
        path: path.to_owned(),
        workflows: 0,
        playbooks: 0,
        raw_exports_inline: false,
        raw_exports_missing: 0,
        problems: Vec::new(),
    };
    let manifest_path = path.join(MANIFEST_FILE);
    let bytes = match fs_err::read(&manifest_path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            check.problems.push(Problem::MissingManifest);
            return check;
        }
        Err(err) => {
            check.problems.push(Problem::BadManifest {
                error: err.to_string(),
            });
            return check;
        }
    };
    let manifest = match Manifest::parse(&manifest_path, &bytes) {
        Ok(manifest) => manifest,
        Err(err) => {
            check.problems.push(Problem::BadManifest {
                error: error_chain(&err),
            });
            return check;
        }
    };
    let playbooks = manifest
        .workflows
        .iter()
        .filter(|r| r.kind == soc_normalize::Kind::Playbook)
        .count();
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
        let workflows = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|mut value| value.get_mut("workflows").map(serde_json::Value::take))
            .unwrap_or_default();
        let actual = content_hash(&manifest.profile_hash, &workflows);
        let expected = parsed.as_str().rsplit('-').next().unwrap_or_default();
        if !actual.starts_with(expected) {
            check.problems.push(Problem::ManifestMismatch {
                expected: expected.to_owned(),
                actual: actual.chars().take(expected.len()).collect(),
            });
        }
    }

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
    let mut scratch = VerifyReport {
        snapshots: Vec::new(),
        store_problems: Vec::new(),
        leftovers: Vec::new(),
    };
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
    check.problems.sort_by(|a, b| a.file().cmp(b.file()));
    check
}

/// Checks the raw exports a format-2 snapshot lists in the private raw area: those present must
/// match the manifest; those absent are counted (normal in a clone).
fn verify_raw_exports(path: &Path, manifest: &Manifest, check: &mut SnapshotCheck) {
    let raw_dir = crate::snapshot::raw_dir_of(path);
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

/// An error and its causes on one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
        let broken = self
            .snapshots
            .iter()
            .filter(|s| !s.problems.is_empty())
            .count();
        let mut summary = format!(
            "{} checked, {}",
            plural(self.snapshots.len(), "snapshot"),
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
             (format 1); newer snapshots keep them out of it, in the private raw-v1 folder",
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
