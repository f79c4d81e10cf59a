//! The socdrift snapshot store: the memory that drift is measured against.
//!
//! A [`Store`] is a folder (by default `.socdrift/` beside the configuration). Its committed part,
//! `store-v2/`, holds every distinct normalized workflow, playbook and info once, as objects named
//! by their SHA-256 in zstd-compressed packs; a snapshot is a manifest of names and hashes
//! (`snapshots/<env>/<id>.json.zst`), tags name snapshots (`tags/<env>/<tag>`), and
//! `view/<env>/workflows/<stem>.json` (and `view/<env>/playbooks/<stem>.json`) shows each
//! environment's latest snapshot at stable paths, so `git diff` between two commits of the store
//! shows the changed workflows' lines. Raw exports, which can hold secrets, live in the private,
//! git-ignored `raw-v2/`. See `docs/store.md` for the layout.
//!
//! The store is built to be boringly trustworthy:
//! - a snapshot appears by one atomic rename of its manifest, after the packs it needs; a crash
//!   leaves either the complete snapshot or none, and leftovers are never read;
//! - one writer per environment at a time (a lock file naming its holder's pid), and no garbage
//!   collection while any snapshot is being written;
//! - file names come from workflow names but can never escape the view nor collide, even on
//!   case-insensitive file systems;
//! - [`Store::verify`] reads every object back against its hash and reports, read-only, what is
//!   missing, extra or corrupted;
//! - [`Snapshot::entries`] gives the differ each workflow by its normalized hash, so diffing two
//!   large snapshots reads only the workflows that changed;
//! - a writer's [`add`](SnapshotWriter::add) takes `&self`: exports are normalized, hashed,
//!   compressed and written as they arrive, from any number of threads.
//!
//! ```no_run
//! use std::time::Duration;
//! use soc_normalize::Profile;
//! use soc_store::{CommitOutcome, IfUnchanged, Selector, SourceInfo, Store, WorkflowInput};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Store::open(".socdrift")?;
//! let profile = Profile::default();
//! let writer = store.begin("staging", SourceInfo::default(), &profile, Duration::from_secs(30))?;
//! writer.add(WorkflowInput {
//!     id: "73804015".into(),
//!     name: "Block malicious source IP".into(),
//!     info: serde_json::json!({ "id": "73804015", "name": "Block malicious source IP" }),
//!     raw: std::fs::read("export.json")?,
//!     content_type: Some("application/octet-stream".into()),
//!     file_name: Some("workflows.json".into()),
//! })?;
//! match writer.commit(IfUnchanged::Skip)? {
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
mod tags;
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
    Manifest, MigratedFrom, NormalizedKind, READABLE_FORMAT_VERSIONS, SourceInfo, WorkflowRecord,
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
pub use tags::{MAX_TAG_BYTES, TAGS_DIR, validate_tag};
pub use verify::{Problem, SnapshotCheck, StoreProblem, VerifyReport, verify_snapshot};
pub use view::{PLAYBOOKS_DIR, WORKFLOWS_DIR};
pub use writer::{CommitOutcome, IfUnchanged, SnapshotWriter, WorkflowInput};
