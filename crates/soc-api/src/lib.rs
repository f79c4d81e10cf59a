//! An async client for Huawei Cloud SecMaster that gets every SOAR workflow and playbook out of a
//! workspace.
//!
//! It only reads: list, show, versions, export, and the playbook, version, rule and action reads.
//! It never creates, changes or deletes anything in a workspace, so a drift check is read-only by
//! construction.
//!
//! - Credentials: AK/SK (`SDK-HMAC-SHA256` signing, with `X-Security-Token` for temporary
//!   keys), a static IAM token, or an IAM password exchanged for a cached project-scoped token.
//! - Listing is a lazy [`Stream`](futures_util::Stream) over offset/limit pages.
//! - Export batches several ids per request when the answer can be split per workflow
//!   byte-exactly (JSON array or ZIP), and falls back to one id per request otherwise; every
//!   requested id comes back exactly once or the call fails.
//! - Retries with exponential backoff and full jitter on 429/5xx, connection errors, timeouts
//!   and truncated bodies, honouring `Retry-After`; bounded concurrency and an optional
//!   requests-per-second cap; response bodies capped (64 MiB by default).
//! - Errors are typed ([`ApiError`]) and name the operation, workflow, request id and attempts.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use soc_api::{ClientBuilder, Credentials, Secret};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = ClientBuilder::new()
//!     .region("ap-southeast-1")
//!     .project_id("0a1b2c3d4e5f40718293a4b5c6d7e8f9")
//!     .workspace_name("soc-staging")
//!     .credentials(Credentials::ak_sk("AK", Secret::new("SK")))
//!     .concurrency(16)
//!     .build()?;
//!
//! // One workflow at a time, lazily:
//! let names: Vec<String> = client
//!     .list_workflows()
//!     .map_ok(|wf| wf.name().unwrap_or_default().to_owned())
//!     .try_collect()
//!     .await?;
//!
//! // Or everything, exported:
//! for (info, export) in client.export_all(|_progress| {}).await? {
//!     println!("{} {} bytes", info.id(), export.bytes.len());
//! }
//! # let _ = names;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod client;
mod credentials;
mod error;
mod export;
mod fetch;
mod http;
mod model;
mod ops;
mod page;
mod playbooks;
mod probe;
mod retry;
mod secret;
mod sign;

pub use client::{ClientBuilder, SourceMode, Timeouts};
pub use credentials::Credentials;
pub use error::{ApiError, BoxError, BuildError, ErrorContext, ListDetail, Operation};
pub use export::{ExportSource, ExportedWorkflow};
pub use fetch::{ExportProgress, Fetch, FetchSource, Fetched};
pub use http::Client;
pub use model::{ApiObject, ObjectError, VersionInfo, WorkflowInfo};
pub use playbooks::{
    ACTIONS_ENDPOINT, Deprecation, FetchedPlaybooks, PlaybookDocument, PlaybookInfo, RULE_ENDPOINT,
};
pub use probe::{ProbeCall, ProbeReport};
pub use retry::RetryPolicy;
pub use secret::Secret;
