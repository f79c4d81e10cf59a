//! Talking to a live workspace: building the client from `[env.NAME]` and exporting.

use soc_api::{
    ApiError, Client, ClientBuilder, ExportedWorkflow, Fetched, Operation, Timeouts, WorkflowInfo,
};

use crate::config::{AuthKind, Config, EnvConfig};
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

/// Gets every workflow document of a configured environment, with a progress bar on a terminal.
pub fn export_env(
    runtime: &tokio::runtime::Runtime,
    printer: &Printer,
    config: &Config,
    env_name: &str,
) -> Result<Fetched, CliError> {
    let env = config.env(env_name)?;
    let client = client(env_name, env, &config.limits, &secrets::process_env)?;
    export_all(runtime, printer, &client, env_name, env)
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
    let bar = printer.progress(0, env_name);
    let started = std::time::Instant::now();
    let result = runtime.block_on(client.fetch_all(|p| {
        bar.set_length(p.listed as u64);
        bar.set_position(p.exported as u64);
    }));
    bar.finish_and_clear();
    let fetched = result.map_err(|e| api_error(env_name, env, "export workflows of", e))?;
    say_fallback(printer, env_name, &fetched);
    tracing::info!(
        env = env_name,
        workflows = fetched.workflows.len(),
        source = %fetched.source,
        elapsed = ?started.elapsed(),
        "exported"
    );
    Ok(fetched)
}

/// The one line that says `auto` read the versions API because export did not work.
pub fn say_fallback(printer: &Printer, env_name: &str, fetched: &Fetched) {
    if let Some(reason) = &fetched.fallback {
        printer.warn(&format!(
            "{env_name}: export is not usable here, so the workflows were read through the \
             versions API (set `source = \"versions\"` in [env.{env_name}] to skip the export \
             attempt): {reason}"
        ));
    }
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
    let vars = secrets::variable_names(env, &secrets::process_env).join(" and ");
    let what = match env.auth {
        AuthKind::Aksk => format!(
            ", and that the key may read SecMaster in project {}",
            env.project_id.as_deref().unwrap_or("?")
        ),
        AuthKind::Token => "; IAM tokens expire after 24 hours".to_string(),
        AuthKind::Password => String::new(),
    };
    format!("check {vars} (used for [env.{env_name}]){what}")
}
