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
use std::path::PathBuf;
use std::rc::Rc;

use soc_diff::canvas::Drawable;
use soc_diff::{Document, Profile, Report};

use crate::live::Exported;

/// What the page says about a side drawn from a snapshot without its raw exports.
const NO_RAW_EXPORT: &str = "the snapshot keeps no canvas coordinates, and its raw export is not \
                             on this machine";

/// One side's documents, for drawing.
pub enum Source {
    /// A file or folder of exports, decoded once more when the first workflow is asked for.
    Exports {
        path: PathBuf,
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
    /// A folder or file of exports.
    pub fn exports(path: PathBuf) -> Self {
        Self::Exports {
            path,
            documents: None,
        }
    }

    fn lookup(&mut self, name: &str, profile: &Profile) -> Option<Drawable> {
        match self {
            Self::Exports { path, documents } => {
                let documents = documents.get_or_insert_with(|| {
                    match soc_diff::decode::load_path(path, profile) {
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
    let record = snapshot
        .manifest()
        .workflows
        .iter()
        .find(|record| record.name == name)?;
    match snapshot.raw_export(record) {
        Ok(Some(bytes)) => {
            let source = snapshot
                .raw_export_path(record)
                .map_or_else(|| record.stem.clone(), |p| p.display().to_string());
            match soc_diff::decode_export(&source, &bytes, profile) {
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
        match soc_diff::decode_export(&source, &export.bytes, profile) {
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

/// The document of this name among an export's documents.
fn pick(documents: Vec<Document>, name: &str) -> Option<Document> {
    documents.into_iter().find(|doc| doc.name == name)
}
