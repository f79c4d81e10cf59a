//! Turning the bytes of one export file into documents for the normalizer.
//!
//! What an export file may hold is soc-model's knowledge ([`soc_model::read`]): JSON (a workflow,
//! an array of them, a wrapper), a ZIP of such members, or other bytes kept opaque; an empty file
//! or an HTML page is not an export. This module turns what soc-model reads into [`Document`]s
//! named by the profile's name key, within the profile's [`Limits`](soc_model::Limits), and
//! normalizes them as they come so that a large ZIP is never held whole as parsed trees.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use soc_model::{Item, ReadOptions};

use crate::kind::{ByKind, Kind};
use crate::normalize::Normalized;
use crate::profile::Profile;

pub use soc_model::document::CONTAINER_KEYS;
pub use soc_model::json::kind_of;

/// Why an export could not be decoded; always names the file (and ZIP member or array item).
pub type DecodeError = soc_model::ReadError;

/// One workflow (or one opaque file) out of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The workflow name (the value of the profile's name key), or for an opaque document the
    /// file or member name it came from.
    pub name: String,
    /// Where it came from, for messages: `path/to/file.json` or `export.zip!member.json` or
    /// `file.json[3]` for the fourth item of an array.
    pub source: String,
    /// What it holds.
    pub content: Content,
}

/// What a document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A JSON document (a workflow, or a playbook document).
    Json(Value),
    /// Not JSON (nor a ZIP of JSON): compared by hash only, reported as "binary content changed".
    Opaque {
        /// SHA-256 (lowercase hex) of the bytes.
        sha256: String,
        /// How many bytes.
        len: u64,
    },
}

impl Document {
    /// An opaque document for `bytes`, compared by SHA-256 only.
    pub fn opaque(name: impl Into<String>, source: impl Into<String>, bytes: &[u8]) -> Self {
        Self {
            name: name.into(),
            source: source.into(),
            content: Content::Opaque {
                sha256: hex::encode(Sha256::digest(bytes)),
                len: bytes.len() as u64,
            },
        }
    }

    fn from_item(item: Item<'_>) -> Self {
        match item {
            Item::Workflow(workflow) => Document {
                name: workflow.name,
                source: workflow.source,
                content: Content::Json(workflow.value),
            },
            Item::Opaque {
                name,
                source,
                bytes,
            } => Document::opaque(name, source, bytes),
        }
    }
}

/// Why [`load_path`] failed; names the path.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A folder could not be listed.
    #[error("cannot walk {}", path.display())]
    Walk {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: walkdir::Error,
    },
    /// A file could not be read as an export (it names the file).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A folder without a single export file: what a step that failed to write its exports
    /// leaves. Read as a side, it would pass for an empty workspace.
    #[error("{} holds no export file (hidden files and folders are skipped)", path.display())]
    NoExports {
        /// The folder.
        path: PathBuf,
    },
}

/// The folder `socdrift export` writes a workspace's playbook documents into, next to its
/// workflow exports. A folder that holds it knows its playbooks, none or some; it also tells the
/// export of an empty workspace from a folder that was never written.
pub const EXPORT_PLAYBOOKS_DIR: &str = "playbooks";

