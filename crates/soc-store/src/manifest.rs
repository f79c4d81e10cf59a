//! `manifest.json`: what a snapshot holds, with every file's hash.
//!
//! Written canonically (keys sorted, two-space indent, trailing newline, workflows sorted by name)
//! so that a snapshot committed to git diffs line by line with the previous one.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::name::is_safe_file_name;

/// File name of the manifest inside a store-v1 snapshot folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Extension of a store-v2 manifest: `snapshots/<env>/<id>.json.zst`.
pub const MANIFEST_EXTENSION: &str = ".json.zst";
/// The `format` field of every manifest.
pub const FORMAT: &str = "socdrift-snapshot";
/// The manifest version this crate writes: 3, a manifest of store-v2 whose workflows name their
/// objects by hash only (see `docs/store.md`).
pub const FORMAT_VERSION: u32 = 3;
/// The manifest versions this crate reads: 1 and 2 (store-v1 snapshot folders: raw exports inside
/// the folder in 1, in the private `raw-v1/` in 2) and 3.
pub const READABLE_FORMAT_VERSIONS: &[u32] = &[1, 2, 3];

/// The manifest of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// One of [`READABLE_FORMAT_VERSIONS`]; [`FORMAT_VERSION`] for manifests this crate writes.
    pub format_version: u32,
    /// The program that wrote the snapshot, e.g. `socdrift 0.1.0`.
    pub tool: String,
    /// When the snapshot was committed (UTC, whole seconds).
    pub created_at: DateTime<Utc>,
    /// The environment the snapshot belongs to.
    pub environment: String,
    /// Where the exports came from (never a secret).
    pub source: SourceInfo,
    /// `Profile::hash()` of the profile that produced the normalized files.
    pub profile_hash: String,
    /// For a snapshot `socdrift migrate` moved from store-v1: what it was there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_from: Option<MigratedFrom>,
    /// Whether the snapshot holds the environment's playbooks (as records of kind `playbook`);
    /// false for snapshots taken before socdrift read playbooks, whose playbooks are unknown.
    #[serde(default, skip_serializing_if = "is_false")]
    pub playbooks_captured: bool,
    /// One record per workflow (and per playbook, with `kind` `playbook`), sorted by name, then
    /// id, then kind.
    pub workflows: Vec<WorkflowRecord>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Where a migrated snapshot came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigratedFrom {
    /// Its id in store-v1 (the time is kept; the hash part follows the new content).
    pub id: String,
    /// Its manifest format there (1 or 2).
    pub format_version: u32,
}

/// Where a snapshot's exports came from. Holds no secret: the endpoint loses any user info and
/// query string before it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The SecMaster endpoint, e.g. `https://secmaster.ap-southeast-1.myhuaweicloud.com`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The region id, e.g. `ap-southeast-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// The project id.
    #[serde(default)]
    pub project_id: Option<String>,
    /// The SecMaster workspace id.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// The SecMaster workspace name.
    #[serde(default)]
    pub workspace_name: Option<String>,
    /// For snapshots imported from a folder of export files: that folder, as given.
    #[serde(default)]
    pub imported_from: Option<String>,
    /// Which API the workflow documents came from (`export` or `versions`); absent in snapshots
    /// written before socdrift recorded it, and for imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_source: Option<soc_model::DocumentSource>,
}

impl SourceInfo {
    /// A copy safe to write down: the endpoint without `user:password@`, query or fragment.
    pub fn sanitized(&self) -> SourceInfo {
        SourceInfo {
            endpoint: self.endpoint.as_deref().map(sanitize_endpoint),
            ..self.clone()
        }
    }
}

/// Drops user info, query and fragment from a URL-like string, whatever it holds.
fn sanitize_endpoint(endpoint: &str) -> String {
    let cut = endpoint.find(['?', '#']).unwrap_or(endpoint.len());
    let endpoint = endpoint.get(..cut).unwrap_or(endpoint);
    let (scheme, rest) = match endpoint.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, endpoint),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match scheme {
        Some(scheme) => format!("{scheme}://{host}{path}"),
        None => format!("{host}{path}"),
    }
}

/// What the export of one workflow turned out to be, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Starts with `{` or `[` (after whitespace or a BOM).
    Json,
    /// Starts with the ZIP local-file signature.
    Zip,
    /// Anything else; stored and compared by hash.
    Binary,
}

impl ExportFormat {
    /// The format of an export's bytes, as soc-model tells it.
    pub fn of(bytes: &[u8]) -> Self {
        match soc_model::Format::sniff(bytes) {
            soc_model::Format::JsonObject | soc_model::Format::JsonArray => ExportFormat::Json,
            soc_model::Format::Zip => ExportFormat::Zip,
            _ => ExportFormat::Binary,
        }
    }

