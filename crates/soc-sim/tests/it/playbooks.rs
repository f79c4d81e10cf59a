//! Playbook endpoints: shapes of the SDK models, paging, filters, both forms of a shown version,
//! the deprecated rule and actions endpoints, errors and faults.

use serde_json::Value;
use soc_sim::{FaultConfig, PathKind, RunningSim, SimConfig, bundled_workspace};

use crate::support::{
    Client, PRODUCTION, STAGING, assert_gateway_error, assert_secmaster_error, json, start,
    start_default,
};

fn pb_path(c: &Client, sim: &RunningSim, workspace: &str, suffix: &str) -> String {
    let ws = sim.workspace_id(workspace).expect("workspace exists");
    format!("/v1/{}/workspaces/{ws}/soc/playbooks{suffix}", c.project)
}

fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn the_playbook_list_pages_without_success_or_request_id_in_the_body() {
    let (sim, c) = start_default().await;
    let (status, rid, body) = json(
        c.get(&pb_path(&c, &sim, STAGING, "?offset=0&limit=4"))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!rid.is_empty(), "the request id is a header");
    assert_eq!(
        keys(&body),
        ["code", "data", "message", "page", "size", "total"]
    );
    assert_eq!(body["total"], 6);
    assert_eq!(body["size"], 4);
    assert_eq!(body["page"], 1);
    let (_, _, rest) = json(
        c.get(&pb_path(&c, &sim, STAGING, "?offset=4&limit=4"))
            .await,
    )
    .await;
    assert_eq!(rest["size"], 2);
    assert_eq!(rest["page"], 2);
    let mut names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["data"].as_array().unwrap())
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 6, "{names:?}");
    let first = &body["data"][0];
    assert!(first["enabled"].is_boolean() && first["version_id"].is_string());
    assert!(
        first.get("versions").is_none(),
        "the list holds PlaybookInfo only"
    );
}

#[tokio::test]
async fn the_playbook_list_filters() {
    let (sim, c) = start_default().await;
    let total = |q: &'static str| {
        let path = pb_path(&c, &sim, PRODUCTION, q);
        let c = &c;
        async move { json(c.get(&path).await).await.2["total"].clone() }
    };
    assert_eq!(total("?offset=0&limit=10&enabled=false").await, 1);
    assert_eq!(total("?offset=0&limit=10&name=Contain").await, 1);
    assert_eq!(total("?offset=0&limit=10&search_txt=phishing").await, 1);
    assert_eq!(total("?offset=0&limit=10&dataclass_name=Alert").await, 6);
    assert_secmaster_error(
        c.get(&pb_path(&c, &sim, PRODUCTION, "?offset=0&limit=101"))
            .await,
        "SecMaster.20030001",
    )
    .await;
    assert_secmaster_error(
        c.get(&pb_path(&c, &sim, PRODUCTION, "?enabled=yes")).await,
        "SecMaster.20030001",
    )
    .await;
}

