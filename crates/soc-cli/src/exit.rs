//! The one place that decides what `socdrift` exits with.

use std::process::ExitCode;

/// What a command run amounts to, as an exit code.
///
/// The convention of `diff(1)`, `kubectl diff` and driftctl: 0 no drift, 1 drift, 2 error. A closed
/// stdout (`socdrift diff … | head`) is not an error: the command keeps the status it computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the command ran and found no drift (accepted differences do not count).
    NoDrift,
    /// 1: the command ran and found drift.
    Drift,
    /// 2: the command could not do its job (bad input, bad config, API or store failure).
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::NoDrift => 0,
            ExitStatus::Drift => 1,
            ExitStatus::Error => 2,
        }
    }

    /// `Drift` when `drift` is true, else `NoDrift`.
    pub fn from_drift(drift: bool) -> Self {
        if drift {
            ExitStatus::Drift
        } else {
            ExitStatus::NoDrift
        }
    }

    /// The worse of two outcomes (error over drift over no drift), for commands that check
    /// several pairs.
    #[must_use]
    pub fn worst(self, other: Self) -> Self {
        if other.code() > self.code() {
            other
        } else {
            self
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// The exit-code table as it appears at the end of `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no drift (accepted differences do not count)
  1  drift found
  2  error (bad arguments or config, API, store or input failure)";

/// The exit codes of `diff`, which also explain the three-way comparison.
pub const DIFF_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no drift (accepted differences do not count); with --base, nothing of a --fail-on class
     (by default promote-only differences exit 0)
  1  drift found; with --base, a difference of a --fail-on class (by default drift or conflict)
  2  error (bad arguments or config, API, store or input failure)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_diff_convention() {
        assert_eq!(ExitStatus::NoDrift.code(), 0);
        assert_eq!(ExitStatus::Drift.code(), 1);
        assert_eq!(ExitStatus::Error.code(), 2);
        assert_eq!(ExitStatus::from_drift(true), ExitStatus::Drift);
        assert_eq!(ExitStatus::from_drift(false), ExitStatus::NoDrift);
    }

    #[test]
    fn worst_prefers_error_then_drift() {
        use ExitStatus::*;
        assert_eq!(NoDrift.worst(Drift), Drift);
        assert_eq!(Drift.worst(NoDrift), Drift);
        assert_eq!(Drift.worst(Error), Error);
        assert_eq!(Error.worst(NoDrift), Error);
        assert_eq!(NoDrift.worst(NoDrift), NoDrift);
    }
}