    /// The file extension for the stored export.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Zip => "zip",
            ExportFormat::Binary => "bin",
        }
    }
}

/// How a workflow's normalized form is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalizedKind {
    /// Canonical JSON in `normalized_file`.
    Json,
    /// Content that is not JSON, known by hash and length only (no normalized file).
    Opaque,
}

/// One workflow (or playbook) of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowRecord {
    /// What the document is: a workflow (the default, left out of the manifest) or a playbook,
    /// whose raw document socdrift built from the playbook APIs.
    #[serde(default, skip_serializing_if = "soc_normalize::Kind::is_workflow")]
    pub kind: soc_normalize::Kind,
    /// The workflow id in its workspace.
    pub id: String,
    /// The workflow name: its identity across workspaces.
    pub name: String,
    /// The stem of this workflow's file names (see `docs/store.md`).
    pub stem: String,
    /// `Content-Type` of the export response, as received.
    #[serde(default)]
    pub content_type: Option<String>,
    /// File name suggested by the export response (`Content-Disposition`), or the imported file's
    /// name.
    #[serde(default)]
    pub file_name: Option<String>,
    /// What the export bytes are, by sniffing.
    pub export_format: ExportFormat,
    /// Format 1 only: the raw export, exactly as received, inside the snapshot folder. Format 2
    /// keeps raw exports out of the snapshot (they can hold secrets), in the store's private raw
    /// area under their hash; see [`WorkflowRecord::raw_export_name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_file: Option<String>,
    /// Size of the raw export in bytes.
    pub export_size: u64,
    /// SHA-256 of the raw export (in format 3, also its object name in the private raw area).
    pub export_sha256: String,
    /// Formats 1 and 2: the workflow info's file in the snapshot folder. Format 3 keeps it as the
    /// object `info_sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_file: Option<String>,
    /// SHA-256 of the workflow info (the list entry, redacted, canonical JSON).
    pub info_sha256: String,
    /// How the normalized form is stored.
    pub normalized_kind: NormalizedKind,
    /// Formats 1 and 2: the canonical normalized JSON's file in the snapshot folder (`None` for
    /// opaque content). Format 3 keeps it as the object `normalized_sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalized_file: Option<String>,
    /// `Normalized::sha256`: of the canonical text for JSON (so also of `normalized_file`), of the
    /// content bytes for opaque content.
    pub normalized_sha256: String,
    /// Size of `normalized_file`, or of the opaque content.
    pub normalized_size: u64,
    /// `Normalized::layout_sha256`: the hash of the canvas layout the profile set aside.
    #[serde(default)]
    pub layout_sha256: Option<String>,
    /// `Normalized::notes`: things the reader of a diff should know.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl WorkflowRecord {
    /// The file name of this workflow's raw export in the store's private raw area:
    /// `<export_sha256>.<json|zip|bin>` (content-addressed, so snapshots share unchanged exports).
    pub fn raw_export_name(&self) -> String {
        format!("{}.{}", self.export_sha256, self.export_format.extension())
    }

    /// Formats 1 and 2: every file of this workflow in the snapshot folder with the size and
    /// SHA-256 the manifest expects (the raw export only for format 1, which kept it there).
    /// Empty for format 3, whose content lives in objects.
    pub fn files(&self) -> Vec<ExpectedFile<'_>> {
        let mut files = Vec::with_capacity(3);
        if let Some(export_file) = &self.export_file {
            files.push(ExpectedFile {
                name: export_file,
                size: Some(self.export_size),
                sha256: &self.export_sha256,
            });
        }
        if let Some(info_file) = &self.info_file {
            files.push(ExpectedFile {
                name: info_file,
                size: None,
                sha256: &self.info_sha256,
            });
        }
        if let Some(normalized) = &self.normalized_file {
            files.push(ExpectedFile {
                name: normalized,
                size: Some(self.normalized_size),
                sha256: &self.normalized_sha256,
            });
        }
        files
    }
}

/// A file a manifest lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedFile<'a> {
    /// File name inside the snapshot folder.
    pub name: &'a str,
    /// Expected size, when the manifest records one.
    pub size: Option<u64>,
    /// Expected SHA-256.
    pub sha256: &'a str,
}

