//! Reading an export file into workflows, one at a time, within limits.
//!
//! What an export file may be (the export format is \[UNCONFIRMED\], so all of these are read):
//! - JSON: a workflow object, an array of them, or an object holding them under `workflows` or
//!   `data` (see [`split_workflows`](crate::document::split_workflows()));
//! - a ZIP: each member is read as above, in name order; members that archivers add
//!   ([`is_junk`](crate::zip::is_junk)) are skipped; a member that is not JSON is opaque;
//! - other text or binary data: one opaque item, compared by hash;
//! - nothing at all, or an HTML page: not an export ([`ReadError::NotAnExport`]).
//!
//! A file that looks like JSON but does not parse is an error, never silently opaque.

use std::io::Read;
use std::path::Path;

use crate::document::{NamedWorkflow, split_workflows};
use crate::error::ReadError;
use crate::format::Format;
use crate::limits::{LimitKind, Limits};
use crate::zip::ZipExport;

/// How to read an export.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// The field that names a workflow (`name`, or the profile's `name_key`).
    pub name_key: &'a str,
    /// The limits to keep to.
    pub limits: &'a Limits,
}

/// One thing read out of an export.
#[derive(Debug)]
pub enum Item<'b> {
    /// A workflow object.
    Workflow(NamedWorkflow),
    /// Bytes that are not JSON (nor a ZIP of JSON), known only by their hash.
    Opaque {
        /// The file or member name it came from.
        name: String,
        /// Where it came from: the file, or `file!member`.
        source: String,
        /// Its bytes.
        bytes: &'b [u8],
    },
}

