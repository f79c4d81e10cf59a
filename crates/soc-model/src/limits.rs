//! How much of an export the readers will take in, so that a small hostile file cannot fill memory.
//!
//! Every reader of export bytes in socdrift (the API client, the decoder of local files, the
//! store's import) applies one [`Limits`]. The defaults are far above any real export (the bundled
//! workflows are 10 to 40 KiB each) and keep the memory one export can cost bounded; see
//! `docs/configuration.md` (`[limits]`) for what each costs.

use std::fmt;

use bytesize::ByteSize;

/// Default for [`Limits::max_export_bytes`]: 64 MiB.
pub const DEFAULT_MAX_EXPORT_BYTES: u64 = 64 * 1024 * 1024;
/// Default for [`Limits::max_unpacked_bytes`]: 256 MiB.
pub const DEFAULT_MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Default for [`Limits::max_compression_ratio`]: 100.
pub const DEFAULT_MAX_COMPRESSION_RATIO: u64 = 100;
/// Default for [`Limits::max_zip_members`]: 10,000.
pub const DEFAULT_MAX_ZIP_MEMBERS: u64 = 10_000;
/// Default for [`Limits::max_json_values`]: 4,000,000.
pub const DEFAULT_MAX_JSON_VALUES: u64 = 4_000_000;

/// A ZIP member may always unpack to this much, whatever its compressed size: small members of
/// plain JSON compress well, and a ratio limit must not refuse them.
pub const RATIO_FREE_BYTES: u64 = 1024 * 1024;

/// The bounds every export reader keeps to.
///
/// ```
/// use soc_model::Limits;
///
/// let limits = Limits::default();
/// assert_eq!(limits.max_export_bytes, 64 * 1024 * 1024);
/// assert!(Limits { max_compression_ratio: 0, ..limits }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest export read: a file, an API answer, or one ZIP member once unpacked.
    pub max_export_bytes: u64,
    /// The most bytes all members of one ZIP export may unpack to, together.
    pub max_unpacked_bytes: u64,
    /// The most a ZIP member may unpack to per compressed byte (members under
    /// [`RATIO_FREE_BYTES`] unpacked are never refused for their ratio).
    pub max_compression_ratio: u64,
    /// The most members one ZIP export may have.
    pub max_zip_members: u64,
    /// The most JSON values (objects, arrays, strings, numbers, literals) one JSON document may
    /// hold: an export, a ZIP member, or a decoded taskflow. It bounds the memory of the parsed
    /// tree, which text of a given size alone does not (`[0,0,…]` costs 16 times its size).
    pub max_json_values: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_export_bytes: DEFAULT_MAX_EXPORT_BYTES,
            max_unpacked_bytes: DEFAULT_MAX_UNPACKED_BYTES,
            max_compression_ratio: DEFAULT_MAX_COMPRESSION_RATIO,
            max_zip_members: DEFAULT_MAX_ZIP_MEMBERS,
            max_json_values: DEFAULT_MAX_JSON_VALUES,
        }
    }
}

impl Limits {
    /// Checks that every limit is at least 1.
    pub fn validate(&self) -> Result<(), LimitKind> {
        for kind in LimitKind::ALL {
            if self.get(kind) == 0 {
                return Err(kind);
            }
        }
        Ok(())
    }

    /// The value of one limit.
    #[must_use]
    pub fn get(&self, kind: LimitKind) -> u64 {
        match kind {
            LimitKind::ExportSize => self.max_export_bytes,
            LimitKind::UnpackedSize => self.max_unpacked_bytes,
            LimitKind::CompressionRatio => self.max_compression_ratio,
            LimitKind::ZipMembers => self.max_zip_members,
            LimitKind::JsonValues => self.max_json_values,
        }
    }

    /// A [`LimitError`] for `kind`, saying what was found (`found`, at least).
    #[must_use]
    pub fn exceeded(&self, kind: LimitKind, found: u64) -> LimitError {
        LimitError {
            kind,
            limit: self.get(kind),
            found,
        }
    }
}

