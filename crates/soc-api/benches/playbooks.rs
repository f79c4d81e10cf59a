//! Playbook read throughput against soc-sim with 50 ms latency per request.
//!
//! Reads 500 playbooks (copies of a bundled staging playbook, each with its own playbook and
//! version ids) with `playbooks_all` and reports the median wall time per mode next to the ideal
//! `ceil(requests / concurrency) x 50 ms`. `inline`: shown versions carry their rule and actions
//! (list page, versions list, show per playbook); `separate`: they do not, so each playbook also
//! costs the deprecated rule and actions requests. Requests are counted from the simulator's
//! request log, and every run checks that each playbook came back once, with the same comparable
//! form as the first playbook, so a broken run cannot look fast.
//!
//! `cargo bench -p soc-api --bench playbooks` (about 40 s). `SOC_API_BENCH_QUICK=1` runs each mode
//! once; `SOC_API_BENCH_LATENCY_MS=0` changes the latency (0 measures the CPU cost per request).

#![allow(clippy::print_stdout, reason = "a benchmark program reports on stdout")]

mod common;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use soc_model::playbook::comparable;
use soc_sim::{FaultConfig, Fixtures, Sim, SimConfig, Workspace, bundled_workspace};

use common::{BenchResult, Settings, client, timed};

const PLAYBOOKS: usize = 500;
const CONCURRENCY: usize = 16;
const DEFAULT_LATENCY_MS: u64 = 50;

/// The bundled staging workspace with its playbooks replaced by `n` copies of the first one.
fn workspace(n: usize) -> BenchResult<Workspace> {
    let mut ws = bundled_workspace("staging")?;
    let template = ws.playbooks.first().ok_or("no bundled playbook")?.clone();
    let active = template
        .info
        .get("version_id")
        .and_then(Value::as_str)
        .ok_or("the bundled playbook has no active version")?
        .to_owned();
    ws.playbooks = (0..n)
        .map(|i| {
            let mut pb = template.clone();
            let id = format!("pb-{i:04}");
            pb.info.insert("id".into(), json!(id));
            pb.info
                .insert("name".into(), json!(format!("Playbook {i:04}")));
            for (j, version) in pb.versions.iter_mut().enumerate() {
                let old = version.info.get("id").and_then(Value::as_str) == Some(&active);
                let version_id = format!("pbv-{i:04}-{j}");
                if old {
                    pb.info.insert("version_id".into(), json!(version_id));
                }
                version.info.insert("id".into(), json!(version_id));
                version.info.insert("playbook_id".into(), json!(id));
            }
            pb
        })
        .collect();
    Ok(ws)
}

/// A playbook's comparable form without what differs between the copies (name and ids).
fn shape(document: &[u8]) -> BenchResult<Value> {
    let Value::Object(mut shape) = comparable(serde_json::from_slice(document)?) else {
        return Err("a playbook document that is not an object".into());
    };
    for key in ["name", "id", "version_id"] {
        shape.remove(key);
    }
    let mut versions: Vec<&mut Value> = Vec::new();
    for (key, value) in shape.iter_mut() {
        match (key.as_str(), value) {
            ("active_version", value) => versions.push(value),
            ("other_versions", Value::Array(others)) => versions.extend(others.iter_mut()),
            _ => {}
        }
    }
    for version in versions {
        if let Value::Object(version) = version {
            version.remove("id");
            version.remove("playbook_id");
        }
    }
    let shape = Value::Object(shape);
    Ok(shape)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let settings = Settings::from_env(DEFAULT_LATENCY_MS)?;
    let latency = settings.latency;
    let ws = workspace(PLAYBOOKS)?;
    let names: BTreeMap<String, String> = ws
        .workflows
        .iter()
        .map(|w| (w.id().to_owned(), w.name().to_owned()))
        .collect();
    println!(
        "soc-api playbook benchmark: {PLAYBOOKS} playbooks, {} ms latency per request, concurrency {CONCURRENCY}",
        latency.as_millis()
    );
    println!(
        "{:>9} {:>8} {:>5} {:>10} {:>10} {:>7}",
        "versions", "requests", "runs", "median", "ideal", "ratio"
    );
    let mut expected: Option<Value> = None;
    for (label, separate, runs) in [("inline", false, 5), ("separate", true, 3)] {
        let sim = Sim::start(SimConfig {
            fixtures: Fixtures::Workspaces(vec![ws.clone()]),
            faults: FaultConfig {
                latency,
                playbook_details_separate: separate,
                ..FaultConfig::default()
            },
            ..SimConfig::default()
        })
        .await?;
        let workspace_id = sim
            .workspace_id(&ws.name)
            .ok_or("workspace not served")?
            .to_owned();
        let client = client(&sim, &workspace_id, CONCURRENCY).build()?;
        let runs = settings.runs(runs);
        let (median, requests) = timed(
            &sim,
            runs,
            || async { Ok(client.playbooks_all(&names, |_, _| {}).await?) },
            |fetched| {
                if fetched.playbooks.len() != PLAYBOOKS {
                    return Err(format!("{} playbooks came back", fetched.playbooks.len()).into());
                }
                for (_, document) in &fetched.playbooks {
                    let shape = shape(&document.bytes)?;
                    match &expected {
                        None => expected = Some(shape),
                        Some(want) if *want == shape => {}
                        Some(_) => return Err("a playbook document differs from the others".into()),
                    }
                }
                Ok(())
            },
        )
        .await?;
        println!(
            "{:>9} {:>8} {:>5} {}",
            label,
            requests,
            runs,
            settings.timing(median, requests, CONCURRENCY)?
        );
        sim.shutdown().await?;
    }
    Ok(())
}
