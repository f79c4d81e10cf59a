//! What `diff`, `check` and `demo` share: loading sides and comparing pairs (the report goes out
//! through [`outputs`](super::outputs)).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use soc_diff::render::Format;
use soc_diff::report::ChangeClass;
use soc_diff::{DiffOptions, Filters, PairReport, Report};
use soc_model::DocumentSource;
use soc_normalize::{Entry, Kind, Normalized, Profile, SideEntries};
use soc_store::ScratchEntries;

use crate::Context;
use crate::cli::{ClassArg, FilterArgs, ReportFormat};
use crate::commands::drawing::{self, Source};
use crate::commands::outputs::pair_error;
use crate::config::Config;
use crate::error::CliError;
use crate::live::{self, Exported};
use crate::secrets;
use crate::side::{self, Selector, Side};

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Junit => Format::Junit,
            ReportFormat::Html => Format::Html,
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
    live: RefCell<BTreeMap<String, LiveSide>>,
    /// Whether reports get their canvases drawn (see [`drawing`]).
    draw: bool,
}

/// One side, loaded for a comparison.
pub struct LoadedSide {
    /// Its diff entries, of both kinds.
    pub entries: SideEntries,
    /// The API its documents came from, when that is known (a live side; a snapshot that
    /// recorded it).
    pub source: Option<DocumentSource>,
    /// The stored snapshot it was read from, kept so that drawing reads the very snapshot that
    /// was compared (a snapshot landing meanwhile must not be drawn instead).
    snapshot: Option<soc_store::Snapshot>,
}

impl LoadedSide {
    fn from_snapshot(snapshot: soc_store::Snapshot, profile: &Profile) -> Result<Self, CliError> {
        Ok(Self {
            entries: snapshot.side_entries(profile)?,
            source: snapshot.manifest().source.api_source,
            snapshot: Some(snapshot),
        })
    }
}

