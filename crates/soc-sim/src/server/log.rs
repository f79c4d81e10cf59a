//! The request log tests read to see what a client actually did.

use std::sync::{Arc, Mutex, PoisonError};

use super::config::PathKind;

/// How a request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthKind {
    /// No credentials (or the request never got to authentication).
    None,
    /// `X-Auth-Token`.
    Token,
    /// `Authorization: SDK-HMAC-SHA256` with this access key.
    AkSk {
        /// The access key named in the header.
        access_key: String,
    },
    /// IAM password authentication (`POST /v3/auth/tokens`).
    Password {
        /// The user name in the request body.
        user: String,
    },
}

/// A fault the simulator injected into a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// 429 `APIGW.0308` from the rate limit.
    RateLimited,
    /// A random 500, 502 or 503.
    ServerError(u16),
    /// The connection was dropped after part of the body.
    Dropped,
    /// The body stopped short of its `Content-Length`, then the connection closed.
    Truncated,
    /// The body was malformed JSON.
    Malformed,
}

/// One handled request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// 0-based arrival number.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Query as sent (without `?`), empty when none.
    pub query: String,
    /// The API the path matched, `None` for unknown paths.
    pub kind: Option<PathKind>,
    /// Response status.
    pub status: u16,
    /// How the request authenticated (or tried to).
    pub auth: AuthKind,
    /// The `X-Request-Id` sent back.
    pub request_id: String,
    /// The fault injected, if any.
    pub fault: Option<InjectedFault>,
}

/// A shared, append-only log of handled requests; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<LogEntry>>>,
}

impl RequestLog {
    /// A copy of every entry so far, in completion order.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.lock().clone()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was logged yet.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Entries for one kind of request.
    pub fn of_kind(&self, kind: PathKind) -> Vec<LogEntry> {
        self.lock()
            .iter()
            .filter(|e| e.kind == Some(kind))
            .cloned()
            .collect()
    }

    /// Forgets every entry (between phases of a test).
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn push(&self, entry: LogEntry) {
        self.lock().push(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LogEntry>> {
        // A panic elsewhere while holding the lock cannot leave a Vec half-pushed.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
