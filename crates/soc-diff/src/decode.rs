//! Turning the bytes of one export file into documents.
//!
//! The export file format is not documented (secmaster-api.md §2.4), so the bytes are sniffed:
//! - a ZIP (`PK\x03\x04`, or `PK\x05\x06` for an empty archive): each member is decoded as below
//!   (directories skipped; a member that is not JSON becomes an opaque document);
//! - JSON (first non-whitespace byte `{` or `[`, after an optional UTF-8 byte-order mark): a workflow
//!   object, an array of them, or an object holding them under `workflows` or `data`, one document
//!   per workflow keyed by the profile's name key;
//! - anything else: one opaque document, compared by SHA-256.
//!
//! A file that looks like JSON but does not parse is an error, never silently opaque.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::normalize::Normalized;
use crate::profile::Profile;

/// One workflow (or one opaque file) out of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The workflow name (the value of the profile's name key), or for an opaque document the
    /// file or member name it came from.
    pub name: String,
    /// Where it came from, for messages: `path/to/file.json` or `export.zip!member.json` or
    /// `file.json[3]` for the fourth item of an array.
    pub source: String,
    pub content: Content,
}

/// What a document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Json(Value),
    /// Not JSON (nor a ZIP of JSON): compared by hash only, reported as "binary content changed".
    Opaque {
        sha256: String,
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
}

/// Object keys that hold a list of workflows in a wrapper object (`{"workflows": [...]}`, the API
/// envelope `{"data": [...]}`), tried in this order when the object has no name key itself.
pub const CONTAINER_KEYS: &[&str] = &["workflows", "data"];

/// The largest ZIP member decoded, uncompressed. A real export is far smaller; the cap keeps a
/// small hostile archive from expanding into all available memory.
pub const MAX_ZIP_MEMBER_BYTES: u64 = 256 * 1024 * 1024;

/// serde_json's nesting limit, which protects the stack (kept on deliberately).
const JSON_DEPTH_LIMIT: usize = 128;

/// Why an export could not be decoded; always names the file (and ZIP member or array item).
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "{file}: not valid UTF-8 at byte {offset} (a file starting with `{{` or `[` must be UTF-8 JSON)"
    )]
    Utf8 {
        file: String,
        offset: usize,
        #[source]
        source: std::str::Utf8Error,
    },
    #[error("{file}: invalid JSON near byte {offset}")]
    Json {
        file: String,
        offset: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("{file}: JSON nested deeper than {JSON_DEPTH_LIMIT} levels near byte {offset}")]
    TooDeep { file: String, offset: usize },
    #[error("{file}: not a readable ZIP archive (truncated or corrupt?)")]
    Zip {
        file: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{file}: cannot open ZIP member #{index}")]
    ZipMember {
        file: String,
        index: usize,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{file}!{member}: cannot read ZIP member (truncated or corrupt?)")]
    ZipRead {
        file: String,
        member: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}!{member}: ZIP member is larger than {limit} bytes uncompressed")]
    ZipMemberTooLarge {
        file: String,
        member: String,
        limit: u64,
    },
    #[error(
        "{file}: workflow object has no `{key}` field to name it (set `normalize.name_key` if it uses another)"
    )]
    MissingName { file: String, key: String },
    #[error("{file}: the `{key}` field must be a non-empty string, found {found}")]
    BadName {
        file: String,
        key: String,
        found: &'static str,
    },
    #[error("{file}: expected a workflow object, found {found}")]
    NotAWorkflow { file: String, found: &'static str },
}

