//! Writes a generated pair of workspaces in the fixture layout, for `socdrift sim --fixtures DIR`
//! (benchmarks such as `scripts/bench-store.sh` serve them over loopback).
//!
//! `cargo run --release -p soc-sim --example generate -- DIR [WORKFLOWS] [NODES] [SEED] [DRIFT]`
//! writes `DIR/staging` (the base workspace, named `gen-staging`) and `DIR/production` (the drifted
//! copy, `gen-production`). Defaults: 2000 workflows, 40 nodes each, seed 1, drift rate 0.02.

use std::path::PathBuf;

use soc_sim::generate::{GenerateOptions, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or(
        "usage: generate DIR [WORKFLOWS] [NODES] [SEED] [DRIFT]  (writes DIR/staging and DIR/production)",
    )?);
    let options = GenerateOptions {
        workflows: args.next().map(|a| a.parse()).transpose()?.unwrap_or(2000),
        nodes_per_workflow: args.next().map(|a| a.parse()).transpose()?.unwrap_or(40),
        seed: args.next().map(|a| a.parse()).transpose()?.unwrap_or(1),
        drift_rate: args.next().map(|a| a.parse()).transpose()?.unwrap_or(0.02),
    };
    let (base, drifted) = generate(&options);
    base.write_dir(&dir.join("staging"))?;
    drifted.write_dir(&dir.join("production"))?;
    Ok(())
}
