//! Decode, normalize, match and diff Huawei Cloud SecMaster workflow exports.
//!
//! The pipeline is one-way: bytes of an export are [decoded](decode) into [`Document`]s, a
//! [`Profile`] [normalizes](normalize) each into canonical form ([`Normalized`]), [`diff()`] matches
//! two sets of them by workflow name and builds a [`Report`], and a renderer formats a finished
//! report. Nothing here touches the network.
//
// Module ownership while the crate is being built (remove this note when done):
//   decode.rs, pattern.rs, profile.rs, normalize.rs  -> normalization work
//   diff.rs, report.rs, render/                      -> diff/report work

pub mod decode;
pub mod diff;
pub mod normalize;
pub mod pattern;
pub mod profile;
pub mod render;
pub mod report;

pub use decode::{Content, DecodeError, Document, LoadError, decode_export, load_path};
pub use diff::{DiffError, DiffOptions, Entry, diff};
pub use normalize::{Normalized, NormalizedContent, canonical_json};
pub use pattern::{PathPattern, PatternError};
pub use profile::{ArrayRule, Profile, ProfileConfig, ProfileError};
pub use report::Report;
