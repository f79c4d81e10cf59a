//! Every fault soc-sim injects: the export completes byte-identically, or fails typed.

use std::time::{Duration, Instant};

use soc_api::{ApiError, RetryPolicy, Timeouts};
use soc_sim::{FaultConfig, InjectedFault, PathKind, RateLimit, SimConfig};

use crate::common::{STAGING, assert_full_export, builder, generated, serving, staging, start};

fn with_faults(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

/// Counts the injected faults of one kind in the simulator's log.
fn injected(sim: &soc_sim::RunningSim, pred: impl Fn(&InjectedFault) -> bool) -> usize {
    sim.log()
        .entries()
        .iter()
        .filter(|e| e.fault.as_ref().is_some_and(&pred))
        .count()
}

/// A workspace big enough that a 30% fault rate hits list pages and exports alike.
async fn survives(faults: FaultConfig, kind: impl Fn(&InjectedFault) -> bool) {
    let workspace = generated(120);
    let name = workspace.name.clone();
    let sim = start(SimConfig {
        faults,
        ..serving(vec![workspace.clone()])
    })
    .await;
    let client = builder(&sim, &name)
        .concurrency(4)
        .export_batch_size(5)
        .retry(RetryPolicy::no_delay().with_max_attempts(8))
        .build()
        .expect("client builds");
    assert_full_export(&client, &workspace).await;
    assert!(injected(&sim, kind) > 0, "the fault was really injected");
}

#[tokio::test]
async fn server_errors_are_retried() {
    survives(
        FaultConfig {
            error_rate: 0.3,
            seed: 1,
            ..FaultConfig::default()
        },
        |f| matches!(f, InjectedFault::ServerError(_)),
    )
    .await;
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    survives(
        FaultConfig {
            drop_rate: 0.3,
            seed: 2,
            ..FaultConfig::default()
        },
        |f| *f == InjectedFault::Dropped,
    )
    .await;
}

#[tokio::test]
async fn truncated_bodies_are_retried() {
    survives(
        FaultConfig {
            truncate_rate: 0.3,
            seed: 3,
            ..FaultConfig::default()
        },
        |f| *f == InjectedFault::Truncated,
    )
    .await;
}

#[tokio::test]
async fn malformed_json_is_retried() {
    survives(
        FaultConfig {
            malformed_rate: 0.3,
            seed: 4,
            ..FaultConfig::default()
        },
        |f| *f == InjectedFault::Malformed,
    )
    .await;
}

#[tokio::test]
async fn malformed_single_exports_are_retried() {
    // Unbatched, a malformed export answer cannot be told apart from a valid non-JSON file by
    // splitting; it is still caught because it looks like JSON and fails to parse.
    let workspace = staging();
    let sim = start(with_faults(FaultConfig {
        malformed_rate: 0.5,
        only: vec![PathKind::Export],
        seed: 9,
        ..FaultConfig::default()
    }))
    .await;
    let client = builder(&sim, STAGING)
        .export_batch_size(1)
        .retry(RetryPolicy::no_delay().with_max_attempts(10))
        .build()
        .unwrap();
    assert_full_export(&client, &workspace).await;
    assert!(injected(&sim, |f| *f == InjectedFault::Malformed) > 0);
}

#[tokio::test]
async fn mixed_faults_with_rate_cap() {
    let workspace = generated(60);
    let name = workspace.name.clone();
    let faults = FaultConfig {
        error_rate: 0.1,
        drop_rate: 0.1,
        truncate_rate: 0.1,
        malformed_rate: 0.1,
        seed: 5,
        ..FaultConfig::default()
    };
    let sim = start(SimConfig {
        faults,
        ..serving(vec![workspace.clone()])
    })
    .await;
    let client = builder(&sim, &name)
        .concurrency(6)
        .export_batch_size(3)
        .requests_per_second(Some(400.0))
        .retry(RetryPolicy::no_delay().with_max_attempts(10))
        .build()
        .unwrap();
    assert_full_export(&client, &workspace).await;
}

#[tokio::test]
async fn rate_limits_are_waited_out_with_retry_after() {
    let sim = start(with_faults(FaultConfig {
        rate_limit: Some(RateLimit {
            requests: 4,
            per: Duration::from_millis(400),
        }),
        ..FaultConfig::default()
    }))
    .await;
    // Real delays: the client must wait for Retry-After (or back off) to get through.
    let policy = RetryPolicy {
        max_attempts: 10,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        max_retry_after: Duration::from_secs(2),
        delays: true,
    };
    let client = builder(&sim, STAGING)
        .retry(policy)
        .concurrency(4)
        .export_batch_size(1)
        .build()
        .unwrap();
    assert_full_export(&client, &staging()).await;
    assert!(
        injected(&sim, |f| *f == InjectedFault::RateLimited) > 0,
        "the limit was hit"
    );
}

#[tokio::test]
async fn persistent_throttling_is_a_typed_error() {
    let sim = start(with_faults(FaultConfig {
        rate_limit: Some(RateLimit {
            requests: 1,
            per: Duration::from_secs(3600),
        }),
        ..FaultConfig::default()
    }))
    .await;
    let client = builder(&sim, STAGING)
        .retry(RetryPolicy::no_delay().with_max_attempts(3))
        .build()
        .unwrap();
    let err = client.export_all(|_| {}).await.unwrap_err();
    assert!(matches!(err, ApiError::Throttled { .. }), "{err}");
    assert_eq!(err.attempts(), 3);
    if let ApiError::Throttled { retry_after, .. } = &err {
        assert!(
            retry_after.is_some(),
            "the server's Retry-After is reported"
        );
    }
}

#[tokio::test]
async fn persistent_server_errors_fail_after_the_attempt_budget() {
    let sim = start(with_faults(FaultConfig {
        error_rate: 1.0,
        only: vec![PathKind::Export],
        ..FaultConfig::default()
    }))
    .await;
    let client = builder(&sim, STAGING)
        .retry(RetryPolicy::no_delay().with_max_attempts(4))
        .build()
        .unwrap();
    let err = client.export_all(|_| {}).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Api {
                status: 500 | 502 | 503,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.attempts(), 4);
    assert!(
        !err.context().operation.workflow_ids().is_empty(),
        "names the workflows: {err}"
    );
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn persistent_truncation_is_a_transport_error() {
    let sim = start(with_faults(FaultConfig {
        truncate_rate: 1.0,
        only: vec![PathKind::ShowWorkflow],
        ..FaultConfig::default()
    }))
    .await;
    let client = builder(&sim, STAGING)
        .retry(RetryPolicy::no_delay().with_max_attempts(3))
        .build()
        .unwrap();
    let err = client
        .show_workflow(&staging().workflows[0].info.id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Transport { .. } | ApiError::Decode { .. }),
        "{err}"
    );
    assert_eq!(err.attempts(), 3);
}

#[tokio::test]
async fn persistent_malformed_json_is_a_decode_error() {
    let sim = start(with_faults(FaultConfig {
        malformed_rate: 1.0,
        only: vec![PathKind::ListWorkflows],
        ..FaultConfig::default()
    }))
    .await;
    let client = builder(&sim, STAGING)
        .retry(RetryPolicy::no_delay().with_max_attempts(2))
        .build()
        .unwrap();
    let err = client.export_all(|_| {}).await.unwrap_err();
    assert!(matches!(err, ApiError::Decode { .. }), "{err}");
    assert_eq!(err.attempts(), 2);
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn slow_answers_time_out() {
    let sim = start(with_faults(FaultConfig {
        latency: Duration::from_millis(500),
        ..FaultConfig::default()
    }))
    .await;
    let client = builder(&sim, STAGING)
        .timeouts(Timeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_millis(100),
            request: Some(Duration::from_millis(150)),
        })
        .retry(RetryPolicy::no_delay().with_max_attempts(2))
        .build()
        .unwrap();
    let err = client
        .show_workflow(&staging().workflows[0].info.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Timeout { .. }), "{err}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn requests_per_second_spaces_requests() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .requests_per_second(Some(20.0))
        .export_batch_size(1)
        .concurrency(8)
        .build()
        .unwrap();
    let started = Instant::now();
    assert_full_export(&client, &staging()).await;
    // 1 list page + 6 exports at 20/s: the 7th request cannot start before 300 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let sim = start(SimConfig::default()).await;
    let addr = sim.addr();
    let client = builder(&sim, STAGING)
        .endpoint(format!("http://{addr}"))
        .retry(RetryPolicy::no_delay().with_max_attempts(2))
        .build()
        .unwrap();
    sim.shutdown().await.unwrap();
    let err = client.show_workflow("x").await.unwrap_err();
    assert!(matches!(err, ApiError::Transport { .. }), "{err}");
    assert_eq!(err.attempts(), 2);
}