impl Manifest {
    /// Reads and checks `<snapshot>/manifest.json`.
    pub fn read(snapshot_dir: &Path) -> Result<Manifest> {
        let path = snapshot_dir.join(MANIFEST_FILE);
        let bytes = match fs_err::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::MissingManifest {
                    path: snapshot_dir.to_owned(),
                });
            }
            Err(err) => return Err(err.into()),
        };
        Self::parse(&path, &bytes)
    }

    /// Parses and checks manifest bytes read from `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Manifest> {
        // Check the format before the full shape, so a future layout gets "upgrade socdrift"
        // instead of a confusing field error.
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            format_version: Option<u32>,
        }
        let bad = |source| StoreError::BadManifest {
            path: path.to_owned(),
            source,
        };
        let body = soc_model::format::strip_bom(bytes);
        if soc_model::Format::sniff(body) != soc_model::Format::JsonObject {
            return Err(StoreError::InvalidManifest {
                path: path.to_owned(),
                reason: "it is not a JSON object".to_owned(),
            });
        }
        // Skims the document without building it: the full parse follows.
        let header: Header = serde_json::from_slice(body).map_err(bad)?;
        let readable = header
            .format_version
            .is_some_and(|version| READABLE_FORMAT_VERSIONS.contains(&version));
        if header.format.as_deref() != Some(FORMAT) || !readable {
            return Err(StoreError::UnsupportedFormat {
                path: path.to_owned(),
                format: header.format.unwrap_or_default(),
                version: header.format_version.unwrap_or_default(),
                expected_format: FORMAT,
                expected_version: FORMAT_VERSION,
            });
        }
        let manifest: Manifest = serde_json::from_slice(body).map_err(bad)?;
        manifest
            .check()
            .map_err(|reason| StoreError::InvalidManifest {
                path: path.to_owned(),
                reason,
            })?;
        Ok(manifest)
    }

    /// The records of one kind (`workflows` holds both kinds).
    pub fn records(&self, kind: soc_normalize::Kind) -> impl Iterator<Item = &WorkflowRecord> {
        self.workflows
            .iter()
            .filter(move |record| record.kind == kind)
    }

    /// Whether the raw exports are inside the snapshot folder (format 1), rather than in the
    /// store's private raw area (formats 2 and 3).
    pub fn raw_exports_inline(&self) -> bool {
        self.format_version == 1
    }

    /// Whether this is a store-v2 manifest (format 3), whose content lives in packed objects
    /// rather than in files beside it.
    pub fn is_packed(&self) -> bool {
        self.format_version >= 3
    }

    /// Reads and checks a store-v2 manifest file (`<id>.json.zst`).
    pub fn read_packed(path: &Path) -> Result<Manifest> {
        let bytes = read_compressed(path)?;
        let manifest = Self::parse(path, &bytes)?;
        if !manifest.is_packed() {
            return Err(StoreError::InvalidManifest {
                path: path.to_owned(),
                reason: format!(
                    "it has format version {}, which store-v2 never holds",
                    manifest.format_version
                ),
            });
        }
        Ok(manifest)
    }

    /// The bytes of a store-v2 manifest file: its canonical JSON, compressed.
    pub(crate) fn to_packed_bytes(&self) -> Result<Vec<u8>> {
        let text = self.to_canonical_json()?;
        crate::pack::compress(text.as_bytes())
    }

    /// The rules a manifest must follow beyond its shape: safe, distinct file names (so nothing is
    /// read outside the snapshot folder), the raw export where its format keeps it, and
    /// well-formed hashes. Checked record by record, rule by rule, the first broken rule reported.
    fn check(&self) -> Result<(), String> {
        let mut names = BTreeSet::new();
        let mut workflows = BTreeSet::new();
        for record in &self.workflows {
            self.check_raw_export(record)?;
            if !workflows.insert((record.kind, &record.name, &record.id)) {
                return Err(format!(
                    "{} '{}' (id {}) is listed twice",
                    record.kind, record.name, record.id
                ));
            }
            self.check_content_place(record)?;
            check_names_and_hashes(record, &mut names)?;
        }
        Ok(())
    }

    /// The raw export is where the format keeps it (inside the snapshot in format 1 only), and
    /// its hash is well formed.
    fn check_raw_export(&self, record: &WorkflowRecord) -> Result<(), String> {
        match (self.raw_exports_inline(), &record.export_file) {
            (true, None) => {
                return Err(format!(
                    "workflow '{}' has no export_file (format 1 keeps raw exports in the snapshot)",
                    record.name
                ));
            }
            (false, Some(_)) => {
                return Err(format!(
                    "workflow '{}' names an export_file, which format {} keeps out of the snapshot",
                    record.name, self.format_version
                ));
            }
            _ => {}
        }
        if !is_sha256_hex(&record.export_sha256) {
            return Err(format!(
                "workflow '{}' has a malformed export sha256",
                record.name
            ));
        }
        Ok(())
    }

    /// Format 3 keeps info and normalized form as objects named by hash; earlier formats keep
    /// them as files in the snapshot folder.
    fn check_content_place(&self, record: &WorkflowRecord) -> Result<(), String> {
        if self.is_packed() {
            if record.info_file.is_some() || record.normalized_file.is_some() {
                return Err(format!(
                    "workflow '{}' names files, which format 3 keeps as objects",
                    record.name
                ));
            }
            if !is_sha256_hex(&record.info_sha256) {
                return Err(format!(
                    "workflow '{}' has a malformed info sha256",
                    record.name
                ));
            }
        } else {
            if record.info_file.is_none() {
                return Err(format!(
                    "workflow '{}' has no info_file (format {} keeps it in the snapshot)",
                    record.name, self.format_version
                ));
            }
            if record.normalized_kind == NormalizedKind::Json && record.normalized_file.is_none() {
                return Err(format!(
                    "workflow '{}' has JSON content but no normalized_file",
                    record.name
                ));
            }
        }
        Ok(())
    }

    /// The canonical text of the manifest (sorted keys, pretty, trailing newline).
    pub fn to_canonical_json(&self) -> Result<String> {
        let value = serde_json::to_value(self).map_err(|source| StoreError::Serialize {
            what: "the snapshot manifest".to_owned(),
            source,
        })?;
        Ok(soc_normalize::canonical_json(&value))
    }
}

