//! Export throughput against soc-sim with 50 ms latency per request.
//!
//! Exports 1,000 generated workflows (`soc_sim::generate`, seed 0) with `export_all` and
//! reports the median wall time per mode next to the ideal `ceil(requests / concurrency) x 50 ms`.
//! Modes differ in concurrency and export batch size; each counts its requests (list pages plus
//! export requests) from the simulator's request log. Every run checks that each workflow came
//! back byte-identical, so a broken run cannot look fast.
//!
//! `cargo bench -p soc-api` (about 90 s). Knobs for investigating: `SOC_API_BENCH_QUICK=1` runs
//! each mode once; `SOC_API_BENCH_MODES=16x1,16x10` picks modes (`concurrency`x`batch`);
//! `SOC_API_BENCH_LATENCY_MS=0` changes the latency (0 measures the CPU cost per request).

#![allow(clippy::print_stdout, reason = "a benchmark program reports on stdout")]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use soc_api::{ClientBuilder, Credentials, RetryPolicy};
use soc_sim::generate::{GenerateOptions, generate};
use soc_sim::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, FaultConfig, Fixtures, Sim, SimConfig};

const WORKFLOWS: usize = 1_000;
const DEFAULT_LATENCY_MS: u64 = 50;

struct Mode {
    concurrency: usize,
    batch: usize,
    runs: usize,
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::var_os("SOC_API_BENCH_QUICK").is_some();
    let latency = Duration::from_millis(match std::env::var("SOC_API_BENCH_LATENCY_MS") {
        Ok(ms) => ms.parse()?,
        Err(_) => DEFAULT_LATENCY_MS,
    });
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
    let sim = Sim::start(SimConfig {
        fixtures: Fixtures::Workspaces(vec![workspace]),
        faults: FaultConfig {
            latency,
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    })
    .await?;
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
        "{:>11} {:>5} {:>8} {:>5} {:>10} {:>10} {:>7}",
        "concurrency", "batch", "requests", "runs", "median", "ideal", "ratio"
    );
    let modes = [
        Mode {
            concurrency: 1,
            batch: 1,
            runs: 1,
        },
        Mode {
            concurrency: 16,
            batch: 1,
            runs: 5,
        },
        Mode {
            concurrency: 1,
            batch: 10,
            runs: 3,
        },
        Mode {
            concurrency: 16,
            batch: 10,
            runs: 5,
        },
    ];
    for mode in modes {
        if only
            .as_ref()
            .is_some_and(|only| !only.contains(&format!("{}x{}", mode.concurrency, mode.batch)))
        {
            continue;
        }
        let client = ClientBuilder::new()
            .endpoint(sim.base_url())
            .project_id(sim.project_id())
            .workspace_id(&workspace_id)
            .credentials(Credentials::ak_sk(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY))
            .retry(RetryPolicy::never())
            .concurrency(mode.concurrency)
            .export_batch_size(mode.batch)
            .build()?;
        let runs = if quick { 1 } else { mode.runs };
        let mut times = Vec::with_capacity(runs);
        let mut requests = 0;
        for _ in 0..runs {
            sim.log().clear();
            let started = Instant::now();
            let exported = client.export_all(|_| {}).await?;
            times.push(started.elapsed());
            requests = sim.log().len();
            if exported.len() != WORKFLOWS
                || exported.iter().any(|(info, wf)| {
                    expected.get(info.id()).map(Vec::as_slice) != Some(wf.bytes.as_ref())
                })
            {
                return Err("an export differs from the simulator's bytes".into());
            }
        }
        let median = median(times);
        let rounds = requests.div_ceil(mode.concurrency);
        let ideal = latency * u32::try_from(rounds)?;
        println!(
            "{:>11} {:>5} {:>8} {:>5} {:>9.3}s {:>9.3}s {:>6.2}x",
            mode.concurrency,
            mode.batch,
            requests,
            runs,
            median.as_secs_f64(),
            ideal.as_secs_f64(),
            median.as_secs_f64() / ideal.as_secs_f64()
        );
    }
    sim.shutdown().await?;
    Ok(())
}
