//! The CLI's error: any library error plus hints, shown as `error:`, `caused by:`, `hint:` lines.

use std::error::Error as StdError;
use std::fmt;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// An error that ends a command with exit code 2.
///
/// It wraps the library error unchanged (so its `source()` chain prints as `caused by:` lines) and
/// adds hints: what the user can do about it.
pub struct CliError {
    error: BoxError,
    hints: Vec<String>,
}

impl CliError {
    /// An error with only a message (lowercase, no trailing period).
    pub fn msg(message: impl Into<String>) -> Self {
        CliError {
            error: Box::new(Message(message.into())),
            hints: Vec::new(),
        }
    }

    /// An error with a message of our own and the library error as its cause.
    pub fn context(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        CliError {
            error: Box::new(Context {
                message: message.into(),
                source: source.into(),
            }),
            hints: Vec::new(),
        }
    }

    /// This error as the cause of a new message, keeping its hints.
    #[must_use]
    pub fn within(self, message: impl Into<String>) -> Self {
        CliError {
            error: Box::new(Context {
                message: message.into(),
                source: self.error,
            }),
            hints: self.hints,
        }
    }

    /// Adds a hint line.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// The wrapped error.
    pub fn error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.error
    }

    /// The lines to show: the error, each cause, then every hint (our own and those the
    /// error types in the chain know about).
    pub fn lines(&self) -> Vec<ErrorLine> {
        let mut lines = vec![ErrorLine::Error(self.error.to_string())];
        let mut hints = Vec::new();
        let mut current: Option<&(dyn StdError + 'static)> = Some(&*self.error);
        let mut previous = self.error.to_string();
        while let Some(err) = current {
            if let Some(hint) = crate::hints::hint_for(err) {
                hints.push(hint);
            }
            current = err.source();
            if let Some(cause) = current {
                let text = cause.to_string();
                // Some errors repeat their cause in their own message; one copy is enough.
                if !previous.contains(&text) {
                    lines.push(ErrorLine::CausedBy(text.clone()));
                }
                previous = text;
            }
        }
        hints.extend(self.hints.iter().cloned());
        let mut seen = Vec::new();
        for hint in hints {
            if !seen.contains(&hint) {
                seen.push(hint.clone());
                lines.push(ErrorLine::Hint(hint));
            }
        }
        lines
    }
}

impl fmt::Debug for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliError")
            .field("error", &self.error)
            .field("hints", &self.hints)
            .finish()
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines().iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{line}")?;
        }
        Ok(())
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for CliError {
    fn from(error: E) -> Self {
        CliError {
            error: Box::new(error),
            hints: Vec::new(),
        }
    }
}

/// One line of a rendered error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorLine {
    Error(String),
    CausedBy(String),
    Hint(String),
}

impl ErrorLine {
    /// The label before the colon.
    pub fn label(&self) -> &'static str {
        match self {
            ErrorLine::Error(_) => "error",
            ErrorLine::CausedBy(_) => "caused by",
            ErrorLine::Hint(_) => "hint",
        }
    }

    /// The text after the label.
    pub fn text(&self) -> &str {
        match self {
            ErrorLine::Error(t) | ErrorLine::CausedBy(t) | ErrorLine::Hint(t) => t,
        }
    }
}

impl fmt::Display for ErrorLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label(), self.text())
    }
}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

#[derive(Debug)]
struct Context {
    message: String,
    source: BoxError,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Context {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read snapshot {path}")]
    struct Outer {
        path: String,
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn chain_prints_each_cause_once_then_hints() {
        let err = CliError::from(Outer {
            path: "a/b".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        })
        .with_hint("run `socdrift snapshot` first");
        assert_eq!(
            err.to_string(),
            "error: cannot read snapshot a/b\ncaused by: no such file\nhint: run `socdrift snapshot` first"
        );
    }

    #[test]
    fn context_wraps_a_cause() {
        let err = CliError::context(
            "cannot write report.json",
            std::io::Error::other("disk full"),
        );
        assert_eq!(
            err.lines(),
            vec![
                ErrorLine::Error("cannot write report.json".into()),
                ErrorLine::CausedBy("disk full".into()),
            ]
        );
    }

    #[test]
    fn a_cause_repeated_in_the_message_is_not_shown_twice() {
        #[derive(Debug, thiserror::Error)]
        #[error("bad thing: {0}")]
        struct Repeats(#[source] std::io::Error);
        let err = CliError::from(Repeats(std::io::Error::other("boom")));
        assert_eq!(err.lines().len(), 1);
    }
}
