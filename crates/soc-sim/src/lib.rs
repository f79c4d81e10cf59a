//! soc-sim: a local Huawei Cloud SecMaster for tests, benchmarks and demos.
//!
//! With the default `server` feature, [`Sim::start`] serves the SecMaster workflow APIs and the
//! IAM endpoints clients need over real HTTP, checks `SDK-HMAC-SHA256` signatures and tokens as
//! the cloud does (close enough that the official Python SDK cannot tell), and injects faults on
//! demand. Without the feature this crate is network-free: the workspace data model
//! ([`Workspace`], [`Workflow`]), the bundled staging/production fixtures embedded in the
//! binary ([`bundled_workspaces`]), the export file bytes of the agreed export contract
//! ([`export`]), and a deterministic generator of large drifted workspace pairs ([`generate`]).
//!
//! ```
//! use soc_sim::generate::{GenerateOptions, generate};
//!
//! let (base, drifted) = generate(&GenerateOptions { workflows: 10, ..Default::default() });
//! assert_eq!(base.workflows.len(), drifted.workflows.len());
//! let staging = soc_sim::bundled_workspace("staging")?;
//! let bytes = soc_sim::export::export_json(&[&staging.workflows[0]])?;
//! assert_eq!(bytes, staging.workflows[0].export_bytes()?);
//! # Ok::<(), soc_sim::DataError>(())
//! ```
//!
//! Serving (in a Tokio runtime; port 0 picks a free loopback port):
//!
//! ```
//! # #[cfg(feature = "server")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use soc_sim::{Sim, SimConfig};
//!
//! let sim = Sim::start(SimConfig::default()).await?;
//! let mut banner = Vec::new();
//! sim.write_banner(&mut banner)?; // listening on http://127.0.0.1:PORT, project …, workspace …
//! let staging = sim.workspace_id("soc-staging").expect("bundled");
//! assert_eq!(staging, "54fb1df6-886b-9990-8d02-d9c7eff11c4b");
//! // … point a client at sim.base_url() with AK SIMACCESSKEY0000000 / SK sim-secret-key …
//! sim.shutdown().await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! See `docs/sim.md` for the endpoints, error shapes, faults and settings.

mod error;
pub mod export;
mod fixtures;
pub mod generate;
mod model;
pub mod playbook;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
pub mod sign;

pub use error::DataError;
pub use export::ExportFormat;
pub use fixtures::{BUNDLED_NAMES, bundled_workspace, bundled_workspaces};
pub use model::{
    AopWorkflowInfo, AopWorkflowVersionInfo, WORKFLOWS_DIR, WORKSPACE_FILE, Workflow, Workspace,
    slug,
};
pub use playbook::{PLAYBOOKS_DIR, Playbook, PlaybookVersion};
#[cfg(feature = "server")]
pub use server::{
    AccessKey, AuthKind, DEFAULT_ACCESS_KEY, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_PROJECT_ID,
    DEFAULT_PROJECT_NAME, DEFAULT_SECRET_KEY, DEFAULT_USER, ExportFault, FaultConfig, Fixtures,
    IamUser, InjectedFault, LogEntry, PathKind, RateLimit, RequestLog, RunningSim, Secret,
    ShutdownHandle, Sim, SimConfig, SimError, WorkspaceSummary,
};
