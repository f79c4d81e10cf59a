//! What the soc-api benchmarks share: their settings from the environment, the client they
//! measure, timed runs counted from the simulator's request log, and the ideal they compare with.

use std::future::Future;
use std::time::{Duration, Instant};

use soc_api::{ClientBuilder, Credentials, RetryPolicy};
use soc_sim::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, RunningSim};

pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// `SOC_API_BENCH_QUICK` (each mode once) and `SOC_API_BENCH_LATENCY_MS` (the latency soc-sim
/// adds to every request).
pub struct Settings {
    pub quick: bool,
    pub latency: Duration,
}

impl Settings {
    pub fn from_env(default_latency_ms: u64) -> BenchResult<Self> {
        Ok(Self {
            quick: std::env::var_os("SOC_API_BENCH_QUICK").is_some(),
            latency: Duration::from_millis(match std::env::var("SOC_API_BENCH_LATENCY_MS") {
                Ok(ms) => ms.parse()?,
                Err(_) => default_latency_ms,
            }),
        })
    }

    /// The runs a mode gets: one when quick.
    pub fn runs(&self, runs: usize) -> usize {
        if self.quick { 1 } else { runs }
    }

    /// `median  ideal  ratio`, the ideal being `ceil(requests / concurrency) x latency`.
    pub fn timing(
        &self,
        median: Duration,
        requests: usize,
        concurrency: usize,
    ) -> BenchResult<String> {
        let ideal = self.latency * u32::try_from(requests.div_ceil(concurrency))?;
        Ok(format!(
            "{:>9.3}s {:>9.3}s {:>6.2}x",
            median.as_secs_f64(),
            ideal.as_secs_f64(),
            median.as_secs_f64() / ideal.as_secs_f64()
        ))
    }
}

/// A client of the simulator's workspace, without retries (a failure must show).
pub fn client(sim: &RunningSim, workspace_id: &str, concurrency: usize) -> ClientBuilder {
    ClientBuilder::new()
        .endpoint(sim.base_url())
        .project_id(sim.project_id())
        .workspace_id(workspace_id)
        .credentials(Credentials::ak_sk(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY))
        .retry(RetryPolicy::never())
        .concurrency(concurrency)
}

/// Runs `run` `runs` times, each answer checked by `check` outside the timing, and gives the
/// median time and the requests of the last run.
pub async fn timed<T, F, Fut, C>(
    sim: &RunningSim,
    runs: usize,
    mut run: F,
    mut check: C,
) -> BenchResult<(Duration, usize)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = BenchResult<T>>,
    C: FnMut(T) -> BenchResult<()>,
{
    let mut times = Vec::with_capacity(runs);
    let mut requests = 0;
    for _ in 0..runs {
        sim.log().clear();
        let started = Instant::now();
        let answer = run().await?;
        times.push(started.elapsed());
        requests = sim.log().len();
        check(answer)?;
    }
    times.sort();
    Ok((
        times.get(times.len() / 2).copied().unwrap_or_default(),
        requests,
    ))
}
