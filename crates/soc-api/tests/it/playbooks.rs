//! Playbooks: documents built from the playbook APIs in both forms the show answer takes, paging,
//! deprecation notices, errors in the API's own codes, and faults.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use soc_api::{ApiError, RetryPolicy};
use soc_model::playbook::{comparable, is_playbook};
use soc_sim::{FaultConfig, PathKind, SimConfig, Workspace, bundled_workspace};

use crate::common::{STAGING, builder, client, serving, start};

/// Workflow id to name, as the CLI hands them over.
fn names(workspace: &Workspace) -> BTreeMap<String, String> {
    workspace
        .workflows
        .iter()
        .map(|w| (w.id().to_owned(), w.name().to_owned()))
        .collect()
}

fn with_faults(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

async fn documents(config: SimConfig) -> soc_api::FetchedPlaybooks {
    let sim = start(config).await;
    let staging = bundled_workspace("staging").expect("bundled");
    client(&sim, STAGING)
        .playbooks_all(&names(&staging), |_, _| {})
        .await
        .expect("playbooks are fetched")
}

#[tokio::test]
async fn every_playbook_becomes_a_document_naming_its_workflows() {
    let fetched = documents(SimConfig::default()).await;
    assert!(
        fetched.deprecations.is_empty(),
        "inline rules and actions need no deprecated call"
    );
    assert_eq!(fetched.playbooks.len(), 6);
    let staging = bundled_workspace("staging").unwrap();
    for (info, doc) in &fetched.playbooks {
        assert_eq!(info.id(), doc.id);
        let value: Value = serde_json::from_slice(&doc.bytes).unwrap();
        assert!(is_playbook(&value));
        let pb = staging.playbook(info.id()).unwrap();
        assert_eq!(
            value["versions"].as_array().unwrap().len(),
            pb.versions.len()
        );
        let active = &value["active_version"];
        assert_eq!(active["id"], info.get_str("version_id").unwrap());
        assert!(active["rules"]["rule"].is_string());
        let bound = active["actions"][0]["action_id"].as_str().unwrap();
        assert_eq!(
            value["bound_workflows"][bound],
            staging.workflow(bound).unwrap().name(),
            "the binding is named within the same workspace"
        );
    }
}

#[tokio::test]
async fn the_deprecated_endpoints_give_the_same_document_and_one_notice_each() {
    let inline = documents(SimConfig::default()).await;
    let config = with_faults(FaultConfig {
        playbook_details_separate: true,
        ..FaultConfig::default()
    });
    let sim = start(config).await;
    let staging = bundled_workspace("staging").unwrap();
    let separate = client(&sim, STAGING)
        .playbooks_all(&names(&staging), |_, _| {})
        .await
        .unwrap();
    let endpoints: Vec<&str> = separate.deprecations.iter().map(|d| d.endpoint).collect();
    assert_eq!(endpoints.len(), 2, "{:?}", separate.deprecations);
    assert!(
        endpoints.contains(&soc_api::RULE_ENDPOINT)
            && endpoints.contains(&soc_api::ACTIONS_ENDPOINT)
    );
    assert!(
        separate
            .deprecations
            .iter()
            .all(|d| d.info.is_some() && d.date.is_some())
    );
    // Six playbooks, each with one rule and one page of actions.
    assert_eq!(sim.log().of_kind(PathKind::ShowPlaybookRule).len(), 6);
    assert_eq!(sim.log().of_kind(PathKind::ListPlaybookActions).len(), 6);
    for ((_, a), (_, b)) in inline.playbooks.iter().zip(&separate.playbooks) {
        let a: Value = serde_json::from_slice(&a.bytes).unwrap();
        let b: Value = serde_json::from_slice(&b.bytes).unwrap();
        assert_eq!(comparable(a), comparable(b));
    }
}

/// A workspace of `n` copies of a bundled playbook, under new ids and names.
fn many_playbooks(n: usize) -> Workspace {
    let mut ws = bundled_workspace("staging").expect("bundled");
    let template = ws.playbooks[0].clone();
    ws.playbooks = (0..n)
        .map(|i| {
            let mut pb = template.clone();
            pb.info.insert("id".into(), json!(format!("pb-{i:04}")));
            pb.info
                .insert("name".into(), json!(format!("Playbook {i:04}")));
            pb.info.insert(
                "create_time".into(),
                json!(format!("2024-01-01T00:00:{:02}Z+0800", i % 60)),
            );
            pb
        })
        .collect();
    ws
}

#[tokio::test]
async fn lists_are_paged_and_every_playbook_comes_back_once() {
    let ws = many_playbooks(230);
    let sim = start(serving(vec![ws.clone()])).await;
    let fetched = client(&sim, STAGING)
        .playbooks_all(&names(&ws), |_, _| {})
        .await
        .unwrap();
    let mut ids: Vec<&str> = fetched.playbooks.iter().map(|(i, _)| i.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 230);
    let pages = sim.log().of_kind(PathKind::ListPlaybooks);
    assert_eq!(pages.len(), 3, "pages of 100");
    assert!(pages.iter().all(|p| p.query.contains("limit=100")));
}

#[tokio::test]
async fn a_list_short_of_its_total_is_an_error_not_fewer_playbooks() {
    let config = with_faults(FaultConfig {
        list_total_surplus: 1,
        ..FaultConfig::default()
    });
    let sim = start(config).await;
    let err = client(&sim, STAGING)
        .playbooks_all(&BTreeMap::new(), |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::ListIncomplete {
                what: "playbooks",
                total: 7,
                listed: 6,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn flaky_answers_are_retried() {
    let config = with_faults(FaultConfig {
        error_rate: 1.0,
        only: vec![
            PathKind::ListPlaybookVersions,
            PathKind::ShowPlaybookVersion,
        ],
        first_requests: Some(3),
        ..FaultConfig::default()
    });
    let sim = start(config).await;
    let fetched = builder(&sim, STAGING)
        .retry(RetryPolicy::no_delay())
        .concurrency(1)
        .build()
        .unwrap()
        .playbooks_all(&BTreeMap::new(), |_, _| {})
        .await
        .unwrap();
    assert_eq!(fetched.playbooks.len(), 6);
}

#[tokio::test]
async fn missing_versions_rules_and_actions_are_not_found_in_the_apis_codes() {
    let sim = start(SimConfig::default()).await;
    let c = client(&sim, STAGING);
    let staging = bundled_workspace("staging").unwrap();
    let version = staging.playbooks[0].versions[0].id();
    for (err, code) in [
        (
            c.show_playbook_version("nope").await.unwrap_err(),
            "SecMaster.20048004",
        ),
        (
            c.show_playbook_rule(version, "nope").await.unwrap_err(),
            "SecMaster.20048004",
        ),
        (
            c.list_playbook_actions("nope").await.unwrap_err(),
            "SecMaster.20030005",
        ),
        (
            c.list_playbook_versions("nope").await.unwrap_err(),
            "SecMaster.20048006",
        ),
    ] {
        assert!(err.is_not_found(), "{err}");
        assert_eq!(err.code(), Some(code));
        assert!(err.request_id().is_some(), "{err}");
    }
    let err = c.show_playbook_version("nope").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the playbook version or rule does not exist"),
        "{err}"
    );
}

#[tokio::test]
async fn an_active_version_that_is_gone_fails_the_playbook() {
    let mut ws = bundled_workspace("staging").unwrap();
    ws.playbooks[0]
        .info
        .insert("version_id".into(), json!("deleted-version"));
    let sim = start(serving(vec![ws.clone()])).await;
    let err = client(&sim, STAGING)
        .playbooks_all(&names(&ws), |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SecMaster.20048004"), "{err}");
    assert!(err.to_string().contains("deleted-version"), "{err}");
}

#[tokio::test]
async fn a_playbook_without_an_active_version_keeps_its_versions() {
    let mut ws = bundled_workspace("staging").unwrap();
    ws.playbooks[0].info.insert("version_id".into(), json!(""));
    for v in &mut ws.playbooks[0].versions {
        v.info.insert("enabled".into(), json!(false));
    }
    let sim = start(serving(vec![ws.clone()])).await;
    let fetched = client(&sim, STAGING)
        .playbooks_all(&names(&ws), |_, _| {})
        .await
        .unwrap();
    let doc = fetched
        .playbooks
        .iter()
        .find(|(i, _)| i.id() == ws.playbooks[0].id())
        .unwrap();
    let value: Value = serde_json::from_slice(&doc.1.bytes).unwrap();
    assert_eq!(value["active_version"], Value::Null);
    assert_eq!(value["versions"].as_array().unwrap().len(), 1);
    assert!(
        sim.log().of_kind(PathKind::ShowPlaybookVersion).len() == 5,
        "only active versions are shown"
    );
}