/// Which limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// [`Limits::max_export_bytes`].
    ExportSize,
    /// [`Limits::max_unpacked_bytes`].
    UnpackedSize,
    /// [`Limits::max_compression_ratio`].
    CompressionRatio,
    /// [`Limits::max_zip_members`].
    ZipMembers,
    /// [`Limits::max_json_values`].
    JsonValues,
}

impl LimitKind {
    /// Every limit.
    pub const ALL: [LimitKind; 5] = [
        LimitKind::ExportSize,
        LimitKind::UnpackedSize,
        LimitKind::CompressionRatio,
        LimitKind::ZipMembers,
        LimitKind::JsonValues,
    ];

    /// The key of the limit in the `[limits]` section of `socdrift.toml`.
    #[must_use]
    pub fn config_key(self) -> &'static str {
        match self {
            LimitKind::ExportSize => "max_export_size",
            LimitKind::UnpackedSize => "max_unpacked_size",
            LimitKind::CompressionRatio => "max_compression_ratio",
            LimitKind::ZipMembers => "max_zip_members",
            LimitKind::JsonValues => "max_json_values",
        }
    }

    /// Whether the limit is a number of bytes (shown as a size).
    fn is_size(self) -> bool {
        matches!(self, LimitKind::ExportSize | LimitKind::UnpackedSize)
    }

    fn describe(self, f: &mut fmt::Formatter<'_>, limit: u64, found: u64) -> fmt::Result {
        let size = |n: u64| ByteSize::b(n).display().iec().to_string();
        match self {
            LimitKind::ExportSize => write!(
                f,
                "is {} or more, over the {} an export may be",
                size(found),
                size(limit)
            ),
            LimitKind::UnpackedSize => write!(
                f,
                "unpacks to {} or more, over the {} one export may unpack to",
                size(found),
                size(limit)
            ),
            LimitKind::CompressionRatio => write!(
                f,
                "unpacks to {found} times its compressed size or more, over the ratio of {limit} a ZIP member may have"
            ),
            LimitKind::ZipMembers => write!(
                f,
                "has {found} members, over the {limit} one ZIP export may have"
            ),
            LimitKind::JsonValues => write!(
                f,
                "holds {found} JSON values or more, over the {limit} one JSON document may hold"
            ),
        }
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "limits.{}", self.config_key())
    }
}

/// An export (or part of one) over a limit. Its message says what was found and the limit; the
/// caller adds which file or answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct LimitError {
    /// Which limit.
    pub kind: LimitKind,
    /// Its value.
    pub limit: u64,
    /// What was found (for sizes read while streaming: at least this much).
    pub found: u64,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.describe(f, self.limit, self.found)?;
        let shown = if self.kind.is_size() {
            ByteSize::b(self.limit).display().iec().to_string()
        } else {
            self.limit.to_string()
        };
        write!(
            f,
            " ({} = {shown}; raise it in [limits] of socdrift.toml if this export is genuine)",
            self.kind
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_and_its_key() {
        let limits = Limits::default();
        let err = limits.exceeded(LimitKind::ExportSize, 500 * 1024 * 1024);
        assert_eq!(
            err.to_string(),
            "is 500.0 MiB or more, over the 64.0 MiB an export may be (limits.max_export_size = 64.0 MiB; \
             raise it in [limits] of socdrift.toml if this export is genuine)"
        );
        let err = limits.exceeded(LimitKind::CompressionRatio, 1000);
        assert!(err.to_string().contains("ratio of 100"), "{err}");
        assert!(
            err.to_string()
                .contains("limits.max_compression_ratio = 100;")
        );
    }

    #[test]
    fn zero_limits_are_refused() {
        assert_eq!(Limits::default().validate(), Ok(()));
        let limits = Limits {
            max_zip_members: 0,
            ..Limits::default()
        };
        assert_eq!(limits.validate(), Err(LimitKind::ZipMembers));
    }
}
