//! Decode, normalize, match and diff Huawei Cloud SecMaster workflow exports and playbooks.
//!
//! The pipeline is one-way: bytes of an export are [decoded](decode) into [`Document`]s, a
//! [`Profile`] [normalizes](normalize) each into canonical form ([`Normalized`]), [`diff()`] matches
//! two sets of them by name and builds a [`Report`], [`diff_sides`] does that for each [`Kind`]
//! (workflows, and the playbooks that decide when they run), a [`CheckReport`] gathers the reports
//! (and errors) of every pair a run compared, and a renderer formats a finished check report.
//! The formats that draw workflows (the HTML review page, Mermaid graphs in Markdown) want the
//! report's canvases filled in first by [`canvas::draw`], from the workflows' documents.
//! Nothing here touches the network.
//!
//! ```
//! use soc_diff::{
//!     CheckReport, DiffOptions, Entry, Format, Profile, RenderOptions, decode_export, diff, render,
//! };
//!
//! let profile = Profile::secmaster();
//! let entries = |source: &str, json: &str| -> Vec<Entry> {
//!     decode_export(source, json.as_bytes(), &profile)
//!         .expect("a valid export")
//!         .iter()
//!         .map(|doc| Entry::Loaded(profile.normalize(doc)))
//!         .collect()
//! };
//! let staging = entries("staging.json", r#"{"name": "Block IP", "taskconfig": "{\"hours\":24}"}"#);
//! let production = entries("production.json", r#"{"name": "Block IP", "taskconfig": "{\"hours\":1}"}"#);
//! let options = DiffOptions {
//!     left_label: "staging".into(),
//!     right_label: "production".into(),
//!     ..DiffOptions::default()
//! };
//! let report = diff(staging, production, &profile, &options)?;
//! assert!(report.has_drift());
//! // A run may compare several pairs; every format renders them all as one document.
//! let run = CheckReport::single(report);
//! let text = render(&run, Format::Text, &RenderOptions::default());
//! assert!(text.contains("~ /taskconfig/hours: 24 -> 1"));
//! # Ok::<(), soc_diff::DiffError>(())
//! ```

pub mod address;
pub mod canvas;
pub mod check;
pub mod decode;
pub mod diff;
mod element_ids;
mod ignore;
pub mod kind;
pub mod normalize;
pub mod pattern;
pub mod profile;
pub mod redact;
pub mod render;
pub mod report;

pub use decode::{Content, DecodeError, Document, LoadError, decode_export, load_path};
pub use diff::{
    AcceptRule, AcceptRuleError, DiffError, DiffOptions, Entry, diff, diff_three,
    structural_changes,
};
pub use kind::{ByKind, Kind, SideEntries, diff_sides};
pub use normalize::{Normalized, NormalizedContent, canonical_json};
pub use pattern::{PathPattern, PatternError};
pub use profile::{ArrayRule, ElementIds, Profile, ProfileConfig, ProfileError};
pub use render::{Format, RenderOptions, render};
pub use report::{CheckReport, CheckStatus, Counts, Filters, PairError, PairReport, Report};
