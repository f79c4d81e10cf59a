//! Generator and export-bytes timings; prints the median of several runs.
//!
//! `cargo bench -p soc-sim --bench generate`

use std::hint::black_box;
use std::time::{Duration, Instant};

use soc_sim::generate::{GenerateOptions, generate};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs.get(runs.len() / 2).copied().unwrap_or_default()
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let started = Instant::now();
                black_box(f());
                started.elapsed()
            })
            .collect(),
    )
}

#[allow(clippy::print_stdout)] // A benchmark program reports on stdout.
fn main() {
    for (workflows, nodes) in [(100, 20), (1000, 30), (200, 200)] {
        let opts = GenerateOptions {
            workflows,
            nodes_per_workflow: nodes,
            seed: 1,
            drift_rate: 0.1,
        };
        let gen_time = time(5, || generate(&opts));
        let (base, _) = generate(&opts);
        let export_time = time(5, || {
            base.workflows
                .iter()
                .map(|w| w.export_bytes().map(|b| b.len()).unwrap_or(0))
                .sum::<usize>()
        });
        let bytes: usize = base
            .workflows
            .iter()
            .map(|w| w.export_bytes().map(|b| b.len()).unwrap_or(0))
            .sum();
        let dir = tempfile::tempdir().ok();
        let write_time = dir
            .as_ref()
            .map(|d| time(3, || base.write_dir(&d.path().join("ws")).is_ok()));
        println!(
            "generate {workflows} workflows x {nodes} nodes (pair): median {gen_time:?}; export bytes of one side ({:.1} MB): median {export_time:?}; write_dir: median {write_time:?}",
            bytes as f64 / 1e6
        );
    }
}