/// Why [`load_path`] failed; names the path.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot walk {}", path.display())]
    Walk {
        path: PathBuf,
        #[source]
        source: walkdir::Error,
    },
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Decodes the bytes of one export file into documents.
///
/// `source` names the file in documents and errors (`staging/export.json`); an opaque document is
/// named after its last component. Never panics, whatever the bytes.
///
/// ```
/// use soc_diff::{Profile, decode_export};
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
/// # Ok::<(), soc_diff::DecodeError>(())
/// ```
pub fn decode_export(
    source: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<Vec<Document>, DecodeError> {
    let base = source.rsplit(['/', '\\']).next().unwrap_or(source);
    decode_named(source, base, bytes, profile)
}

/// Loads a single export file, or every file under a folder (recursively, sorted by name,
/// skipping hidden files and folders such as `.git`), each decoded with [`decode_export`].
///
/// Opaque documents from a folder are named by their path relative to it (with `/`), so the same
/// file in two snapshot folders gets the same name.
pub fn load_path(path: &Path, profile: &Profile) -> Result<Vec<Document>, LoadError> {
    let mut documents = Vec::new();
    for (file, name) in export_files(path)? {
        documents.extend(load_file(&file, &name, profile)?);
    }
    Ok(documents)
}

/// [`load_path`], each document normalized: files are read, decoded and normalized on every core,
/// one file at a time per core, so the decoded exports are never all held at once. Documents come
/// in the order [`load_path`] gives; the error is that of the first file, in that order, that fails.
pub fn load_path_normalized(path: &Path, profile: &Profile) -> Result<Vec<Normalized>, LoadError> {
    normalize_in_parallel(&export_files(path)?, profile, |(file, name)| {
        load_file(file, name, profile)
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
    normalize_in_parallel(exports, profile, |(source, bytes)| {
        decode_export(source.as_ref(), bytes.as_ref(), profile)
    })
}

/// Decodes each item and normalizes its documents, items spread over rayon's threads; the
/// documents come in item order, and the error is the first one in item order, however the work
/// was scheduled.
fn normalize_in_parallel<T, E>(
    items: &[T],
    profile: &Profile,
    decode: impl Fn(&T) -> Result<Vec<Document>, E> + Sync,
) -> Result<Vec<Normalized>, E>
where
    T: Sync,
    E: Send,
{
    use rayon::prelude::*;
    let per_item: Vec<Result<Vec<Normalized>, E>> = items
        .par_iter()
        .map(|item| {
            Ok(decode(item)?
                .iter()
                .map(|doc| profile.normalize(doc))
                .collect())
        })
        .collect();
    let mut out = Vec::new();
    for part in per_item {
        out.extend(part?);
    }
    Ok(out)
}

/// The files `load_path` reads, in order, each with the name an opaque document from it gets.
fn export_files(path: &Path) -> Result<Vec<(PathBuf, String)>, LoadError> {
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
    Ok(files)
}

fn load_file(file: &Path, name: &str, profile: &Profile) -> Result<Vec<Document>, LoadError> {
    let bytes = std::fs::read(file).map_err(|source| LoadError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    Ok(decode_named(
        &file.display().to_string(),
        name,
        &bytes,
        profile,
    )?)
}

/// What the bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Json,
    Opaque,
}

fn sniff(bytes: &[u8]) -> Kind {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => Kind::Json,
        _ => Kind::Opaque,
    }
}

fn decode_named(
    source: &str,
    name: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<Vec<Document>, DecodeError> {
    match sniff(bytes) {
        Kind::Zip => decode_zip(source, bytes, profile),
        Kind::Json => decode_json(source, bytes, profile),
        Kind::Opaque => Ok(vec![Document::opaque(name, source, bytes)]),
    }
}

fn decode_zip(source: &str, bytes: &[u8], profile: &Profile) -> Result<Vec<Document>, DecodeError> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|err| DecodeError::Zip {
            file: source.to_owned(),
            source: err,
        })?;
    let mut members = Vec::new();
    for index in 0..archive.len() {
        let mut member = archive
            .by_index(index)
            .map_err(|err| DecodeError::ZipMember {
                file: source.to_owned(),
                index,
                source: err,
            })?;
        if member.is_dir() {
            continue;
        }
        let name = member.name().to_owned();
        let mut content = Vec::new();
        (&mut member)
            .take(MAX_ZIP_MEMBER_BYTES + 1)
            .read_to_end(&mut content)
            .map_err(|err| DecodeError::ZipRead {
                file: source.to_owned(),
                member: name.clone(),
                source: err,
            })?;
        if content.len() as u64 > MAX_ZIP_MEMBER_BYTES {
            return Err(DecodeError::ZipMemberTooLarge {
                file: source.to_owned(),
                member: name,
                limit: MAX_ZIP_MEMBER_BYTES,
            });
        }
        members.push((name, content));
    }
    // Member order is an accident of how the archive was written; names are stable.
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let mut documents = Vec::new();
    for (name, content) in members {
        let member_source = format!("{source}!{name}");
        // A ZIP inside a ZIP is not unpacked: it is compared as opaque bytes.
        match sniff(&content) {
            Kind::Json => documents.extend(decode_json(&member_source, &content, profile)?),
            Kind::Zip | Kind::Opaque => {
                documents.push(Document::opaque(name, member_source, &content))
            }
        }
    }
    Ok(documents)
}

fn decode_json(
    source: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<Vec<Document>, DecodeError> {
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let body = bytes.get(bom..).unwrap_or_default();
    let text = std::str::from_utf8(body).map_err(|err| DecodeError::Utf8 {
        file: source.to_owned(),
        offset: bom + err.valid_up_to(),
        source: err,
    })?;
    let value: Value = serde_json::from_str(text).map_err(|err| {
        let offset = bom + byte_offset(text, err.line(), err.column());
        if err.to_string().starts_with("recursion limit exceeded") {
            DecodeError::TooDeep {
                file: source.to_owned(),
                offset,
            }
        } else {
            DecodeError::Json {
                file: source.to_owned(),
                offset,
                source: err,
            }
        }
    })?;
    split_workflows(source, value, profile.name_key())
}

/// serde_json reports a one-based line and a one-based byte column; turns them into the zero-based
/// byte offset of the offending byte (the last byte for an unexpected end of input).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(at, _)| at + 1)
    };
    line_start
        .saturating_add(column.saturating_sub(1))
        .min(text.len())
}

