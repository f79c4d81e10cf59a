//! Normalize and diff throughput on two generated workspaces (`cargo bench -p soc-diff --bench diff`).
//!
//! Two sides of 2,000 realistic workflows (decoded taskflow of about 50 BPMN nodes each, 2% of them
//! drifted) as compact single-workflow export files, the bytes soc-sim serves. Reports the median of
//! several runs of: decode + normalize of both sides, the diff of everything loaded, the diff through
//! the store's hash shortcut (deferred entries), and rendering the text report; then the peak
//! resident memory (VmHWM). Throughput is MB of export bytes (both sides) per second.
//!
//! With `SOCDRIFT_BENCH_DIR=<dir>` it also writes the export files to `<dir>/staging/` and
//! `<dir>/production/`, so `scripts/bench-diff.sh` can time `jq -S . | diff -u` on the same bytes.
//! Only `cargo bench` (which passes `--bench`) runs the full size; run any other way (`cargo test
//! --benches`, `cargo test --all-targets`, or with `--quick`) it is a 20-workflow smoke run;
//! `SOCDRIFT_BENCH_WORKFLOWS=<n>` changes the number of workflows per side (for profiling).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use soc_diff::render::{Format, RenderOptions, render};
use soc_diff::{DiffOptions, diff};
use soc_normalize::{Entry, Normalized, Profile};
use soc_sim::generate::{GenerateOptions, generate};
use soc_sim::{Workspace, slug};

/// One side's export files: (file name, compact export bytes).
type Files = Vec<(String, Vec<u8>)>;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn export_files(ws: &Workspace) -> Files {
    ws.workflows
        .iter()
        .enumerate()
        .map(|(i, wf)| {
            (
                format!("{i:04}-{}.json", slug(&wf.info.name)),
                wf.export_bytes().unwrap(),
            )
        })
        .collect()
}

fn write_files(dir: &Path, files: &Files) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// As `socdrift` loads a folder or a live export: files decoded and normalized on every core
/// (`RAYON_NUM_THREADS=1` measures one core).
fn normalize_side(files: &Files, profile: &Profile) -> Vec<Normalized> {
    soc_normalize::decode::normalize_exports(files, profile).unwrap()
}

/// Entries as a snapshot store hands them over: hashes up front, content behind a loader (which
/// clones out of the shared copy; only changed workflows are ever loaded).
fn deferred(docs: &Arc<Vec<Normalized>>, profile_hash: &str) -> Vec<Entry> {
    (0..docs.len())
        .map(|i| {
            let doc = &docs[i];
            let docs = Arc::clone(docs);
            Entry::Deferred {
                name: doc.name.clone(),
                sha256: doc.sha256.clone(),
                layout_sha256: doc.layout_sha256.clone(),
                profile_hash: profile_hash.to_owned(),
                load: Box::new(move || Ok(docs[i].clone())),
            }
        })
        .collect()
}

/// Resets the peak resident set size so that it measures from here on (Linux >= 4.0); false if
/// that is not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident set size in MB, from /proc (Linux); `None` elsewhere.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