/// A live environment exported in this run: its documents normalized into a scratch pack (kept for
/// the pairs of a run that name it again), the API they came from, and (only when drawing) the
/// workflow exports themselves.
struct LiveSide {
    scratch: ScratchEntries,
    source: DocumentSource,
    exports: Rc<Vec<Exported>>,
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
            draw: false,
        }
    }

    /// Draws each report's workflows after comparing them, for the formats that draw.
    #[must_use]
    pub fn drawing(mut self, draw: bool) -> Self {
        self.draw = draw;
        self
    }

    /// Loads one side as diff entries of both kinds, with where they came from.
    pub fn load(&self, side: &Side) -> Result<LoadedSide, CliError> {
        match side {
            // Paths stay as given (relative to the current folder) so messages show what was typed.
            Side::Path(path) => load_path(path, self.profile),
            Side::Env {
                env,
                selector: Selector::Live,
            } => {
                let loaded = |live: &LiveSide| LoadedSide {
                    entries: live.scratch.side_entries(),
                    source: Some(live.source),
                    snapshot: None,
                };
                if let Some(cached) = self.live.borrow().get(env) {
                    return Ok(loaded(cached));
                }
                let live = live_side(self.ctx, self.config, env, self.profile, self.draw)?;
                let side = loaded(&live);
                self.live.borrow_mut().insert(env.clone(), live);
                Ok(side)
            }
            Side::Env {
                env,
                selector: Selector::Stored(selector),
            } => {
                let store = self.ctx.existing_store(self.config)?;
                let snapshot = store.resolve(env, selector)?;
                tracing::info!(env, snapshot = %snapshot.id(), "comparing a stored snapshot");
                LoadedSide::from_snapshot(snapshot, self.profile)
            }
        }
    }

    /// Diffs two sides under the config's accept rules.
    pub fn diff(&self, left: &Side, right: &Side) -> Result<Report, CliError> {
        let (l, r) = (self.load(left)?, self.load(right)?);
        let sources = self.sources(&l.entries.workflows, &r.entries.workflows);
        let mut report = diff_entries(
            l.entries,
            r.entries,
            (left.label(), right.label()),
            self.config,
            self.profile,
            self.filters,
        )?;
        report.left_source = l.source;
        report.right_source = r.source;
        self.draw(
            &mut report,
            [(left, l.snapshot), (right, r.snapshot)],
            sources,
        );
        Ok(report)
    }

    /// Where each side's loaded documents came from, when drawing (see [`drawing::sources`]).
    fn sources(
        &self,
        left: &[Entry],
        right: &[Entry],
    ) -> (HashMap<String, String>, HashMap<String, String>) {
        if self.draw {
            (drawing::sources(left), drawing::sources(right))
        } else {
            Default::default()
        }
    }

    /// Fills in the report's canvases from the two sides' documents, when drawing.
    fn draw(
        &self,
        report: &mut Report,
        [(left, left_snapshot), (right, right_snapshot)]: [(&Side, Option<soc_store::Snapshot>); 2],
        (left_sources, right_sources): (HashMap<String, String>, HashMap<String, String>),
    ) {
        if self.draw {
            let mut l = self.source(left, left_snapshot, left_sources);
            let mut r = self.source(right, right_snapshot, right_sources);
            drawing::draw(report, &mut l, &mut r, self.profile);
        }
    }

    /// Where a side's documents are found again, for drawing: the snapshot it was loaded from,
    /// when it was read from one.
    fn source(
        &self,
        side: &Side,
        snapshot: Option<soc_store::Snapshot>,
        sources: HashMap<String, String>,
    ) -> Source {
        if let Some(snapshot) = snapshot {
            return Source::Snapshot(snapshot);
        }
        match side {
            Side::Path(path) => Source::exports(path.clone(), sources),
            Side::Env {
                env,
                selector: Selector::Live,
            } => self
                .live
                .borrow()
                .get(env)
                .map_or(Source::None, |live| Source::Live(Rc::clone(&live.exports))),
            // Loaded from a snapshot, which came with it.
            Side::Env {
                selector: Selector::Stored(_),
                ..
            } => Source::None,
        }
    }

    /// Compares each pair in order. A pair that fails is reported (on stderr now, in the report
    /// as an error pair) and does not stop the others.
    pub fn compare_pairs(&self, pairs: &[(String, String)]) -> Vec<PairReport> {
        pairs
            .iter()
            .map(|(left, right)| self.compare_pair(left, right))
            .collect()
    }

    /// Compares two sides given as arguments; a failure is an error pair.
    pub fn compare_pair(&self, left: &str, right: &str) -> PairReport {
        self.pair(left, right, || {
            let l = side::resolve(left, self.config, &self.ctx.cwd)?;
            let r = side::resolve(right, self.config, &self.ctx.cwd)?;
            self.diff(&l, &r)
        })
    }

    /// Compares LEFT and RIGHT with every difference classed against BASE (`diff --base`);
    /// only the classes in `fail_on` are drift.
    pub fn compare_three(
        &self,
        (left, right, base): (&str, &str, &str),
        fail_on: &[ChangeClass],
    ) -> PairReport {
        self.pair(left, right, || {
            let sides =
                [left, right, base].map(|arg| side::resolve(arg, self.config, &self.ctx.cwd));
            let [l, r, b] = sides;
            let (l, r, b) = (l?, r?, b?);
            let (left, right, base) = (self.load(&l)?, self.load(&r)?, self.load(&b)?);
            let sources = self.sources(&left.entries.workflows, &right.entries.workflows);
            let options = DiffOptions {
                base_label: b.label(),
                fail_on: fail_on.to_vec(),
                ..options((l.label(), r.label()), self.config, self.filters)
            };
            let mut report = soc_diff::diff_sides_three(
                left.entries,
                right.entries,
                base.entries,
                self.profile,
                &options,
                &self.config.playbook_accept_rules(),
            )?;
            report.left_source = left.source;
            report.right_source = right.source;
            self.draw(
                &mut report,
                [(&l, left.snapshot), (&r, right.snapshot)],
                sources,
            );
            Ok(report)
        })
    }

    /// Runs one pair's comparison, timed; a failure becomes an error pair (and is printed on
    /// stderr now, naming the pair).
    fn pair(
        &self,
        left: &str,
        right: &str,
        compare: impl FnOnce() -> Result<Report, CliError>,
    ) -> PairReport {
        let started = Instant::now();
        let mut pair = match compare() {
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
    }
}

impl From<ClassArg> for ChangeClass {
    fn from(class: ClassArg) -> Self {
        match class {
            ClassArg::Promote => ChangeClass::Promote,
            ClassArg::Drift => ChangeClass::Drift,
            ClassArg::Conflict => ChangeClass::Conflict,
        }
    }
}

/// The filters of the command line, on top of `base` (the config's, for `check`).
pub fn filters(base: &Filters, args: &FilterArgs) -> Filters {
    let mut filters = base.clone();
    filters.workflow.extend(args.workflow.iter().cloned());
    filters.playbook.extend(args.playbook.iter().cloned());
    filters.exclude.extend(args.exclude.iter().cloned());
    filters
}

