//! Export answers: splitting batch answers per workflow, checking every id comes back once.
//!
//! The export API returns "a file" whose format is not documented. A batch answer is split
//! when its format allows it byte-exactly: a JSON array (each element's raw bytes, via
//! [`RawValue`]) or a ZIP (each member's bytes). Anything else cannot be split; the client then
//! asks for one workflow per request and keeps each answer whole.

use std::collections::HashMap;

use bytes::Bytes;
use soc_model::format::strip_bom;
use soc_model::zip::{Member, ZipExport};
use soc_model::{ErrorEnvelope, Format, IdName, Limits};

/// How an [`ExportedWorkflow`]'s bytes were cut from the server's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportSource {
    /// The whole answer to a one-workflow request.
    Whole,
    /// One element of a JSON-array answer to a batch request.
    JsonArrayElement,
    /// One member of a ZIP answer to a batch request.
    ZipMember,
    /// Built from the workflow and versions APIs, not exported
    /// ([`Client::document_from_versions`](crate::Client::document_from_versions)).
    Versions,
}

/// One exported workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedWorkflow {
    /// The workflow id that was requested.
    pub id: String,
    /// The workflow name, when the exported bytes are JSON that says it.
    pub name: Option<String>,
    /// The exported bytes, exactly as received (or the exact slice of a batch answer).
    pub bytes: Bytes,
    /// `Content-Type` of the answer; `application/json` for JSON-array elements and ZIP
    /// members that are JSON.
    pub content_type: Option<String>,
    /// The file name: from `Content-Disposition` for whole answers, the member name for ZIP
    /// members, `<id>.json` for JSON-array elements. Untrusted: sanitize before using as a path.
    pub file_name: Option<String>,
    /// `X-Request-Id` of the answer the bytes came from.
    pub request_id: Option<String>,
    /// How the bytes were cut from the answer.
    pub source: ExportSource,
}

/// A workflow cut from a batch answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub id: String,
    pub name: Option<String>,
    pub bytes: Bytes,
    pub file_name: String,
    pub source: ExportSource,
    pub is_json: bool,
}

/// Why an answer cannot be split.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SplitError {
    #[error("the json is malformed (truncated?)")]
    Json(#[source] serde_json::Error),
    #[error("element {0} of the json array has no string \"id\"")]
    ElementWithoutId(usize),
    #[error(transparent)]
    Read(#[from] soc_model::ReadError),
}

/// Splits a JSON-array answer into its elements, byte-identically.
pub(crate) fn split_json_array(body: &Bytes) -> Result<Vec<Piece>, SplitError> {
    let elements = soc_model::json::split_array(body).map_err(SplitError::Json)?;
    let mut pieces = Vec::with_capacity(elements.len());
    for (index, text) in elements.into_iter().enumerate() {
        let IdName { id: Some(id), name } =
            IdName::of(text.as_bytes()).map_err(|_| SplitError::ElementWithoutId(index))?
        else {
            return Err(SplitError::ElementWithoutId(index));
        };
        pieces.push(Piece {
            file_name: format!("{id}.json"),
            id,
            name,
            // `slice_ref` shares the buffer: no copy, and provably the same bytes.
            bytes: body.slice_ref(text.as_bytes()),
            source: ExportSource::JsonArrayElement,
            is_json: true,
        });
    }
    Ok(pieces)
}

/// Splits a ZIP answer into its members (archiver junk skipped, within `limits`). A member's
/// workflow id is the `id` inside it when it is a JSON object, else its file name without
/// `.json`.
pub(crate) fn split_zip(body: &Bytes, limits: &Limits) -> Result<Vec<Piece>, SplitError> {
    let mut zip = ZipExport::open("the export answer", body, limits)?;
    let mut pieces = Vec::with_capacity(zip.len());
    while let Some(member) = zip.next_member() {
        let Member { name, data } = member?;
        let base = name.rsplit('/').next().unwrap_or(&name);
        let stem = base.strip_suffix(".json").unwrap_or(base).to_owned();
        let parsed = IdName::of(&data).ok();
        let is_json = parsed.is_some();
        let (id, workflow_name) = match parsed {
            Some(IdName { id: Some(id), name }) => (id, name),
            Some(IdName { id: None, name }) => (stem, name),
            None => (stem, None),
        };
        pieces.push(Piece {
            id,
            name: workflow_name,
            bytes: Bytes::from(data),
            file_name: name,
            source: ExportSource::ZipMember,
            is_json,
        });
    }
    Ok(pieces)
}

/// An export answer, parsed once.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A JSON object holding one workflow, with its `id` and `name` when they are strings.
    Object {
        id: Option<String>,
        name: Option<String>,
    },
    /// A JSON array or a ZIP, split per workflow.
    Pieces(Vec<Piece>),
    /// A well-formed JSON array or ZIP that cannot be split per workflow (why).
    Unsplittable(String),
    /// Text or binary data of no format socdrift knows: kept whole, compared by hash.
    Opaque,
    /// An error envelope, although the status said success.
    Envelope(ErrorEnvelope),
}

