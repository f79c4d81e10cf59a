//! The HTTP server: a local SecMaster (and the IAM endpoints clients need) on loopback.

mod api;
mod auth;
pub mod config;
mod faults;
mod log;
mod playbooks;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockWriteGuard};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{
    AccessKey, DEFAULT_ACCESS_KEY, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_PROJECT_ID,
    DEFAULT_PROJECT_NAME, DEFAULT_SECRET_KEY, DEFAULT_USER, ExportFault, FaultConfig, Fixtures,
    IamUser, PathKind, RateLimit, Secret, SimConfig,
};
pub use log::{AuthKind, InjectedFault, LogEntry, RequestLog};

use crate::error::DataError;
use crate::model::{Workflow, Workspace};

/// An error starting or running the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The fixtures could not be loaded.
    #[error("cannot load the simulator's workspaces")]
    Fixtures(#[source] DataError),
    /// Two workspaces share an id.
    #[error(
        "two workspaces have the id {id:?}; workspace ids must be unique (check the fixtures' workspace.json files)"
    )]
    DuplicateWorkspace {
        /// The duplicated id.
        id: String,
    },
    /// No access key and no IAM user: nobody could call the simulator.
    #[error("no credentials configured; add an access key or an IAM user")]
    NoCredentials,
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the simulator stopped unexpectedly")]
    Serve(#[source] std::io::Error),
    /// The server task panicked or was cancelled.
    #[error("the simulator task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// A served workspace's name and id (for the banner and for clients' configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSummary {
    /// Workspace name from `workspace.json`, e.g. `soc-staging`.
    pub name: String,
    /// Workspace id, used in every SecMaster path.
    pub id: String,
}

/// State shared by every request.
pub(crate) struct Shared {
    pub(crate) project_id: String,
    pub(crate) project_name: String,
    pub(crate) domain_name: String,
    pub(crate) domain_id: String,
    pub(crate) export_format: crate::export::ExportFormat,
    /// Read them through `workspaces.read()`; write them only through
    /// [`workspaces_mut`](Self::workspaces_mut), which keeps `exports` true to them.
    pub(crate) workspaces: RwLock<Vec<Workspace>>,
    pub(crate) exports: ExportCache,
    pub(crate) auth: auth::Authenticator,
    pub(crate) faults: faults::Faults,
    pub(crate) log: RequestLog,
    pub(crate) seq: AtomicU64,
    /// Distinguishes request ids and issued tokens between runs.
    pub(crate) boot_nanos: u128,
}

/// Starts simulators.
#[derive(Debug, Clone, Copy)]
pub struct Sim;

impl Sim {
    /// Loads the fixtures, binds `config.listen` and serves until shut down.
    ///
    /// Must be called inside a Tokio runtime; the server runs on a spawned task.
    pub async fn start(mut config: SimConfig) -> Result<RunningSim, SimError> {
        let fixtures = std::mem::replace(&mut config.fixtures, Fixtures::Bundled);
        let mut workspaces = load_fixtures(fixtures)?;
        if config.access_keys.is_empty() && config.users.is_empty() {
            return Err(SimError::NoCredentials);
        }
        let project_id = match config.project_id.take() {
            Some(id) => {
                for ws in &mut workspaces {
                    rewrite_project(ws, &id);
                }
                id
            }
            None => workspaces
                .iter()
                .find_map(|w| w.project_id.clone())
                .unwrap_or_else(|| DEFAULT_PROJECT_ID.to_owned()),
        };
        let summaries = workspaces
            .iter()
            .map(|w| WorkspaceSummary {
                name: w.name.clone(),
                id: w.id.clone(),
            })
            .collect();
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let log = RequestLog::default();
        let shared = Shared::new(config, workspaces, project_id.clone(), log.clone());
        let router = axum::Router::new()
            .fallback(api::handle)
            .with_state(Arc::new(shared));
        let (tx, mut rx) = watch::channel(false);
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            // Either a shutdown request or every sender gone ends the server.
            let _ = rx.wait_for(|stop| *stop).await;
        });
        let task = tokio::spawn(async move { server.await });
        Ok(RunningSim {
            addr,
            project_id,
            workspaces: summaries,
            log,
            shutdown: ShutdownHandle { tx: Arc::new(tx) },
            task: Some(task),
        })
    }
}

impl Shared {
    /// The state every request sees, from the configuration (its fixtures already loaded).
    fn new(
        config: SimConfig,
        workspaces: Vec<Workspace>,
        project_id: String,
        log: RequestLog,
    ) -> Self {
        let domain_name = config
            .users
            .first()
            .map_or_else(|| DEFAULT_DOMAIN.to_owned(), |u| u.domain.clone());
        Shared {
            domain_id: crate::sign::sha256_hex(domain_name.as_bytes())
                .chars()
                .take(32)
                .collect(),
            domain_name,
            project_name: config.project_name,
            project_id,
            export_format: config.export_format,
            workspaces: RwLock::new(workspaces),
            exports: ExportCache::default(),
            auth: auth::Authenticator::new(
                &config.access_keys,
                config.users,
                config.token_ttl,
                config.token_max_uses,
                config.max_clock_skew,
            ),
            faults: faults::Faults::new(config.faults),
            log,
            seq: AtomicU64::new(0),
            boot_nanos: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        }
    }
}

impl Shared {
    /// The workspaces, to change them: forgets every cached export first (readers hold the read
    /// lock while they fill the cache, so none can put back a stale one).
    pub(crate) fn workspaces_mut(&self) -> RwLockWriteGuard<'_, Vec<Workspace>> {
        let workspaces = self
            .workspaces
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        self.exports.clear();
        workspaces
    }
}

