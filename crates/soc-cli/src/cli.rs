//! The command line, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::{DIFF_EXIT_CODES_HELP, EXIT_CODES_HELP};
use crate::printer::ColorChoice;

/// socdrift: catch drift in Huawei Cloud SecMaster SOAR workflows between workspaces.
///
/// Snapshots the workflows and playbooks of each environment (staging, production, …), compares
/// them after normalizing away ids, timestamps, creators and canvas layout, and reports what
/// really differs.
/// Try `socdrift demo`: it needs no config, no network and no credentials.
#[derive(Debug, Parser)]
#[command(
    name = "socdrift",
    version,
    propagate_version = true,
    after_help = EXIT_CODES_HELP,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The config file (default: socdrift.toml in this folder or the nearest parent).
    #[arg(long, global = true, env = "SOCDRIFT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The snapshot store folder (default: `[store] path` of the config, else .socdrift beside it).
    #[arg(long, global = true, env = "SOCDRIFT_STORE", value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// When to colour output: auto colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print only errors on stderr (no progress, no status lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline against a built-in emulator: no config, network or credentials.
    ///
    /// Starts the SecMaster emulator on loopback with the bundled staging and production
    /// workspaces, snapshots both into a temporary store through the real API client, and prints
    /// the drift report between them. Drift is the expected outcome, so the demo exits 0 when it
    /// ran (2 on error).
    #[command(
        after_help = "Exit codes:\n  0  the demo ran (it finds drift on purpose)\n  2  error"
    )]
    Demo(DemoArgs),

    /// Run the SecMaster emulator (soc-sim) until Ctrl-C or SIGTERM.
    ///
    /// Prints its banner (address, project, workspaces) on stdout, then serves the IAM and
    /// SecMaster workflow APIs with the bundled workspaces or those in --fixtures.
    #[command(after_help = "Exit codes:\n  0  stopped by Ctrl-C or SIGTERM\n  2  error")]
    Sim(Box<SimArgs>),

    /// Export an environment's workflows as raw export files into a folder.
    ///
    /// One file per workflow, named after the workflow (made safe for every OS), and one playbook
    /// document per playbook in its `playbooks/` folder. Refuses to write into a folder that is
    /// not empty unless --force, which replaces files of the same name and leaves other files
    /// alone.
    #[command(after_help = "Exit codes:\n  0  exported\n  2  error")]
    Export(ExportArgs),

    /// Export environments into the snapshot store.
    ///
    /// Each workflow is normalized, hashed and stored as it arrives; only what no earlier
    /// snapshot holds is written. With --commit, the store's committed part is committed to the
    /// git repository that holds it; with --push, also pushed, rebasing onto what other runners
    /// pushed meanwhile (see docs/ci.md).
    #[command(
        after_help = "Exit codes:\n  0  snapshot written (or skipped as unchanged), and committed or pushed when asked\n  2  error"
    )]
    Snapshot(SnapshotArgs),

    /// Compare two sides and print the drift report.
    ///
    /// A side is a path (a folder of export files, a snapshot folder, or one export file) or
    /// ENV@SELECTOR for an environment of the config, where SELECTOR is `latest` (the default when
    /// `@…` is left out), `live` (export now, store nothing), `~N` (the N-th snapshot before
    /// latest), a tag (see `socdrift tag`) or a snapshot id. An argument with a `/` is always a
    /// path; otherwise a configured environment name wins over a file of the same name (write
    /// ./NAME for the file).
    ///
    /// With --base, every difference is classed against the base: promote (LEFT changed it since
    /// the base), drift (RIGHT changed it: promoting LEFT would overwrite it) or conflict (both
    /// changed it, differently), e.g. socdrift diff staging@live production@live --base
    /// production@promoted.
    #[command(after_help = DIFF_EXIT_CODES_HELP)]
    Diff(DiffArgs),

    /// The CI gate: compare the configured pairs and write reports for CI.
    ///
    /// Without arguments, compares the pairs of `[check]` in the config, or else, for every
    /// environment, its latest snapshot against the live workspace (ENV@latest ENV@live). Appends
    /// the Markdown report to $GITHUB_STEP_SUMMARY when it is set. Only ever calls read endpoints
    /// of SecMaster (and the workflow export).
    #[command(after_help = EXIT_CODES_HELP)]
    Check(CheckArgs),

    /// A read-only first contact with a workspace: what each API socdrift uses answered.
    ///
    /// Calls once each endpoint socdrift uses (the workspaces list, one page of workflows, one
    /// workflow's versions, one version, one export, one page of playbooks, one playbook's
    /// versions, its active version, that version's rule and actions) and reports per call: HTTP status, content
    /// type and disposition, the format of the body, its size, the top-level fields seen against
    /// those socdrift expects, and the request id; then what to do. --out writes a redacted sample
    /// of every answer (structure kept, no names, ids or values) to attach to a bug report.
    #[command(
        after_help = "Exit codes:\n  0  everything socdrift needs works\n  2  something it needs does not, or error"
    )]
    Probe(ProbeArgs),

    /// Check the store's integrity and that every stored export decodes.
    ///
    /// Recomputes every hash, then checks each export: it decodes, its taskflow decodes, and every
    /// BPMN sequence flow refers to elements that exist.
    #[command(
        after_help = "Exit codes:\n  0  everything checked is sound\n  2  problems found, or error"
    )]
    Verify(VerifyArgs),

    /// List an environment's snapshots, newest first.
    #[command(after_help = "Exit codes:\n  0  listed\n  2  error")]
    Log(LogArgs),

    /// Name a snapshot (`promoted`, `release-42`), list an environment's tags, or delete one.
    ///
    /// socdrift tag ENV NAME [SNAPSHOT] points NAME at SNAPSHOT (latest by default; any selector
    /// but live), moving the tag if it exists; ENV@NAME then selects that snapshot, e.g. after a
    /// release: socdrift tag production promoted. socdrift tag ENV lists the tags; --delete NAME
    /// removes one. Pruning keeps tagged snapshots.
    #[command(after_help = "Exit codes:\n  0  done\n  2  error")]
    Tag(TagArgs),

    /// Delete old snapshots (never the latest nor a tagged one) and what only they held.
    #[command(after_help = "Exit codes:\n  0  pruned (or nothing to prune)\n  2  error")]
    Prune(PruneArgs),

    /// Move a store written by an older socdrift (store-v1) into store-v2.
    ///
    /// Every snapshot keeps its time; its old id still selects it. Safe to interrupt: run it
    /// again to carry on. Afterwards store-v1/ and raw-v1/ are gone.
    #[command(after_help = "Exit codes:\n  0  migrated (or nothing to migrate)\n  2  error")]
    Migrate(MigrateArgs),

    /// Rewrite the readable view of the latest snapshots (what git diff shows).
    ///
    /// The view is store-v2/view/ENV/workflows/*.json and store-v2/view/ENV/playbooks/*.json.
    /// Every snapshot updates its environment's view; this repairs a view edited by hand or left
    /// behind by a merge of snapshots taken elsewhere.
    #[command(after_help = "Exit codes:\n  0  written\n  2  error")]
    View(ViewArgs),

    /// Print the canonical normalized text of each workflow in an export file.
    ///
    /// Usable as a git textconv driver, so `git diff` of committed exports shows what matters:
    ///   git config diff.socdrift.textconv "socdrift normalize"
    ///   echo '*.json diff=socdrift' >> .gitattributes
    #[command(after_help = "Exit codes:\n  0  printed\n  2  error")]
    Normalize(NormalizeArgs),

    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  socdrift completions bash > ~/.local/share/bash-completion/completions/socdrift\n\nExit codes:\n  0  printed\n  2  error"
    )]
    Completions(CompletionsArgs),
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ReportFormat {
    /// Human text, git-like.
    #[default]
    Text,
    /// The JSON report (schema in docs/report-schema.md).
    Json,
    /// Markdown for pull requests and step summaries.
    Markdown,
    /// JUnit XML for CI test reports.
    Junit,
    /// The review page: one self-contained HTML file that draws each changed workflow.
    Html,
}