/// Reads the export in `bytes`, giving each workflow (or opaque part) to `each` as soon as it is
/// read, so that a caller which keeps less than the parsed tree (a normalized text, say) holds
/// one ZIP member's workflows at a time.
///
/// `source` names the file in items and errors; an opaque top-level item is called `name`.
///
/// ```
/// use soc_model::{Item, Limits, ReadOptions, read_export};
///
/// let options = ReadOptions { name_key: "name", limits: &Limits::default() };
/// let mut names = Vec::new();
/// read_export("x.json", "x.json", br#"[{"name": "A"}, {"name": "B"}]"#, &options, &mut |item| {
///     if let Item::Workflow(wf) = item {
///         names.push((wf.name, wf.source));
///     }
/// })?;
/// assert_eq!(names, [("A".into(), "x.json[0]".into()), ("B".into(), "x.json[1]".into())]);
/// # Ok::<(), soc_model::ReadError>(())
/// ```
pub fn read_export(
    source: &str,
    name: &str,
    bytes: &[u8],
    options: &ReadOptions<'_>,
    each: &mut dyn FnMut(Item<'_>),
) -> Result<(), ReadError> {
    let limits = options.limits;
    if bytes.len() as u64 > limits.max_export_bytes {
        return Err(ReadError::Limit {
            file: source.to_owned(),
            source: limits.exceeded(LimitKind::ExportSize, bytes.len() as u64),
        });
    }
    match Format::sniff(bytes) {
        Format::Zip => read_zip(source, bytes, options, each),
        Format::JsonObject | Format::JsonArray => read_json(source, bytes, options, each),
        format @ (Format::Empty | Format::Html) => Err(ReadError::NotAnExport {
            file: source.to_owned(),
            format,
        }),
        Format::Text | Format::Binary => {
            each(Item::Opaque {
                name: name.to_owned(),
                source: source.to_owned(),
                bytes,
            });
            Ok(())
        }
    }
}

fn read_json(
    source: &str,
    bytes: &[u8],
    options: &ReadOptions<'_>,
    each: &mut dyn FnMut(Item<'_>),
) -> Result<(), ReadError> {
    let value = crate::json::parse(source, bytes, options.limits)?;
    if let Some(envelope) = crate::ErrorEnvelope::detect(&value) {
        return Err(ReadError::ErrorAnswer {
            file: source.to_owned(),
            envelope,
        });
    }
    for workflow in split_workflows(source, value, options.name_key)? {
        each(Item::Workflow(workflow));
    }
    Ok(())
}

fn read_zip(
    source: &str,
    bytes: &[u8],
    options: &ReadOptions<'_>,
    each: &mut dyn FnMut(Item<'_>),
) -> Result<(), ReadError> {
    let mut zip = ZipExport::open(source, bytes, options.limits)?;
    while let Some(member) = zip.next_member() {
        let member = member?;
        let member_source = format!("{source}!{}", member.name);
        // A ZIP inside a ZIP is not unpacked: it is compared as opaque bytes.
        match Format::sniff(&member.data) {
            Format::JsonObject | Format::JsonArray => {
                read_json(&member_source, &member.data, options, each)?;
            }
            format @ (Format::Empty | Format::Html) => {
                return Err(ReadError::NotAnExport {
                    file: member_source,
                    format,
                });
            }
            Format::Zip | Format::Text | Format::Binary => each(Item::Opaque {
                name: member.name.clone(),
                source: member_source,
                bytes: &member.data,
            }),
        }
    }
    Ok(())
}

/// Reads a file from disk, refusing one larger than [`Limits::max_export_bytes`] before reading
/// it, and never reading more than that however the file grows meanwhile.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, ReadError> {
    let file_name = || path.display().to_string();
    let io = |source| ReadError::Io {
        file: file_name(),
        source,
    };
    let too_large = |found| ReadError::Limit {
        file: file_name(),
        source: limits.exceeded(LimitKind::ExportSize, found),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let declared = file.metadata().map_err(io)?.len();
    if declared > limits.max_export_bytes {
        return Err(too_large(declared));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    file.take(limits.max_export_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_export_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// One single-workflow export cut out of an export file, with its exact bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// Where it is: `file`, `file[2]`, `file!member`, `file!member[2]`.
    pub label: String,
    /// Its bytes, exactly as in the file (or the ZIP member).
    pub bytes: Vec<u8>,
    /// Its top-level fields.
    pub object: serde_json::Map<String, serde_json::Value>,
}

/// Cuts an export file into single-workflow exports, byte for byte: a JSON object is one, each
/// element of a JSON array is one (its exact text), and each ZIP member is cut the same way.
/// Anything that is not a JSON object in the end is an error naming where it is.
pub fn split_pieces(file: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Piece>, ReadError> {
    match Format::sniff(bytes) {
        Format::Zip => {
            let mut zip = ZipExport::open(file, bytes, limits)?;
            let mut pieces = Vec::new();
            while let Some(member) = zip.next_member() {
                let member = member?;
                let label = format!("{file}!{}", member.name);
                pieces.extend(split_json_pieces(&label, &member.data, limits)?);
            }
            Ok(pieces)
        }
        _ => {
            if bytes.len() as u64 > limits.max_export_bytes {
                return Err(ReadError::Limit {
                    file: file.to_owned(),
                    source: limits.exceeded(LimitKind::ExportSize, bytes.len() as u64),
                });
            }
            split_json_pieces(file, bytes, limits)
        }
    }
}

fn split_json_pieces(file: &str, bytes: &[u8], limits: &Limits) -> Result<Vec<Piece>, ReadError> {
    let not_workflow = |file: String, found| ReadError::NotAWorkflow { file, found };
    match Format::sniff(bytes) {
        Format::JsonObject => {
            let value = crate::json::parse(file, bytes, limits)?;
            match value {
                serde_json::Value::Object(object) => Ok(vec![Piece {
                    label: file.to_owned(),
                    bytes: bytes.to_vec(),
                    object,
                }]),
                other => Err(not_workflow(file.to_owned(), crate::json::kind_of(&other))),
            }
        }
        Format::JsonArray => {
            crate::json::parse(file, bytes, limits)?;
            let elements = crate::json::split_array(bytes).map_err(|source| ReadError::Json {
                file: file.to_owned(),
                offset: 0,
                source,
            })?;
            elements
                .into_iter()
                .enumerate()
                .map(|(index, text)| {
                    let label = format!("{file}[{index}]");
                    match serde_json::from_str(text) {
                        Ok(serde_json::Value::Object(object)) => Ok(Piece {
                            label,
                            bytes: text.as_bytes().to_vec(),
                            object,
                        }),
                        Ok(other) => Err(not_workflow(label, crate::json::kind_of(&other))),
                        Err(_) => Err(not_workflow(label, "invalid JSON")),
                    }
                })
                .collect()
        }
        format => Err(ReadError::NotAnExport {
            file: file.to_owned(),
            format,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zip::tests::zip_of;

    fn items(source: &str, bytes: &[u8]) -> Result<Vec<(String, String, bool)>, ReadError> {
        let limits = Limits::default();
        let options = ReadOptions {
            name_key: "name",
            limits: &limits,
        };
        let mut out = Vec::new();
        read_export(source, "shown", bytes, &options, &mut |item| match item {
            Item::Workflow(wf) => out.push((wf.name, wf.source, true)),
            Item::Opaque { name, source, .. } => out.push((name, source, false)),
        })?;
        Ok(out)
    }

    #[test]
    fn an_error_answer_saved_as_an_export_names_the_error() {
        for body in [
            &br#"{"error_code": "SecMaster.20010001", "error_msg": "workspace not found"}"#[..],
            br#"{"error": {"code": "APIGW.0301", "message": "bad signature"}, "request_id": "r-1"}"#,
        ] {
            let err = items("saved.json", body).unwrap_err();
            assert!(matches!(err, ReadError::ErrorAnswer { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.starts_with("saved.json: an error answer of the API ("), "{text}");
            assert!(text.contains("not a workflow export"), "{text}");
        }
        // In a ZIP too, named by its member.
        let bytes = zip_of(&[("a.json", br#"{"error_code": "X.1", "error_msg": "no"}"#)]);
        let err = items("e.zip", &bytes).unwrap_err();
        assert_eq!(err.file(), "e.zip!a.json");
        // A workflow is never taken for one.
        let got = items(
            "w.json",
            br#"{"name": "Block IP", "id": "1", "versions": []}"#,
        )
        .unwrap();
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn zip_members_are_read_in_name_order() {
        let bytes = zip_of(&[
            ("b.json", br#"{"name":"B"}"#),
            ("dir/", b""),
            ("a.json", br#"[{"name":"A1"},{"name":"A2"}]"#),
            ("notes.txt", b"hello"),
            ("inner.zip", b"PK\x03\x04rest"),
            ("__MACOSX/._a.json", b"\x00\x05\x16\x07"),
        ]);
        let got = items("x/export.zip", &bytes).unwrap();
        let got: Vec<_> = got
            .iter()
            .map(|(n, s, json)| (n.as_str(), s.as_str(), *json))
            .collect();
        assert_eq!(
            got,
            [
                ("A1", "x/export.zip!a.json[0]", true),
                ("A2", "x/export.zip!a.json[1]", true),
                ("B", "x/export.zip!b.json", true),
                ("inner.zip", "x/export.zip!inner.zip", false),
                ("notes.txt", "x/export.zip!notes.txt", false),
            ]
        );
    }

    #[test]
    fn empty_and_html_are_not_exports() {
        let err = items("e.json", b"  ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "e.json: an empty body is not a workflow export"
        );
        let err = items("e.json", b"<html><body>Login</body></html>").unwrap_err();
        assert!(matches!(
            err,
            ReadError::NotAnExport {
                format: Format::Html,
                ..
            }
        ));
        let zip = zip_of(&[("a.json", b"")]);
        assert_eq!(items("z.zip", &zip).unwrap_err().file(), "z.zip!a.json");
        assert_eq!(
            items("r.pdf", b"%PDF \x00").unwrap()[0],
            ("shown".into(), "r.pdf".into(), false)
        );
    }

    #[test]
    fn files_are_refused_by_size_before_they_are_read() {
        let dir = std::env::temp_dir().join(format!("soc-model-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.json");
        std::fs::write(&path, vec![b' '; 2000]).unwrap();
        let limits = Limits {
            max_export_bytes: 1000,
            ..Limits::default()
        };
        let err = read_file(&path, &limits).unwrap_err();
        assert_eq!(err.limit().unwrap().found, 2000);
        assert_eq!(read_file(&path, &Limits::default()).unwrap().len(), 2000);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pieces_keep_exact_bytes() {
        let limits = Limits::default();
        let pieces = split_pieces("b.json", br#"[{"id":"a"} , { "id" : "b" }]"#, &limits).unwrap();
        assert_eq!(pieces[1].bytes, br#"{ "id" : "b" }"#);
        assert_eq!(pieces[1].label, "b.json[1]");
        let zip = zip_of(&[("m.json", br#"[{"id":"x"}]"#), ("n.json", br#"{"id":"y"}"#)]);
        let pieces = split_pieces("z.zip", &zip, &limits).unwrap();
        let labels: Vec<_> = pieces.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["z.zip!m.json[0]", "z.zip!n.json"]);
        let err = split_pieces("b.json", b"[{},7]", &limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.json[1]: expected a workflow object, found a number"
        );
        assert!(split_pieces("t.txt", b"hello", &limits).is_err());
    }
}
