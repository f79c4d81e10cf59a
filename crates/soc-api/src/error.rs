//! Typed errors: what went wrong, for which workflow and request, after how many attempts.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The operation a request belonged to; part of every [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Obtaining an IAM token with password credentials.
    IamToken,
    /// A page of the workspaces list (resolving a workspace name).
    ListWorkspaces {
        /// The workspace name being resolved.
        name: String,
        /// The page offset.
        offset: u64,
    },
    /// A page of the workflows list.
    ListWorkflows {
        /// The page offset.
        offset: u64,
    },
    /// Showing one workflow.
    ShowWorkflow {
        /// The workflow id.
        id: String,
    },
    /// Listing the versions of one workflow.
    ListVersions {
        /// The workflow id.
        workflow_id: String,
    },
    /// Showing one workflow version.
    ShowVersion {
        /// The version id.
        version_id: String,
    },
    /// Exporting one or more workflows in one request.
    Export {
        /// The workflow ids in the request.
        ids: Vec<String>,
    },
    /// A page of the playbooks list.
    ListPlaybooks {
        /// The page offset.
        offset: u64,
    },
    /// A page of one playbook's versions.
    ListPlaybookVersions {
        /// The playbook id.
        playbook_id: String,
        /// The page offset.
        offset: u64,
    },
    /// Showing one playbook version.
    ShowPlaybookVersion {
        /// The version id.
        version_id: String,
    },
    /// Showing a playbook version's rule (a deprecated endpoint).
    ShowPlaybookRule {
        /// The version id.
        version_id: String,
        /// The rule id.
        rule_id: String,
    },
    /// A page of a playbook version's actions (a deprecated endpoint).
    ListPlaybookActions {
        /// The version id.
        version_id: String,
        /// The page offset.
        offset: u64,
    },
}

impl Operation {
    /// The workflow ids this operation concerns (empty for list and token operations).
    #[must_use]
    pub fn workflow_ids(&self) -> Vec<&str> {
        match self {
            Self::ShowWorkflow { id } => vec![id.as_str()],
            Self::ListVersions { workflow_id } => vec![workflow_id.as_str()],
            Self::Export { ids } => ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IamToken => f.write_str("getting an iam token"),
            Self::ListWorkspaces { name, offset } => {
                write!(
                    f,
                    "resolving workspace name {name:?} (workspaces page at offset {offset})"
                )
            }
            Self::ListWorkflows { offset } => {
                write!(f, "listing workflows (page at offset {offset})")
            }
            Self::ShowWorkflow { id } => write!(f, "showing workflow {id:?}"),
            Self::ListVersions { workflow_id } => {
                write!(f, "listing versions of workflow {workflow_id:?}")
            }
            Self::ShowVersion { version_id } => {
                write!(f, "showing workflow version {version_id:?}")
            }
            Self::Export { ids } => match ids.as_slice() {
                [one] => write!(f, "exporting workflow {one:?}"),
                [first, ..] => write!(f, "exporting {} workflows ({first:?}, ...)", ids.len()),
                [] => f.write_str("exporting no workflows"),
            },
            Self::ListPlaybooks { offset } => {
                write!(f, "listing playbooks (page at offset {offset})")
            }
            Self::ListPlaybookVersions {
                playbook_id,
                offset,
            } => write!(
                f,
                "listing versions of playbook {playbook_id:?} (page at offset {offset})"
            ),
            Self::ShowPlaybookVersion { version_id } => {
                write!(f, "showing playbook version {version_id:?}")
            }
            Self::ShowPlaybookRule {
                version_id,
                rule_id,
            } => write!(
                f,
                "showing rule {rule_id:?} of playbook version {version_id:?}"
            ),
            Self::ListPlaybookActions { version_id, offset } => write!(
                f,
                "listing actions of playbook version {version_id:?} (page at offset {offset})"
            ),
        }
    }
}

impl Operation {
    /// What a listing operation lists, for messages about its pages (`workflows`, `playbooks`).
    #[must_use]
    pub fn listed(&self) -> &'static str {
        match self {
            Self::ListWorkspaces { .. } => "workspaces",
            Self::ListVersions { .. } => "versions",
            Self::ListPlaybooks { .. } => "playbooks",
            Self::ListPlaybookVersions { .. } => "playbook versions",
            Self::ListPlaybookActions { .. } => "playbook actions",
            _ => "workflows",
        }
    }
}

/// Where an error happened: the operation, the server's request id and the attempts made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorContext {
    /// The operation.
    pub operation: Operation,
    /// The `X-Request-Id` of the last response (or `request_id` of its body), if any.
    pub request_id: Option<String>,
    /// How many HTTP attempts were made (1 = no retry).
    pub attempts: u32,
}