/// Decodes the bytes of one export file into documents.
///
/// `source` names the file in documents and errors (`staging/export.json`); an opaque document is
/// named after its last component. Never panics, whatever the bytes.
///
/// ```
/// use soc_normalize::{Profile, decode_export};
///
/// let profile = Profile::secmaster();
/// let bytes = br#"[{"name": "Block IP", "id": "1"}, {"name": "Notify", "id": "2"}]"#;
/// let docs = decode_export("export.json", bytes, &profile)?;
/// assert_eq!(docs[1].name, "Notify");
/// assert_eq!(docs[1].source, "export.json[1]");
///
/// let normalized = profile.normalize(&docs[0]);
/// assert_eq!(normalized.canonical(), Some("{\n  \"name\": \"Block IP\"\n}\n"));
///
/// let err = decode_export("bad.json", b"{\"name\": ", &profile).unwrap_err();
/// assert_eq!(err.to_string(), "bad.json: invalid JSON near byte 8");
/// # Ok::<(), soc_normalize::DecodeError>(())
/// ```
pub fn decode_export(
    source: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<Vec<Document>, DecodeError> {
    let mut documents = Vec::new();
    for_each_document(source, base_name(source), bytes, profile, &mut |doc| {
        documents.push(doc);
    })?;
    Ok(documents)
}

/// [`decode_export`], each document normalized as soon as it is decoded: only one ZIP member's
/// parsed trees are held at a time.
pub fn decode_normalized(
    source: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<Vec<Normalized>, DecodeError> {
    Ok(without_kinds(normalized_named(
        source,
        base_name(source),
        bytes,
        profile,
    )?))
}

fn without_kinds(documents: Vec<(Kind, Normalized)>) -> Vec<Normalized> {
    documents.into_iter().map(|(_, doc)| doc).collect()
}

fn base_name(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

fn for_each_document(
    source: &str,
    name: &str,
    bytes: &[u8],
    profile: &Profile,
    each: &mut dyn FnMut(Document),
) -> Result<(), DecodeError> {
    let options = ReadOptions {
        name_key: profile.name_key(),
        limits: profile.limits(),
    };
    soc_model::read_export(source, name, bytes, &options, &mut |item| {
        each(Document::from_item(item));
    })
}

fn normalized_named(
    source: &str,
    name: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<Vec<(Kind, Normalized)>, DecodeError> {
    let mut out = Vec::new();
    for_each_document(source, name, bytes, profile, &mut |doc| {
        out.push((Kind::of(&doc), profile.normalize_owned(doc)));
    })?;
    Ok(out)
}

/// Loads a single export file, or every file under a folder (recursively, sorted by name,
/// skipping hidden files and folders such as `.git`), each decoded with [`decode_export`]. Each
/// file is read within the profile's limits (a file over `max_export_bytes` is refused before it
/// is read).
///
/// Opaque documents from a folder are named by their path relative to it (with `/`), so the same
/// file in two snapshot folders gets the same name.
pub fn load_path(path: &Path, profile: &Profile) -> Result<Vec<Document>, LoadError> {
    let mut documents = Vec::new();
    for (file, name) in export_files(path)? {
        let bytes = soc_model::read_file(&file, profile.limits())?;
        for_each_document(
            &file.display().to_string(),
            &name,
            &bytes,
            profile,
            &mut |doc| documents.push(doc),
        )?;
    }
    Ok(documents)
}

/// [`load_path`], each document normalized: files are read, decoded and normalized on every core,
/// one file at a time per core, so the decoded exports are never all held at once. Documents come
/// in the order [`load_path`] gives; the error is that of the first file, in that order, that fails.
pub fn load_path_normalized(path: &Path, profile: &Profile) -> Result<Vec<Normalized>, LoadError> {
    load_path_kinded(path, profile).map(without_kinds)
}

/// [`load_path_normalized`], the documents apart by kind (workflows, playbooks), each in the
/// order [`load_path`] gives.
pub fn load_path_by_kind(
    path: &Path,
    profile: &Profile,
) -> Result<ByKind<Vec<Normalized>>, LoadError> {
    load_path_kinded(path, profile).map(ByKind::split)
}

fn load_path_kinded(path: &Path, profile: &Profile) -> Result<Vec<(Kind, Normalized)>, LoadError> {
    normalize_in_parallel(&export_files(path)?, |(file, name)| {
        let bytes = soc_model::read_file(file, profile.limits())?;
        Ok(normalized_named(
            &file.display().to_string(),
            name,
            &bytes,
            profile,
        )?)
    })
}

/// Each export (source, bytes) decoded with [`decode_export`] and its documents normalized, on
/// every core, in order; the error is that of the first export, in order, that fails to decode.
pub fn normalize_exports<S, B>(
    exports: &[(S, B)],
    profile: &Profile,
) -> Result<Vec<Normalized>, DecodeError>
where
    S: AsRef<str> + Sync,
    B: AsRef<[u8]> + Sync,
{
    normalize_exports_kinded(exports, profile).map(without_kinds)
}

/// [`normalize_exports`], the documents apart by kind (workflows, playbooks).
pub fn normalize_exports_by_kind<S, B>(
    exports: &[(S, B)],
    profile: &Profile,
) -> Result<ByKind<Vec<Normalized>>, DecodeError>
where
    S: AsRef<str> + Sync,
    B: AsRef<[u8]> + Sync,
{
    normalize_exports_kinded(exports, profile).map(ByKind::split)
}

fn normalize_exports_kinded<S, B>(
    exports: &[(S, B)],
    profile: &Profile,
) -> Result<Vec<(Kind, Normalized)>, DecodeError>
where
    S: AsRef<str> + Sync,
    B: AsRef<[u8]> + Sync,
{
    normalize_in_parallel(exports, |(source, bytes)| {
        let source = source.as_ref();
        normalized_named(source, base_name(source), bytes.as_ref(), profile)
    })
}

/// Runs `normalize` on each item, items spread over rayon's threads; the documents come in item
/// order, and the error is the first one in item order, however the work was scheduled.
fn normalize_in_parallel<T, N, E>(
    items: &[T],
    normalize: impl Fn(&T) -> Result<Vec<N>, E> + Sync,
) -> Result<Vec<N>, E>
where
    T: Sync,
    N: Send,
    E: Send,
{
    use rayon::prelude::*;
    let per_item: Vec<Result<Vec<N>, E>> = items.par_iter().map(&normalize).collect();
    let mut out = Vec::new();
    for part in per_item {
        out.extend(part?);
    }
    Ok(out)
}

/// The files `load_path` reads, in order, each with the name an opaque document from it gets:
/// `path` itself when it is not a folder, else every file under it (sorted, hidden ones
/// skipped). [`LoadError::NoExports`] for a folder without any, unless it holds
/// [`EXPORT_PLAYBOOKS_DIR`].
pub fn export_files(path: &Path) -> Result<Vec<(PathBuf, String)>, LoadError> {
    if path.exists() && !path.is_dir() {
        // A file, or anything read like one: the pipe of a shell's `<(…)`, `/dev/stdin`. Inside a
        // folder only regular files count, but a path given on its own is what was meant.
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        return Ok(vec![(path.to_path_buf(), name)]);
    }
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(path)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            entry.depth() == 0 || !entry.file_name().to_string_lossy().starts_with('.')
        });
    for entry in walker {
        let entry = entry.map_err(|source| LoadError::Walk {
            path: source
                .path()
                .map_or_else(|| path.to_path_buf(), Path::to_path_buf),
            source,
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let file = entry.path();
        let relative = file
            .strip_prefix(path)
            .ok()
            .filter(|r| !r.as_os_str().is_empty());
        let name = match relative {
            Some(relative) => relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            None => file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        };
        files.push((file.to_path_buf(), name));
    }
    if files.is_empty() && !path.join(EXPORT_PLAYBOOKS_DIR).is_dir() {
        return Err(LoadError::NoExports {
            path: path.to_path_buf(),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(bytes: &[u8]) -> Result<Vec<Document>, DecodeError> {
        decode_export("dir/export.json", bytes, &Profile::secmaster())
    }

    #[test]
    fn single_workflow_object() {
        let docs = decode(br#" {"name": "A", "x": 1}"#).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].name, "A");
        assert_eq!(docs[0].source, "dir/export.json");
        assert_eq!(docs[0].content, Content::Json(json!({"name": "A", "x": 1})));
    }

    #[test]
    fn arrays_and_wrappers_give_one_document_per_workflow() {
        for text in [
            r#"[{"name":"A"},{"name":"B"}]"#,
            r#"{"workflows":[{"name":"A"},{"name":"B"}]}"#,
            r#"{"code":"0","data":[{"name":"A"},{"name":"B"}],"total":2}"#,
        ] {
            let docs = decode(text.as_bytes()).unwrap();
            let names: Vec<_> = docs
                .iter()
                .map(|d| (d.name.as_str(), d.source.as_str()))
                .collect();
            assert_eq!(
                names,
                [("A", "dir/export.json[0]"), ("B", "dir/export.json[1]")],
                "{text}"
            );
        }
        assert!(decode(b"[]").unwrap().is_empty());
    }

    #[test]
    fn name_key_comes_from_the_profile() {
        let config = crate::ProfileConfig {
            name_key: Some("title".into()),
            ..Default::default()
        };
        let profile = Profile::secmaster().with_config(&config).unwrap();
        let docs = decode_export("x.json", br#"[{"title":"T","name":"N"}]"#, &profile).unwrap();
        assert_eq!(docs[0].name, "T");
        let err = decode_export("x.json", br#"{"name":"N"}"#, &profile).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.json: workflow object has no `title` field to name it (set `normalize.name_key` if it uses another)"
        );
    }

    #[test]
    fn other_bytes_are_opaque_but_empty_and_html_are_not_exports() {
        let docs =
            decode_export("a/b/report.pdf", b"%PDF-1.7 \x00", &Profile::secmaster()).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].name, "report.pdf");
        let Content::Opaque { sha256, len } = &docs[0].content else {
            panic!()
        };
        assert_eq!(*len, 10);
        assert_eq!(sha256, &hex::encode(Sha256::digest(b"%PDF-1.7 \x00")));
        assert!(matches!(
            decode(b"name: x\n").unwrap()[0].content,
            Content::Opaque { .. }
        ));
        // Two different workflows must never compare equal because both came back empty.
        assert!(matches!(decode(b""), Err(DecodeError::NotAnExport { .. })));
        assert!(matches!(
            decode(b"<!DOCTYPE html><html></html>"),
            Err(DecodeError::NotAnExport { .. })
        ));
    }

    #[test]
    fn decoding_keeps_to_the_profile_limits() {
        let profile = Profile::secmaster().with_limits(soc_model::Limits {
            max_export_bytes: 10,
            ..soc_model::Limits::default()
        });
        let err = decode_export("x.json", br#"{"name": "ABCDEFGH"}"#, &profile).unwrap_err();
        assert_eq!(err.limit().unwrap().kind, soc_model::LimitKind::ExportSize);
        assert!(
            err.to_string().starts_with("x.json: is 20 B or more"),
            "{err}"
        );
    }

    #[test]
    fn load_path_walks_sorted_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("b.json"), br#"{"name":"B"}"#).unwrap();
        std::fs::write(root.join("a.json"), br#"{"name":"A"}"#).unwrap();
        std::fs::write(root.join("sub/c.bin"), b"\x00\x01").unwrap();
        std::fs::write(root.join(".hidden.json"), b"{broken").unwrap();
        std::fs::write(root.join(".git/HEAD"), b"{broken").unwrap();
        let docs = load_path(root, &Profile::secmaster()).unwrap();
        let names: Vec<_> = docs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "sub/c.bin"]);
        assert_eq!(docs[0].source, root.join("a.json").display().to_string());

        let single = load_path(&root.join("sub/c.bin"), &Profile::secmaster()).unwrap();
        assert_eq!(single[0].name, "c.bin");

        std::fs::write(root.join("sub/bad.json"), b"[{]").unwrap();
        let err = load_path(root, &Profile::secmaster()).unwrap_err();
        assert!(err.to_string().contains("bad.json"), "{err}");
        // A folder of no file is no export; the export of an empty workspace is one.
        std::fs::create_dir_all(root.join("empty/.git")).unwrap();
        std::fs::write(root.join("empty/.git/HEAD"), b"ref").unwrap();
        let err = load_path(&root.join("empty"), &Profile::secmaster()).unwrap_err();
        assert!(
            matches!(&err, LoadError::NoExports { path } if path.ends_with("empty")),
            "{err:?}"
        );
        std::fs::create_dir_all(root.join("empty").join(EXPORT_PLAYBOOKS_DIR)).unwrap();
        assert!(
            load_path(&root.join("empty"), &Profile::secmaster())
                .unwrap()
                .is_empty()
        );

        let err = load_path(&root.join("missing"), &Profile::secmaster()).unwrap_err();
        assert!(
            matches!(&err, LoadError::Walk { path, .. } if path.ends_with("missing")),
            "{err:?}"
        );
    }
}
