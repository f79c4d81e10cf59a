//! Why an export could not be read; every variant names the file (and ZIP member or array item).

use crate::format::Format;
use crate::json::JSON_DEPTH_LIMIT;
use crate::limits::LimitError;

/// Why the bytes of an export could not be read as workflows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// JSON that is not UTF-8.
    #[error(
        "{file}: not valid UTF-8 at byte {offset} (a file starting with `{{` or `[` must be UTF-8 JSON)"
    )]
    Utf8 {
        /// The file (`x.zip!member.json` for a ZIP member).
        file: String,
        /// Where, from the first byte of the file.
        offset: usize,
        /// The cause.
        #[source]
        source: std::str::Utf8Error,
    },
    /// JSON that does not parse.
    #[error("{file}: invalid JSON near byte {offset}")]
    Json {
        /// The file.
        file: String,
        /// The offending byte.
        offset: usize,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// JSON nested too deep to parse safely.
    #[error("{file}: JSON nested deeper than {JSON_DEPTH_LIMIT} levels near byte {offset}")]
    TooDeep {
        /// The file.
        file: String,
        /// Where.
        offset: usize,
    },
    /// A ZIP archive that cannot be read.
    #[error("{file}: not a readable ZIP archive (truncated or corrupt?)")]
    Zip {
        /// The file.
        file: String,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// A ZIP member that cannot be opened.
    #[error("{file}: cannot open ZIP member #{index}")]
    ZipMember {
        /// The archive.
        file: String,
        /// The member's index in the archive.
        index: usize,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// A ZIP member whose content cannot be read.
    #[error("{file}!{member}: cannot read ZIP member (truncated or corrupt?)")]
    ZipRead {
        /// The archive.
        file: String,
        /// The member.
        member: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An export (or a member of one) over a limit.
    #[error("{file}: {source}")]
    Limit {
        /// The file, or `x.zip!member`.
        file: String,
        /// Which limit, with what was found.
        source: LimitError,
    },
    /// A file that cannot be read from disk.
    #[error("cannot read {file}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Bytes that are no export at all (empty, an HTML page).
    #[error("{file}: {} is not a workflow export", format.describe())]
    NotAnExport {
        /// The file.
        file: String,
        /// What it is.
        format: Format,
    },
    /// An API error answer saved where an export was expected (`curl … > export.json` of a
    /// failed call).
    #[error("{file}: an error answer of the API ({envelope}), not a workflow export")]
    ErrorAnswer {
        /// The file.
        file: String,
        /// The error it holds.
        envelope: crate::ErrorEnvelope,
    },
    /// A workflow object without its name field.
    #[error(
        "{file}: workflow object has no `{key}` field to name it (set `normalize.name_key` if it uses another)"
    )]
    MissingName {
        /// The file, or `file.json[3]` for an array item.
        file: String,
        /// The name field looked for.
        key: String,
    },
    /// A name field that is not a non-empty string.
    #[error("{file}: the `{key}` field must be a non-empty string, found {found}")]
    BadName {
        /// The file or item.
        file: String,
        /// The name field.
        key: String,
        /// What it holds instead.
        found: &'static str,
    },
    /// JSON whose shape holds no workflow object.
    #[error("{file}: expected a workflow object, found {found}")]
    NotAWorkflow {
        /// The file or item.
        file: String,
        /// What it holds instead.
        found: &'static str,
    },
}

impl ReadError {
    /// The file (or member, or array item) the error is about.
    #[must_use]
    pub fn file(&self) -> &str {
        match self {
            Self::Utf8 { file, .. }
            | Self::Json { file, .. }
            | Self::TooDeep { file, .. }
            | Self::Zip { file, .. }
            | Self::ZipMember { file, .. }
            | Self::ZipRead { file, .. }
            | Self::Limit { file, .. }
            | Self::Io { file, .. }
            | Self::NotAnExport { file, .. }
            | Self::ErrorAnswer { file, .. }
            | Self::MissingName { file, .. }
            | Self::BadName { file, .. }
            | Self::NotAWorkflow { file, .. } => file,
        }
    }

    /// The limit that was exceeded, if that is the error.
    #[must_use]
    pub fn limit(&self) -> Option<&LimitError> {
        match self {
            Self::Limit { source, .. } => Some(source),
            _ => None,
        }
    }
}
