//! `socdrift sim`: the SecMaster emulator, standalone.

use soc_sim::{AccessKey, FaultConfig, Fixtures, IamUser, PathKind, RateLimit, Sim, SimConfig};

use crate::Context;
use crate::cli::{SimArgs, SimExportFormat};
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Serves until Ctrl-C or SIGTERM; the banner goes to stdout first, so a script can read the
/// address from the first line.
pub fn run(ctx: &Context<'_>, args: &SimArgs) -> Result<ExitStatus, CliError> {
    let config = sim_config(ctx, args)?;
    let runtime = ctx.runtime()?;
    let sim = runtime
        .block_on(Sim::start(config))
        .map_err(|e| CliError::from(e).within("cannot start the emulator"))?;
    let mut banner = Vec::new();
    sim.write_banner(&mut banner)
        .map_err(|e| CliError::context("cannot write the banner", e))?;
    ctx.printer.data_bytes(&banner)?;
    ctx.printer.status(&format!(
        "serving SecMaster and IAM on {}; stop with Ctrl-C",
        sim.base_url()
    ));
    let handle = sim.shutdown_handle();
    runtime.spawn(async move {
        stop_signal().await;
        handle.shutdown();
    });
    runtime
        .block_on(sim.wait())
        .map_err(|e| CliError::from(e).within("the emulator stopped with an error"))?;
    ctx.printer.status("stopped");
    Ok(ExitStatus::NoDrift)
}

/// The emulator's settings from the flags; what a flag leaves out keeps soc-sim's default.
pub fn sim_config(ctx: &Context<'_>, args: &SimArgs) -> Result<SimConfig, CliError> {
    let mut config = SimConfig::default();
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = &args.fixtures {
        config.fixtures = Fixtures::Dir(ctx.absolute(dir));
    }
    config.project_id = args.project_id.clone();
    if let Some(name) = &args.project_name {
        config.project_name = name.clone();
    }
    if args.ak.is_some() || args.sk.is_some() || args.security_token.is_some() {
        let ak = args
            .ak
            .clone()
            .unwrap_or_else(|| soc_sim::DEFAULT_ACCESS_KEY.to_string());
        let sk = args
            .sk
            .clone()
            .unwrap_or_else(|| soc_sim::DEFAULT_SECRET_KEY.to_string());
        config.access_keys = vec![match &args.security_token {
            Some(token) => AccessKey::temporary(ak, sk, token.as_str()),
            None => AccessKey::permanent(ak, sk),
        }];
    }
    if args.user.is_some() || args.password.is_some() || args.domain.is_some() {
        config.users = vec![IamUser::new(
            args.domain.as_deref().unwrap_or(soc_sim::DEFAULT_DOMAIN),
            args.user.as_deref().unwrap_or(soc_sim::DEFAULT_USER),
            args.password
                .as_deref()
                .unwrap_or(soc_sim::DEFAULT_PASSWORD),
        )];
    }
    if let Some(ttl) = args.token_ttl {
        config.token_ttl = ttl;
    }
    config.token_max_uses = args.token_max_uses;
    config.export_format = match args.export_format {
        SimExportFormat::Json => soc_sim::ExportFormat::Json,
        SimExportFormat::Zip => soc_sim::ExportFormat::Zip,
    };
    let mut faults = FaultConfig::default();
    if let Some(seed) = args.fault_seed {
        faults.seed = seed;
    }
    if let Some(latency) = args.latency {
        faults.latency = latency;
    }
    if let Some(jitter) = args.jitter {
        faults.jitter = jitter;
    }
    faults.rate_limit = args
        .rate_limit
        .map(|(requests, per)| RateLimit { requests, per });
    faults.error_rate = args.error_rate.unwrap_or(0.0);
    faults.drop_rate = args.drop_rate.unwrap_or(0.0);
    faults.truncate_rate = args.truncate_rate.unwrap_or(0.0);
    faults.malformed_rate = args.malformed_rate.unwrap_or(0.0);
    faults.first_requests = args.fault_first;
    for kind in &args.fault_only {
        let kind: PathKind = kind
            .parse()
            .map_err(|e: String| CliError::msg(format!("--fault-only: {e}")))?;
        faults.only.push(kind);
    }
    config.faults = faults;
    Ok(config)
}

/// Ctrl-C, or SIGTERM on Unix (what `kill`, systemd and container runtimes send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
