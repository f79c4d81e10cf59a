//! Authentication: signatures checked strictly, tokens that expire.

use std::time::Duration;

use reqwest::Method;
use soc_sim::{AccessKey, AuthKind, SimConfig};

use crate::support::{STAGING, assert_gateway_error, json, start, start_default};

#[tokio::test]
async fn no_credentials_is_401() {
    let (sim, c) = start_default().await;
    let resp = c
        .http
        .get(format!("{}{}", c.base, c.wf_path(&sim, STAGING, "")))
        .send()
        .await
        .unwrap();
    let body = assert_gateway_error(resp, 401, "APIGW.0301").await;
    assert!(
        body["error_msg"]
            .as_str()
            .unwrap()
            .contains("x-auth-token not found")
    );
    assert_eq!(sim.log().entries()[0].auth, AuthKind::None);
}

#[tokio::test]
async fn signed_requests_pass_and_are_logged_with_their_access_key() {
    let (sim, c) = start_default().await;
    let (status, _, _) = json(c.get(&c.wf_path(&sim, STAGING, "?limit=2&offset=0")).await).await;
    assert_eq!(status, 200);
    let entry = &sim.log().entries()[0];
    assert_eq!(
        entry.auth,
        AuthKind::AkSk {
            access_key: "SIMACCESSKEY0000000".into()
        }
    );
    assert_eq!(entry.query, "limit=2&offset=0");
    // Query order on the wire does not matter: the canonical query is sorted.
    let (status, _, _) = json(c.get(&c.wf_path(&sim, STAGING, "?offset=0&limit=2")).await).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn wrong_secret_unknown_key_and_tampering_are_401() {
    let (sim, mut c) = start_default().await;
    let path = c.wf_path(&sim, STAGING, "?limit=2");
    c.sk = "not-the-secret".into();
    assert_gateway_error(c.get(&path).await, 401, "APIGW.0301").await;
    c.sk = soc_sim::DEFAULT_SECRET_KEY.into();
    c.ak = "UNKNOWNKEY".into();
    assert_gateway_error(c.get(&path).await, 401, "APIGW.0301").await;
    c.ak = soc_sim::DEFAULT_ACCESS_KEY.into();

    // Sign one request, send another: a different query, then a different body.
    let date = chrono::Utc::now()
        .format(soc_sim::sign::DATE_FORMAT)
        .to_string();
    let headers = vec![
        ("host".to_owned(), c.host.clone()),
        ("x-sdk-date".to_owned(), date.clone()),
    ];
    let (raw_path, _) = path.split_once('?').unwrap();
    let input = soc_sim::sign::SignInput {
        method: "GET",
        raw_path,
        raw_query: "limit=2",
        headers: &headers,
        payload_hash: soc_sim::sign::EMPTY_HASH,
    };
    let authz = soc_sim::sign::authorization(&c.ak, &c.sk, &input, &date);
    let send = |url: String, body: &'static str| {
        c.http
            .get(url)
            .header("x-sdk-date", &date)
            .header("authorization", &authz)
            .body(body)
            .send()
    };
    assert_eq!(
        send(format!("{}{path}", c.base), "")
            .await
            .unwrap()
            .status(),
        200,
        "control"
    );
    assert_gateway_error(
        send(format!("{}{raw_path}?limit=3", c.base), "")
            .await
            .unwrap(),
        401,
        "APIGW.0301",
    )
    .await;
    assert_gateway_error(
        send(format!("{}{path}", c.base), "x").await.unwrap(),
        401,
        "APIGW.0301",
    )
    .await;
    // A flipped signature character.
    let mut bad = authz.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    let resp = c
        .http
        .get(format!("{}{path}", c.base))
        .header("x-sdk-date", &date)
        .header("authorization", bad)
        .send()
        .await
        .unwrap();
    assert_gateway_error(resp, 401, "APIGW.0301").await;
    let resp = c
        .http
        .get(format!("{}{path}", c.base))
        .header("x-sdk-date", &date)
        .header("authorization", "SDK-HMAC-SHA256 garbage")
        .send()
        .await
        .unwrap();
    assert_gateway_error(resp, 401, "APIGW.0301").await;
}