/// Report options shared by `diff`, `check` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Report format on stdout (and in --output-file); `--format` is an old spelling.
    #[arg(
        short = 'o',
        long = "output",
        alias = "format",
        value_enum,
        default_value_t,
        value_name = "FORMAT"
    )]
    pub format: ReportFormat,

    /// Print only the summary, not each change.
    #[arg(long)]
    pub stat: bool,

    /// Compare canvas layout (BPMN diagram coordinates) too; by default a layout-only change is
    /// not drift.
    #[arg(long)]
    pub keep_layout: bool,
}

/// Which workflows and playbooks `diff` and `check` compare (by name, on both sides).
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Compare only workflows whose name matches this glob (`*` matches any run of characters;
    /// repeatable; `check` adds them to `[check] workflow`).
    #[arg(long = "workflow", value_name = "GLOB")]
    pub workflow: Vec<String>,

    /// Compare only playbooks whose name matches this glob (repeatable; `check` adds them to
    /// `[check] playbook`). Naming workflows only compares no playbook, and the reverse.
    #[arg(long = "playbook", value_name = "GLOB")]
    pub playbook: Vec<String>,

    /// Leave out workflows and playbooks whose name matches this glob (repeatable; `check` adds
    /// them to `[check] exclude`).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
}

/// A text or JSON listing, for `log` and `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ListFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON document for tools.
    Json,
}

