//! Where the drawing stage ([`soc_diff::canvas::draw`]) finds a side's documents, when a format
//! that draws (the review page, Markdown with Mermaid graphs) is asked for.
//!
//! Only the workflows a report draws are looked up (modified, layout-only, added, removed), after
//! the diff. A folder of exports is decoded again; a live side reuses the exports of this run; a
//! snapshot gives each workflow's raw export from the store's private raw area, or, where that is
//! not on this machine (a store cloned from git), its normalized form, which has no coordinates:
//! the page then draws it with an automatic layout and says why. Nothing here can fail a run: a
//! document that cannot be had is a canvas the page says it could not draw.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use soc_diff::Report;
use soc_diff::canvas::Drawable;
use soc_normalize::{Document, Entry, Profile};

use crate::live::Exported;

/// What the page says about a side drawn from a snapshot without its raw exports.
const NO_RAW_EXPORT: &str = "the snapshot keeps no canvas coordinates, and its raw export is not \
                             on this machine";

/// One side's documents, for drawing.
pub enum Source {
    /// A file or folder of exports: each workflow's file decoded once more (found by the
    /// source its document named when it was loaded), or, failing that, the whole folder.
    Exports {
        path: PathBuf,
        /// Workflow name -> where its document came from (`dir/file.json`, `x.zip!m.json`).
        sources: HashMap<String, String>,
        documents: Option<HashMap<String, Document>>,
    },
    /// A stored snapshot.
    Snapshot(soc_store::Snapshot),
    /// The exports of a live environment, made earlier in this run.
    Live(Rc<Vec<Exported>>),
    /// Nothing to draw from.
    None,
}

impl Source {
    /// A folder or file of exports, with the sources of its documents (see [`sources`]).
    pub fn exports(path: PathBuf, sources: HashMap<String, String>) -> Self {
        Self::Exports {
            path,
            sources,
            documents: None,
        }
    }

    fn lookup(&mut self, name: &str, profile: &Profile) -> Option<Drawable> {
        match self {
            Self::Exports {
                path,
                sources,
                documents,
            } => {
                let one = sources
                    .get(name)
                    .and_then(|source| file_of(source))
                    .and_then(|file| soc_normalize::decode::load_path(&file, profile).ok())
                    .and_then(|docs| pick(docs, name));
                if let Some(doc) = one {
                    return Some(Drawable::Document(doc));
                }
                let documents = documents.get_or_insert_with(|| {
                    match soc_normalize::decode::load_path(path, profile) {
                        Ok(docs) => docs.into_iter().map(|d| (d.name.clone(), d)).collect(),
                        Err(err) => {
                            tracing::warn!(path = %path.display(), error = %err, "cannot read exports again to draw them");
                            HashMap::new()
                        }
                    }
                });
                documents.remove(name).map(Drawable::Document)
            }
            Self::Snapshot(snapshot) => from_snapshot(snapshot, name, profile),
            Self::Live(exports) => from_live(exports, name, profile),
            Self::None => None,
        }
    }
}

/// Fills in the canvases of `report` (see [`soc_diff::canvas::draw`]) from the two sides.
pub fn draw(report: &mut Report, left: &mut Source, right: &mut Source, profile: &Profile) {
    soc_diff::canvas::draw(
        report,
        &mut |name| left.lookup(name, profile),
        &mut |name| right.lookup(name, profile),
        profile,
    );
}

fn from_snapshot(
    snapshot: &soc_store::Snapshot,
    name: &str,
    profile: &Profile,
) -> Option<Drawable> {
    // Only workflows are drawn; a playbook may share a workflow's name.
    let record = snapshot
        .records(soc_normalize::Kind::Workflow)
        .find(|record| record.name == name)?;
    match snapshot.raw_export(record) {
        Ok(Some(bytes)) => {
            let source = snapshot
                .raw_export_path(record)
                .map_or_else(|| record.stem.clone(), |p| p.display().to_string());
            match soc_normalize::decode_export(&source, &bytes, profile) {
                Ok(documents) => return pick(documents, name).map(Drawable::Document),
                Err(err) => {
                    tracing::warn!(workflow = name, error = %err, "cannot decode the raw export to draw it");
                }
            }
        }
        Ok(None) => {}
        Err(err) => {
            tracing::warn!(workflow = name, error = %err, "cannot read the raw export to draw it");
        }
    }
    match snapshot.load(record) {
        Ok(normalized) => Some(Drawable::Normalized {
            normalized,
            why: NO_RAW_EXPORT.to_owned(),
        }),
        Err(err) => {
            tracing::warn!(workflow = name, error = %err, "cannot load the workflow to draw it");
            None
        }
    }
}

fn from_live(exports: &[Exported], name: &str, profile: &Profile) -> Option<Drawable> {
    // The list entry names the workflow; an export whose entry has no name is decoded to see.
    let candidates = exports
        .iter()
        .filter(|(info, _)| info.name().is_none_or(|n| n == name));
    for (info, export) in candidates {
        let source = format!("live/{}", info.id());
        match soc_normalize::decode_export(&source, &export.bytes, profile) {
            Ok(documents) => {
                if let Some(doc) = pick(documents, name) {
                    return Some(Drawable::Document(doc));
                }
            }
            Err(err) => {
                tracing::warn!(workflow = name, error = %err, "cannot decode the export to draw it");
            }
        }
    }
    None
}

/// Where each loaded entry's document came from, by workflow name: what lets a folder's
/// workflow be decoded again from its own file.
pub fn sources(entries: &[Entry]) -> HashMap<String, String> {
    entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Loaded(normalized) => Some((normalized.name.clone(), normalized.source.clone())),
            Entry::Deferred { .. } => None,
        })
        .collect()
}

/// The file a document's source names: the source itself, or it without a ZIP member
/// (`x.zip!m.json`) or array position (`x.json[3]`).
fn file_of(source: &str) -> Option<PathBuf> {
    let mut end = source.len();
    loop {
        let candidate = Path::new(source.get(..end)?);
        if candidate.is_file() {
            return Some(candidate.to_owned());
        }
        end = source.get(..end)?.rfind(['!', '['])?;
    }
}

/// The document of this name among an export's documents.
fn pick(documents: Vec<Document>, name: &str) -> Option<Document> {
    documents.into_iter().find(|doc| doc.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_documents_source_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export[1]!x.json");
        std::fs::write(&file, "[]").unwrap();
        let zip = dir.path().join("all.zip");
        std::fs::write(&zip, "").unwrap();
        let at = |suffix: &str| file_of(&format!("{}{suffix}", file.display()));
        assert_eq!(at(""), Some(file.clone()));
        assert_eq!(at("[3]"), Some(file.clone()));
        assert_eq!(
            file_of(&format!("{}!member.json", zip.display())),
            Some(zip)
        );
        assert_eq!(
            file_of(&format!("{}/missing.json[2]", dir.path().display())),
            None
        );
    }
}
