//! Match and diff normalized SecMaster workflows and playbooks, and report what differs.
//!
//! The pipeline is one-way. soc-normalize turns export bytes into normalized documents
//! ([`Entry`](soc_normalize::Entry)); [`diff()`] matches two sets of them by name and builds a
//! [`Report`], [`diff_sides`] does that for each [`Kind`](soc_normalize::Kind) (workflows, and
//! the playbooks that decide when they run), a [`CheckReport`] gathers the reports (and errors) of
//! every pair a run compared, and a renderer formats a finished check report. The formats that
//! draw workflows (the HTML review page, Mermaid graphs in Markdown) want the report's canvases
//! filled in first by [`canvas::draw`], from the workflows' documents. Nothing here touches the
//! network.
//!
//! ```
//! use soc_diff::{CheckReport, DiffOptions, Format, RenderOptions, diff, render};
//! use soc_normalize::{Entry, Profile, decode_export};
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

#![warn(missing_docs)]

pub mod canvas;
pub mod diff;
pub mod render;
pub mod report;
mod sides;

pub use diff::{
    AcceptRule, AcceptRuleError, DiffError, DiffOptions, diff, diff_three, structural_changes,
};
pub use render::{Format, RenderOptions, render};
pub use report::{CheckReport, CheckStatus, Counts, Filters, PairError, PairReport, Report};
pub use sides::{OTHER_VERSIONS_REASON, diff_sides, diff_sides_three};
