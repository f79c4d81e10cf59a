//! `socdrift check [LEFT RIGHT]`: the CI gate.

use std::io::Write;
use std::path::Path;

use soc_diff::Report;
use soc_diff::render::Format;

use crate::Context;
use crate::cli::CheckArgs;
use crate::commands::compare::{self, Loader};
use crate::config::Config;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::side;

/// Compares each pair, prints the reports, writes the CI files; exits with the worst outcome.
///
/// A pair that fails (exit 2) does not stop the others: every pair is compared and every report
/// written before exiting.
pub fn run(ctx: &Context<'_>, args: &CheckArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let pairs = pairs(&config, args)?;
    let profile = config.profile(args.report.keep_layout)?;
    let loader = Loader::new(ctx, &config, &profile);
    let mut status = ExitStatus::NoDrift;
    let mut reports = Vec::new();
    for (left, right) in &pairs {
        let result = side::resolve(left, &config, &ctx.cwd)
            .and_then(|l| Ok((l, side::resolve(right, &config, &ctx.cwd)?)))
            .map_err(CliError::from)
            .and_then(|(l, r)| loader.diff(&l, &r));
        match result {
            Ok(report) => {
                status = status.worst(ExitStatus::from_drift(report.has_drift()));
                let text = compare::render(
                    &report,
                    Format::from(args.report.format),
                    args.report.stat,
                    ctx.printer.stdout_color(),
                );
                if !reports.is_empty() {
                    ctx.printer.data("\n")?;
                }
                ctx.printer.data(&text)?;
                reports.push(report);
            }
            Err(err) => {
                ctx.printer
                    .error(&err.within(format!("cannot check {left} against {right}")));
                status = ExitStatus::Error;
            }
        }
    }
    write_outputs(ctx, args, &reports)?;
    Ok(status)
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

fn write_outputs(ctx: &Context<'_>, args: &CheckArgs, reports: &[Report]) -> Result<(), CliError> {
    if let Some(path) = &args.report_file {
        if !reports.is_empty() {
            let text = match reports {
                [one] => compare::render(one, Format::Json, false, false),
                several => {
                    let mut text = serde_json::to_string_pretty(several)
                        .map_err(|e| CliError::context("cannot serialize the reports", e))?;
                    text.push('\n');
                    text
                }
            };
            compare::write_file(&ctx.absolute(path), &text)?;
        }
    }
    if let Some(path) = &args.junit {
        compare::write_file(&ctx.absolute(path), &junit(reports))?;
    }
    let markdown = reports
        .iter()
        .map(|r| compare::render(r, Format::Markdown, args.report.stat, false))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(path) = &args.markdown {
        compare::write_file(&ctx.absolute(path), &markdown)?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
        if !markdown.is_empty() {
            append(Path::new(&summary), &markdown)?;
        }
    }
    Ok(())
}

/// One JUnit document: a single report as rendered, several as `<testsuites>` of their suites.
fn junit(reports: &[Report]) -> String {
    let rendered: Vec<String> = reports
        .iter()
        .map(|r| compare::render(r, Format::Junit, false, false))
        .collect();
    if let [one] = rendered.as_slice() {
        return one.clone();
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for doc in &rendered {
        // Each rendering is a declaration line followed by one <testsuite> element.
        let suite = doc
            .split_once("?>\n")
            .map_or(doc.as_str(), |(_, rest)| rest);
        out.push_str(suite);
    }
    out.push_str("</testsuites>\n");
    out
}

fn append(path: &Path, text: &str) -> Result<(), CliError> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| CliError::context(format!("cannot open {}", path.display()), e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|e| CliError::context(format!("cannot append to {}", path.display()), e))
}