/// `-o text|json` of `log` and `verify`.
#[derive(Debug, Clone, Copy, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        default_value_t,
        value_name = "FORMAT"
    )]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// A folder of workspaces (`DIR/NAME/workspace.json` and `workflows/*.json`); default: the
    /// bundled staging and production workspaces.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,

    /// Address to listen on (default: 127.0.0.1 with a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// Access key the emulator accepts (default: SIMACCESSKEY0000000).
    #[arg(long, value_name = "AK")]
    pub ak: Option<String>,

    /// Secret key the emulator accepts (default: sim-secret-key; a test value, not a real secret).
    #[arg(long, value_name = "SK")]
    pub sk: Option<String>,

    /// Make the access key temporary: requests must carry this X-Security-Token.
    #[arg(long, value_name = "TOKEN")]
    pub security_token: Option<String>,

    /// Project id in every path (default: the fixtures' project id).
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,

    /// Project name, i.e. the region id (default: ap-southeast-1).
    #[arg(long, value_name = "NAME")]
    pub project_name: Option<String>,

    /// IAM user name for password auth (default: sim-user).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// IAM password for password auth (default: sim-password; a test value).
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,

    /// IAM account (domain) name for password auth (default: sim-domain).
    #[arg(long, value_name = "NAME")]
    pub domain: Option<String>,

    /// Issued IAM tokens expire after this long (default: 24h).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub token_ttl: Option<std::time::Duration>,

    /// Issued IAM tokens expire after this many requests.
    #[arg(long, value_name = "N")]
    pub token_max_uses: Option<u64>,

    /// Largest accepted X-Sdk-Date difference from the emulator's clock (default: 15m).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_clock_skew: Option<std::time::Duration>,

    /// The export file format.
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub export_format: SimExportFormat,

    /// Fixed latency added to every response (e.g. 50ms).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub latency: Option<std::time::Duration>,

    /// Random extra latency, up to this much.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub jitter: Option<std::time::Duration>,

    /// Requests allowed per access key or token, as N per second or N/DURATION (e.g. 20/1m);
    /// more get 429 APIGW.0308 with Retry-After.
    #[arg(long, value_name = "N[/DURATION]", value_parser = parse_rate_limit)]
    pub rate_limit: Option<(u32, std::time::Duration)>,

    /// Share of requests answered with a random 500, 502 or 503 (0 to 1).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub error_rate: Option<f64>,

    /// Share of responses whose connection is dropped mid-body (0 to 1).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub drop_rate: Option<f64>,

    /// Share of responses cut short of their Content-Length (0 to 1).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub truncate_rate: Option<f64>,

    /// Share of responses answered 200 with malformed JSON (0 to 1).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub malformed_rate: Option<f64>,

    /// Limit the rate-based faults to requests of this kind (repeatable): iam-token,
    /// iam-projects, list-workspaces, list-workflows, show-workflow, list-versions, show-version,
    /// export, import, list-playbooks, list-playbook-versions, show-playbook-version,
    /// show-playbook-rule, list-playbook-actions.
    #[arg(long = "fault-only", value_name = "KIND")]
    pub fault_only: Vec<String>,

    /// Limit the rate-based faults to the first K selected requests.
    #[arg(long, value_name = "K")]
    pub fault_first: Option<u64>,

    /// Seed of the fault decisions (faults are deterministic under it).
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,

    /// Answer every export request this way instead: secmaster-envelope or gateway-envelope (200
    /// with an error envelope), route-missing (404 APIGW.0101), empty, html, no-workflow or
    /// binary (200 with such a body).
    #[arg(long, value_name = "KIND")]
    pub export_fault: Option<String>,

    /// Make the workflow and playbook lists' `total` claim N more items than their pages hold.
    #[arg(long, value_name = "N")]
    pub list_total_surplus: Option<u64>,

    /// Leave `taskflow` and `taskconfig` out of the versions list (showing a version still has
    /// them).
    #[arg(long)]
    pub versions_without_content: bool,

    /// Leave `rules` and `actions` out of a shown playbook version, so clients must read them
    /// from the deprecated rule and actions endpoints.
    #[arg(long)]
    pub playbook_details_separate: bool,
}

