//! Writes a generated workspace pair to a folder in the fixture layout, for `socdrift sim
//! --fixtures DIR` (benchmarks such as `scripts/bench-store.sh` serve it over loopback) and for
//! tests outside Rust (the review page's browser test draws it).
//!
//! ```text
//! cargo run --release -p soc-sim --example generate -- DIR [WORKFLOWS] [NODES] [SEED] [DRIFT_RATE]
//! ```
//!
//! Writes `DIR/staging` (the base workspace, named `gen-staging`) and `DIR/production` (the
//! drifted copy, `gen-production`) in the fixture layout (`workspace.json`,
//! `workflows/NN-name.json`); prints one line per mutation on stdout. Defaults: 2000 workflows, 40
//! nodes each, seed 1, drift rate 0.02 (the store benchmark's workload).

use std::io::Write;
use std::path::PathBuf;

use soc_sim::generate::{GenerateOptions, generate_with_mutations};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .map(PathBuf::from)
        .ok_or("usage: generate DIR [WORKFLOWS] [NODES] [SEED] [DRIFT_RATE]")?;
    let defaults = GenerateOptions {
        workflows: 2000,
        nodes_per_workflow: 40,
        seed: 1,
        drift_rate: 0.02,
    };
    let arg = |i: usize| args.get(i).map(String::as_str);
    let options = GenerateOptions {
        workflows: arg(1).map_or(Ok(defaults.workflows), str::parse)?,
        nodes_per_workflow: arg(2).map_or(Ok(defaults.nodes_per_workflow), str::parse)?,
        seed: arg(3).map_or(Ok(defaults.seed), str::parse)?,
        drift_rate: arg(4).map_or(Ok(defaults.drift_rate), str::parse)?,
    };
    let generated = generate_with_mutations(&options);
    generated.base.write_dir(&dir.join("staging"))?;
    generated.drifted.write_dir(&dir.join("production"))?;
    let mut out = std::io::stdout().lock();
    for mutation in &generated.mutations {
        writeln!(
            out,
            "{:?}\t{}\t{}",
            mutation.kind, mutation.workflow, mutation.detail
        )?;
    }
    Ok(())
}
