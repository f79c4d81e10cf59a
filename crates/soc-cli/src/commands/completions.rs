//! `socdrift completions SHELL`.

use crate::Context;
use crate::cli::CompletionsArgs;
use crate::completion;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// Prints the shell's registration script on stdout. It calls `socdrift` back on each TAB, so
/// completions know the environments of the config at hand.
pub fn run(ctx: &Context<'_>, args: &CompletionsArgs) -> Result<ExitStatus, CliError> {
    let script = completion::registration(&args.shell).ok_or_else(|| {
        CliError::msg(format!("unknown shell `{}`", args.shell))
            .with_hint("use one of bash, elvish, fish, powershell, zsh")
    })?;
    ctx.printer.data_bytes(&script)?;
    Ok(ExitStatus::NoDrift)
}