/// Why an answer is no workflow document at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnswerError {
    /// Claims JSON or ZIP but is truncated or garbled: asking again may help.
    #[error(transparent)]
    Malformed(SplitError),
    /// Empty, an HTML page, or JSON of a shape that holds no workflow (what it is).
    #[error("the answer is {0}, not a workflow document")]
    NotAWorkflow(String),
    /// Over one of the limits: asking again would get the same.
    #[error(transparent)]
    Limit(soc_model::ReadError),
}

/// Parses an export answer. Each byte is parsed once for objects and ZIPs (the elements of an
/// array twice: once to cut them, once to read their `id`).
pub(crate) fn parse_answer(body: &Bytes, limits: &Limits) -> Result<Parsed, AnswerError> {
    let unsplittable = |err: SplitError| Ok(Parsed::Unsplittable(err.to_string()));
    let format = Format::sniff(body);
    match format {
        Format::JsonObject => {
            soc_model::json::check_values(body, limits).map_err(|source| {
                AnswerError::Limit(soc_model::ReadError::Limit {
                    file: "the export answer".into(),
                    source,
                })
            })?;
            let value: serde_json::Value = serde_json::from_slice(strip_bom(body))
                .map_err(|err| AnswerError::Malformed(SplitError::Json(err)))?;
            if let Some(envelope) = ErrorEnvelope::detect(&value) {
                return Ok(Parsed::Envelope(envelope));
            }
            match soc_model::document::workflows(&value) {
                Some(found) if found.len() == 1 => {
                    let text =
                        |k: &str| found[0].get(k).and_then(|v| v.as_str()).map(str::to_owned);
                    Ok(Parsed::Object {
                        id: text("id"),
                        name: text("name"),
                    })
                }
                Some(found) => Ok(Parsed::Unsplittable(format!(
                    "is a JSON object holding {} workflows",
                    found.len()
                ))),
                None => Err(AnswerError::NotAWorkflow(describe_json(&value))),
            }
        }
        Format::JsonArray => match split_json_array(body) {
            Ok(pieces) if pieces.is_empty() => {
                Err(AnswerError::NotAWorkflow("an empty JSON array".into()))
            }
            Ok(pieces) => Ok(Parsed::Pieces(pieces)),
            Err(SplitError::Json(err)) if soc_model::json::is_malformed(&err) => {
                Err(AnswerError::Malformed(SplitError::Json(err)))
            }
            Err(err) => unsplittable(err),
        },
        Format::Zip => match split_zip(body, limits) {
            Ok(pieces) if pieces.is_empty() => Err(AnswerError::NotAWorkflow(
                "a ZIP archive without members".into(),
            )),
            Ok(pieces) => Ok(Parsed::Pieces(pieces)),
            Err(SplitError::Read(err)) if err.limit().is_some() => Err(AnswerError::Limit(err)),
            Err(err) => Err(AnswerError::Malformed(err)),
        },
        Format::Empty | Format::Html => Err(AnswerError::NotAWorkflow(format.describe().into())),
        Format::Text | Format::Binary => Ok(Parsed::Opaque),
    }
}

