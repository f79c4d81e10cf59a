//! Talking to a live workspace: building the client from `[env.NAME]` and exporting.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use soc_api::{
    ApiError, Client, ClientBuilder, ExportedWorkflow, Fetch, FetchSource, Fetched,
    FetchedPlaybooks, Operation, Timeouts, WorkflowInfo,
};

use crate::config::{AuthKind, EnvConfig};
use crate::error::CliError;
use crate::printer::Printer;
use crate::secrets::{self, Credentials};

/// A workflow exported from a live workspace: the listed info and the raw export.
pub type Exported = (WorkflowInfo, ExportedWorkflow);

/// The async runtime for commands that call the API (two workers: the work is I/O-bound).
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::context("cannot start the async runtime", e))
}

/// Builds the client for one configured environment, reading its secrets from `lookup`; answers
/// are read within `limits`.
pub fn client(
    env_name: &str,
    env: &EnvConfig,
    limits: &soc_model::Limits,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Client, CliError> {
    let credentials = secrets::credentials(env_name, env, lookup)?;
    client_with(env_name, env, limits, credentials)
}

/// Builds the client for one environment with given credentials.
pub fn client_with(
    env_name: &str,
    env: &EnvConfig,
    limits: &soc_model::Limits,
    credentials: Credentials,
) -> Result<Client, CliError> {
    let mut builder = ClientBuilder::new()
        .credentials(credentials)
        .limits(*limits)
        .source(env.source.into());
    if let Some(endpoint) = &env.endpoint {
        builder = builder.endpoint(endpoint);
    }
    if let Some(region) = &env.region {
        builder = builder.region(region);
    }
    if let Some(iam) = &env.iam_endpoint {
        builder = builder.iam_endpoint(iam);
    }
    if let Some(project) = &env.project_id {
        builder = builder.project_id(project);
    }
    if let Some(id) = &env.workspace_id {
        builder = builder.workspace_id(id);
    }
    if let Some(name) = &env.workspace {
        builder = builder.workspace_name(name);
    }
    if let Some(n) = env.concurrency {
        builder = builder.concurrency(n);
    }
    builder = builder.requests_per_second(env.requests_per_second);
    if let Some(timeout) = env
        .timeout
        .as_deref()
        .and_then(|t| humantime::parse_duration(t).ok())
    {
        builder = builder.timeouts(Timeouts {
            request: Some(timeout),
            ..Timeouts::default()
        });
    }
    if let Some(ca) = &env.ca_bundle {
        builder = builder.ca_bundle(ca);
    }
    builder = builder.danger_accept_invalid_certs(env.insecure_skip_tls_verify);
    builder.build().map_err(|e| {
        CliError::context(format!("cannot set up the client for `{env_name}`"), e)
            .with_hint(format!("check [env.{env_name}] in socdrift.toml"))
    })
}

/// Every workflow's name by its id, as the listing (or, failing that, the export) gives it: what
/// a playbook's actions name their workflows by.
pub fn workflow_names(workflows: &[Exported]) -> BTreeMap<String, String> {
    workflows
        .iter()
        .map(|(info, export)| (info.id().to_owned(), workflow_name(info, export)))
        .collect()
}

/// A workflow's name: the listing's, the export's, or its id.
pub fn workflow_name(info: &WorkflowInfo, export: &ExportedWorkflow) -> String {
    info.name()
        .or(export.name.as_deref())
        .unwrap_or(info.id())
        .to_owned()
}

/// Gets every playbook document of the workspace, each action's workflow named from `names`
/// (the same workspace's workflows by id, listed just before); says once per run when the API
/// announced that an endpoint it needed is deprecated.
pub fn fetch_playbooks(
    runtime: &tokio::runtime::Runtime,
    printer: &Printer,
    client: &Client,
    env_name: &str,
    env: &EnvConfig,
    names: &BTreeMap<String, String>,
) -> Result<FetchedPlaybooks, CliError> {
    let bar = printer.progress_counting(&format!("{env_name} playbooks"));
    let result = runtime.block_on(client.playbooks_all(names, |done, listed| {
        crate::printer::set_total(&bar, listed as u64);
        bar.set_position(done as u64);
    }));
    bar.finish_and_clear();
    let fetched = result.map_err(|e| api_error(env_name, env, "read the playbooks of", e))?;
    say_deprecations(printer, &fetched);
    tracing::info!(
        env = env_name,
        playbooks = fetched.playbooks.len(),
        "read playbooks"
    );
    Ok(fetched)
}

/// Whether a deprecation notice was shown in this run: it is said once, not per environment.
static DEPRECATION_SAID: AtomicBool = AtomicBool::new(false);

/// The one warning that an endpoint socdrift read is deprecated by the API.
fn say_deprecations(printer: &Printer, fetched: &FetchedPlaybooks) {
    if fetched.deprecations.is_empty() || DEPRECATION_SAID.swap(true, Ordering::Relaxed) {
        return;
    }
    let what: Vec<String> = fetched
        .deprecations
        .iter()
        .map(ToString::to_string)
        .collect();
    printer.warn(&format!(
        "the playbook rule and action endpoints socdrift had to read announce their \
         deprecation ({}); the playbook versions here do not carry their rules and actions \
         inline yet. Nothing to do now; socdrift reads them inline as soon as SecMaster gives them",
        what.join("; ")
    ));
}

/// Gets every workflow document through a built client, from the environment's `source`; says
/// on stderr when `auto` had to read the versions API instead of the export.
pub fn export_all(
    runtime: &tokio::runtime::Runtime,
    printer: &Printer,
    client: &Client,
    env_name: &str,
    env: &EnvConfig,
) -> Result<Fetched, CliError> {
    let bar = printer.progress_counting(env_name);
    let started = std::time::Instant::now();
    let mut total = None;
    let result = runtime.block_on(client.fetch_all(|p| {
        if let Some(len) = bar_total(total, p) {
            total = Some(len);
            crate::printer::set_total(&bar, len);
        }
        bar.set_position(p.exported as u64);
    }));
    bar.finish_and_clear();
    let fetched = result.map_err(|e| api_error(env_name, env, "export workflows of", e))?;
    say_fallback(printer, env_name, fetched.fallback.as_deref());
    tracing::info!(
        env = env_name,
        workflows = fetched.workflows.len(),
        source = %fetched.source,
        elapsed = %soc_text::duration(started.elapsed()),
        "exported"
    );
    Ok(fetched)
}

/// The one line that says `auto` read the versions API because export did not work.
pub fn say_fallback(printer: &Printer, env_name: &str, fallback: Option<&str>) {
    if let Some(reason) = fallback {
        printer.warn(&format!(
            "{env_name}: export is not usable here, so the workflows were read through the \
             versions API (set `source = \"versions\"` in [env.{env_name}] to skip the export \
             attempt): {reason}"
        ));
    }
}

/// What [`fetch_each`] got: how many workflows, from which API, and their names by id.
#[derive(Debug)]
pub struct FetchedEach {
    /// How many workflows were handed to the sink.
    pub count: usize,
    /// Where the documents came from.
    pub source: FetchSource,
    /// Every workflow's name by id ([`workflow_names`]), for the playbooks read next.
    pub names: BTreeMap<String, String>,
}

/// Gets every workflow document through a built client, from the environment's `source` (export,
/// versions, or `auto`), and hands each to `sink` as soon as it arrives, on one thread per core,
/// while the fetch goes on: the CPU work of a workflow (normalizing, hashing, compressing,
/// writing) overlaps the network work of the next ones, and memory holds the documents in
/// flight, not the workspace. Says on stderr when `auto` had to read the versions API. The first
/// error (of the fetch or of `sink`) stops the fetch and is returned.
pub fn fetch_each(
    runtime: &tokio::runtime::Runtime,
    printer: &Printer,
    client: &Client,
    env_name: &str,
    env: &EnvConfig,
    sink: &(dyn Fn(Exported) -> Result<(), CliError> + Sync),
) -> Result<FetchedEach, CliError> {
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let (tx, rx) = tokio::sync::mpsc::channel::<Exported>(workers * 2);
    let handoff = Handoff {
        rx: Mutex::new(rx),
        failed: AtomicBool::new(false),
        failure: Mutex::new(None),
        sink,
    };
    let bar = printer.progress_counting(env_name);
    let started = std::time::Instant::now();
    let fetched = std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| handoff.work());
        }
        let result = runtime.block_on(stream_into(
            client,
            printer,
            (env_name, &bar),
            &tx,
            &handoff.failed,
        ));
        drop(tx);
        result
    });
    bar.finish_and_clear();
    if let Some(err) = handoff
        .failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(err);
    }
    let (source, names) =
        fetched.map_err(|e| api_error(env_name, env, "export workflows of", e))?;
    // The stream says its source before anything else; export is what a silent one would mean.
    let source = source.unwrap_or(FetchSource {
        source: soc_model::DocumentSource::Export,
        fallback: None,
    });
    tracing::info!(
        env = env_name,
        workflows = names.len(),
        source = %source.source,
        elapsed = %soc_text::duration(started.elapsed()),
        "exported"
    );
    Ok(FetchedEach {
        count: names.len(),
        source,
        names,
    })
}