impl fmt::Display for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.operation)?;
        let attempts = if self.attempts == 1 {
            "attempt"
        } else {
            "attempts"
        };
        match &self.request_id {
            Some(id) => write!(f, " (request id {id}, {} {attempts})", self.attempts),
            None => write!(f, " ({} {attempts})", self.attempts),
        }
    }
}

/// A boxed cause for decode failures of different kinds (JSON, ZIP, missing fields).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `: code: message (what the code means)` as the server gave them, for messages.
fn server_says(code: &Option<String>, message: &Option<String>) -> String {
    let said = match (code, message) {
        (Some(c), Some(m)) => format!(": {c}: {m}"),
        (Some(c), None) => format!(": {c}"),
        (None, Some(m)) => format!(": {m}"),
        (None, None) => String::new(),
    };
    match code.as_deref().and_then(soc_model::code_meaning) {
        Some(meaning) => format!("{said} ({meaning})"),
        None => said,
    }
}

/// ` "name"` when the name is known, for messages about a workflow.
fn named(name: &Option<String>) -> String {
    name.as_deref()
        .map(|n| format!(" {:?}", soc_model::envelope::clean(n)))
        .unwrap_or_default()
}

/// What an incomplete list was about and what its answer said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListDetail {
    /// The workflow whose versions were listed.
    pub workflow_id: Option<String>,
    /// Its name, when known.
    pub workflow_name: Option<String>,
    /// The list answer's `code`.
    pub code: Option<String>,
    /// The list answer's `message`.
    pub message: Option<String>,
}

impl fmt::Display for ListDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.workflow_id {
            write!(f, " (workflow {id:?}{})", named(&self.workflow_name))?;
        }
        let said = match (&self.code, &self.message) {
            (Some(c), Some(m)) => format!("code {c}: {m}"),
            (Some(c), None) => format!("code {c}"),
            (None, Some(m)) => m.clone(),
            (None, None) => return Ok(()),
        };
        write!(f, "; the answer said {said}")
    }
}