/// Single export bytes by workspace and workflow id, serialized once and kept until the
/// workspaces change: a benchmark exports the same 2,000 workflows run after run, and
/// serializing them again each time took CPU from the client measured on the same cores.
#[derive(Default)]
pub(crate) struct ExportCache(Mutex<Exports>);

/// Single export bytes by workspace id, then workflow id (looked up by `&str`, no key built).
type Exports = HashMap<String, HashMap<String, Arc<[u8]>>>;

impl ExportCache {
    /// The single export bytes of `workflow` in workspace `workspace_id`. Call with the
    /// workspaces' read lock held.
    pub(crate) fn single(
        &self,
        workspace_id: &str,
        workflow: &Workflow,
    ) -> Result<Arc<[u8]>, DataError> {
        let id = &workflow.info.id;
        if let Some(bytes) = self.lock().get(workspace_id).and_then(|kept| kept.get(id)) {
            return Ok(Arc::clone(bytes));
        }
        let bytes: Arc<[u8]> = workflow.export_bytes()?.into();
        self.lock()
            .entry(workspace_id.to_owned())
            .or_default()
            .insert(id.clone(), Arc::clone(&bytes));
        Ok(bytes)
    }

    fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Exports> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The workspaces a simulator serves; two with the same id are an error.
fn load_fixtures(fixtures: Fixtures) -> Result<Vec<Workspace>, SimError> {
    let workspaces = match fixtures {
        Fixtures::Bundled => crate::bundled_workspaces().map_err(SimError::Fixtures)?,
        Fixtures::Dir(dir) => Workspace::load_root(&dir).map_err(SimError::Fixtures)?,
        Fixtures::Workspaces(ws) => ws,
    };
    let mut seen = HashSet::new();
    for ws in &workspaces {
        if !seen.insert(ws.id.clone()) {
            return Err(SimError::DuplicateWorkspace { id: ws.id.clone() });
        }
    }
    Ok(workspaces)
}

/// Rewrites the data's project id so the served objects agree with the configured one.
fn rewrite_project(ws: &mut Workspace, id: &str) {
    ws.project_id = Some(id.to_owned());
    for wf in &mut ws.workflows {
        wf.info.project_id = Some(id.to_owned());
        for v in &mut wf.versions {
            v.project_id = Some(id.to_owned());
        }
    }
    let project = || serde_json::Value::String(id.to_owned());
    for pb in &mut ws.playbooks {
        pb.info.insert("project_id".to_owned(), project());
        for v in &mut pb.versions {
            v.info.insert("project_id".to_owned(), project());
            if let Some(serde_json::Value::Object(rules)) = &mut v.rules {
                rules.insert("project_id".to_owned(), project());
            }
            for action in &mut v.actions {
                if let serde_json::Value::Object(action) = action {
                    action.insert("project_id".to_owned(), project());
                }
            }
        }
    }
}

/// Asks a running simulator to stop; cheap to clone and send to a signal handler.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    tx: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    /// Stops accepting connections and lets in-flight requests finish.
    pub fn shutdown(&self) {
        self.tx.send_replace(true);
    }
}

/// A simulator serving on its address. Dropping it shuts the server down.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    project_id: String,
    workspaces: Vec<WorkspaceSummary>,
    log: RequestLog,
    shutdown: ShutdownHandle,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSim {
    /// The bound address (with the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, the endpoint for SecMaster and IAM clients alike.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The project id in every SecMaster path.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// Served workspaces, in load order.
    pub fn workspaces(&self) -> &[WorkspaceSummary] {
        &self.workspaces
    }

    /// The id of the workspace with this name (`soc-staging`), or whose id is `name`.
    pub fn workspace_id(&self, name: &str) -> Option<&str> {
        self.workspaces
            .iter()
            .find(|w| w.name == name || w.id == name)
            .map(|w| w.id.as_str())
    }

    /// The request log.
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// A handle that stops the server from elsewhere (for example a Ctrl-C handler).
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Writes the startup banner: `listening on http://HOST:PORT`, `project <id>`, and one
    /// `workspace <name> <id>` line per workspace.
    pub fn write_banner(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "listening on {}", self.base_url())?;
        writeln!(out, "project {}", self.project_id)?;
        for ws in &self.workspaces {
            writeln!(out, "workspace {} {}", ws.name, ws.id)?;
        }
        Ok(())
    }

    /// Serves until a [`ShutdownHandle`] asks to stop, then waits for in-flight requests.
    pub async fn wait(mut self) -> Result<(), SimError> {
        match self.task.take() {
            Some(task) => task.await.map_err(SimError::Task)?.map_err(SimError::Serve),
            None => Ok(()),
        }
    }

    /// Stops the server gracefully and waits until it has stopped.
    pub async fn shutdown(self) -> Result<(), SimError> {
        self.shutdown.shutdown();
        self.wait().await
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        // Also when a `wait()` future is dropped mid-way: nothing should outlive its owner.
        self.shutdown.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_is_serialized_once_until_the_cache_is_cleared() {
        let staging = crate::bundled_workspace("staging").unwrap();
        let workflow = &staging.workflows[0];
        let cache = ExportCache::default();
        let first = cache.single(&staging.id, workflow).unwrap();
        assert_eq!(*first, *workflow.export_bytes().unwrap());
        assert!(Arc::ptr_eq(
            &first,
            &cache.single(&staging.id, workflow).unwrap()
        ));
        // Another workspace may hold a workflow with the same id: it is another export.
        assert!(!Arc::ptr_eq(
            &first,
            &cache.single("other", workflow).unwrap()
        ));
        cache.clear();
        assert!(!Arc::ptr_eq(
            &first,
            &cache.single(&staging.id, workflow).unwrap()
        ));
    }
}