/// What [`fetch_each`]'s worker threads share: the queue of fetched workflows, the sink, and the
/// first failure of the sink (which stops the fetch).
struct Handoff<'a> {
    rx: Mutex<tokio::sync::mpsc::Receiver<Exported>>,
    failed: AtomicBool,
    failure: Mutex<Option<CliError>>,
    sink: &'a (dyn Fn(Exported) -> Result<(), CliError> + Sync),
}

impl Handoff<'_> {
    /// One worker: hands queued workflows to the sink until the queue closes.
    fn work(&self) {
        loop {
            let item = self
                .rx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .blocking_recv();
            let Some(item) = item else { break };
            // After a failure, drain what is queued so the fetch never waits on a full channel
            // that nobody empties.
            if self.failed.load(Ordering::SeqCst) {
                continue;
            }
            if let Err(err) = (self.sink)(item) {
                self.failed.store(true, Ordering::SeqCst);
                self.failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert(err);
            }
        }
    }
}

/// Streams every workflow into `tx`, the bar following, until the stream ends or a worker has
/// `failed`; says the fallback as soon as the stream says its source. Returns the source and
/// every workflow's name by id.
async fn stream_into(
    client: &Client,
    printer: &Printer,
    (env_name, bar): (&str, &indicatif::ProgressBar),
    tx: &tokio::sync::mpsc::Sender<Exported>,
    failed: &AtomicBool,
) -> Result<(Option<FetchSource>, BTreeMap<String, String>), ApiError> {
    use futures_util::StreamExt;

    let mut total = None;
    let stream = client.fetch_stream(|p| {
        if let Some(len) = bar_total(total, p) {
            total = Some(len);
            crate::printer::set_total(bar, len);
        }
        bar.set_position(p.exported as u64);
    });
    futures_util::pin_mut!(stream);
    let mut source = None;
    let mut names = BTreeMap::new();
    while let Some(step) = stream.next().await {
        match step? {
            Fetch::Source(said) => {
                say_fallback(printer, env_name, said.fallback.as_deref());
                source = Some(said);
            }
            Fetch::Workflow { info, document, .. } => {
                names.insert(info.id().to_owned(), workflow_name(&info, &document));
                if failed.load(Ordering::SeqCst) || tx.send((info, document)).await.is_err() {
                    break;
                }
            }
        }
    }
    Ok((source, names))
}

