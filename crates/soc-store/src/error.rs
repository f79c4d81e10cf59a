//! The one error type of the crate.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong in the store. Every variant names the thing it concerns (a path, an
/// environment, a workflow) so that a message alone tells the user where to look.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation failed. The inner error comes from `fs-err` and names the path.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// An environment name that could not be used as a folder name on every platform.
    #[error(
        "invalid environment name {name:?}: {reason} (use lowercase letters, digits, '-' and '_', \
         starting with a letter or digit, at most 64 characters)"
    )]
    InvalidEnvironment { name: String, reason: &'static str },

    /// The store root exists but is not a directory.
    #[error("store root {path} is not a directory")]
    NotADirectory { path: PathBuf },

    /// `latest`, `~N` or an id asked of an environment without snapshots.
    #[error("environment '{env}' has no snapshots yet (looked in {path})")]
    NoSnapshots { env: String, path: PathBuf },

    /// The selector matched nothing; `available` lists what exists.
    #[error("environment '{env}' has no snapshot '{selector}'; available: {available}")]
    SnapshotNotFound {
        env: String,
        selector: String,
        available: String,
    },

    /// An id prefix that matches more than one snapshot.
    #[error(
        "snapshot id prefix '{prefix}' is ambiguous in environment '{env}': it matches {matches}"
    )]
    AmbiguousId {
        env: String,
        prefix: String,
        matches: String,
    },

    /// Text that is neither `latest`, `~N` nor something that could be a snapshot id.
    #[error(
        "invalid snapshot selector {input:?}: expected 'latest', '~N' (N-th previous), a tag or a snapshot id or id prefix"
    )]
    InvalidSelector { input: String },

    /// Another writer held the environment's lock for longer than the timeout.
    #[error(
        "environment '{env}' is locked by another writer ({holder}); gave up after {}; \
         lock file: {path}", soc_text::duration(*timeout)
    )]
    Locked {
        env: String,
        holder: crate::lock::LockHolder,
        /// The timeout the writer was given (what the message says it waited).
        timeout: Duration,
        /// How long it actually waited (a little more than `timeout`).
        waited: Duration,
        path: PathBuf,
    },

    /// The store-wide lock stayed taken for longer than the timeout: by snapshot writers while
    /// garbage collection waited, or by garbage collection while a writer waited.
    #[error(
        "the store is locked by {holder}; gave up after {}; lock file: {path}",
        soc_text::duration(*timeout)
    )]
    StoreLocked {
        holder: crate::lock::LockHolder,
        timeout: Duration,
        path: PathBuf,
    },

    /// The lock file could not be locked for a reason other than another holder.
    #[error("cannot lock {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `manifest.json` is missing.
    #[error("{path} is not a snapshot: it has no manifest.json")]
    MissingManifest { path: PathBuf },

    /// `manifest.json` is not JSON of the expected shape.
    #[error("snapshot manifest {path} cannot be parsed")]
    BadManifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// `manifest.json` parses but breaks a rule (unsafe file name, duplicate entry, bad hash).
    #[error("snapshot manifest {path} is invalid: {reason}")]
    InvalidManifest { path: PathBuf, reason: String },

    /// A manifest written by a different version of the layout.
    #[error(
        "snapshot manifest {path} has format {format:?} version {version}; this socdrift reads \
         {expected_format:?} versions 1 to {expected_version} (upgrade socdrift)"
    )]
    UnsupportedFormat {
        path: PathBuf,
        format: String,
        version: u32,
        expected_format: &'static str,
        expected_version: u32,
    },

    /// A stored file whose bytes no longer match the manifest.
    #[error(
        "{path} does not match its snapshot manifest (sha256 {actual}, manifest says {expected}); \
         run `socdrift verify` and restore the snapshot from git or take a new one"
    )]
    Corrupted {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    /// Comparing a snapshot under rules other than the ones it was normalized with needs its raw
    /// exports, and they are not in this store (a clone: raw exports never leave the machine that
    /// took the snapshot).
    #[error(
        "snapshot {env}/{id} was normalized under other rules (another [normalize] section or \
         socdrift version); applying the current rules needs its raw exports, and {missing} of \
         {total} are not in this store ({raw_dir})"
    )]
    RawExportsMissing {
        env: String,
        id: String,
        missing: usize,
        total: usize,
        raw_dir: PathBuf,
    },

    /// A stored normalized file that matches its hash but is not JSON (written by something else).
    #[error("stored normalized file {path} is not JSON")]
    BadNormalized {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// The export of one workflow could not be decoded or normalized.
    #[error("cannot normalize the export of workflow '{name}' (id {id})")]
    Normalize {
        name: String,
        id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A single-workflow export that decoded into zero or several workflows.
    #[error(
        "the export of workflow '{name}' (id {id}) holds {count} workflows; a snapshot stores one \
         export per workflow"
    )]
    NotSingleWorkflow {
        name: String,
        id: String,
        count: usize,
    },

    /// A document stored as one kind that is another (a workflow export given as a playbook).
    #[error("'{name}' (id {id}) was given as a {expected} but its document is a {found}")]
    WrongKind {
        name: String,
        id: String,
        expected: soc_normalize::Kind,
        found: soc_normalize::Kind,
    },

    /// The same workflow (same name and id) added twice to one snapshot.
    #[error("workflow '{name}' (id {id}) was added twice to the same snapshot")]
    DuplicateWorkflow { name: String, id: String },

    /// A file in a folder being imported that is not a SecMaster workflow export.
    #[error("{path} is not a workflow export: {reason}")]
    NotAnExport { path: PathBuf, reason: String },

    /// A folder to import that holds no export files.
    #[error("no workflow export files (*.json, *.zip) in {path}")]
    EmptyImport { path: PathBuf },

    /// A pack whose structure is damaged (truncated, a bad index).
    #[error("pack {path} is damaged: {reason}; run `socdrift verify`")]
    BadPack { path: PathBuf, reason: String },

    /// An object inside a pack that no longer matches its hash.
    #[error(
        "object {hash} in {pack} is damaged: {reason}; run `socdrift verify` and restore the \
         store from git or take a new snapshot"
    )]
    CorruptedObject {
        pack: PathBuf,
        hash: String,
        reason: String,
    },

    /// An object a snapshot lists that no pack holds.
    #[error(
        "snapshot {snapshot} lists the {what} of workflow '{workflow}' as object {hash}, which no \
         pack in {packs} holds; run `socdrift verify`"
    )]
    MissingObject {
        /// `env/id`.
        snapshot: String,
        workflow: String,
        what: &'static str,
        hash: String,
        packs: PathBuf,
    },

    /// Compressing an object failed (only possible when memory runs out).
    #[error("cannot compress an object")]
    Compress {
        #[source]
        source: std::io::Error,
    },

    /// A snapshot id that an operation needed to be free is taken (two migrations at once).
    #[error("snapshot {env}/{id} exists already")]
    SnapshotExists { env: String, id: String },

    /// A store-v2 snapshot opened by a path that is not inside a store.
    #[error(
        "{path} is a store-v2 manifest outside its store; its content lives in the store's packs, \
         so pass the store (or ENV@SELECTOR) instead"
    )]
    OutsideStore { path: PathBuf },
    /// A tag name that cannot be used (see `docs/store.md`).
    #[error(
        "invalid tag name {name:?}: {reason} (use lowercase letters, digits, '-' and '_', \
         starting with a letter, at most 64 characters)"
    )]
    InvalidTag { name: String, reason: &'static str },

    /// A tag that the environment does not have; `available` lists the ones it has.
    #[error("environment '{env}' has no tag '{tag}'{}", tag_list(available))]
    TagNotFound {
        env: String,
        tag: String,
        available: Vec<String>,
    },

    /// A tag whose snapshot is gone (deleted by hand: prune keeps tagged snapshots).
    #[error(
        "tag '{tag}' of environment '{env}' names snapshot {id}, which no longer exists; \
         point it at another snapshot with `socdrift tag {env} {tag} SNAPSHOT`"
    )]
    DanglingTag {
        env: String,
        tag: String,
        id: String,
    },

    /// A tag file that does not hold a snapshot id.
    #[error("{path} does not hold a snapshot id; restore it from git or tag the snapshot again")]
    BadTag { path: PathBuf },

    /// Serializing a manifest or workflow info failed (only possible with non-string map keys).
    #[error("cannot serialize {what}")]
    Serialize {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

fn tag_list(tags: &[String]) -> String {
    if tags.is_empty() {
        " (it has no tags)".to_owned()
    } else {
        format!(" (it has: {})", tags.join(", "))
    }
}

/// The crate's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
