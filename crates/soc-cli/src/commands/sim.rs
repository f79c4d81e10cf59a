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
    if let Some(skew) = args.max_clock_skew {
        config.max_clock_skew = skew;
    }
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
    if let Some(kind) = &args.export_fault {
        faults.export_fault = Some(
            kind.parse()
                .map_err(|e: String| CliError::msg(format!("--export-fault: {e}")))?,
        );
    }
    faults.list_total_surplus = args.list_total_surplus.unwrap_or(0);
    faults.versions_without_content = args.versions_without_content;
    faults.playbook_details_separate = args.playbook_details_separate;
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::printer::{ColorChoice, Printer, Verbosity};

    fn config_for(args: &[&str]) -> SimConfig {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Sim(sim) = &cli.command else {
            panic!("not sim")
        };
        let printer = Printer::new(ColorChoice::Never, Verbosity::Quiet);
        let ctx = Context {
            printer: &printer,
            global: &cli.global,
            cwd: std::path::PathBuf::from("/work"),
            runtime: std::cell::OnceCell::new(),
        };
        sim_config(&ctx, sim).unwrap()
    }

    #[test]
    fn defaults_are_soc_sims() {
        assert_eq!(config_for(&["socdrift", "sim"]), SimConfig::default());
    }

    #[test]
    fn flags_map_one_to_one() {
        let config = config_for(&[
            "socdrift",
            "sim",
            "--fixtures",
            "ws",
            "--listen",
            "127.0.0.1:8080",
            "--ak",
            "AK1",
            "--security-token",
            "T",
            "--user",
            "u",
            "--token-ttl",
            "10m",
            "--max-clock-skew",
            "1m",
            "--export-format",
            "zip",
            "--latency",
            "50ms",
            "--rate-limit",
            "5/1m",
            "--error-rate",
            "0.5",
            "--fault-only",
            "export",
            "--fault-first",
            "3",
            "--fault-seed",
            "9",
            "--export-fault",
            "route-missing",
            "--list-total-surplus",
            "2",
            "--versions-without-content",
            "--playbook-details-separate",
        ]);
        assert_eq!(config.fixtures, Fixtures::Dir("/work/ws".into()));
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(
            config.access_keys,
            [AccessKey::temporary(
                "AK1",
                soc_sim::DEFAULT_SECRET_KEY,
                "T"
            )]
        );
        assert_eq!(
            config.users,
            [IamUser::new(
                soc_sim::DEFAULT_DOMAIN,
                "u",
                soc_sim::DEFAULT_PASSWORD
            )]
        );
        assert_eq!(config.token_ttl, std::time::Duration::from_secs(600));
        assert_eq!(config.max_clock_skew, std::time::Duration::from_secs(60));
        assert_eq!(config.export_format, soc_sim::ExportFormat::Zip);
        let faults = config.faults;
        assert_eq!(faults.latency, std::time::Duration::from_millis(50));
        assert_eq!(
            faults.rate_limit,
            Some(RateLimit {
                requests: 5,
                per: std::time::Duration::from_secs(60)
            })
        );
        assert_eq!(faults.error_rate, 0.5);
        assert_eq!(faults.only, [PathKind::Export]);
        assert_eq!(faults.first_requests, Some(3));
        assert_eq!(faults.seed, 9);
        assert_eq!(
            faults.export_fault,
            Some(soc_sim::ExportFault::RouteMissing)
        );
        assert_eq!(faults.list_total_surplus, 2);
        assert!(faults.versions_without_content);
        assert!(faults.playbook_details_separate);
    }
}
