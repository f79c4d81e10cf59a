//! Matching two sets of normalized documents and computing their differences.

use crate::normalize::Normalized;

/// One side's document as input to [`diff`](crate::diff()): either already normalized, or known by
/// hash with a loader, so that documents whose hashes match (under the same profile) are reported
/// unchanged without being read or parsed.
pub enum Entry {
    Loaded(Normalized),
    Deferred {
        name: String,
        /// `Normalized::sha256` as recorded when the document was stored.
        sha256: String,
        layout_sha256: Option<String>,
        /// The hash of the profile that produced `sha256`; the shortcut applies only when both
        /// sides were normalized by a profile with the same hash as the current one.
        profile_hash: String,
        load: Box<dyn FnOnce() -> Result<Normalized, Box<dyn std::error::Error + Send + Sync>> + Send>,
    },
}