/// The bar's total: what the list answer's `total` announced, from its first page on, and the
/// number listed once the listing is complete (the same, or the listing fails). A list that
/// announces no total leaves the display counting until the listing is complete, so the total
/// never shrinks and the bar never jumps backwards. Returns `None` when nothing changes.
fn bar_total(current: Option<u64>, progress: soc_api::ExportProgress) -> Option<u64> {
    let listed = progress.listed as u64;
    let known = if progress.listing_done {
        Some(listed)
    } else {
        progress
            .expected
            .map(|expected| (expected as u64).max(listed))
    };
    known.filter(|&total| current != Some(total))
}

/// An API error with what was being done and a hint fitted to the failure.
pub fn api_error(env_name: &str, env: &EnvConfig, doing: &str, err: ApiError) -> CliError {
    let hint = match &err {
        ApiError::Auth { .. } => Some(auth_hint(env_name, env)),
        ApiError::Throttled { .. } => Some(format!(
            "set a lower `concurrency` or a `requests_per_second` in [env.{env_name}]"
        )),
        ApiError::Timeout { .. } => Some(format!(
            "the workspace answered too slowly; raise `timeout` in [env.{env_name}] or try again"
        )),
        ApiError::Transport { .. } => Some(format!(
            "check the network and `endpoint`/`region` of [env.{env_name}]{}",
            if env.ca_bundle.is_none() {
                "; behind a TLS-inspecting proxy, set `ca_bundle`"
            } else {
                ""
            }
        )),
        ApiError::NotFound { .. } => Some(format!(
            "check `project_id` and the workspace of [env.{env_name}]"
        )),
        ApiError::WorkspaceNotFound { project, .. } => Some(format!(
            "check `workspace_id`/`workspace` in [env.{env_name}]: the SecMaster console lists \
             the workspaces of project {project} under Workspaces, and `socdrift probe --env \
             {env_name}` says whether these credentials see the configured one"
        )),
        ApiError::ErrorAnswer { ctx, .. } | ApiError::NotAWorkflow { ctx, .. }
            if matches!(ctx.operation, Operation::Export { .. }) =>
        {
            Some(format!(
                "if the export keeps answering this way, set `source = \"versions\"` in \
                 [env.{env_name}] (see `socdrift probe --env {env_name}`)"
            ))
        }
        ApiError::ListIncomplete { .. } => Some(format!(
            "nothing was stored; run again, and if it persists, send the output of `socdrift \
             probe --env {env_name} --out probe.json` with a bug report"
        )),
        _ => None,
    };
    let error = CliError::context(format!("cannot {doing} `{env_name}`"), err);
    match hint {
        Some(hint) => error.with_hint(hint),
        None => error,
    }
}