/// `a JSON object with fields code, message, success` for messages.
fn describe_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) if map.is_empty() => "an empty JSON object".into(),
        serde_json::Value::Object(map) => {
            let keys: Vec<&str> = map.keys().take(8).map(String::as_str).collect();
            let more = if map.len() > 8 { ", ..." } else { "" };
            format!("a JSON object with fields {}{more}", keys.join(", "))
        }
        other => format!("JSON holding {}", soc_model::json::kind_of(other)),
    }
}

/// Matches pieces to the requested ids: each requested id exactly once, nothing else.
/// Returns the pieces in request order, or what is wrong.
pub(crate) fn reconcile(requested: &[String], pieces: Vec<Piece>) -> Result<Vec<Piece>, String> {
    let mut by_id: HashMap<String, Piece> = HashMap::with_capacity(pieces.len());
    let mut duplicated = Vec::new();
    for piece in pieces {
        if by_id.contains_key(&piece.id) {
            duplicated.push(piece.id.clone());
        } else {
            by_id.insert(piece.id.clone(), piece);
        }
    }
    let mut ordered = Vec::with_capacity(requested.len());
    let mut missing = Vec::new();
    for id in requested {
        match by_id.remove(id) {
            Some(piece) => ordered.push(piece),
            None => missing.push(id.clone()),
        }
    }
    let mut unexpected: Vec<String> = by_id.into_keys().collect();
    unexpected.sort();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("lacks {missing:?}"));
    }
    if !duplicated.is_empty() {
        problems.push(format!("repeats {duplicated:?}"));
    }
    if !unexpected.is_empty() {
        problems.push(format!("holds unrequested {unexpected:?}"));
    }
    if problems.is_empty() {
        Ok(ordered)
    } else {
        Err(problems.join(", "))
    }
}

/// Checks a one-workflow answer: when its format tells which workflow it holds, that must be
/// the requested one. Returns the workflow name when the answer tells it.
pub(crate) fn check_single(requested: &str, parsed: Parsed) -> Result<Option<String>, String> {
    match parsed {
        Parsed::Object { id: Some(id), .. } if id != requested => {
            Err(format!("holds workflow {id:?} instead of {requested:?}"))
        }
        Parsed::Object { name, .. } => Ok(name),
        Parsed::Pieces(pieces) => {
            let mut pieces = reconcile(&[requested.to_owned()], pieces)?;
            Ok(pieces.pop().and_then(|piece| piece.name))
        }
        // Nothing tells which workflow it is; it is kept whole.
        Parsed::Unsplittable(_) | Parsed::Opaque => Ok(None),
        Parsed::Envelope(envelope) => Err(format!("is an error: {envelope}")),
    }
}

