//! One side's documents as input to a comparison: normalized, or known by hash and loaded on demand.
//!
//! The store hands these out for a snapshot (hash from its manifest, content read only when the
//! hashes of the two sides differ); the differ consumes them.

use crate::normalize::Normalized;

/// One side's document as input to a comparison: either already normalized, or known by hash
/// with a loader, so that documents whose hashes match (under the same profile) are reported
/// unchanged without being read or parsed.
pub enum Entry {
    /// A document already normalized.
    Loaded(Normalized),
    /// A document known by the hashes recorded when it was stored, read only when needed.
    Deferred {
        /// The name the document is matched by.
        name: String,
        /// `Normalized::sha256` as recorded when the document was stored.
        sha256: String,
        /// `Normalized::layout_sha256` as recorded when the document was stored.
        layout_sha256: Option<String>,
        /// The hash of the profile that produced `sha256`; the shortcut applies only when both
        /// sides were normalized by a profile with the same hash as the current one.
        profile_hash: String,
        /// Reads and normalizes the document.
        load: Box<dyn FnOnce() -> Result<Normalized, BoxError> + Send>,
    },
}

/// The error a deferred [`Entry`]'s loader returns: whatever the store that made it reports.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A deferred [`Entry`] whose loader failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot load {name:?}")]
pub struct EntryLoadError {
    /// The name of the entry.
    pub name: String,
    /// Why its loader failed.
    #[source]
    pub source: BoxError,
}

impl Entry {
    /// The name this entry is matched by.
    pub fn name(&self) -> &str {
        match self {
            Self::Loaded(normalized) => &normalized.name,
            Self::Deferred { name, .. } => name,
        }
    }

    /// `(sha256, layout_sha256)` when they can be trusted under a profile with hash `profile_hash`:
    /// always for a loaded entry, for a deferred one only when it was stored under that profile.
    pub fn fingerprint(&self, profile_hash: &str) -> Option<(&str, Option<&str>)> {
        match self {
            Self::Loaded(n) => Some((&n.sha256, n.layout_sha256.as_deref())),
            Self::Deferred {
                sha256,
                layout_sha256,
                profile_hash: stored,
                ..
            } => (stored == profile_hash).then_some((sha256.as_str(), layout_sha256.as_deref())),
        }
    }

    /// The normalized document, running the loader of a deferred entry.
    pub fn load(self) -> Result<Normalized, EntryLoadError> {
        match self {
            Self::Loaded(normalized) => Ok(normalized),
            Self::Deferred { name, load, .. } => {
                load().map_err(|source| EntryLoadError { name, source })
            }
        }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Loaded(normalized) => f.debug_tuple("Loaded").field(normalized).finish(),
            Self::Deferred {
                name,
                sha256,
                layout_sha256,
                profile_hash,
                ..
            } => f
                .debug_struct("Deferred")
                .field("name", name)
                .field("sha256", sha256)
                .field("layout_sha256", layout_sha256)
                .field("profile_hash", profile_hash)
                .finish_non_exhaustive(),
        }
    }
}

/// One side of a comparison, its documents by kind. `playbooks` is `None` when the side does not
/// know its playbooks (a snapshot taken before socdrift read them, a folder of workflow exports
/// only): then playbooks are not compared, and the report says so rather than calling every
/// playbook of the other side added or removed.
#[derive(Debug, Default)]
pub struct SideEntries {
    /// The workflows.
    pub workflows: Vec<Entry>,
    /// The playbooks, when the side knows them.
    pub playbooks: Option<Vec<Entry>>,
}

impl SideEntries {
    /// A side that knows both kinds.
    pub fn new(workflows: Vec<Entry>, playbooks: Vec<Entry>) -> Self {
        Self {
            workflows,
            playbooks: Some(playbooks),
        }
    }

    /// A side of workflows only, whose playbooks are unknown.
    pub fn workflows_only(workflows: Vec<Entry>) -> Self {
        Self {
            workflows,
            playbooks: None,
        }
    }
}