fn auth_hint(env_name: &str, env: &EnvConfig) -> String {
    auth_hint_with(env_name, env, &secrets::process_env)
}

/// The hint for refused credentials: every variable in use (the security token of temporary keys
/// too), and what else to look at.
fn auth_hint_with(
    env_name: &str,
    env: &EnvConfig,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> String {
    let vars = and_list(&secrets::variable_names(env, lookup));
    let what = match env.auth {
        AuthKind::Aksk => {
            let mut what = format!(
                ", and that the key may read SecMaster in project {}",
                env.project_id.as_deref().unwrap_or("?")
            );
            match secrets::unset_optional(env, lookup).first() {
                Some((token, names)) => what.push_str(&format!(
                    "; temporary keys also need their {token} in {names}"
                )),
                None => what.push_str(
                    "; temporary keys work only with the security token issued with them, and expire with it",
                ),
            }
            what
        }
        AuthKind::Token => "; IAM tokens expire after 24 hours".to_string(),
        AuthKind::Password => String::new(),
    };
    format!("check {vars} (used for [env.{env_name}]){what}")
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use soc_api::ExportProgress;

    fn step(listed: usize, exported: usize, done: bool, expected: Option<usize>) -> ExportProgress {
        ExportProgress {
            listed,
            exported,
            listing_done: done,
            expected,
        }
    }

    /// The totals the bar is given over a run.
    fn totals(steps: &[ExportProgress]) -> Vec<u64> {
        let mut total = None;
        let mut totals = Vec::new();
        for &p in steps {
            if let Some(len) = bar_total(total, p) {
                total = Some(len);
                totals.push(len);
            }
        }
        totals
    }

    #[test]
    fn the_bar_total_is_the_announced_total_from_the_first_page_on() {
        let steps = [
            step(100, 0, false, Some(250)),
            step(100, 20, false, Some(250)),
            step(200, 40, false, Some(250)),
            step(250, 60, true, Some(250)),
            step(250, 250, true, Some(250)),
        ];
        assert_eq!(
            totals(&steps),
            [250],
            "one total, known from the first page"
        );
    }

    #[test]
    fn without_an_announced_total_the_bar_total_is_set_once_the_listing_is_complete() {
        let steps = [
            step(100, 0, false, None),
            step(100, 20, false, None),
            step(200, 40, false, None),
            step(250, 60, true, None),
            step(250, 250, true, None),
        ];
        assert_eq!(totals(&steps), [250], "one total, the final one");
    }

    #[test]
    fn the_auth_hint_names_the_security_token_of_temporary_keys() {
        let env = EnvConfig {
            project_id: Some("p1".into()),
            ..EnvConfig::default()
        };
        let set = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let hint = auth_hint_with(
            "staging",
            &env,
            &set(&[
                ("HUAWEICLOUD_SDK_AK", "a"),
                ("HUAWEICLOUD_SDK_SK", "s"),
                ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "t"),
            ]),
        );
        assert!(
            hint.starts_with("check HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SECURITY_TOKEN (used for [env.staging])"),
            "{hint}"
        );
        let hint = auth_hint_with(
            "staging",
            &env,
            &set(&[("HW_ACCESS_KEY", "a"), ("HW_SECRET_KEY", "s")]),
        );
        assert!(
            hint.ends_with("temporary keys also need their security token in HUAWEICLOUD_SDK_SECURITY_TOKEN or HW_SECURITY_TOKEN"),
            "{hint}"
        );
    }
}
