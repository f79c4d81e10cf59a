//! `socdrift diff LEFT RIGHT`.

use soc_diff::{CheckReport, Filters, Format};

use crate::Context;
use crate::cli::DiffArgs;
use crate::commands::compare::{self, Loader};
use crate::commands::outputs::{self, Outputs};
use crate::config::Layout;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Compares two sides (classing each difference against a third with `--base`) and prints the
/// report (the same document as `check` prints, with one pair); 0 no drift, 1 drift, 2 error.
pub fn run(ctx: &Context<'_>, args: &DiffArgs) -> Result<ExitStatus, CliError> {
    let started_at = outputs::now();
    let outputs = Outputs {
        format: Format::from(args.report.format),
        stat: args.report.stat,
        output_file: args.output_file.as_deref(),
        github: true,
        ..Outputs::default()
    };
    let filters = compare::filters(&Filters::default(), &args.filters);
    let prepared = ctx.config().and_then(|config| {
        let profile = config.profile(Layout::from_flag(args.report.keep_layout))?;
        Ok((config, profile))
    });
    let (config, profile) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => return outputs::failed_run(ctx, err, started_at, filters, &outputs),
    };
    let loader = Loader::new(ctx, &config, &profile, &filters).drawing(outputs.draws());
    let pair = match &args.base {
        Some(base) => {
            let fail_on: Vec<_> = args.fail_on.iter().map(|&c| c.into()).collect();
            loader.compare_three((&args.left, &args.right, base), &fail_on)
        }
        None => loader.compare_pair(&args.left, &args.right),
    };
    let report = CheckReport::new(vec![pair])
        .started_at(started_at)
        .with_filters(filters.clone());
    outputs::emit(ctx, report, &outputs)
}
