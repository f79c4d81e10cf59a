//! Export file bytes, exactly as the agreed export contract describes.
//!
//! - JSON (default): one workflow -> its single export bytes; several -> `[` + single(a) + `,` +
//!   single(b) + ... + `]`, so each array element's raw bytes equal that workflow's single export.
//! - ZIP: one member `<workflow id>.json` per workflow holding its single export bytes.

use std::io::{Cursor, Read, Write};

use serde_json::Value;
use serde_json::value::RawValue;
use zip::write::SimpleFileOptions;

use crate::error::DataError;
use crate::model::Workflow;

/// The shape of the file `POST .../soc/workflows/export` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// Compact JSON (a single object, or an array of them). The default.
    #[default]
    Json,
    /// A ZIP archive with one `<workflow id>.json` member per workflow.
    Zip,
}

impl ExportFormat {
    /// The file name sent in `Content-Disposition`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Json => "workflow.json",
            Self::Zip => "workflow.zip",
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "zip" => Ok(Self::Zip),
            other => Err(format!(
                "unknown export format {other:?} (expected json or zip)"
            )),
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Json => "json",
            Self::Zip => "zip",
        })
    }
}

/// The export file for these workflows, in the given format.
pub fn export_bytes(format: ExportFormat, workflows: &[&Workflow]) -> Result<Vec<u8>, DataError> {
    export_with(format, workflows, Workflow::export_bytes)
}

/// The JSON export file: a single object for one workflow, an array for several (or none).
pub fn export_json(workflows: &[&Workflow]) -> Result<Vec<u8>, DataError> {
    export_bytes(ExportFormat::Json, workflows)
}

/// The ZIP export file: member `<id>.json` = single export bytes, in request order.
pub fn export_zip(workflows: &[&Workflow]) -> Result<Vec<u8>, DataError> {
    export_bytes(ExportFormat::Zip, workflows)
}

/// The export file for these workflows, each one's single export bytes given by `single`
/// (serialized afresh, or kept by the server between requests).
pub fn export_with<B: AsRef<[u8]>>(
    format: ExportFormat,
    workflows: &[&Workflow],
    single: impl Fn(&Workflow) -> Result<B, DataError>,
) -> Result<Vec<u8>, DataError> {
    let bytes = workflows
        .iter()
        .map(|wf| single(wf))
        .collect::<Result<Vec<B>, DataError>>()?;
    let singles: Vec<(&str, &[u8])> = workflows
        .iter()
        .zip(&bytes)
        .map(|(wf, bytes)| (wf.info.id.as_str(), bytes.as_ref()))
        .collect();
    match format {
        ExportFormat::Json => Ok(json_of(&singles)),
        ExportFormat::Zip => zip_of(&singles),
    }
}

/// A single export as it is, several as a JSON array of them.
fn json_of(singles: &[(&str, &[u8])]) -> Vec<u8> {
    if let [(_, one)] = singles {
        return one.to_vec();
    }
    let mut out = Vec::with_capacity(singles.iter().map(|(_, b)| b.len() + 1).sum::<usize>() + 2);
    out.push(b'[');
    for (i, (_, bytes)) in singles.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(bytes);
    }
    out.push(b']');
    out
}

/// One `<id>.json` member per single export.
fn zip_of(singles: &[(&str, &[u8])]) -> Result<Vec<u8>, DataError> {
    let zip_err = |source| DataError::Zip {
        action: "build",
        source,
    };
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // A fixed timestamp keeps the archive byte-identical across runs.
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (id, bytes) in singles {
        writer
            .start_file(format!("{id}.json"), options)
            .map_err(zip_err)?;
        writer.write_all(bytes).map_err(|e| zip_err(e.into()))?;
    }
    Ok(writer.finish().map_err(zip_err)?.into_inner())
}

/// Parses an export file (JSON object, JSON array, or ZIP of JSON members) into workflows,
/// as `POST .../soc/workflows/import` must.
pub fn parse_export(bytes: &[u8]) -> Result<Vec<Workflow>, DataError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return parse_zip(bytes);
    }
    let bad = |reason: &str, source| DataError::BadExportFile {
        reason: reason.to_owned(),
        source,
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| bad("not JSON or ZIP", Some(e)))?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| {
                Workflow::from_export_value(v).map_err(|e| bad("bad workflow in array", Some(e)))
            })
            .collect(),
        obj @ Value::Object(_) => Workflow::from_export_value(obj)
            .map(|w| vec![w])
            .map_err(|e| bad("bad workflow object", Some(e))),
        _ => Err(bad("expected a JSON object or array", None)),
    }
}

