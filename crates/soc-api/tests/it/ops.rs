//! Show, versions, workspace names, not-found answers, a listing that changes under us.

use futures_util::StreamExt;
use soc_api::ApiError;
use soc_sim::SimConfig;

use crate::common::{
    STAGING, builder, client, generated, iam_token, list_all, serving, staging, start,
};

#[tokio::test]
async fn list_show_and_versions_agree() {
    let sim = start(SimConfig::default()).await;
    let client = client(&sim, STAGING);
    let listed = list_all(&client).await.unwrap();
    assert_eq!(listed.len(), staging().workflows.len());
    for info in &listed {
        let shown = client.show_workflow(info.id()).await.unwrap();
        assert_eq!(shown.id(), info.id());
        assert_eq!(shown.name(), info.name());
        let versions = client.list_versions(info.id()).await.unwrap();
        assert!(!versions.is_empty(), "{} has versions", info.id());
        for version in &versions {
            assert_eq!(version.get_str("aopworkflow_id"), Some(info.id()));
            let one = client.show_version(version.id()).await.unwrap();
            assert_eq!(one.id(), version.id());
            assert_eq!(one.get_str("taskflow"), version.get_str("taskflow"));
        }
    }
}

#[tokio::test]
async fn missing_workflow_and_version_are_not_found() {
    let sim = start(SimConfig::default()).await;
    let client = client(&sim, STAGING);
    let err = client
        .show_workflow("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.attempts(), 1);
    assert!(
        err.to_string()
            .contains("00000000-0000-0000-0000-000000000000"),
        "{err}"
    );
    let err = client.show_version("no-such-version").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    // A hostile id stays one path segment and comes back quoted.
    let err = client
        .show_workflow("../../workspaces?x=1")
        .await
        .unwrap_err();
    assert!(
        err.is_not_found() || matches!(err, ApiError::Api { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn workspace_names_resolve() {
    let sim = start(SimConfig::default()).await;
    let by_name = builder(&sim, STAGING)
        .workspace_name(STAGING)
        .build()
        .unwrap();
    assert_eq!(
        by_name.workspace_id().await.unwrap(),
        sim.workspace_id(STAGING).unwrap()
    );
    assert_eq!(
        list_all(&by_name).await.unwrap().len(),
        staging().workflows.len()
    );

    let unknown = builder(&sim, STAGING)
        .workspace_name("soc-nowhere")
        .build()
        .unwrap();
    let err = unknown.workspace_id().await.unwrap_err();
    assert!(
        matches!(err, ApiError::WorkspaceName { found: 0, .. }),
        "{err}"
    );
    // A prefix of a real name is not a match, even if the server filters fuzzily.
    let prefix = builder(&sim, STAGING)
        .workspace_name("soc-stag")
        .build()
        .unwrap();
    assert!(matches!(
        prefix.workspace_id().await.unwrap_err(),
        ApiError::WorkspaceName { found: 0, .. }
    ));
}

#[tokio::test]
async fn unknown_workspace_id_is_an_error() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .workspace_id("not-a-workspace")
        .build()
        .unwrap();
    let err = list_all(&client).await.unwrap_err();
    assert!(
        err.status().is_some_and(|s| (400..500).contains(&s)),
        "{err}"
    );
}

#[tokio::test]
async fn a_workflow_created_mid_listing_is_an_error_not_a_gap() {
    let workspace = generated(150);
    let name = workspace.name.clone();
    let sim = start(serving(vec![workspace])).await;
    let client = client(&sim, &name);
    let stream = client.list_workflows();
    futures_util::pin_mut!(stream);
    for _ in 0..100 {
        stream.next().await.unwrap().unwrap();
    }
    // Someone imports a workflow in the console while the second page is not yet read: it is
    // listed first (newest first), so every later workflow shifts by one.
    let token = iam_token(&sim.base_url()).await;
    let url = format!(
        "{}/v1/{}/workspaces/{}/soc/workflows/import",
        sim.base_url(),
        sim.project_id(),
        sim.workspace_id(&name).unwrap()
    );
    let file = staging().workflows[0].export_bytes().unwrap();
    let form = reqwest::multipart::Form::new().part(
        "uploadFile",
        reqwest::multipart::Part::bytes(file).file_name("workflow.json"),
    );
    let resp = reqwest::Client::new()
        .post(url)
        .header("x-auth-token", token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );

    let rest: Vec<_> = stream.collect().await;
    assert_eq!(rest.len(), 1, "the listing stops at the change");
    let err = rest[0].as_ref().unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::ListingChanged {
                before: 150,
                after: 151,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.request_id().is_some());
}
