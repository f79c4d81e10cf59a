//! Faults on demand: latency, rate limits, 5xx, dropped and truncated bodies, malformed JSON.

use std::time::{Duration, Instant};

use soc_sim::{AccessKey, FaultConfig, InjectedFault, PathKind, RateLimit, SimConfig};

use crate::support::{Client, STAGING, assert_gateway_error, start};

fn with_faults(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

async fn export_first(c: &Client, sim: &soc_sim::RunningSim) -> reqwest::Response {
    let staging = soc_sim::bundled_workspace("staging").unwrap();
    c.post_json(
        &c.wf_path(sim, STAGING, "/export"),
        &serde_json::json!({"id": [staging.workflows[0].id()]}),
    )
    .await
}

#[tokio::test]
async fn rate_limit_is_per_access_key_with_retry_after() {
    let config = SimConfig {
        access_keys: vec![
            AccessKey::permanent("KEYONE", "s1"),
            AccessKey::permanent("KEYTWO", "s2"),
        ],
        faults: FaultConfig {
            rate_limit: Some(RateLimit {
                requests: 3,
                per: Duration::from_secs(60),
            }),
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    };
    let (sim, mut c) = start(config).await;
    let path = c.wf_path(&sim, STAGING, "?limit=1");
    c.ak = "KEYONE".into();
    c.sk = "s1".into();
    for _ in 0..3 {
        assert_eq!(c.get(&path).await.status(), 200);
    }
    let resp = c.get(&path).await;
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = assert_gateway_error(resp, 429, "APIGW.0308").await;
    assert!(body["error_msg"].as_str().unwrap().contains("limit:3"));
    c.ak = "KEYTWO".into();
    c.sk = "s2".into();
    assert_eq!(
        c.get(&path).await.status(),
        200,
        "another key has its own budget"
    );
    assert_eq!(
        sim.log()
            .entries()
            .iter()
            .filter(|e| e.fault == Some(InjectedFault::RateLimited))
            .count(),
        1
    );
}

#[tokio::test]
async fn server_errors_limited_to_export_and_the_first_k_requests() {
    let faults = FaultConfig {
        error_rate: 1.0,
        only: vec![PathKind::Export],
        first_requests: Some(2),
        ..FaultConfig::default()
    };
    let (sim, c) = start(with_faults(faults)).await;
    assert_eq!(
        c.get(&c.wf_path(&sim, STAGING, "")).await.status(),
        200,
        "listing is out of scope"
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(export_first(&c, &sim).await.status().as_u16());
    }
    assert!(
        [500, 502, 503].contains(&statuses[0]) && [500, 502, 503].contains(&statuses[1]),
        "{statuses:?}"
    );
    assert_eq!(statuses[2], 200);
    let faults: Vec<_> = sim
        .log()
        .of_kind(PathKind::Export)
        .into_iter()
        .map(|e| e.fault)
        .collect();
    assert!(
        matches!(
            faults[..],
            [
                Some(InjectedFault::ServerError(_)),
                Some(InjectedFault::ServerError(_)),
                None
            ]
        ),
        "{faults:?}"
    );
}

#[tokio::test]
async fn server_error_bodies_use_the_documented_shapes() {
    let faults = FaultConfig {
        error_rate: 1.0,
        seed: 3,
        ..FaultConfig::default()
    };
    let (sim, c) = start(with_faults(faults)).await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let resp = c.get(&c.wf_path(&sim, STAGING, "")).await;
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap();
        match status {
            500 => assert_eq!(body["code"], "SecMaster.20039999"),
            502 | 503 => assert!(body["error_code"].as_str().unwrap().starts_with("APIGW.")),
            other => panic!("unexpected {other}"),
        }
        seen.insert(status);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

#[tokio::test]
async fn dropped_connections_fail_mid_body() {
    let faults = FaultConfig {
        drop_rate: 1.0,
        only: vec![PathKind::Export],
        ..FaultConfig::default()
    };
    let (sim, c) = start(with_faults(faults)).await;
    let resp = export_first(&c, &sim).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-length").is_none());
    assert!(resp.bytes().await.is_err(), "the body must not complete");
}

#[tokio::test]
async fn truncated_bodies_stop_short_of_content_length() {
    let faults = FaultConfig {
        truncate_rate: 1.0,
        first_requests: Some(1),
        ..FaultConfig::default()
    };
    let (sim, c) = start(with_faults(faults)).await;
    let resp = export_first(&c, &sim).await;
    let declared: usize = resp.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let staging = soc_sim::bundled_workspace("staging").unwrap();
    assert_eq!(declared, staging.workflows[0].export_bytes().unwrap().len());
    assert!(resp.bytes().await.is_err(), "the body must not complete");
    // The fault was limited to the first request: the retry succeeds.
    let retry = export_first(&c, &sim).await.bytes().await.unwrap();
    assert_eq!(retry.len(), declared);
}

#[tokio::test]
async fn malformed_json_is_a_complete_200_that_does_not_parse() {
    let faults = FaultConfig {
        malformed_rate: 1.0,
        only: vec![PathKind::ListWorkflows],
        ..FaultConfig::default()
    };
    let (sim, c) = start(with_faults(faults)).await;
    let resp = c.get(&c.wf_path(&sim, STAGING, "")).await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.expect("the body is complete");
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());
    assert_eq!(sim.log().entries()[0].fault, Some(InjectedFault::Malformed));
}

#[tokio::test]
async fn latency_delays_every_response() {
    let faults = FaultConfig {
        latency: Duration::from_millis(150),
        jitter: Duration::from_millis(50),
        ..FaultConfig::default()
    };
    let (sim, c) = start(with_faults(faults)).await;
    let started = Instant::now();
    assert_eq!(c.get(&c.wf_path(&sim, STAGING, "")).await.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

/// Statuses and faults of 20 sequential list requests against a fresh simulator.
async fn fault_sequence(faults: FaultConfig) -> Vec<(u16, Option<InjectedFault>)> {
    let (sim, c) = start(with_faults(faults)).await;
    for _ in 0..20 {
        // Broken bodies are the point here; only the log is compared.
        let _ = c
            .get(&c.wf_path(&sim, STAGING, "?limit=1"))
            .await
            .bytes()
            .await;
    }
    sim.log()
        .entries()
        .into_iter()
        .map(|e| (e.status, e.fault))
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let faults = FaultConfig {
        seed: 7,
        error_rate: 0.3,
        malformed_rate: 0.2,
        ..FaultConfig::default()
    };
    let first = fault_sequence(faults.clone()).await;
    assert_eq!(first, fault_sequence(faults.clone()).await);
    assert!(first.iter().any(|(_, f)| f.is_some()) && first.iter().any(|(_, f)| f.is_none()));
    assert_ne!(
        first,
        fault_sequence(FaultConfig { seed: 8, ..faults }).await
    );
}

#[tokio::test]
async fn export_faults_answer_every_export_request_the_same_way() {
    use soc_sim::ExportFault;
    for fault in ExportFault::ALL {
        let (sim, c) = start(with_faults(FaultConfig {
            export_fault: Some(fault),
            ..FaultConfig::default()
        }))
        .await;
        for _ in 0..2 {
            let resp = export_first(&c, &sim).await;
            let status = resp.status().as_u16();
            let disposition = resp
                .headers()
                .get("content-disposition")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = resp.bytes().await.unwrap();
            let value: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            match fault {
                ExportFault::RouteMissing => {
                    assert_eq!(status, 404);
                    assert_eq!(value.unwrap()["error_code"], "APIGW.0101");
                }
                ExportFault::SecMasterEnvelope => {
                    let v = value.unwrap();
                    assert_eq!((status, &v["success"]), (200, &serde_json::json!(false)));
                    assert_eq!(v["code"], "SecMaster.20039999");
                }
                ExportFault::GatewayEnvelope => {
                    assert_eq!(status, 200);
                    assert_eq!(value.unwrap()["error_code"], "APIGW.0201");
                }
                ExportFault::Empty => assert_eq!((status, body.len()), (200, 0)),
                ExportFault::Html => assert!(body.starts_with(b"<!DOCTYPE html>")),
                ExportFault::NoWorkflow => {
                    assert_eq!(value.unwrap()["success"], true);
                    assert_eq!(disposition, None);
                }
                ExportFault::Binary => {
                    assert_eq!(status, 200);
                    assert_eq!(
                        disposition.as_deref(),
                        Some("attachment;filename=workflow.json")
                    );
                }
            }
        }
        // Only export is touched.
        assert_eq!(
            c.get(&c.wf_path(&sim, STAGING, "?limit=1")).await.status(),
            200
        );
        assert_eq!(fault.as_str().parse::<ExportFault>(), Ok(fault));
    }
}

#[tokio::test]
async fn the_list_can_promise_more_than_it_holds_and_versions_can_lack_content() {
    let (sim, c) = start(with_faults(FaultConfig {
        list_total_surplus: 3,
        versions_without_content: true,
        ..FaultConfig::default()
    }))
    .await;
    let (_, _, page) =
        crate::support::json(c.get(&c.wf_path(&sim, STAGING, "?limit=100")).await).await;
    let held = page["data"].as_array().unwrap().len();
    assert_eq!(page["total"], held + 3);
    let staging = soc_sim::bundled_workspace("staging").unwrap();
    let wf = &staging.workflows[0];
    let path = c.wf_path(&sim, STAGING, &format!("/{}/versions", wf.id()));
    let (_, _, versions) = crate::support::json(c.get(&path).await).await;
    let first = &versions["data"][0];
    assert!(first.get("taskflow").is_none() && first.get("taskconfig").is_none());
    let path = c.wf_path(&sim, STAGING, &format!("/versions/{}", wf.versions[0].id));
    let (_, _, shown) = crate::support::json(c.get(&path).await).await;
    assert!(shown["data"]["taskflow"].is_string());
}
