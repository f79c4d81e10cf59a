//! Decoding and normalizing speed on generated SecMaster workspaces (`cargo bench -p soc-diff --bench normalize`).
//!
//! Prints the median of several runs for each case; numbers are noisy on a shared machine, so
//! compare medians, not single runs.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use soc_diff::{Profile, decode_export};
use soc_sim::generate::{GenerateOptions, generate};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn case(label: &str, workflows: usize, nodes: usize, runs: usize) {
    case_with(label, workflows, nodes, runs, &Profile::secmaster());
}

/// The same with the user's `[normalize] ignore` rules, which normalization also matches against
/// addresses (one more pass over each normalized document).
fn case_with(label: &str, workflows: usize, nodes: usize, runs: usize, profile: &Profile) {
    let (base, _) = generate(&GenerateOptions {
        workflows,
        nodes_per_workflow: nodes,
        seed: 1,
        drift_rate: 0.0,
    });
    let refs: Vec<_> = base.workflows.iter().collect();
    let bytes = soc_sim::export::export_json(&refs).unwrap();
    let docs = decode_export("bench.json", &bytes, profile).unwrap();

    let decode = time(runs, || {
        decode_export("bench.json", &bytes, profile).unwrap()
    });
    let normalize = time(runs, || {
        docs.iter()
            .map(|d| profile.normalize(d))
            .collect::<Vec<_>>()
    });
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{label:<28} {workflows:>5} workflows x {nodes:>5} nodes, {mb:>7.2} MB export: \
         decode median {:>8.1} ms, normalize median {:>8.1} ms ({:.1} MB/s end to end)",
        decode.as_secs_f64() * 1e3,
        normalize.as_secs_f64() * 1e3,
        mb / (decode + normalize).as_secs_f64(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` (or --all-targets) does not, and
    // gets a quick smoke run instead of minutes of unoptimized work.
    let quick = !std::env::args().any(|a| a == "--bench");
    if quick {
        case("smoke", 5, 10, 1);
        return;
    }
    case("typical workspace", 100, 20, 11);
    let with_rules = Profile::secmaster()
        .with_config(&soc_diff::ProfileConfig {
            ignore: vec![
                "/**/soar:timeout".into(),
                "/versions/*/taskconfig/timeout".into(),
            ],
            ..Default::default()
        })
        .unwrap();
    case_with("typical, 2 ignore rules", 100, 20, 11, &with_rules);
    case("large workspace", 500, 40, 5);
    case("one huge workflow", 1, 5000, 5);
}
