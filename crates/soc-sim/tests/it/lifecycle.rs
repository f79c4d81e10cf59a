//! Starting, configuring and stopping the simulator.

use soc_sim::generate::{GenerateOptions, generate};
use soc_sim::{Fixtures, Sim, SimConfig, SimError, Workspace};

use crate::support::{STAGING, json, start};

#[tokio::test]
async fn banner_lists_address_project_and_workspaces() {
    let (sim, _c) = start(SimConfig::default()).await;
    let mut out = Vec::new();
    sim.write_banner(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("listening on http://127.0.0.1:{}", sim.addr().port())
    );
    assert_eq!(lines[1], "project 0a1b2c3d4e5f40718293a4b5c6d7e8f9");
    assert_eq!(
        lines[2],
        format!(
            "workspace soc-staging {}",
            sim.workspace_id("soc-staging").unwrap()
        )
    );
    assert_eq!(
        lines[3],
        format!(
            "workspace soc-production {}",
            sim.workspace_id("soc-production").unwrap()
        )
    );
    assert_eq!(lines.len(), 4);
    assert!(sim.addr().ip().is_loopback());
}

#[tokio::test]
async fn graceful_shutdown_stops_listening() {
    let (sim, c) = start(SimConfig::default()).await;
    let url = format!("{}{}", c.base, c.wf_path(&sim, STAGING, ""));
    assert_eq!(c.http.get(&url).send().await.unwrap().status(), 401);
    let handle = sim.shutdown_handle();
    let waiter = tokio::spawn(sim.wait());
    handle.shutdown();
    waiter.await.unwrap().unwrap();
    let fresh = reqwest::Client::new();
    assert!(
        fresh.get(&url).send().await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn folder_fixtures_generated_workspaces_and_project_override() {
    let (base, drifted) = generate(&GenerateOptions {
        workflows: 25,
        nodes_per_workflow: 12,
        seed: 9,
        drift_rate: 0.2,
    });
    let dir = tempfile::tempdir().unwrap();
    base.write_dir(&dir.path().join("a")).unwrap();
    drifted.write_dir(&dir.path().join("b")).unwrap();
    let config = SimConfig {
        fixtures: Fixtures::Dir(dir.path().to_path_buf()),
        project_id: Some("ffffffffffffffffffffffffffffffff".into()),
        ..SimConfig::default()
    };
    let (sim, c) = start(config).await;
    assert_eq!(sim.project_id(), "ffffffffffffffffffffffffffffffff");
    let (status, _, body) = json(c.get(&c.wf_path(&sim, &base.name, "?limit=100")).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 25);
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["project_id"] == "ffffffffffffffffffffffffffffffff")
    );

    let config = SimConfig {
        fixtures: Fixtures::Workspaces(vec![drifted.clone()]),
        ..SimConfig::default()
    };
    let (sim, c) = start(config).await;
    let (_, _, body) = json(c.get(&c.wf_path(&sim, &drifted.name, "?limit=1")).await).await;
    assert_eq!(body["total"], 25);
    assert_eq!(sim.project_id(), drifted.project_id.as_deref().unwrap());
}

#[tokio::test]
async fn bad_configurations_are_typed_errors() {
    let ws = Workspace {
        id: "same".into(),
        name: "a".into(),
        ..Workspace::default()
    };
    let twice = SimConfig {
        fixtures: Fixtures::Workspaces(vec![ws.clone(), ws]),
        ..SimConfig::default()
    };
    assert!(
        matches!(Sim::start(twice).await, Err(SimError::DuplicateWorkspace { id }) if id == "same")
    );

    let empty = tempfile::tempdir().unwrap();
    let missing = SimConfig {
        fixtures: Fixtures::Dir(empty.path().to_path_buf()),
        ..SimConfig::default()
    };
    let err = Sim::start(missing).await.unwrap_err();
    assert!(matches!(err, SimError::Fixtures(_)));
    assert!(
        std::error::Error::source(&err)
            .unwrap()
            .to_string()
            .contains("workspace"),
        "{err}"
    );

    let nobody = SimConfig {
        access_keys: vec![],
        users: vec![],
        ..SimConfig::default()
    };
    assert!(matches!(
        Sim::start(nobody).await,
        Err(SimError::NoCredentials)
    ));

    let (taken, _c) = start(SimConfig::default()).await;
    let clash = SimConfig {
        listen: taken.addr(),
        ..SimConfig::default()
    };
    assert!(matches!(
        Sim::start(clash).await,
        Err(SimError::Bind { .. })
    ));
}
