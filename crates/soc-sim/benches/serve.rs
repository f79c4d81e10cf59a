//! Loopback request latency of the simulator (signed list and export requests); prints medians.
//!
//! `cargo bench -p soc-sim --bench serve`

use std::time::{Duration, Instant};

use chrono::Utc;
use soc_sim::generate::{GenerateOptions, generate};
use soc_sim::sign::{self, SignInput};
use soc_sim::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Fixtures, RunningSim, Sim, SimConfig};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs.get(runs.len() / 2).copied().unwrap_or_default()
}

async fn signed(
    http: &reqwest::Client,
    sim: &RunningSim,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> usize {
    let (raw_path, raw_query) = path.split_once('?').unwrap_or((path, ""));
    let date = Utc::now().format(sign::DATE_FORMAT).to_string();
    let headers = vec![
        ("host".to_owned(), sim.addr().to_string()),
        ("x-sdk-date".to_owned(), date.clone()),
    ];
    let hash = sign::sha256_hex(&body);
    let input = SignInput {
        method: method.as_str(),
        raw_path,
        raw_query,
        headers: &headers,
        payload_hash: &hash,
    };
    let auth = sign::authorization(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, &input, &date);
    let resp = http
        .request(method, format!("{}{path}", sim.base_url()))
        .header("x-sdk-date", date)
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    match resp {
        Ok(r) => r.bytes().await.map(|b| b.len()).unwrap_or(0),
        Err(_) => 0,
    }
}

#[allow(clippy::print_stdout)] // A benchmark program reports on stdout.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (base, _) = generate(&GenerateOptions {
        workflows: 500,
        nodes_per_workflow: 30,
        seed: 1,
        drift_rate: 0.0,
    });
    let ids: Vec<String> = base.workflows.iter().map(|w| w.info.id.clone()).collect();
    let name = base.name.clone();
    let sim = Sim::start(SimConfig {
        fixtures: Fixtures::Workspaces(vec![base]),
        ..SimConfig::default()
    })
    .await?;
    let ws = sim.workspace_id(&name).unwrap_or_default().to_owned();
    let prefix = format!("/v1/{}/workspaces/{ws}/soc/workflows", sim.project_id());
    let http = reqwest::Client::new();

    let mut list = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        signed(
            &http,
            &sim,
            reqwest::Method::GET,
            &format!("{prefix}?limit=100&offset={}", (i % 5) * 100),
            Vec::new(),
        )
        .await;
        list.push(started.elapsed());
    }
    let mut export_one = Vec::new();
    for id in ids.iter().take(200) {
        let body = serde_json::to_vec(&serde_json::json!({ "id": [id] }))?;
        let started = Instant::now();
        signed(
            &http,
            &sim,
            reqwest::Method::POST,
            &format!("{prefix}/export"),
            body,
        )
        .await;
        export_one.push(started.elapsed());
    }
    let mut export_all = Vec::new();
    let mut bytes = 0;
    for _ in 0..5 {
        let body = serde_json::to_vec(&serde_json::json!({ "id": ids }))?;
        let started = Instant::now();
        bytes = signed(
            &http,
            &sim,
            reqwest::Method::POST,
            &format!("{prefix}/export"),
            body,
        )
        .await;
        export_all.push(started.elapsed());
    }
    println!("500 workflows x 30 nodes, sequential signed requests over loopback:");
    println!("  list limit=100: median {:?} (200 requests)", median(list));
    println!(
        "  export 1 workflow: median {:?} (200 requests)",
        median(export_one)
    );
    println!(
        "  export all 500 ({:.1} MB): median {:?} (5 requests)",
        bytes as f64 / 1e6,
        median(export_all)
    );
    sim.shutdown().await?;
    Ok(())
}