#[tokio::test]
async fn unsigned_payload_header_skips_the_body_hash() {
    let (sim, c) = start_default().await;
    let path = c.wf_path(&sim, STAGING, "/export");
    let staging = soc_sim::bundled_workspace("staging").unwrap();
    let body = serde_json::to_vec(&serde_json::json!({"id": [staging.workflows[0].id()]})).unwrap();
    let resp = c
        .signed_with(
            Method::POST,
            &path,
            body,
            &[("content-type", "application/json")],
            true,
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn clock_skew_over_15_minutes_is_refused() {
    let (sim, mut c) = start_default().await;
    let path = c.wf_path(&sim, STAGING, "?limit=1");
    c.date_offset = chrono::Duration::minutes(16);
    assert_gateway_error(c.get(&path).await, 401, "APIGW.0303").await;
    c.date_offset = chrono::Duration::minutes(-16);
    assert_gateway_error(c.get(&path).await, 401, "APIGW.0303").await;
    c.date_offset = chrono::Duration::minutes(-14);
    assert_eq!(c.get(&path).await.status(), 200);
}

#[tokio::test]
async fn temporary_keys_need_the_security_token() {
    let config = SimConfig {
        access_keys: vec![AccessKey::temporary("TMPKEY", "tmp-secret", "sts-token")],
        ..SimConfig::default()
    };
    let (sim, mut c) = start(config).await;
    let path = c.wf_path(&sim, STAGING, "?limit=1");
    c.ak = "TMPKEY".into();
    c.sk = "tmp-secret".into();
    assert_gateway_error(c.get(&path).await, 401, "APIGW.0301").await;
    c.security_token = Some("wrong".into());
    assert_gateway_error(c.get(&path).await, 401, "APIGW.0301").await;
    c.security_token = Some("sts-token".into());
    assert_eq!(c.get(&path).await.status(), 200);
}

#[tokio::test]
async fn forged_tokens_are_401() {
    let (sim, c) = start_default().await;
    let resp = c
        .with_token("MIIforged", Method::GET, &c.wf_path(&sim, STAGING, ""))
        .await;
    assert_gateway_error(resp, 401, "APIGW.0301").await;
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime_and_a_new_one_works() {
    let config = SimConfig {
        token_ttl: Duration::from_millis(300),
        ..SimConfig::default()
    };
    let (sim, c) = start(config).await;
    let path = c.wf_path(&sim, STAGING, "");
    let token = c.token().await;
    assert_eq!(c.with_token(&token, Method::GET, &path).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_gateway_error(
        c.with_token(&token, Method::GET, &path).await,
        401,
        "APIGW.0307",
    )
    .await;
    let fresh = c.token().await;
    assert_eq!(c.with_token(&fresh, Method::GET, &path).await.status(), 200);
}

#[tokio::test]
async fn tokens_expire_after_n_requests() {
    let config = SimConfig {
        token_max_uses: Some(2),
        ..SimConfig::default()
    };
    let (sim, c) = start(config).await;
    let path = c.wf_path(&sim, STAGING, "");
    let token = c.token().await;
    assert_eq!(c.with_token(&token, Method::GET, &path).await.status(), 200);
    assert_eq!(c.with_token(&token, Method::GET, &path).await.status(), 200);
    assert_gateway_error(
        c.with_token(&token, Method::GET, &path).await,
        401,
        "APIGW.0307",
    )
    .await;
    let auths: Vec<AuthKind> = sim.log().entries().into_iter().map(|e| e.auth).collect();
    assert_eq!(auths.iter().filter(|a| **a == AuthKind::Token).count(), 3);
}