fn split_workflows(
    source: &str,
    value: Value,
    name_key: &str,
) -> Result<Vec<Document>, DecodeError> {
    match value {
        Value::Array(items) => items_to_documents(source, items, name_key),
        Value::Object(mut map) => {
            if map.contains_key(name_key) {
                return Ok(vec![workflow_document(
                    source.to_owned(),
                    Value::Object(map),
                    name_key,
                )?]);
            }
            for key in CONTAINER_KEYS {
                match map.remove(*key) {
                    Some(Value::Array(items)) => {
                        return items_to_documents(source, items, name_key);
                    }
                    Some(inner @ Value::Object(_)) if inner.get(name_key).is_some() => {
                        return Ok(vec![workflow_document(source.to_owned(), inner, name_key)?]);
                    }
                    Some(other) => {
                        map.insert((*key).to_owned(), other);
                    }
                    None => {}
                }
            }
            Err(DecodeError::MissingName {
                file: source.to_owned(),
                key: name_key.to_owned(),
            })
        }
        other => Err(DecodeError::NotAWorkflow {
            file: source.to_owned(),
            found: kind_of(&other),
        }),
    }
}

fn items_to_documents(
    source: &str,
    items: Vec<Value>,
    name_key: &str,
) -> Result<Vec<Document>, DecodeError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| workflow_document(format!("{source}[{i}]"), item, name_key))
        .collect()
}

fn workflow_document(
    source: String,
    value: Value,
    name_key: &str,
) -> Result<Document, DecodeError> {
    let Value::Object(map) = &value else {
        return Err(DecodeError::NotAWorkflow {
            file: source,
            found: kind_of(&value),
        });
    };
    let name = match map.get(name_key) {
        None => {
            return Err(DecodeError::MissingName {
                file: source,
                key: name_key.to_owned(),
            });
        }
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        Some(other) => {
            return Err(DecodeError::BadName {
                file: source,
                key: name_key.to_owned(),
                found: kind_of(other),
            });
        }
    };
    Ok(Document {
        name,
        source,
        content: Content::Json(value),
    })
}

