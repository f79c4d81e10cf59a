//! The `socdrift` command line as a library: the binary parses arguments and calls [`main_with`].
//!
//! Everything about data lives in the library crates (soc-api → soc-store → soc-diff → report →
//! renderer); this crate owns the configuration file, credentials from the environment, the
//! printer and the exit codes.
//!
//! ```no_run
//! use clap::Parser;
//! let cli = soc_cli::cli::Cli::parse();
//! let status = soc_cli::main_with(cli);
//! std::process::exit(i32::from(status.code()));
//! ```
#![deny(clippy::print_stdout, clippy::print_stderr)]
// The doc comments of the clap types in `cli` are the `--help` text, written for a terminal
// (`tag ENV NAME [SNAPSHOT]`), not rustdoc links.
#![allow(rustdoc::broken_intra_doc_links)]

pub mod cli;
mod commands;
pub mod completion;
mod config;
mod error;
pub mod exit;
pub mod git;
mod hints;
mod live;
mod printer;
mod secrets;
mod side;
mod suggest;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, GlobalArgs};
use crate::config::{Config, Source};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::printer::{Printer, Verbosity};

/// Runs a parsed command line: sets up the printer and logging, runs the command, prints any
/// error, and returns the exit status.
pub fn main_with(cli: Cli) -> ExitStatus {
    let printer = Printer::new(
        cli.global.color,
        Verbosity::from_flags(cli.global.quiet, cli.global.verbose),
    );
    printer.init_logging();
    match run(cli, &printer) {
        Ok(status) => status,
        Err(err) => {
            printer.error(&err);
            ExitStatus::Error
        }
    }
}

/// Runs a parsed command line with a given printer.
pub(crate) fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::context("cannot read the current folder", e))?;
    let ctx = Context {
        printer,
        global: &cli.global,
        cwd,
        runtime: std::cell::OnceCell::new(),
    };
    commands::dispatch(&ctx, cli.command)
}

/// `staging: waiting for the store lock, held by process 1234 since 2026-11-28 03:15:00 UTC (12s
/// ago); giving up after 30s (lock file …)`.
fn lock_wait_message(wait: &soc_store::LockWait) -> String {
    let ago = wait
        .holder
        .since
        .and_then(|since| (chrono::Utc::now() - since).to_std().ok())
        .map(|age| format!(" ({} ago)", soc_text::duration(age)))
        .unwrap_or_default();
    format!(
        "{}: waiting for the store lock, held by {}{ago}; giving up after {} (lock file {})",
        wait.env,
        wait.holder,
        soc_text::duration(wait.timeout),
        wait.path.display()
    )
}

/// What every command gets: the printer, the global options and the current folder.
pub(crate) struct Context<'a> {
    /// The printer.
    pub printer: &'a Printer,
    /// Global options.
    pub global: &'a GlobalArgs,
    /// The current folder, for relative paths and config discovery.
    pub cwd: PathBuf,
    /// The async runtime, started on first use (only commands that call the API need one).
    runtime: std::cell::OnceCell<tokio::runtime::Runtime>,
}

impl Context<'_> {
    /// Loads the configuration: `--config`/`SOCDRIFT_CONFIG`, or the nearest `socdrift.toml`, or
    /// the defaults when there is none.
    pub fn config(&self) -> Result<Config, CliError> {
        let source = match &self.global.config {
            Some(path) => Source::Explicit(path),
            None => Source::Search(&self.cwd),
        };
        Ok(Config::discover(source)?)
    }

    /// The store root: `--store`/`SOCDRIFT_STORE`, else the config's.
    pub fn store_path(&self, config: &Config) -> PathBuf {
        match &self.global.store {
            Some(path) => self.absolute(path),
            None => self.absolute(&config.store_path),
        }
    }

    /// The snapshot store, created if missing (for commands that write to it). A writer that
    /// finds an environment locked says so at once on stderr.
    pub fn store(&self, config: &Config) -> Result<soc_store::Store, CliError> {
        let path = self.store_path(config);
        let status = self.printer.status_sink();
        soc_store::Store::open(&path)
            .map(|store| store.on_lock_wait(move |wait| status(&lock_wait_message(wait))))
            .map_err(|e| {
                CliError::from(e).within(format!("cannot open the store {}", path.display()))
            })
    }

    /// The snapshot store for reading: an error naming the folder if there is none yet.
    pub fn existing_store(&self, config: &Config) -> Result<soc_store::Store, CliError> {
        let path = self.store_path(config);
        if !soc_store::Store::exists_at(&path) {
            return Err(CliError::msg(format!(
                "there is no snapshot store at {} yet",
                path.display()
            ))
            .with_hint(
                "take a snapshot first: socdrift snapshot --env NAME (or pass --store DIR)",
            ));
        }
        self.store(config)
    }

    /// The async runtime for API calls.
    pub fn runtime(&self) -> Result<&tokio::runtime::Runtime, CliError> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        let runtime = live::runtime()?;
        Ok(self.runtime.get_or_init(|| runtime))
    }

    /// A path relative to the current folder made absolute.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        }
    }
}