/// An error from a SecMaster or IAM call.
///
/// Every variant carries an [`ErrorContext`] naming the operation (and so the workflow), the
/// request id and the number of attempts. Retryable conditions (429, 5xx, connection errors,
/// timeouts, truncated bodies) only surface after the retry policy gave up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The server answered with an error status not covered by a more specific variant.
    #[error("{ctx} failed with http {status}{}", server_says(code, message))]
    Api {
        /// HTTP status.
        status: u16,
        /// `code` or `error_code` from the body.
        code: Option<String>,
        /// `message` or `error_msg` from the body.
        message: Option<String>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// The workflow, version or workspace does not exist (e.g. `SecMaster.20040611`).
    #[error("{ctx}: not found (http {status}{})", server_says(code, message))]
    NotFound {
        /// HTTP status (SecMaster reports missing workflows with 400).
        status: u16,
        /// `code` or `error_code` from the body.
        code: Option<String>,
        /// `message` or `error_msg` from the body.
        message: Option<String>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// The credentials were refused (401) or lack permission (403).
    #[error(
        "{ctx}: authentication failed with http {status}{}; check the credentials, project id and their permissions",
        server_says(code, message)
    )]
    Auth {
        /// HTTP status.
        status: u16,
        /// `code` or `error_code` from the body.
        code: Option<String>,
        /// `message` or `error_msg` from the body.
        message: Option<String>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// Still throttled (429) after every retry.
    #[error(
        "{ctx}: still throttled (http 429) after retries; lower the concurrency or requests per second"
    )]
    Throttled {
        /// The last `Retry-After`, if the server sent one.
        retry_after: Option<Duration>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// The request timed out on every attempt.
    #[error("{ctx}: timed out")]
    Timeout {
        /// Where.
        ctx: Box<ErrorContext>,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// Connection, TLS or body transfer failure on every attempt.
    #[error("{ctx}: transport error")]
    Transport {
        /// Where.
        ctx: Box<ErrorContext>,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// A response body could not be decoded (on every attempt, for reads that are retried).
    #[error("{ctx}: cannot decode the response: {what}")]
    Decode {
        /// What was expected.
        what: String,
        /// Where.
        ctx: Box<ErrorContext>,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A response body is larger than the configured cap.
    #[error(
        "{ctx}: response body exceeds the {limit}-byte limit; raise max_body_bytes if this is expected"
    )]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
        /// The announced `Content-Length`, when that is how it was noticed.
        content_length: Option<u64>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// Listing would need an offset past what the API accepts (10000).
    #[error(
        "{ctx}: the workspace lists more than {max_offset} workflows and the api cannot page past offset {max_offset}; \
         export by filter or id instead"
    )]
    PageLimit {
        /// The largest offset the API accepts.
        max_offset: u64,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// The list's `total` changed between pages: a workflow was added or removed while listing,
    /// so offset paging may have skipped one.
    #[error("{ctx}: the workflow count changed from {before} to {after} while listing; run again")]
    ListingChanged {
        /// `total` on earlier pages.
        before: u64,
        /// `total` on this page.
        after: u64,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// A non-empty page held only workflows already listed: the server ignores the offset, and
    /// paging on would never end.
    #[error(
        "{ctx}: the page repeats only workflows already listed; the server seems to ignore the offset"
    )]
    RepeatedPage {
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// An export answer did not contain exactly the requested workflow.
    #[error("{ctx}: the export answer {problem}")]
    ExportMismatch {
        /// What was wrong, e.g. `holds workflow "b" instead of "a"`.
        problem: String,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// SecMaster says the workspace does not exist in the project (`SecMaster.20010001`, HTTP 403
    /// or 400).
    #[error(
        "{ctx}: workspace {workspace:?} does not exist in project {project} (http {status}: SecMaster.20010001{})",
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    WorkspaceNotFound {
        /// HTTP status.
        status: u16,
        /// The workspace id (or name) that was asked for.
        workspace: String,
        /// The project id.
        project: String,
        /// `message` from the body.
        message: Option<String>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// A success status whose body is an error envelope: an error, never a document.
    #[error("{ctx}: the answer is an error although its status is http {status}: {envelope}")]
    ErrorAnswer {
        /// HTTP status (2xx).
        status: u16,
        /// The envelope, with code, message and request id.
        envelope: Box<soc_model::ErrorEnvelope>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// A success answer that holds no workflow document (empty, an HTML page, JSON of another
    /// shape), on every attempt.
    #[error("{ctx}: {what}")]
    NotAWorkflow {
        /// What it was, e.g. `the answer is an HTML page, not a workflow document`.
        what: String,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// A list whose `total` promised more items than its pages delivered.
    #[error("{ctx}: the list promised {total} {what} but its pages held {listed}{detail}")]
    ListIncomplete {
        /// What was listed: `workflows`, `versions`, `playbooks`, `playbook versions`,
        /// `playbook actions`.
        what: &'static str,
        /// The `total` the list answered.
        total: u64,
        /// How many items its pages held.
        listed: u64,
        /// The workflow whose versions were listed, and what the list answer said.
        detail: Box<ListDetail>,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// An answer over one of the parsing limits.
    #[error("{ctx}: the answer is over a limit")]
    Limit {
        /// Which limit and what was found.
        #[source]
        source: soc_model::ReadError,
        /// Where.
        ctx: Box<ErrorContext>,
    },
    /// A workspace name matched no workspace, or several.
    #[error("{ctx}: {found} workspaces are named {name:?}; give the workspace id instead")]
    WorkspaceName {
        /// The name that was looked up.
        name: String,
        /// How many workspaces carry it.
        found: usize,
        /// Where.
        ctx: Box<ErrorContext>,
    },
}

impl ApiError {
    /// The context (operation, request id, attempts).
    #[must_use]
    pub fn context(&self) -> &ErrorContext {
        match self {
            Self::Api { ctx, .. }
            | Self::NotFound { ctx, .. }
            | Self::Auth { ctx, .. }
            | Self::Throttled { ctx, .. }
            | Self::Timeout { ctx, .. }
            | Self::Transport { ctx, .. }
            | Self::Decode { ctx, .. }
            | Self::TooLarge { ctx, .. }
            | Self::PageLimit { ctx, .. }
            | Self::ListingChanged { ctx, .. }
            | Self::RepeatedPage { ctx }
            | Self::ExportMismatch { ctx, .. }
            | Self::WorkspaceNotFound { ctx, .. }
            | Self::ErrorAnswer { ctx, .. }
            | Self::NotAWorkflow { ctx, .. }
            | Self::ListIncomplete { ctx, .. }
            | Self::Limit { ctx, .. }
            | Self::WorkspaceName { ctx, .. } => ctx,
        }
    }

    /// The server's request id of the failing response, if any.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        self.context().request_id.as_deref()
    }

    /// How many HTTP attempts were made.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.context().attempts
    }

    /// The HTTP status, for errors that come from a response status.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::NotFound { status, .. }
            | Self::Auth { status, .. }
            | Self::WorkspaceNotFound { status, .. }
            | Self::ErrorAnswer { status, .. } => Some(*status),
            Self::Throttled { .. } => Some(429),
            _ => None,
        }
    }

    /// The error code the server gave, if any.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } | Self::NotFound { code, .. } | Self::Auth { code, .. } => {
                code.as_deref()
            }
            Self::WorkspaceNotFound { .. } => Some(crate::http::WORKSPACE_NOT_FOUND),
            Self::ErrorAnswer { envelope, .. } => envelope.fields.code.as_deref(),
            Self::ListIncomplete { detail, .. } => detail.code.as_deref(),
            _ => None,
        }
    }

    /// Whether this is [`ApiError::NotFound`].
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// An error building a [`Client`](crate::Client): bad or missing configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Neither an endpoint nor a region was given.
    #[error("no secmaster endpoint: set an endpoint url or a region")]
    MissingEndpoint,
    /// The endpoint (or the one made from the region) is not a usable http(s) URL.
    #[error("invalid {which} url {url:?}: {reason}")]
    InvalidUrl {
        /// `endpoint` or `iam endpoint`.
        which: &'static str,
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A region id with characters that cannot be part of a host name.
    #[error("invalid region id {0:?}: expected something like \"cn-north-4\"")]
    InvalidRegion(String),
    /// No project id.
    #[error("no project id: set the project id of the workspace's region")]
    MissingProjectId,
    /// Neither a workspace id nor a workspace name.
    #[error("no workspace: set a workspace id or a workspace name")]
    MissingWorkspace,
    /// No credentials.
    #[error("no credentials: give ak/sk, an iam token or iam password credentials")]
    MissingCredentials,
    /// A credential field is empty.
    #[error("the {field} of the {kind} credentials is empty; is its environment variable set?")]
    EmptyCredential {
        /// Which credential kind.
        kind: &'static str,
        /// Which field.
        field: &'static str,
    },
    /// Password credentials need an IAM endpoint.
    #[error("password credentials need an iam endpoint: set a region or an iam endpoint url")]
    MissingIamEndpoint,
    /// An out-of-range setting.
    #[error("invalid setting {name}: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The CA bundle could not be read.
    #[error("cannot read ca bundle {path}")]
    CaBundleRead {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The CA bundle holds no usable PEM certificate.
    #[error("ca bundle {path} holds no usable pem certificate")]
    CaBundleParse {
        /// The file.
        path: PathBuf,
        /// The cause, when the parser gave one.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The HTTP client could not be set up (TLS backend).
    #[error("cannot set up the http client")]
    Http(#[source] reqwest::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(operation: Operation, request_id: Option<&str>, attempts: u32) -> Box<ErrorContext> {
        Box::new(ErrorContext {
            operation,
            request_id: request_id.map(str::to_owned),
            attempts,
        })
    }

    #[test]
    fn messages_name_operation_request_and_attempts() {
        let err = ApiError::NotFound {
            status: 400,
            code: Some("SecMaster.20040611".into()),
            message: Some("workflow not exist".into()),
            ctx: ctx(
                Operation::ShowWorkflow { id: "wf-1".into() },
                Some("req-9"),
                1,
            ),
        };
        assert_eq!(
            err.to_string(),
            "showing workflow \"wf-1\" (request id req-9, 1 attempt): not found (http 400: SecMaster.20040611: workflow not exist (the workflow does not exist))"
        );
        assert!(err.is_not_found());
        assert_eq!(err.request_id(), Some("req-9"));

        let err = ApiError::Throttled {
            retry_after: None,
            ctx: ctx(
                Operation::Export {
                    ids: vec!["a".into(), "b".into()],
                },
                None,
                5,
            ),
        };
        assert_eq!(
            err.to_string(),
            "exporting 2 workflows (\"a\", ...) (5 attempts): still throttled (http 429) after retries; \
             lower the concurrency or requests per second"
        );
        assert_eq!(err.attempts(), 5);
        assert_eq!(err.status(), Some(429));
    }

    #[test]
    fn hostile_ids_are_quoted() {
        let op = Operation::ShowWorkflow {
            id: "a\"\n\u{1b}[31m".into(),
        };
        let shown = op.to_string();
        assert!(
            !shown.contains('\n') && !shown.contains('\u{1b}'),
            "{shown}"
        );
    }

    #[test]
    fn error_stays_small() {
        assert!(size_of::<ApiError>() <= 120, "{}", size_of::<ApiError>());
    }
}
