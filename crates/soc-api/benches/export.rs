//! Export throughput against soc-sim with 50 ms latency per request.
//!
//! Exports 1,000 generated workflows (`soc_sim::generate`, seed 0) with `export_all` and
//! reports the median wall time per mode next to the ideal `ceil(requests / concurrency) x 50 ms`.
//! Modes differ in concurrency and export batch size; each counts its requests (list pages plus
//! export requests) from the simulator's request log. Every run checks that each workflow came
//! back byte-identical, so a broken run cannot look fast.
//!
//! The versions modes get the same workflows through the versions API instead (list, each
//! workflow's versions, and with `-brief` each version shown because the list lacks its content).
//!
//! `cargo bench -p soc-api` (about 2 minutes). Knobs for investigating: `SOC_API_BENCH_QUICK=1` runs
//! each mode once; `SOC_API_BENCH_MODES=16x1,16x10,16xversions` picks modes (`concurrency`x`batch`,
//! `concurrency`x`versions[-brief]`);
//! `SOC_API_BENCH_LATENCY_MS=0` changes the latency (0 measures the CPU cost per request).

#![allow(clippy::print_stdout, reason = "a benchmark program reports on stdout")]

mod common;

use std::collections::BTreeMap;

use soc_api::SourceMode;
use soc_sim::generate::{GenerateOptions, generate};
use soc_sim::{FaultConfig, Fixtures, Sim, SimConfig};

use common::{BenchResult, Settings, client, timed};

const WORKFLOWS: usize = 1_000;
const DEFAULT_LATENCY_MS: u64 = 50;

struct Mode {
    concurrency: usize,
    batch: usize,
    runs: usize,
    /// Export, or documents built from the versions API.
    source: SourceMode,
    /// With versions: the list leaves out taskflow/taskconfig, so each version is shown too.
    brief_versions: bool,
}

impl Mode {
    fn new(concurrency: usize, batch: usize, runs: usize) -> Self {
        Self {
            concurrency,
            batch,
            runs,
            source: SourceMode::Export,
            brief_versions: false,
        }
    }

    fn versions(concurrency: usize, runs: usize, brief_versions: bool) -> Self {
        Self {
            concurrency,
            batch: 1,
            runs,
            source: SourceMode::Versions,
            brief_versions,
        }
    }

    /// The name `SOC_API_BENCH_MODES` picks it by: `16x10`, `16xversions`, `16xversions-brief`.
    fn label(&self) -> String {
        match (self.source, self.brief_versions) {
            (SourceMode::Versions, false) => format!("{}xversions", self.concurrency),
            (SourceMode::Versions, true) => format!("{}xversions-brief", self.concurrency),
            _ => format!("{}x{}", self.concurrency, self.batch),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let settings = Settings::from_env(DEFAULT_LATENCY_MS)?;
    let latency = settings.latency;
    let only: Option<Vec<String>> = std::env::var("SOC_API_BENCH_MODES")
        .ok()
        .map(|m| m.split(',').map(|s| s.trim().to_owned()).collect());
    let (workspace, _) = generate(&GenerateOptions {
        workflows: WORKFLOWS,
        ..GenerateOptions::default()
    });
    let expected: BTreeMap<String, Vec<u8>> = workspace
        .workflows
        .iter()
        .map(|wf| Ok((wf.id().to_owned(), wf.export_bytes()?)))
        .collect::<Result<_, soc_sim::DataError>>()?;
    let export_bytes: usize = expected.values().map(Vec::len).sum();
    let name = workspace.name.clone();
    let start = |brief_versions| {
        Sim::start(SimConfig {
            fixtures: Fixtures::Workspaces(vec![workspace.clone()]),
            faults: FaultConfig {
                latency,
                versions_without_content: brief_versions,
                ..FaultConfig::default()
            },
            ..SimConfig::default()
        })
    };
    let sim = start(false).await?;
    let brief_sim = start(true).await?;
    let workspace_id = sim
        .workspace_id(&name)
        .ok_or("generated workspace not served")?
        .to_owned();

    println!(
        "soc-api export benchmark: {WORKFLOWS} workflows ({:.1} MiB of exports), {} ms latency per request, soc-sim on {}",
        export_bytes as f64 / 1_048_576.0,
        latency.as_millis(),
        sim.base_url()
    );
    println!(
        "{:>18} {:>11} {:>5} {:>8} {:>5} {:>10} {:>10} {:>7}",
        "source", "concurrency", "batch", "requests", "runs", "median", "ideal", "ratio"
    );
    let modes = [
        Mode::new(1, 1, 1),
        Mode::new(16, 1, 5),
        Mode::new(1, 10, 3),
        Mode::new(16, 10, 5),
        Mode::versions(16, 5, false),
        Mode::versions(16, 3, true),
    ];
    for mode in modes {
        if only
            .as_ref()
            .is_some_and(|only| !only.contains(&mode.label()))
        {
            continue;
        }
        let sim = if mode.brief_versions {
            &brief_sim
        } else {
            &sim
        };
        let client = client(sim, &workspace_id, mode.concurrency)
            .export_batch_size(mode.batch)
            .source(mode.source)
            .build()?;
        let runs = settings.runs(mode.runs);
        // Versions build the same document with the keys in another order.
        let same = |id: &str, bytes: &[u8]| match (expected.get(id), mode.source) {
            (Some(want), SourceMode::Export) => want.as_slice() == bytes,
            (Some(want), _) => {
                serde_json::from_slice::<serde_json::Value>(want).ok()
                    == serde_json::from_slice::<serde_json::Value>(bytes).ok()
            }
            (None, _) => false,
        };
        let (median, requests) = timed(
            sim,
            runs,
            || async { Ok(client.fetch_all(|_| {}).await?.workflows) },
            |exported| {
                if exported.len() != WORKFLOWS
                    || exported
                        .iter()
                        .any(|(info, wf)| !same(info.id(), &wf.bytes))
                {
                    return Err("a document differs from the simulator's workflow".into());
                }
                Ok(())
            },
        )
        .await?;
        println!(
            "{:>18} {:>11} {:>5} {:>8} {:>5} {}",
            mode.label(),
            mode.concurrency,
            mode.batch,
            requests,
            runs,
            settings.timing(median, requests, mode.concurrency)?
        );
    }
    sim.shutdown().await?;
    brief_sim.shutdown().await?;
    Ok(())
}
