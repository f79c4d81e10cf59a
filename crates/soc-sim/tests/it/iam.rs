//! IAM: password tokens and project lookup.

use reqwest::Method;
use serde_json::json;
use soc_sim::{AuthKind, PathKind};

use crate::support::{assert_gateway_error, json, start_default};

#[tokio::test]
async fn password_auth_issues_a_token_in_the_subject_header() {
    let (sim, c) = start_default().await;
    let resp = c
        .password_auth(
            "sim-domain",
            "sim-user",
            "sim-password",
            json!({"name": "ap-southeast-1"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let token = resp.headers()["x-subject-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let (_, _, body) = json(resp).await;
    assert_eq!(body["token"]["project"]["id"], sim.project_id());
    assert_eq!(body["token"]["project"]["name"], "ap-southeast-1");
    assert_eq!(body["token"]["user"]["name"], "sim-user");
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["token"]["expires_at"].as_str().unwrap())
            .unwrap();
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{hours} minutes");

    // The token works on SecMaster, and scoping by project id works too.
    let (status, _, _) = json(
        c.with_token(
            &token,
            Method::GET,
            &format!("/v1/{}/workspaces", sim.project_id()),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let by_id = c
        .password_auth(
            "sim-domain",
            "sim-user",
            "sim-password",
            json!({"id": sim.project_id()}),
        )
        .await;
    assert_eq!(by_id.status(), 201);
    let log = sim.log().of_kind(PathKind::IamToken);
    assert_eq!(
        log[0].auth,
        AuthKind::Password {
            user: "sim-user".into()
        }
    );
}

#[tokio::test]
async fn bad_credentials_and_bad_bodies_are_rejected_in_iam_shape() {
    let (_sim, c) = start_default().await;
    for (domain, user, password) in [
        ("sim-domain", "sim-user", "wrong"),
        ("other", "sim-user", "sim-password"),
        ("sim-domain", "nobody", "sim-password"),
    ] {
        let (status, _, body) = json(
            c.password_auth(domain, user, password, json!({"name": "ap-southeast-1"}))
                .await,
        )
        .await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error_code"], "IAM.0004");
        assert!(body["error_msg"].as_str().unwrap().contains("password"));
    }
    let (status, _, body) = json(
        c.password_auth(
            "sim-domain",
            "sim-user",
            "sim-password",
            json!({"name": "cn-north-4"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("IAM.0007")),
        "{body}"
    );
    let resp = c
        .http
        .post(format!("{}/v3/auth/tokens", c.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, _, body) = json(resp).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("IAM.0007"))
    );
}

#[tokio::test]
async fn projects_lookup_by_name_is_signed_and_filtered() {
    let (sim, c) = start_default().await;
    let (status, _, body) = json(c.get("/v3/projects?name=ap-southeast-1").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["projects"].as_array().unwrap().len(), 1);
    assert_eq!(body["projects"][0]["id"], sim.project_id());
    let (_, _, body) = json(c.get("/v3/projects?name=cn-north-4").await).await;
    assert_eq!(body["projects"], json!([]));
    let resp = c
        .http
        .get(format!("{}/v3/projects?name=ap-southeast-1", c.base))
        .send()
        .await
        .unwrap();
    assert_gateway_error(resp, 401, "APIGW.0301").await;
}