/// The emulator's export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SimExportFormat {
    /// One JSON object per workflow, a JSON array for several.
    #[default]
    Json,
    /// A ZIP with one `<workflow id>.json` member per workflow.
    Zip,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(format!("`{text}` is not a number from 0 to 1")),
    }
}

fn parse_rate_limit(text: &str) -> Result<(u32, std::time::Duration), String> {
    let (count, per) = match text.split_once('/') {
        Some((count, per)) => (
            count,
            humantime::parse_duration(per).map_err(|e| format!("`{per}`: {e}"))?,
        ),
        None => (text, std::time::Duration::from_secs(1)),
    };
    match count.parse::<u32>() {
        Ok(n) if n > 0 && !per.is_zero() => Ok((n, per)),
        _ => Err(format!("`{text}` is not N or N/DURATION with N at least 1")),
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The environment (an [env.NAME] of the config).
    #[arg(long, value_name = "NAME", add = env_names())]
    pub env: String,

    /// The folder to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Export only workflows with this exact name (repeatable); then no playbook is written.
    #[arg(long = "workflow", value_name = "NAME")]
    pub workflows: Vec<String>,

    /// Write into a non-empty folder, replacing files of the same name.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The environments to snapshot (repeatable).
    #[arg(
        long = "env",
        value_name = "NAME",
        required_unless_present = "all",
        add = env_names()
    )]
    pub envs: Vec<String>,

    /// Snapshot every configured environment.
    #[arg(long, conflicts_with = "envs")]
    pub all: bool,

    /// Do not write a snapshot identical to the latest one.
    #[arg(long)]
    pub skip_unchanged: bool,

    /// Commit the store's committed part (store-v2/) to the git repository that holds it.
    #[arg(long)]
    pub commit: bool,

    /// Commit, then push; when another runner pushed first, rebase onto its commits (rewriting
    /// the view) and push again, a few times.
    #[arg(long)]
    pub push: bool,

    /// The remote to push to (default: the current branch's upstream remote, else origin).
    #[arg(long, value_name = "NAME", requires = "push")]
    pub remote: Option<String>,

    /// The branch to push to (default: the current branch's upstream, else the current branch;
    /// needed on a detached HEAD).
    #[arg(long, value_name = "NAME", requires = "push")]
    pub branch: Option<String>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {}

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Only this environment (default: every environment with snapshots).
    #[arg(long, value_name = "NAME", add = env_names())]
    pub env: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The left side (the reference, e.g. staging).
    #[arg(value_name = "LEFT", add = side_names())]
    pub left: String,

    /// The right side (e.g. production).
    #[arg(value_name = "RIGHT", add = side_names())]
    pub right: String,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub filters: FilterArgs,

    /// Write the report to this file (replaced atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Class every difference against this side (e.g. production@promoted): promote, drift or
    /// conflict.
    #[arg(long, value_name = "BASE", add = side_names())]
    pub base: Option<String>,

    /// With --base: the classes that are drift (fail the run with exit 1), comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        requires = "base",
        default_values_t = [ClassArg::Drift, ClassArg::Conflict],
        value_name = "CLASSES"
    )]
    pub fail_on: Vec<ClassArg>,
}

