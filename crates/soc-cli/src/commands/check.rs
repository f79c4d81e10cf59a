//! `socdrift check [LEFT RIGHT]`: the CI gate.

use soc_diff::{CheckReport, Filters, Format};

use crate::Context;
use crate::cli::CheckArgs;
use crate::commands::compare::{self, Loader};
use crate::commands::outputs::{self, Outputs};
use crate::config::{Config, Layout};
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Compares every pair into one report, prints it, writes the CI files; exits with the worst
/// outcome.
///
/// A pair that fails (exit 2) does not stop the others, and it is in every output as an error
/// pair. A run that fails before any pair (a bad config file, nothing to check) still rewrites
/// every report file, with status `error`, so no report of an earlier run survives it.
pub fn run(ctx: &Context<'_>, args: &CheckArgs) -> Result<ExitStatus, CliError> {
    let started_at = outputs::now();
    let outputs = Outputs {
        format: Format::from(args.report.format),
        stat: args.report.stat,
        output_file: None,
        json_file: args.report_file.as_deref(),
        junit_file: args.junit.as_deref(),
        markdown_file: args.markdown.as_deref(),
        html_file: args.html.as_deref(),
        github: true,
    };
    let config = match ctx.config() {
        Ok(config) => config,
        Err(err) => return outputs::failed_run(ctx, err, started_at, Filters::default(), &outputs),
    };
    let filters = compare::filters(&config.check_filters, &args.filters);
    let prepared = pairs(&config, args).and_then(|pairs| {
        let profile = config.profile(Layout::from_flag(args.report.keep_layout))?;
        Ok((pairs, profile))
    });
    let (pairs, profile) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return outputs::failed_run(ctx, err, started_at, filters, &outputs),
    };
    let loader = Loader::new(ctx, &config, &profile, &filters).drawing(outputs.draws());
    let report = CheckReport::new(loader.compare_pairs(&pairs))
        .started_at(started_at)
        .with_filters(filters.clone());
    outputs::emit(ctx, report, &outputs)
}

/// The pairs to check: the arguments, else `[check] pairs`, else, for every environment, its
/// latest snapshot (left: the baseline) against the live workspace (right: what it is now), so an
/// `A` in the report is a workflow added to the workspace since the snapshot.
fn pairs(config: &Config, args: &CheckArgs) -> Result<Vec<(String, String)>, CliError> {
    if let (Some(left), Some(right)) = (&args.left, &args.right) {
        return Ok(vec![(left.clone(), right.clone())]);
    }
    if !config.check_pairs.is_empty() {
        return Ok(config.check_pairs.clone());
    }
    if config.envs.is_empty() {
        let hint = match &config.path {
            Some(path) => format!(
                "add [env.NAME] sections or [check] pairs to {}",
                path.display()
            ),
            None => "create socdrift.toml with [env.NAME] sections (see docs/getting-started.md), or give two sides: socdrift check LEFT RIGHT".to_string(),
        };
        return Err(
            CliError::msg("nothing to check: no environments are configured").with_hint(hint),
        );
    }
    Ok(config
        .envs
        .keys()
        .map(|env| (format!("{env}@latest"), format!("{env}@live")))
        .collect())
}