/// How a JSON value is named in messages ("a number", "an empty string").
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if s.is_empty() => "an empty string",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    fn decode(bytes: &[u8]) -> Result<Vec<Document>, DecodeError> {
        decode_export("dir/export.json", bytes, &Profile::secmaster())
    }

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, content) in members {
            if name.ends_with('/') {
                out.add_directory(*name, options).unwrap();
            } else {
                out.start_file(*name, options).unwrap();
                out.write_all(content).unwrap();
            }
        }
        out.finish().unwrap().into_inner()
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
        let docs = decode(br#"{"code":"0","data":{"name":"A"}}"#).unwrap();
        assert_eq!(docs[0].name, "A");
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
    fn workflow_shape_errors_name_the_item() {
        let err = decode(br#"[{"name":"A"},{"id":"x"}]"#).unwrap_err();
        assert!(
            matches!(&err, DecodeError::MissingName { file, key } if file == "dir/export.json[1]" && key == "name")
        );
        let err = decode(br#"[{"name":"A"}, 3]"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dir/export.json[1]: expected a workflow object, found a number"
        );
        let err = decode(br#"{"name": 7}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dir/export.json: the `name` field must be a non-empty string, found a number"
        );
        let err = decode(br#"{"name": ""}"#).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::BadName {
                found: "an empty string",
                ..
            }
        ));
        let err = decode(br#"{"data": 3}"#).unwrap_err();
        assert!(matches!(err, DecodeError::MissingName { .. }));
    }

    #[test]
    fn json_errors_carry_byte_offsets() {
        let err = decode(b"{\n  \"name\": \"A\",\n  oops\n}").unwrap_err();
        match &err {
            DecodeError::Json { file, offset, .. } => {
                assert_eq!(file, "dir/export.json");
                assert_eq!(*offset, 19, "offset of the `o` of `oops`");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(
            err.to_string()
                .starts_with("dir/export.json: invalid JSON near byte 19")
        );
        let err = decode(b"{\"name\": \"A\"").unwrap_err();
        assert!(
            matches!(err, DecodeError::Json { offset: 11, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_with_offset() {
        let err = decode(b"{\"name\": \"\xff\"}").unwrap_err();
        assert!(
            matches!(err, DecodeError::Utf8 { offset: 10, .. }),
            "{err:?}"
        );
        // With a byte-order mark the offset still counts from the start of the file.
        let err = decode(b"\xEF\xBB\xBF{\"name\": \"\xff\"}").unwrap_err();
        assert!(
            matches!(err, DecodeError::Utf8 { offset: 13, .. }),
            "{err:?}"
        );
        assert_eq!(
            decode(b"\xEF\xBB\xBF{\"name\":\"A\"}").unwrap()[0].name,
            "A"
        );
    }

    #[test]
    fn deep_nesting_is_a_typed_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = decode(deep.as_bytes()).unwrap_err();
        assert!(
            matches!(err, DecodeError::TooDeep { offset: 127, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("nested deeper than 128 levels"));
    }

    #[test]
    fn other_bytes_are_opaque() {
        let docs = decode_export("a/b/report.pdf", b"%PDF-1.7 ...", &Profile::secmaster()).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].name, "report.pdf");
        assert_eq!(docs[0].source, "a/b/report.pdf");
        let Content::Opaque { sha256, len } = &docs[0].content else {
            panic!()
        };
        assert_eq!(*len, 12);
        assert_eq!(sha256, &hex::encode(Sha256::digest(b"%PDF-1.7 ...")));
        // Text that is not JSON-looking, including an empty file, is opaque too.
        assert!(matches!(
            decode(b"").unwrap()[0].content,
            Content::Opaque { len: 0, .. }
        ));
        assert!(matches!(
            decode(b"name: x\n").unwrap()[0].content,
            Content::Opaque { .. }
        ));
    }

    #[test]
    fn zip_members_are_decoded_in_name_order() {
        let bytes = zip_of(&[
            ("b.json", br#"{"name":"B"}"#),
            ("dir/", b""),
            ("a.json", br#"[{"name":"A1"},{"name":"A2"}]"#),
            ("notes.txt", b"hello"),
            ("inner.zip", b"PK\x03\x04rest"),
        ]);
        let docs = decode_export("x/export.zip", &bytes, &Profile::secmaster()).unwrap();
        let got: Vec<_> = docs
            .iter()
            .map(|d| (d.name.as_str(), d.source.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("A1", "x/export.zip!a.json[0]"),
                ("A2", "x/export.zip!a.json[1]"),
                ("B", "x/export.zip!b.json"),
                ("inner.zip", "x/export.zip!inner.zip"),
                ("notes.txt", "x/export.zip!notes.txt"),
            ]
        );
        assert!(matches!(docs[4].content, Content::Opaque { len: 5, .. }));
        assert!(
            decode_export("e.zip", &zip_of(&[]), &Profile::secmaster())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn zip_member_errors_name_the_member() {
        let bytes = zip_of(&[
            ("ok.json", br#"{"name":"A"}"#),
            ("bad.json", b"{\"name\": oops}"),
        ]);
        let err = decode_export("e.zip", &bytes, &Profile::secmaster()).unwrap_err();
        assert!(
            matches!(&err, DecodeError::Json { file, offset: 9, .. } if file == "e.zip!bad.json"),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_zip_is_an_error() {
        let bytes = zip_of(&[("a.json", br#"{"name":"A"}"#)]);
        for cut in [4, 10, bytes.len() / 2, bytes.len() - 1] {
            let err = decode_export("t.zip", &bytes[..cut], &Profile::secmaster()).unwrap_err();
            assert!(err.to_string().starts_with("t.zip"), "{err}");
        }
    }

    #[test]
    fn byte_offset_handles_lines_and_bounds() {
        assert_eq!(byte_offset("abc", 1, 2), 1);
        assert_eq!(byte_offset("ab\ncd\nef", 3, 1), 6);
        assert_eq!(byte_offset("ab", 9, 9), 2);
        assert_eq!(byte_offset("", 0, 0), 0);
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
        let err = load_path(&root.join("missing"), &Profile::secmaster()).unwrap_err();
        assert!(
            matches!(&err, LoadError::Walk { path, .. } if path.ends_with("missing")),
            "{err:?}"
        );
    }
}
