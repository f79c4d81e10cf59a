//! Errors of the network-free part: loading, writing and exporting workspaces.

use std::path::PathBuf;

/// An error loading, writing or exporting workspace data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file or folder could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A fixture file is not the expected JSON shape.
    #[error(
        "{path} is not a valid workspace, workflow export or playbook file (check it is JSON in the fixture layout)"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// A folder given as a workspace root holds no workspace folders.
    #[error(
        "{path} holds no workspace folders (expected <name>/workspace.json and <name>/workflows/*.json)"
    )]
    NoWorkspaces {
        /// The folder.
        path: PathBuf,
    },
    /// The embedded fixtures have no workspace of this name.
    #[error("no bundled workspace named {name:?} (bundled: staging, production)")]
    UnknownBundled {
        /// The requested name.
        name: String,
    },
    /// Serializing a workspace or workflow failed.
    #[error("cannot serialize {what}")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
    /// Building or reading a ZIP export failed.
    #[error("cannot {action} the zip export")]
    Zip {
        /// `build` or `read`.
        action: &'static str,
        /// The underlying error.
        #[source]
        source: zip::result::ZipError,
    },
    /// An uploaded export file is neither a JSON export nor a ZIP of JSON exports.
    #[error("the export file is not a workflow export ({reason})")]
    BadExportFile {
        /// What is wrong with it.
        reason: String,
        /// The JSON error, when the file looked like JSON.
        #[source]
        source: Option<serde_json::Error>,
    },
}