/// Fetches a configured environment's workflows and normalizes each as it arrives into a scratch
/// pack on disk, then its playbooks: a live side holds in memory only the documents being
/// normalized, and the diff reads back only those whose hashes differ from the other side's.
fn live_side(
    ctx: &Context<'_>,
    config: &Config,
    env: &str,
    profile: &Profile,
    draw: bool,
) -> Result<LiveSide, CliError> {
    let runtime = ctx.runtime()?;
    let env_config = config.env(env)?;
    let client = live::client(env, env_config, &config.limits, &secrets::process_env)?;
    let scratch = soc_store::Scratch::new(None, profile)?;
    // The exports are kept only to draw from them later.
    let kept = std::sync::Mutex::new(Vec::new());
    let fetched = live::fetch_each(runtime, ctx.printer, &client, env, env_config, &|(
        info,
        export,
    )| {
        let source = format!("{env}@live/{}", info.id());
        for document in soc_normalize::decode_export(&source, &export.bytes, profile)? {
            scratch.add_normalized(Kind::Workflow, profile.normalize_owned(document))?;
        }
        if draw {
            kept.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((info, export));
        }
        Ok(())
    })?;
    let playbooks = live::fetch_playbooks(
        runtime,
        ctx.printer,
        &client,
        env,
        env_config,
        &fetched.names,
    )?;
    for (info, document) in &playbooks.playbooks {
        let source = format!("{env}@live/playbook/{}", info.id());
        for document in soc_normalize::decode_export(&source, &document.bytes, profile)? {
            if Kind::of(&document) != Kind::Playbook {
                return Err(CliError::msg(format!(
                    "{source}: a playbook document that reads as a workflow"
                )));
            }
            scratch.add_normalized(Kind::Playbook, profile.normalize_owned(document))?;
        }
    }
    Ok(LiveSide {
        scratch: scratch.finish()?,
        source: fetched.source.source,
        exports: Rc::new(
            kept.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ),
    })
}

/// A snapshot (a store-v1 snapshot folder, or a store-v2 manifest file inside its store), or a
/// file or folder of export files, decoded and normalized; with the API a snapshot's documents
/// came from, when it recorded it. A folder's playbooks are known when it holds playbook
/// documents or a `playbooks/` folder (as `socdrift export` writes it); otherwise they are not
/// compared.
pub fn load_path(path: &Path, profile: &Profile) -> Result<LoadedSide, CliError> {
    if !path.exists() {
        return Err(CliError::msg(format!("{} does not exist", path.display())));
    }
    if soc_store::Snapshot::is_snapshot_path(path) {
        return LoadedSide::from_snapshot(soc_store::Snapshot::open(path)?, profile);
    }
    let by_kind = soc_normalize::decode::load_path_by_kind(path, profile)?;
    tracing::info!(
        path = %path.display(),
        workflows = by_kind.workflows.len(),
        playbooks = by_kind.playbooks.len(),
        "loaded export files"
    );
    let loaded = |docs: Vec<Normalized>| docs.into_iter().map(Entry::Loaded).collect::<Vec<_>>();
    let knows_playbooks = !by_kind.playbooks.is_empty()
        || path
            .join(soc_normalize::decode::EXPORT_PLAYBOOKS_DIR)
            .is_dir();
    let entries = SideEntries {
        workflows: loaded(by_kind.workflows),
        playbooks: knows_playbooks.then(|| loaded(by_kind.playbooks)),
    };
    Ok(LoadedSide {
        entries,
        source: None,
        snapshot: None,
    })
}

/// Diffs two sides, kind by kind, under the config's accept rules.
pub fn diff_entries(
    left: SideEntries,
    right: SideEntries,
    labels: (String, String),
    config: &Config,
    profile: &Profile,
    filters: &Filters,
) -> Result<Report, CliError> {
    let options = options(labels, config, filters);
    Ok(soc_diff::diff_sides(
        left,
        right,
        profile,
        &options,
        &config.playbook_accept_rules(),
    )?)
}

/// How to compare two sides under the config's accept rules, as of today (UTC).
fn options(labels: (String, String), config: &Config, filters: &Filters) -> DiffOptions {
    DiffOptions {
        left_label: labels.0,
        right_label: labels.1,
        accept: config.accept_rules(),
        today: chrono::Utc::now().date_naive(),
        context_lines: 3,
        filters: filters.clone(),
        ..DiffOptions::default()
    }
}
