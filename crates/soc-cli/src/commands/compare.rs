//! What `diff`, `check` and `demo` share: loading sides and comparing pairs (the report goes out
//! through [`outputs`](super::outputs)).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use soc_diff::render::Format;
use soc_diff::{DiffOptions, Entry, Filters, PairReport, Profile, Report};
use soc_store::ScratchEntries;

use crate::Context;
use crate::cli::{FilterArgs, ReportFormat};
use crate::commands::outputs::pair_error;
use crate::config::Config;
use crate::error::CliError;
use crate::live;
use crate::secrets;
use crate::side::{self, Selector, Side};

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Junit => Format::Junit,
        }
    }
}

/// Loads sides under one config and profile; a live environment is exported once per run even
/// when several pairs name it.
pub struct Loader<'a> {
    ctx: &'a Context<'a>,
    config: &'a Config,
    profile: &'a Profile,
    filters: &'a Filters,
    live: RefCell<BTreeMap<String, ScratchEntries>>,
}

impl<'a> Loader<'a> {
    /// A loader for one run, comparing the workflows `filters` selects.
    pub fn new(
        ctx: &'a Context<'a>,
        config: &'a Config,
        profile: &'a Profile,
        filters: &'a Filters,
    ) -> Self {
        Loader {
            ctx,
            config,
            profile,
            filters,
            live: RefCell::new(BTreeMap::new()),
        }
    }

    /// Loads one side as diff entries.
    pub fn load(&self, side: &Side) -> Result<Vec<Entry>, CliError> {
        match side {
            // Paths stay as given (relative to the current folder) so messages show what was typed.
            Side::Path(path) => load_path(path, self.profile),
            Side::Env {
                env,
                selector: Selector::Live,
            } => {
                if let Some(cached) = self.live.borrow().get(env) {
                    return Ok(cached.entries());
                }
                let scratch = live_scratch(self.ctx, self.config, env, self.profile)?;
                let entries = scratch.entries();
                self.live.borrow_mut().insert(env.clone(), scratch);
                Ok(entries)
            }
            Side::Env {
                env,
                selector: Selector::Stored(selector),
            } => {
                let store = self.ctx.existing_store(self.config)?;
                let snapshot = store.resolve(env, selector)?;
                tracing::info!(env, snapshot = %snapshot.id(), "comparing a stored snapshot");
                Ok(snapshot.entries_under(self.profile)?)
            }
        }
    }

    /// Diffs two sides under the config's accept rules.
    pub fn diff(&self, left: &Side, right: &Side) -> Result<Report, CliError> {
        let left_entries = self.load(left)?;
        let right_entries = self.load(right)?;
        diff_entries(
            left_entries,
            right_entries,
            (left.label(), right.label()),
            self.config,
            self.profile,
            self.filters,
        )
    }

    /// Compares each pair in order. A pair that fails is reported (on stderr now, in the report
    /// as an error pair) and does not stop the others.
    pub fn compare_pairs(&self, pairs: &[(String, String)]) -> Vec<PairReport> {
        pairs
            .iter()
            .map(|(left, right)| {
                let started = Instant::now();
                let result = side::resolve(left, self.config, &self.ctx.cwd)
                    .and_then(|l| Ok((l, side::resolve(right, self.config, &self.ctx.cwd)?)))
                    .map_err(CliError::from)
                    .and_then(|(l, r)| self.diff(&l, &r));
                let mut pair = match result {
                    Ok(report) => PairReport::Compared(report),
                    Err(err) => {
                        // The report names the pair already; stderr says which one failed.
                        let error = pair_error(&err);
                        let err = err.within(format!("cannot compare {left} with {right}"));
                        self.ctx.printer.error(&err);
                        PairReport::failed(left, right, error)
                    }
                };
                pair.set_seconds(started.elapsed().as_secs_f64());
                pair
            })
            .collect()
    }
}

/// The filters of the command line, on top of `base` (the config's, for `check`).
pub fn filters(base: &Filters, args: &FilterArgs) -> Filters {
    let mut filters = base.clone();
    filters.workflow.extend(args.workflow.iter().cloned());
    filters.exclude.extend(args.exclude.iter().cloned());
    filters
}

/// Exports a configured environment and normalizes each workflow as it arrives into a scratch
/// pack on disk: a live side holds in memory only the workflows being normalized, and the diff
/// reads back only those whose hashes differ from the other side's.
fn live_scratch(
    ctx: &Context<'_>,
    config: &Config,
    env: &str,
    profile: &Profile,
) -> Result<ScratchEntries, CliError> {
    let runtime = ctx.runtime()?;
    let env_config = config.env(env)?;
    let client = live::client(env, env_config, &secrets::process_env)?;
    let scratch = soc_store::Scratch::new(None, profile)?;
    live::export_each(runtime, ctx.printer, &client, env, env_config, &|(
        info,
        export,
    )| {
        let source = format!("{env}@live/{}", info.id());
        for document in soc_diff::decode_export(&source, &export.bytes, profile)? {
            scratch.add_normalized(profile.normalize(&document))?;
        }
        Ok(())
    })?;
    Ok(scratch.finish()?)
}

/// A snapshot (a store-v1 snapshot folder, or a store-v2 manifest file inside its store), or a
/// file or folder of export files, decoded and normalized.
pub fn load_path(path: &Path, profile: &Profile) -> Result<Vec<Entry>, CliError> {
    if !path.exists() {
        return Err(CliError::msg(format!("{} does not exist", path.display())));
    }
    if soc_store::Snapshot::is_snapshot_path(path) {
        return Ok(soc_store::Snapshot::open(path)?.entries_under(profile)?);
    }
    let normalized = soc_diff::decode::load_path_normalized(path, profile)?;
    tracing::info!(path = %path.display(), workflows = normalized.len(), "loaded export files");
    Ok(normalized.into_iter().map(Entry::Loaded).collect())
}

/// Diffs two sets of entries under the config's accept rules.
pub fn diff_entries(
    left: Vec<Entry>,
    right: Vec<Entry>,
    labels: (String, String),
    config: &Config,
    profile: &Profile,
    filters: &Filters,
) -> Result<Report, CliError> {
    let options = DiffOptions {
        left_label: labels.0,
        right_label: labels.1,
        accept: config.accept_rules(),
        today: today(),
        context_lines: 3,
        filters: filters.clone(),
    };
    Ok(soc_diff::diff(left, right, profile, &options)?)
}

/// Today's date (UTC) for accept-rule expiry.
pub fn today() -> String {
    super::outputs::in_days(0)
}