fn parse_zip(bytes: &[u8]) -> Result<Vec<Workflow>, DataError> {
    let zip_err = |source| DataError::Zip {
        action: "read",
        source,
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
    let mut out = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).map_err(zip_err)?;
        if member.is_dir() {
            continue;
        }
        let name = member.name().to_owned();
        let mut content = Vec::new();
        member
            .read_to_end(&mut content)
            .map_err(|e| zip_err(e.into()))?;
        out.push(
            Workflow::from_export_bytes(&content).map_err(|e| DataError::BadExportFile {
                reason: format!("zip member {name:?} is not a workflow export"),
                source: Some(e),
            })?,
        );
    }
    Ok(out)
}

/// Splits a JSON batch export into the raw bytes of each element, as a client would.
///
/// Used by tests to check the contract: each element is byte-identical to the single export.
pub fn split_json_batch(bytes: &[u8]) -> Result<Vec<&[u8]>, serde_json::Error> {
    let raws: Vec<&RawValue> = serde_json::from_slice(bytes)?;
    Ok(raws.into_iter().map(|r| r.get().as_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::bundled_workspace;

    #[test]
    fn single_json_export_is_the_workflow_bytes() {
        let ws = bundled_workspace("staging").unwrap();
        let wf = &ws.workflows[0];
        let bytes = export_json(&[wf]).unwrap();
        assert_eq!(bytes, wf.export_bytes().unwrap());
        assert_eq!(bytes[0], b'{');
        // Compact: no pretty-printing newlines.
        assert!(!bytes.contains(&b'\n'));
    }

    #[test]
    fn batch_json_elements_are_byte_identical_to_single_exports() {
        let ws = bundled_workspace("production").unwrap();
        let wfs: Vec<&Workflow> = ws.workflows.iter().collect();
        let batch = export_json(&wfs).unwrap();
        let parts = split_json_batch(&batch).unwrap();
        assert_eq!(parts.len(), wfs.len());
        for (part, wf) in parts.iter().zip(&wfs) {
            assert_eq!(*part, wf.export_bytes().unwrap().as_slice());
        }
        assert_eq!(
            parse_export(&batch).unwrap(),
            ws.workflows
                .iter()
                .map(|w| Workflow {
                    file_name: None,
                    ..w.clone()
                })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn zip_members_are_named_by_id_and_hold_single_exports() {
        let ws = bundled_workspace("staging").unwrap();
        let wfs: Vec<&Workflow> = ws.workflows.iter().take(3).collect();
        let bytes = export_zip(&wfs).unwrap();
        assert_eq!(
            bytes,
            export_zip(&wfs).unwrap(),
            "zip export must be deterministic"
        );
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        for (i, wf) in wfs.iter().enumerate() {
            let mut m = archive.by_index(i).unwrap();
            assert_eq!(m.name(), format!("{}.json", wf.info.id));
            let mut content = Vec::new();
            m.read_to_end(&mut content).unwrap();
            assert_eq!(content, wf.export_bytes().unwrap());
        }
        assert_eq!(parse_export(&bytes).unwrap().len(), 3);
    }

    #[test]
    fn garbage_import_files_are_typed_errors() {
        for bad in [
            &b"not json"[..],
            b"42",
            b"[{\"id\":1}]",
            b"PK\x03\x04trunc",
            b"",
        ] {
            let err = parse_export(bad).unwrap_err();
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn export_format_parses() {
        assert_eq!("ZIP".parse::<ExportFormat>().unwrap(), ExportFormat::Zip);
        assert!("tar".parse::<ExportFormat>().is_err());
        assert_eq!(ExportFormat::default().file_name(), "workflow.json");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn any_batch_splits_into_its_single_exports_and_parses_back(
            seed in 0u64..10_000,
            count in 0usize..6,
        ) {
            let opts = crate::generate::GenerateOptions { workflows: count, nodes_per_workflow: 6, seed, drift_rate: 0.5 };
            let (_, ws) = crate::generate::generate(&opts);
            let wfs: Vec<&Workflow> = ws.workflows.iter().collect();
            let batch = export_json(&wfs).unwrap();
            let singles: Vec<Vec<u8>> = wfs.iter().map(|w| w.export_bytes().unwrap()).collect();
            if count == 1 {
                proptest::prop_assert_eq!(&batch, &singles[0]);
            } else {
                let parts = split_json_batch(&batch).unwrap();
                proptest::prop_assert_eq!(parts.len(), count);
                for (part, single) in parts.iter().zip(&singles) {
                    proptest::prop_assert_eq!(*part, single.as_slice());
                }
            }
            let unnamed: Vec<Workflow> = ws.workflows.iter().map(|w| Workflow { file_name: None, ..w.clone() }).collect();
            proptest::prop_assert_eq!(&parse_export(&batch).unwrap(), &unnamed);
            if count > 0 {
                proptest::prop_assert_eq!(&parse_export(&export_zip(&wfs).unwrap()).unwrap(), &unnamed);
            }
        }
    }
}