/// A class of difference in a three-way comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClassArg {
    /// Changed on the left side since the base.
    Promote,
    /// Changed on the right side since the base.
    Drift,
    /// Changed on both sides since the base, differently.
    Conflict,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The environment.
    #[arg(value_name = "ENV", add = env_names())]
    pub env: String,

    /// The tag: lowercase letters, digits, `-` and `_`, starting with a letter. Without it, the
    /// environment's tags are listed.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// The snapshot to name: `latest` (the default), `~N`, another tag, or an id.
    #[arg(value_name = "SNAPSHOT", requires = "name", conflicts_with = "delete")]
    pub snapshot: Option<String>,

    /// Delete the tag NAME (its snapshot stays).
    #[arg(long, requires = "name")]
    pub delete: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The left side; with RIGHT, checks this one pair instead of the configured ones.
    #[arg(value_name = "LEFT", requires = "right", add = side_names())]
    pub left: Option<String>,

    /// The right side.
    #[arg(value_name = "RIGHT", add = side_names())]
    pub right: Option<String>,

    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub filters: FilterArgs,

    /// Write the JSON report of every pair to this file (one document; `--report` is an old
    /// spelling).
    #[arg(long = "report-file", alias = "report", value_name = "FILE")]
    pub report_file: Option<PathBuf>,

    /// Write the JUnit XML report to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write the Markdown report to this file (e.g. for a merge-request comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,

    /// Write the review page to this file: one self-contained HTML file that draws each changed
    /// workflow's canvas (e.g. for a CI artifact).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The environment (an [env.NAME] of the config).
    #[arg(long, value_name = "NAME")]
    pub env: String,

    /// Write a redacted sample of every answer to this file (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// The report's format on stdout.
    #[arg(short = 'o', long = "format", value_enum, default_value_t)]
    pub format: ProbeFormat,
}

/// How `probe` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ProbeFormat {
    /// For people.
    #[default]
    Text,
    /// `{"ok": bool, "source", "calls": [{"name", "status", ...}], "advice"}`.
    Json,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// ENV, ENV@SELECTOR or a snapshot folder; default: every snapshot in the store.
    #[arg(value_name = "TARGET", add = side_names())]
    pub target: Option<String>,

    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// The environment.
    #[arg(value_name = "ENV", add = env_names())]
    pub env: String,

    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The environment.
    #[arg(value_name = "ENV", add = env_names())]
    pub env: String,

    /// List the snapshots that would be deleted, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// How many of the newest snapshots to keep (at least 1: the latest is never deleted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep: u64,

    /// Only delete snapshots older than this (e.g. 30d, 12h).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub older_than: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// An export file (JSON or ZIP).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Keep canvas layout in the output.
    #[arg(long)]
    pub keep_layout: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_name = "SHELL")]
    pub shell: String,
}

/// Completes the environment names of the config instead of file names: the shell asks socdrift
/// itself while the user types (see `socdrift completions`).
fn env_names() -> clap_complete::engine::ArgValueCandidates {
    clap_complete::engine::ArgValueCandidates::new(crate::completion::environments)
}

/// Completes a side: each environment as `NAME`, `NAME@latest` and `NAME@live`.
fn side_names() -> clap_complete::engine::ArgValueCandidates {
    clap_complete::engine::ArgValueCandidates::new(crate::completion::sides)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_documents_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("0  no drift"), "{help}");
        assert!(help.contains("1  drift found"));
        assert!(help.contains("2  error"));
    }

    #[test]
    fn every_command_documents_its_exit_codes() {
        let mut cli = Cli::command();
        for sub in cli.get_subcommands_mut() {
            if sub.get_name() == "help" {
                continue;
            }
            let help = sub.render_long_help().to_string();
            assert!(help.contains("Exit codes:"), "{}", sub.get_name());
        }
    }

    #[test]
    fn check_takes_both_sides_or_none() {
        assert!(Cli::try_parse_from(["socdrift", "check"]).is_ok());
        assert!(Cli::try_parse_from(["socdrift", "check", "a", "b"]).is_ok());
        assert!(Cli::try_parse_from(["socdrift", "check", "a"]).is_err());
    }

    #[test]
    fn sim_rates_and_limits_are_checked() {
        assert_eq!(parse_rate("0.25"), Ok(0.25));
        assert!(parse_rate("1.5").is_err() && parse_rate("x").is_err());
        assert_eq!(
            parse_rate_limit("20"),
            Ok((20, std::time::Duration::from_secs(1)))
        );
        assert_eq!(
            parse_rate_limit("20/1m"),
            Ok((20, std::time::Duration::from_secs(60)))
        );
        assert!(parse_rate_limit("0").is_err() && parse_rate_limit("5/x").is_err());
    }

    #[test]
    fn prune_keeps_at_least_one() {
        assert!(Cli::try_parse_from(["socdrift", "prune", "s", "--keep", "0"]).is_err());
        let cli = Cli::try_parse_from([
            "socdrift",
            "prune",
            "s",
            "--keep",
            "2",
            "--older-than",
            "30d",
        ])
        .unwrap();
        let Command::Prune(args) = cli.command else {
            panic!("not prune")
        };
        assert_eq!(
            args.older_than,
            Some(std::time::Duration::from_secs(30 * 86400))
        );
    }
}