/// The file name of a `Content-Disposition` header (`filename*=` preferred, then `filename=`).
pub(crate) fn disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    for part in value.split(';').map(str::trim) {
        let Some((key, val)) = part.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                // RFC 5987: charset'language'percent-encoded
                let encoded = val.trim().splitn(3, '\'').nth(2)?;
                let decoded = percent_encoding::percent_decode_str(encoded)
                    .decode_utf8()
                    .ok()?;
                return Some(decoded.into_owned());
            }
            "filename" => {
                let val = val.trim();
                let unquoted = val
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .map_or_else(
                        || val.to_owned(),
                        |v| v.replace("\\\"", "\"").replace("\\\\", "\\"),
                    );
                plain = Some(unquoted);
            }
            _ => {}
        }
    }
    plain.filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Bytes {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in members {
            writer
                .start_file(
                    *name,
                    zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated),
                )
                .unwrap();
            writer.write_all(data).unwrap();
        }
        Bytes::from(writer.finish().unwrap().into_inner())
    }

    /// The pieces of a splittable answer (panics otherwise).
    fn limits(max: u64) -> Limits {
        Limits {
            max_export_bytes: max,
            ..Limits::default()
        }
    }

    fn split(body: &Bytes, max: u64) -> Result<Vec<Piece>, String> {
        match parse_answer(body, &limits(max)) {
            Ok(Parsed::Pieces(pieces)) => Ok(pieces),
            Ok(Parsed::Unsplittable(why)) => Err(format!("unsplittable: {why}")),
            Ok(other) => Err(format!("not a batch: {other:?}")),
            Err(err) => Err(format!("malformed: {err}")),
        }
    }

    #[test]
    fn json_array_elements_are_byte_identical() {
        let a = br#"{"id":"a","name":"Alpha","versions":[{"taskflow":"eyJ4IjoxfQ=="}]}"#;
        let b = "{ \"name\" : \"B\u{e9}ta \\\"quoted\\\"\", \"id\" : \"b\" }".as_bytes();
        let mut body = b"[".to_vec();
        body.extend_from_slice(a);
        body.extend_from_slice(b",\n  ");
        body.extend_from_slice(b);
        body.extend_from_slice(b"]");
        let pieces = split(&Bytes::from(body), 1 << 20).unwrap();
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].bytes.as_ref(), a.as_slice());
        assert_eq!(pieces[1].bytes.as_ref(), b);
        assert_eq!(pieces[1].name.as_deref(), Some("B\u{e9}ta \"quoted\""));
        assert_eq!(pieces[1].file_name, "b.json");
        assert_eq!(pieces[0].source, ExportSource::JsonArrayElement);
    }

    #[test]
    fn malformed_and_unsplittable_answers() {
        let bad = |body: &'static [u8]| split(&Bytes::from_static(body), 99).unwrap_err();
        assert!(bad(br#"[{"id":"a"},{"id":"b""#).starts_with("malformed"));
        assert!(bad(br#"[{"id":"a"}]<html>"#).starts_with("malformed"));
        assert!(bad(br#"[{"id":"a"},{"name":"b"}]"#).contains("element 1"));
        assert!(bad(br#"[{"id":"a"},7]"#).contains("element 1"));
        assert!(bad(br#"{"id":"a"}"#).starts_with("not a batch"));
        assert!(bad(b"\x00opaque").starts_with("not a batch"));
        assert!(parse_answer(&Bytes::from_static(br#"{"id":"a","na<html>"#), &limits(99)).is_err());
        assert!(matches!(
            parse_answer(&Bytes::from_static(br#"{"id":5,"name":"n"}"#), &limits(99)),
            Ok(Parsed::Object { id: None, .. })
        ));
        for not_workflow in [
            &b""[..],
            b"  ",
            b"<html><body>502</body></html>",
            b"[]",
            br#"{"code":"00000000","message":"","success":true}"#,
            br#"{"data":null}"#,
        ] {
            assert!(
                matches!(
                    parse_answer(&Bytes::copy_from_slice(not_workflow), &limits(99)),
                    Err(AnswerError::NotAWorkflow(_))
                ),
                "{}",
                String::from_utf8_lossy(not_workflow)
            );
        }
        for envelope in [
            &br#"{"code":"SecMaster.20040611","message":"no","success":false}"#[..],
            br#"{"error_code":"APIGW.0101","error_msg":"no","request_id":"r"}"#,
        ] {
            assert!(matches!(
                parse_answer(&Bytes::copy_from_slice(envelope), &limits(999)),
                Ok(Parsed::Envelope(_))
            ));
        }
    }

    #[test]
    fn zip_members_split_by_content_id_or_name() {
        let body = zip_of(&[
            ("a.json", br#"{"id":"a","name":"Alpha"}"#),
            ("dir/b.json", b"not json at all"),
        ]);
        let pieces = split(&body, 1 << 20).unwrap();
        assert_eq!(pieces.len(), 2);
        assert_eq!(
            (pieces[0].id.as_str(), pieces[0].name.as_deref()),
            ("a", Some("Alpha"))
        );
        assert_eq!(pieces[0].bytes.as_ref(), br#"{"id":"a","name":"Alpha"}"#);
        assert!(pieces[0].is_json);
        assert_eq!((pieces[1].id.as_str(), pieces[1].is_json), ("b", false));
        assert_eq!(pieces[1].file_name, "dir/b.json");
    }

    #[test]
    fn zip_members_are_capped_and_truncated_zips_fail() {
        let body = zip_of(&[("a.json", &[b' '; 5000])]);
        assert!(
            split(&body, 4999)
                .unwrap_err()
                .contains("limits.max_export_size")
        );
        assert!(split(&body, 5000).is_ok());
        let truncated = body.slice(..body.len() - 10);
        assert!(matches!(
            parse_answer(&truncated, &limits(1 << 20)),
            Err(AnswerError::Malformed(_))
        ));
    }

    fn piece(id: &str) -> Piece {
        Piece {
            id: id.into(),
            name: None,
            bytes: Bytes::from(id.to_owned()),
            file_name: String::new(),
            source: ExportSource::JsonArrayElement,
            is_json: true,
        }
    }

    #[test]
    fn reconcile_orders_and_rejects_gaps_repeats_and_extras() {
        let req: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let ok = reconcile(&req, vec![piece("c"), piece("a"), piece("b")]).unwrap();
        assert_eq!(
            ok.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(
            reconcile(&req, vec![piece("a"), piece("b")]).unwrap_err(),
            r#"lacks ["c"]"#
        );
        assert_eq!(
            reconcile(&req, vec![piece("a"), piece("b"), piece("c"), piece("a")]).unwrap_err(),
            r#"repeats ["a"]"#
        );
        assert_eq!(
            reconcile(&req, vec![piece("a"), piece("b"), piece("x")]).unwrap_err(),
            r#"lacks ["c"], holds unrequested ["x"]"#
        );
    }

    #[test]
    fn single_answers_must_hold_the_requested_workflow() {
        let single = |requested: &str, body: &'static [u8]| {
            check_single(
                requested,
                parse_answer(&Bytes::from_static(body), &limits(99)).unwrap(),
            )
        };
        let obj: &[u8] = br#"{"id":"a","name":"Alpha"}"#;
        assert_eq!(single("a", obj).unwrap().as_deref(), Some("Alpha"));
        assert!(single("b", obj).unwrap_err().contains("instead of"));
        let arr: &[u8] = br#"[{"id":"a","name":"Alpha"}]"#;
        assert_eq!(single("a", arr).unwrap().as_deref(), Some("Alpha"));
        assert!(single("b", arr).is_err());
        assert_eq!(single("a", b"\x00binary").unwrap(), None);
    }

    proptest::proptest! {
        /// Whatever the ids, names (any Unicode, escapes) and whitespace between elements,
        /// each split piece is exactly the bytes that went into the array.
        #[test]
        fn json_split_is_byte_exact(
            entries in proptest::collection::vec(("[a-z0-9-]{1,12}", "\\PC{0,16}", 0usize..3), 1..8),
        ) {
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<_> = entries.into_iter().filter(|(id, _, _)| seen.insert(id.clone())).collect();
            let singles: Vec<Vec<u8>> = entries
                .iter()
                .map(|(id, name, _)| serde_json::to_vec(&serde_json::json!({"id": id, "name": name, "versions": []})).unwrap())
                .collect();
            let mut body = b"[".to_vec();
            for (i, ((_, _, gap), single)) in entries.iter().zip(&singles).enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend(std::iter::repeat_n(b' ', *gap));
                body.extend_from_slice(single);
            }
            body.push(b']');
            let ids: Vec<String> = entries.iter().map(|(id, _, _)| id.clone()).collect();
            let pieces = reconcile(&ids, split(&Bytes::from(body), 1 << 20).unwrap()).unwrap();
            for ((piece, single), (_, name, _)) in pieces.iter().zip(&singles).zip(&entries) {
                proptest::prop_assert_eq!(piece.bytes.as_ref(), single.as_slice());
                proptest::prop_assert_eq!(piece.name.as_deref(), Some(name.as_str()).filter(|n| !n.is_empty()));
            }
        }
    }

    #[test]
    fn content_disposition_names() {
        assert_eq!(
            disposition_file_name(r#"attachment; filename="workflows.json""#).as_deref(),
            Some("workflows.json")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=w.zip").as_deref(),
            Some("w.zip")
        );
        assert_eq!(
            disposition_file_name(
                r#"attachment; filename="fallback.json"; filename*=UTF-8''%E6%B5%81%E7%A8%8B.json"#
            )
            .as_deref(),
            Some("\u{6d41}\u{7a0b}.json")
        );
        assert_eq!(disposition_file_name("attachment"), None);
        assert_eq!(disposition_file_name(r#"attachment; filename="""#), None);
    }
}
