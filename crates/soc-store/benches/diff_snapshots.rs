//! Diffing two stored snapshots of 2,000 workflows with 2% changed, with and without the manifest
//! shortcut. Prints medians; run with `cargo bench -p soc-store`.
//!
//! - `manifest shortcut`: `Snapshot::entries()` on both sides, then `soc_diff::diff`: workflows with
//!   equal normalized hashes are never read.
//! - `all loaded`: `Snapshot::load_all()` on both sides (every normalized object read from its
//!   pack, decompressed, checked against its hash and validated), then `soc_diff::diff` over
//!   `Entry::Loaded`.
//!
//! Both include opening the snapshots (reading and checking the manifests). Environment variables:
//! `BENCH_WORKFLOWS` (default 2000), `BENCH_RUNS` (default 9), `BENCH_DRIFT` (default 0.02).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use soc_diff::DiffOptions;
use soc_normalize::{Entry, Profile};
use soc_sim::generate::{GenerateOptions, generate};
use soc_store::{CommitOutcome, IfUnchanged, Snapshot, SourceInfo, Store, WorkflowInput};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes a workspace as a snapshot; returns it with the time spent adding (decode, normalize,
/// compress, append to the packs, set aside for the view) and committing (packs synced and
/// published, manifest written and renamed, view updated).
fn store_workspace(
    store: &Store,
    env: &str,
    workspace: &soc_sim::Workspace,
) -> (Snapshot, Duration, Duration) {
    let profile = Profile::default();
    let writer = store
        .begin(
            env,
            SourceInfo::default(),
            &profile,
            Duration::from_secs(60),
        )
        .unwrap();
    let inputs: Vec<WorkflowInput> = workspace
        .workflows
        .iter()
        .map(|workflow| {
            let mut input =
                WorkflowInput::from_export(workflow.export_bytes().unwrap(), "export").unwrap();
            input.content_type = Some("application/octet-stream".to_owned());
            input
        })
        .collect();
    // Prepared on every core, recorded in order (`socdrift snapshot` adds from worker threads as
    // the exports arrive).
    let started = Instant::now();
    writer.add_all(inputs).unwrap();
    let adding = started.elapsed();
    let started = Instant::now();
    let snapshot = match writer.commit(IfUnchanged::Write).unwrap() {
        CommitOutcome::Written(snapshot) | CommitOutcome::Unchanged(snapshot) => snapshot,
    };
    (snapshot, adding, started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median times of the measured phases over the runs, and the workflows each way found changed.
struct Medians {
    opening: Duration,
    shortcut: Duration,
    loaded: Duration,
    changed: (usize, usize),
}

/// Opens and diffs the two snapshots `runs` times, each phase timed on its own: opening alone,
/// diffing through the manifest shortcut, diffing with every entry loaded.
fn measure(
    left_path: &std::path::Path,
    right_path: &std::path::Path,
    runs: usize,
    workflows: usize,
    profile: &Profile,
    options: &DiffOptions,
) -> Medians {
    let mut opening = Vec::new();
    let mut shortcut = Vec::new();
    let mut loaded = Vec::new();
    let mut changed = (0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        let (l, r) = (
            Snapshot::open(left_path).unwrap(),
            Snapshot::open(right_path).unwrap(),
        );
        assert_eq!(
            l.entries().unwrap().len() + r.entries().unwrap().len(),
            2 * workflows
        );
        opening.push(started.elapsed());

        let started = Instant::now();
        let (l, r) = (
            Snapshot::open(left_path).unwrap(),
            Snapshot::open(right_path).unwrap(),
        );
        let report =
            soc_diff::diff(l.entries().unwrap(), r.entries().unwrap(), profile, options).unwrap();
        shortcut.push(started.elapsed());
        changed.0 = report.workflows.iter().filter(|w| w.differs()).count();

        let started = Instant::now();
        let (l, r) = (
            Snapshot::open(left_path).unwrap(),
            Snapshot::open(right_path).unwrap(),
        );
        let all = |s: &Snapshot| -> Vec<Entry> {
            s.load_all()
                .unwrap()
                .into_iter()
                .map(Entry::Loaded)
                .collect()
        };
        let report = soc_diff::diff(all(&l), all(&r), profile, options).unwrap();
        loaded.push(started.elapsed());
        changed.1 = report.workflows.iter().filter(|w| w.differs()).count();
    }
    Medians {
        opening: median(opening),
        shortcut: median(shortcut),
        loaded: median(loaded),
        changed,
    }
}

fn main() {
    let workflows: usize = env_or("BENCH_WORKFLOWS", 2000);
    let runs: usize = env_or("BENCH_RUNS", 9);
    let drift: f64 = env_or("BENCH_DRIFT", 0.02);
    let (base, drifted) = generate(&GenerateOptions {
        workflows,
        drift_rate: drift,
        ..GenerateOptions::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let (left, left_add, left_commit) = store_workspace(&store, "staging", &base);
    let (right, right_add, right_commit) = store_workspace(&store, "production", &drifted);
    let bytes: u64 = [&left, &right]
        .iter()
        .flat_map(|s| s.manifest().workflows.iter())
        .map(|w| w.normalized_size)
        .sum();
    println!(
        "soc-store bench: {workflows} workflows per side, drift rate {drift}, {runs} runs; \
         normalized texts {:.1} MiB in all",
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "writing a snapshot: add (decode, normalize, compress, write) {left_add:.2?} / \
         {right_add:.2?}, commit (publish packs, manifest, view) {left_commit:.2?} / \
         {right_commit:.2?}"
    );

    let profile = Profile::default();
    let options = DiffOptions {
        left_label: "staging".to_owned(),
        right_label: "production".to_owned(),
        ..DiffOptions::default()
    };
    let (left_path, right_path) = (left.path(), right.path());

    let Medians {
        opening,
        shortcut,
        loaded,
        changed,
    } = measure(left_path, right_path, runs, workflows, &profile, &options);
    assert_eq!(changed.0, changed.1, "both ways must find the same changes");
    println!(
        "opening both snapshots (manifests read and checked, entries made): median {opening:.2?}"
    );
    println!(
        "diff with manifest shortcut: median {shortcut:.2?} ({} workflows differ)",
        changed.0
    );
    println!("diff with all entries loaded: median {loaded:.2?}");
    println!(
        "ratio (all loaded / shortcut): {:.1}x",
        loaded.as_secs_f64() / shortcut.as_secs_f64()
    );
}
