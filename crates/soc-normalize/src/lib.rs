//! SecMaster documents in canonical form: decoded from export files, normalized under a profile.
//!
//! Export bytes are read through soc-model into [`Document`]s ([`decode_export`],
//! [`load_path`]); a [`Profile`] (the built-in SecMaster rules plus the user's `[normalize]`
//! section) [normalizes](Profile::normalize) each into canonical JSON ([`Normalized`]): ids,
//! timestamps and canvas layout dropped, base64 and JSON-string payloads decoded, set arrays
//! ordered, secrets redacted. Places in a document have stable [addresses](address) that
//! [`PathPattern`]s match; an [`Entry`] is one side's document as a comparison consumes it,
//! loaded or known by hash. The store writes what this crate produces and the differ compares it;
//! this crate knows neither, and nothing here touches the network.
//!
//! ```
//! use soc_normalize::{Profile, decode_export};
//!
//! let profile = Profile::secmaster();
//! let export = br#"{"name": "Block IP", "id": "w-1", "taskconfig": "{\"hours\":24}"}"#;
//! let documents = decode_export("block-ip.json", export, &profile)?;
//! let normalized = profile.normalize(&documents[0]);
//! assert_eq!(normalized.name, "Block IP");
//! // The id is dropped and the JSON string inside `taskconfig` is decoded.
//! let value = normalized.value().expect("a JSON document")?;
//! assert_eq!(value["taskconfig"]["hours"], 24);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod address;
pub mod check;
pub mod decode;
pub mod element_ids;
mod entry;
mod ignore;
mod kind;
pub mod normalize;
pub mod pattern;
pub mod profile;
pub mod redact;
pub mod versions;

pub use decode::{Content, DecodeError, Document, LoadError, decode_export, load_path};
pub use entry::{BoxError, Entry, EntryLoadError, SideEntries};
pub use kind::{ByKind, Kind};
pub use normalize::{Normalized, NormalizedContent, canonical_json};
pub use pattern::{PathPattern, PatternError};
pub use profile::{ArrayRule, ElementIds, Profile, ProfileConfig, ProfileError};
