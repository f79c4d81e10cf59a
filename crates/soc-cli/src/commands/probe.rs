//! `socdrift probe --env NAME`: what the real API answers, before trusting a drift check to it.

use soc_api::{ProbeCall, ProbeReport};

use crate::Context;
use crate::cli::{ProbeArgs, ProbeFormat};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::live;
use crate::secrets;

/// Calls each endpoint once (soc-api's `probe`), prints what each answered, writes the redacted
/// samples to `--out`; exit 0 when everything socdrift needs works, 2 otherwise.
pub fn run(ctx: &Context<'_>, args: &ProbeArgs) -> Result<ExitStatus, CliError> {
    let config = ctx.config()?;
    let env = config.env(&args.env)?;
    let client = live::client(&args.env, env, &config.limits, &secrets::process_env)?;
    let report = ctx.runtime()?.block_on(client.probe());
    if let Some(out) = &args.out {
        let mut text = serde_json::to_string_pretty(&report.samples())
            .map_err(|e| CliError::context("cannot serialize the samples", e))?;
        text.push('\n');
        crate::commands::outputs::write_file(&ctx.absolute(out), &text)?;
        ctx.printer.status(&format!(
            "wrote redacted samples of every answer to {} (structure only: no names, ids or values)",
            out.display()
        ));
    }
    let text = match args.format {
        ProbeFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::context("cannot serialize the probe report", e))?;
            text.push('\n');
            text
        }
        ProbeFormat::Text => render(&args.env, &report),
    };
    ctx.printer.data(&text)?;
    Ok(if report.ok {
        ExitStatus::NoDrift
    } else {
        ExitStatus::Error
    })
}

fn render(env: &str, report: &ProbeReport) -> String {
    let mut out = format!("probe of `{env}` (source = {})\n", report.source);
    for call in &report.calls {
        out.push('\n');
        render_call(&mut out, call);
    }
    out.push_str("\nadvice:\n");
    for line in &report.advice {
        out.push_str(&format!("  - {line}\n"));
    }
    out.push_str(if report.ok {
        "\nresult: everything socdrift needs works (exit 0)\n"
    } else {
        "\nresult: socdrift cannot work with this workspace as configured (exit 2)\n"
    });
    out
}

fn render_call(out: &mut String, call: &ProbeCall) {
    let mark = if call.ok { "ok  " } else { "FAIL" };
    out.push_str(&format!(
        "{mark} {} {} {}\n",
        call.name, call.method, call.path
    ));
    if let Some(status) = call.status {
        let mut parts = vec![format!("http {status}")];
        parts.push(
            call.content_type
                .clone()
                .unwrap_or_else(|| "no content type".into()),
        );
        if let Some(disposition) = &call.content_disposition {
            parts.push(format!("disposition {disposition}"));
        }
        if let Some(body) = &call.body {
            parts.push(body.format.describe().to_owned());
            parts.push(format!("{} bytes", body.size));
        }
        parts.push(format!(
            "request id {}",
            call.request_id.as_deref().unwrap_or("none")
        ));
        out.push_str(&format!("     {}\n", parts.join(", ")));
    }
    if let Some(body) = call.body.as_ref().filter(|b| !b.fields.is_empty()) {
        out.push_str(&format!("     fields: {}\n", body.fields.join(", ")));
        if !call.missing.is_empty() {
            out.push_str(&format!("     missing: {}\n", call.missing.join(", ")));
        }
        if !call.extra.is_empty() {
            out.push_str(&format!("     unexpected: {}\n", call.extra.join(", ")));
        }
    }
    if let Some(problem) = &call.problem {
        out.push_str(&format!("     problem: {problem}\n"));
    }
    if let Some(deprecation) = &call.deprecation {
        out.push_str(&format!("     deprecated: {deprecation}\n"));
    }
    out.push_str(&format!("     {}\n", call.verdict));
}