// Long on purpose: a benchmark reads as its script, one measured phase after the other, each
// printing its figures where it is measured.
fn main() {
    // `cargo test` runs harness-less benches with no arguments; only `cargo bench` says `--bench`.
    let args: Vec<String> = std::env::args().collect();
    let quick = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--quick");
    let (mut workflows, runs) = if quick { (20, 1) } else { (2000, 5) };
    // For profiling a smaller case: SOCDRIFT_BENCH_WORKFLOWS=200.
    if let Some(n) = std::env::var("SOCDRIFT_BENCH_WORKFLOWS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        workflows = n;
    }
    let opts = GenerateOptions {
        workflows,
        nodes_per_workflow: 50,
        seed: 1,
        drift_rate: 0.02,
    };
    let (base, drifted) = generate(&opts);
    let left_files = export_files(&base);
    let right_files = export_files(&drifted);
    drop((base, drifted));
    if let Some(dir) = std::env::var_os("SOCDRIFT_BENCH_DIR") {
        let dir = Path::new(&dir);
        write_files(&dir.join("staging"), &left_files);
        write_files(&dir.join("production"), &right_files);
    }
    let bytes: usize = left_files
        .iter()
        .chain(&right_files)
        .map(|(_, b)| b.len())
        .sum();
    let mb = bytes as f64 / 1e6;
    let profile = Profile::secmaster();
    let options = DiffOptions {
        left_label: "staging".into(),
        right_label: "production".into(),
        today: "2026-01-01".parse().unwrap(),
        ..DiffOptions::default()
    };

    // Measure the pipeline's memory, not the generator's.
    let peak_reset = reset_peak_rss();
    let hash = profile.hash();
    let (mut normalize_times, mut shortcut_times, mut diff_times) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut report = None;
    for _ in 0..runs {
        let start = Instant::now();
        let left = Arc::new(normalize_side(&left_files, &profile));
        let right = Arc::new(normalize_side(&right_files, &profile));
        normalize_times.push(start.elapsed());

        let (l, r) = (deferred(&left, &hash), deferred(&right, &hash));
        let start = Instant::now();
        black_box(diff(l, r, &profile, &options).unwrap());
        shortcut_times.push(start.elapsed());

        // The deferred entries are gone, so the documents move into loaded entries without a copy.
        let (left, right) = (
            Arc::into_inner(left).unwrap(),
            Arc::into_inner(right).unwrap(),
        );
        let (l, r): (Vec<Entry>, Vec<Entry>) = (
            left.into_iter().map(Entry::Loaded).collect(),
            right.into_iter().map(Entry::Loaded).collect(),
        );
        let start = Instant::now();
        report = Some(diff(l, r, &profile, &options).unwrap());
        diff_times.push(start.elapsed());
    }
    let report = report.unwrap();

    // The loaded diff consumes the documents, so its time includes freeing them; measure that
    // part alone once, to tell comparison cost from deallocation cost.
    let docs = (
        normalize_side(&left_files, &profile),
        normalize_side(&right_files, &profile),
    );
    let start = Instant::now();
    drop(black_box(docs));
    let free = start.elapsed();

    let mut render_times = Vec::new();
    let run = soc_diff::CheckReport::single(report.clone());
    for _ in 0..runs {
        let start = Instant::now();
        black_box(render(&run, Format::Text, &RenderOptions::default()));
        render_times.push(start.elapsed());
    }

    let normalize = median(normalize_times);
    let diff_all = median(diff_times);
    let shortcut = median(shortcut_times);
    let render_text = median(render_times);
    let s = &report.summary.total;
    println!(
        "{workflows} workflows per side x ~{} nodes, {:.1} MB of export bytes (both sides), median of {runs} runs",
        opts.nodes_per_workflow, mb
    );
    println!(
        "  report: {} modified, {} unchanged ({} layout only), {} changes",
        s.modified,
        s.unchanged,
        s.layout_only,
        report
            .workflows
            .iter()
            .map(|w| w.changes.len())
            .sum::<usize>()
    );
    let line = |what: &str, t: Duration| {
        println!(
            "  {what:<34} {:>9.1} ms  {:>8.1} MB/s",
            t.as_secs_f64() * 1e3,
            mb / t.as_secs_f64()
        );
    };
    line("decode + normalize (both sides)", normalize);
    line("diff, all entries loaded", diff_all);
    line("  of which freeing the documents", free);
    line("diff, deferred (store shortcut)", shortcut);
    line("render text report", render_text);
    line("normalize + diff", normalize + diff_all);
    let peak = peak_rss_mb();
    match peak {
        Some(peak) => println!(
            "  peak memory (VmHWM)                {peak:>9.0} MB{}",
            if peak_reset {
                " (from after generation: export bytes + normalize + diff)"
            } else {
                " (including the generator)"
            }
        ),
        None => println!("  peak memory (VmHWM)                unavailable on this platform"),
    }
    // One machine-readable line for scripts/bench-diff.sh.
    println!(
        "bench-diff: bytes={bytes} normalize_s={:.6} diff_s={:.6} free_s={:.6} total_s={:.6} peak_mb={:.0}",
        normalize.as_secs_f64(),
        diff_all.as_secs_f64(),
        free.as_secs_f64(),
        (normalize + diff_all).as_secs_f64(),
        peak.unwrap_or(0.0)
    );
}