#[tokio::test]
async fn versions_list_without_details_and_show_with_them() {
    let (sim, c) = start_default().await;
    let staging = bundled_workspace("staging").unwrap();
    let sweep = staging
        .playbooks
        .iter()
        .find(|p| p.versions.len() == 2)
        .expect("a playbook with a draft");
    let (status, _, body) = json(
        c.get(&pb_path(
            &c,
            &sim,
            STAGING,
            &format!("/{}/versions?offset=0&limit=10", sweep.id()),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&body),
        ["code", "data", "message", "page", "size", "total"]
    );
    assert_eq!(body["total"], 2);
    let listed = &body["data"][0];
    assert!(
        listed["version_type"].is_i64(),
        "version_type is a number: {listed}"
    );
    assert!(listed.get("actions").is_none() && listed.get("rules").is_none());
    let (_, _, drafts) = json(
        c.get(&pb_path(
            &c,
            &sim,
            STAGING,
            &format!("/{}/versions?version_type=0", sweep.id()),
        ))
        .await,
    )
    .await;
    assert_eq!(drafts["total"], 1);
    assert_eq!(drafts["data"][0]["status"], "EDITING");

    let version = &sweep.versions[0];
    let (status, _, shown) = json(
        c.get(&pb_path(
            &c,
            &sim,
            STAGING,
            &format!("/versions/{}", version.id()),
        ))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(keys(&shown), ["code", "data", "message"]);
    assert_eq!(shown["data"]["rules"]["id"], version.rule_id().unwrap());
    assert!(
        shown["data"]["rules"]["rule"].is_string(),
        "the rule is a JSON string"
    );
    assert_eq!(shown["data"]["actions"][0]["action_type"], "AOP_WORKFLOW");
}

#[tokio::test]
async fn the_rule_and_actions_endpoints_answer_with_deprecation_headers() {
    let config = SimConfig {
        faults: FaultConfig {
            playbook_details_separate: true,
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    };
    let (sim, c) = start(config).await;
    let production = bundled_workspace("production").unwrap();
    let version = &production.playbooks[0].versions[0];
    let (_, _, shown) = json(
        c.get(&pb_path(
            &c,
            &sim,
            PRODUCTION,
            &format!("/versions/{}", version.id()),
        ))
        .await,
    )
    .await;
    assert!(shown["data"].get("rules").is_none() && shown["data"].get("actions").is_none());
    assert_eq!(shown["data"]["rule_id"], version.rule_id().unwrap());

    let rule = c
        .get(&pb_path(
            &c,
            &sim,
            PRODUCTION,
            &format!(
                "/versions/{}/rules/{}",
                version.id(),
                version.rule_id().unwrap()
            ),
        ))
        .await;
    for header in ["x-api-deprecation-info", "x-api-deprecation-date"] {
        assert!(rule.headers().get(header).is_some(), "{header}");
    }
    let (status, _, rule) = json(rule).await;
    assert_eq!(status, 200);
    assert_eq!(keys(&rule), ["code", "data", "message"]);
    assert_eq!(keys(&rule["data"]), ["id", "project_id", "rule"]);

    let actions = c
        .get(&pb_path(
            &c,
            &sim,
            PRODUCTION,
            &format!("/versions/{}/actions?offset=0&limit=1", version.id()),
        ))
        .await;
    assert!(actions.headers().get("x-api-deprecation-info").is_some());
    let (_, _, actions) = json(actions).await;
    assert_eq!(
        keys(&actions),
        ["code", "data", "message", "page", "size", "total"]
    );
    assert_eq!(actions["total"], 1);
    assert_eq!(
        actions["data"][0]["action_id"],
        production.workflows[0].info.id.as_str(),
        "the action binds a workflow of the same workspace by id"
    );
}

#[tokio::test]
async fn unknown_playbooks_versions_rules_and_actions_are_the_documented_errors() {
    let (sim, c) = start_default().await;
    let production = bundled_workspace("production").unwrap();
    let version = production.playbooks[0].versions[0].id().to_owned();
    for (suffix, code) in [
        ("/nope/versions".to_owned(), "SecMaster.20048006"),
        ("/versions/nope".to_owned(), "SecMaster.20048004"),
        (
            format!("/versions/{version}/rules/nope"),
            "SecMaster.20048004",
        ),
        ("/versions/nope/rules/nope".to_owned(), "SecMaster.20048004"),
        ("/versions/nope/actions".to_owned(), "SecMaster.20030005"),
    ] {
        assert_secmaster_error(c.get(&pb_path(&c, &sim, PRODUCTION, &suffix)).await, code).await;
    }
    // Routes the emulator does not serve are unknown to the gateway, before authentication.
    assert_gateway_error(
        c.get(&pb_path(&c, &sim, PRODUCTION, "/some-playbook"))
            .await,
        404,
        "APIGW.0101",
    )
    .await;
    let ws = format!("/v1/{}/workspaces/not-a-workspace/soc/playbooks", c.project);
    let (status, _, body) = json(c.get(&ws).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("SecMaster.20010001"))
    );
}

#[tokio::test]
async fn faults_reach_the_playbook_calls() {
    let config = SimConfig {
        faults: FaultConfig {
            error_rate: 1.0,
            only: vec![PathKind::ListPlaybookActions],
            list_total_surplus: 2,
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    };
    let (sim, c) = start(config).await;
    let (_, _, list) = json(c.get(&pb_path(&c, &sim, STAGING, "")).await).await;
    assert_eq!(list["total"], 8, "the surplus applies to the playbook list");
    let version = bundled_workspace("staging").unwrap().playbooks[0].versions[0]
        .id()
        .to_owned();
    let status = c
        .get(&pb_path(
            &c,
            &sim,
            STAGING,
            &format!("/versions/{version}/actions"),
        ))
        .await
        .status()
        .as_u16();
    assert!([500, 502, 503].contains(&status), "{status}");
    let logged = sim.log().of_kind(PathKind::ListPlaybookActions);
    assert_eq!(logged.len(), 1);
    assert!(logged[0].fault.is_some());
}
