//! A string that never prints itself.

use std::fmt;

/// A secret value (secret key, security token, IAM token, password).
///
/// `Debug` and `Display` print `****`, so a secret cannot leak through a log line, an error
/// message or a panic. The value is only reachable through [`Secret::expose`], which makes every
/// use easy to find in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where the value must go on the wire.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string (a common sign of an unset environment variable).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{secret:?}"), "****");
        assert_eq!(format!("{secret}"), "****");
        assert_eq!(format!("{secret:#?}"), "****");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn nested_debug_is_redacted() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            sk: Secret,
        }
        let shown = format!(
            "{:?}",
            Holder {
                sk: "abc123".into()
            }
        );
        assert!(!shown.contains("abc123"), "{shown}");
    }
}
