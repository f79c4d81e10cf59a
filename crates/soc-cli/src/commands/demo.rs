//! `socdrift demo`: the whole pipeline against the built-in emulator, no setup at all.

use soc_diff::{CheckReport, Filters, Format};
use soc_sim::{Sim, SimConfig};
use soc_store::Selector;

use crate::Context;
use crate::cli::DemoArgs;
use crate::commands::drawing::{self, Source};
use crate::commands::outputs::{self, Outputs};
use crate::commands::{compare, snapshot};
use crate::config::{Config, EnvConfig, Layout};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::live;
use crate::secrets::{Credentials, Secret};

/// The bundled workspaces and the environment names the demo gives them.
const ENVIRONMENTS: [(&str, &str); 2] =
    [("staging", "soc-staging"), ("production", "soc-production")];

/// Starts soc-sim on loopback, snapshots both bundled workspaces through soc-api into a
/// temporary store, and prints the drift report between the two snapshots. Exit 0 when it ran:
/// drift is the expected outcome.
pub fn run(ctx: &Context<'_>, args: &DemoArgs) -> Result<ExitStatus, CliError> {
    let runtime = ctx.runtime()?;
    let sim = runtime
        .block_on(Sim::start(SimConfig::default()))
        .map_err(|e| CliError::from(e).within("cannot start the built-in SecMaster emulator"))?;
    ctx.printer.status(&format!(
        "started the built-in SecMaster emulator on {} with the bundled workspaces",
        sim.base_url()
    ));
    let temp = tempfile::Builder::new()
        .prefix("socdrift-demo-")
        .tempdir()
        .map_err(|e| CliError::context("cannot create a temporary folder", e))?;
    let config = Config::defaults(temp.path());
    let store = soc_store::Store::open(temp.path().join("store"))?;
    let profile = config.profile(Layout::from_flag(args.report.keep_layout))?;
    let mut sides = Vec::new();
    let mut snapshots = Vec::new();
    for (name, workspace) in ENVIRONMENTS {
        let env = EnvConfig {
            endpoint: Some(sim.base_url()),
            project_id: Some(sim.project_id().to_string()),
            workspace: Some(workspace.to_string()),
            ..EnvConfig::default()
        };
        let credentials = Credentials::ak_sk(
            soc_sim::DEFAULT_ACCESS_KEY,
            Secret::new(soc_sim::DEFAULT_SECRET_KEY),
        );
        let client = live::client_with(name, &env, &config.limits, credentials)?;
        let target = snapshot::EnvSnapshot {
            name,
            env: &env,
            client: &client,
            if_unchanged: soc_store::IfUnchanged::Write,
        };
        snapshot::snapshot_env(ctx, &store, &profile, &target)?;
        let taken = store.resolve(name, &Selector::Latest)?;
        sides.push(taken.side_entries(&profile)?);
        snapshots.push(taken);
    }
    let right = sides.pop().unwrap_or_default();
    let left = sides.pop().unwrap_or_default();
    let mut report = compare::diff_entries(
        left,
        right,
        ("staging".to_string(), "production".to_string()),
        &config,
        &profile,
        &Filters::default(),
    )?;
    let drift = report.has_drift();
    ctx.printer.status("");
    let outputs = Outputs {
        format: Format::from(args.report.format),
        stat: args.report.stat,
        ..Outputs::default()
    };
    if outputs.draws() {
        let mut right_snapshot = snapshots.pop().map_or(Source::None, Source::Snapshot);
        let mut left_snapshot = snapshots.pop().map_or(Source::None, Source::Snapshot);
        drawing::draw(
            &mut report,
            &mut left_snapshot,
            &mut right_snapshot,
            &profile,
        );
    }
    outputs::emit(ctx, CheckReport::single(report), &outputs)?;
    // One status line each: the printer escapes a newline inside a message.
    for line in closing(drift).lines() {
        ctx.printer.status(line);
    }
    runtime.block_on(sim.shutdown()).ok();
    Ok(ExitStatus::NoDrift)
}

fn closing(drift: bool) -> String {
    let verdict = if drift {
        "Drift found, as expected: the bundled production workspace differs from staging on\n\
         purpose (a block duration, an escalation time, a rotated webhook token shown only by its\n\
         hash, a renamed, a removed and an added workflow; a moved node is layout, not drift),\n\
         and so do its playbooks (one disabled, one trigger condition changed, one bound to\n\
         another workflow, one following the renamed workflow; a staging-only draft is shown\n\
         but accepted, since drafts do not run). Bound workflows are compared by name, so the\n\
         same binding is equal although each workspace has its own workflow ids.\n\
         `socdrift diff` and `socdrift check` would exit 1 here; the demo exits 0 because it ran."
    } else {
        "No drift found, which the bundled workspaces should not allow: please report this."
    };
    format!(
        "\n{verdict}\n\n\
         Try next:\n  \
         socdrift demo -o markdown            the same report, ready for a pull request\n  \
         socdrift demo -o html > review.html  the review page: each changed workflow drawn\n  \
         docs/review.md                       how to read it, and the promotion view (diff --base)\n  \
         socdrift sim                         the emulator on its own, to point a socdrift.toml at\n  \
         socdrift normalize FILE              the canonical text of an export (a git textconv driver)\n  \
         socdrift --help                      every command; docs/getting-started.md for your workspaces"
    )
}
