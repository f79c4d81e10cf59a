//! The SecMaster document model: what socdrift knows about the bytes SecMaster hands out.
//!
//! One home for each piece of that knowledge, used by the API client (soc-api), the store
//! (soc-store) and the differ (soc-diff); nobody else looks at export bytes:
//! - [`Format`]: what some bytes are (JSON object or array, ZIP, empty, HTML, text, binary);
//! - [`zip`]: reading a ZIP export member by member, within [`Limits`], skipping archiver junk;
//! - [`json`]: parsing untrusted JSON within limits, cutting an array per element byte for byte;
//! - [`read`]: an export file as workflows, one at a time ([`read_export`]), or as
//!   single-workflow pieces with their exact bytes ([`split_pieces`]);
//! - [`envelope`]: SecMaster and API gateway error envelopes, and what their codes mean;
//! - [`document`]: workflow info and version documents, and the export-equivalent document built
//!   from them ([`export_from_versions`]);
//! - [`playbook`]: playbook documents built from the playbook APIs, and the shape they are
//!   compared in (each action's workflow by name, the active version apart from the others);
//! - [`inspect`]: what an answer looks like against what socdrift expects, and a redacted sample
//!   of it that keeps its structure and none of its values (for `socdrift probe`).
//!
//! It never touches the network and depends on no other socdrift crate.
//!
//! ```
//! use soc_model::{Format, Item, Limits, ReadOptions, read_export};
//!
//! let bytes = br#"{"id": "w1", "name": "Block IP", "versions": []}"#;
//! assert_eq!(Format::sniff(bytes), Format::JsonObject);
//! let options = ReadOptions { name_key: "name", limits: &Limits::default() };
//! let mut names = Vec::new();
//! read_export("w1.json", "w1.json", bytes, &options, &mut |item| {
//!     if let Item::Workflow(workflow) = item {
//!         names.push(workflow.name);
//!     }
//! })?;
//! assert_eq!(names, ["Block IP"]);
//! # Ok::<(), soc_model::ReadError>(())
//! ```

pub mod document;
pub mod envelope;
mod error;
pub mod format;
pub mod inspect;
pub mod json;
pub mod limits;
pub mod playbook;
pub mod read;
pub mod zip;

pub use document::{DocumentSource, IdName, NamedWorkflow, export_from_versions};
pub use envelope::{EnvelopeShape, ErrorEnvelope, ErrorFields, code_meaning};
pub use error::ReadError;
pub use format::Format;
pub use limits::{LimitError, LimitKind, Limits};
pub use read::{Item, Piece, ReadOptions, read_export, read_file, split_pieces};