/// The largest store-v2 manifest read (decompressed): about 200 times a manifest of 10,000
/// workflows.
const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// The decompressed bytes of a store-v2 manifest file, with the errors a reader of the store
/// expects (a missing file is [`StoreError::MissingManifest`]).
pub(crate) fn read_compressed(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = match fs_err::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::MissingManifest {
                path: path.to_owned(),
            });
        }
        Err(err) => return Err(err.into()),
    };
    let decoder = zstd::stream::read::Decoder::new(file)?;
    let mut bytes = Vec::new();
    decoder
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| StoreError::InvalidManifest {
            path: path.to_owned(),
            reason: format!("it does not decompress ({err})"),
        })?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(StoreError::InvalidManifest {
            path: path.to_owned(),
            reason: format!("it is larger than {MAX_MANIFEST_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

/// The hash that the second part of a snapshot id abbreviates: of the profile hash and the
/// canonical text of the `workflows` array. Computed from the parsed file (not the struct), so
/// [`Store::verify`](crate::Store::verify) can recheck it even for manifests with fields added later.
pub(crate) fn content_hash(profile_hash: &str, workflows: &serde_json::Value) -> String {
    let text = soc_normalize::canonical_json(workflows);
    crate::fsutil::sha256_hex(
        &[profile_hash.as_bytes(), b"\n".as_slice(), text.as_bytes()].concat(),
    )
}

/// A record's stem and file names are plain names, distinct across the manifest (`names`, lower
/// case), and its hashes well formed.
fn check_names_and_hashes(
    record: &WorkflowRecord,
    names: &mut BTreeSet<String>,
) -> Result<(), String> {
    if !is_safe_file_name(&record.stem) || record.stem.contains('.') {
        return Err(format!(
            "workflow '{}' has the stem {:?}, which is not a plain name",
            record.name, record.stem
        ));
    }
    let hashes = [
        Some(&record.normalized_sha256),
        record.layout_sha256.as_ref(),
    ];
    for file in record.files() {
        if !is_safe_file_name(file.name) || file.name == MANIFEST_FILE {
            return Err(format!(
                "workflow '{}' names the file {:?}, which is not a plain file name",
                record.name, file.name
            ));
        }
        if !names.insert(file.name.to_lowercase()) {
            return Err(format!(
                "the file {:?} is listed twice (names are compared ignoring case)",
                file.name
            ));
        }
        if !is_sha256_hex(file.sha256) {
            return Err(format!(
                "workflow '{}' has a malformed sha256 for {:?}",
                record.name, file.name
            ));
        }
    }
    if hashes.into_iter().flatten().any(|h| !is_sha256_hex(h)) {
        return Err(format!(
            "workflow '{}' has a malformed normalized or layout sha256",
            record.name
        ));
    }
    Ok(())
}

pub(crate) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_lose_credentials_and_queries() {
        assert_eq!(
            sanitize_endpoint("https://ak:sk@secmaster.example.com/v1?token=x#y"),
            "https://secmaster.example.com/v1"
        );
        assert_eq!(
            sanitize_endpoint("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(sanitize_endpoint("user@host/path@x"), "host/path@x");
    }

    #[test]
    fn formats_come_from_soc_model() {
        assert_eq!(ExportFormat::of(b"  \n{\"a\":1}"), ExportFormat::Json);
        assert_eq!(ExportFormat::of(b"PK\x03\x04rest"), ExportFormat::Zip);
        assert_eq!(ExportFormat::of(b"<xml/>"), ExportFormat::Binary);
    }

    #[test]
    fn unknown_formats_ask_for_an_upgrade() {
        let err = Manifest::parse(
            Path::new("m.json"),
            br#"{"format":"socdrift-snapshot","format_version":4}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("upgrade socdrift"), "{err}");
        let err = Manifest::parse(Path::new("m.json"), b"{not json").unwrap_err();
        assert!(matches!(err, StoreError::BadManifest { .. }), "{err}");
    }
}
