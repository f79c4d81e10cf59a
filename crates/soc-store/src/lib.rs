//! The socdrift snapshot store: the memory that drift is measured against.
//!
//! A [`Store`] is a folder (by default `.socdrift/` beside the configuration) holding, per
//! environment, snapshots of SecMaster workflow exports under `store-v1/<env>/<id>/`. Each
//! snapshot keeps every workflow's raw export exactly as received, its info, its normalized
//! canonical JSON (so `git diff` between two committed snapshots is readable), and a
//! `manifest.json` with every file's SHA-256. See `docs/store.md` for the layout.
//!
//! The store is built to be boringly trustworthy:
//! - a snapshot appears by one atomic rename of a fully written, synced folder; a crash leaves
//!   either the complete snapshot or none, and leftovers are never read;
//! - one writer per environment at a time (a lock file naming its holder's pid);
//! - file names come from workflow names but can never escape the snapshot folder nor collide,
//!   even on case-insensitive file systems;
//! - [`Store::verify`] rechecks every hash and reports, read-only, what is missing, extra or
//!   corrupted;
//! - [`Snapshot::entries`] gives the differ each workflow by its normalized hash, so diffing two
//!   large snapshots reads only the workflows that changed.
//!
//! ```no_run
//! use std::time::Duration;
//! use soc_diff::Profile;
//! use soc_store::{CommitOutcome, Selector, SourceInfo, Store, WorkflowInput};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Store::open(".socdrift")?;
//! let profile = Profile::default();
//! let mut writer = store.begin("staging", SourceInfo::default(), &profile, Duration::from_secs(30))?;
//! writer.add(WorkflowInput {
//!     id: "73804015".into(),
//!     name: "Block malicious source IP".into(),
//!     info: serde_json::json!({ "id": "73804015", "name": "Block malicious source IP" }),
//!     raw: std::fs::read("export.json")?,
//!     content_type: Some("application/octet-stream".into()),
//!     file_name: Some("workflows.json".into()),
//! })?;
//! match writer.commit(true)? {
//!     CommitOutcome::Written(snapshot) => eprintln!("wrote {}", snapshot.id()),
//!     CommitOutcome::Unchanged(latest) => eprintln!("same as {}", latest.id()),
//! }
//!
//! let old = store.resolve("staging", &"~1".parse::<Selector>()?)?;
//! let new = store.resolve("staging", &Selector::Latest)?;
//! let (left, right) = (old.entries()?, new.entries()?);
//! # let _ = (left, right);
//! assert!(store.verify(Some("staging")).is_ok());
//! # Ok(())
//! # }
//! ```

mod error;
mod fsutil;
mod gc;
mod id;
mod import;
mod lock;
mod manifest;
mod migrate;
mod name;
mod pack;
mod scratch;
mod snapshot;
mod store;
mod verify;
mod view;
mod writer;

pub use error::{Result, StoreError};
pub use fsutil::{create_private_dir_all, write_private_file};
pub use gc::{GcReport, PruneReport};
pub use id::{Selector, SnapshotId};
pub use lock::{LockHolder, LockWait};
pub use manifest::{
    ExpectedFile, ExportFormat, FORMAT, FORMAT_VERSION, MANIFEST_EXTENSION, MANIFEST_FILE,
    Manifest, MigratedFrom, NormalizedKind, READABLE_FORMAT_VERSIONS, SourceInfo, SourceKind,
    WorkflowRecord,
};
pub use migrate::{MigrateReport, Migrated};
pub use name::{
    MAX_ENV_NAME_BYTES, MAX_SLUG_BYTES, assign_stems, is_safe_file_name, slug, validate_environment,
};
pub use scratch::{Scratch, ScratchEntries};
pub use snapshot::{Snapshot, SnapshotSummary};
pub use store::{
    DEFAULT_LOCK_TIMEOUT, LAYOUT_DIR, LEGACY_LAYOUT_DIR, LEGACY_RAW_DIR, PACKS_DIR, RAW_DIR,
    SNAPSHOTS_DIR, Store, TEMP_PREFIX, VIEW_DIR,
};
pub use verify::{Problem, SnapshotCheck, StoreProblem, VerifyReport, verify_snapshot};
pub use view::WORKFLOWS_DIR;
pub use writer::{CommitOutcome, SnapshotWriter, WorkflowInput};
