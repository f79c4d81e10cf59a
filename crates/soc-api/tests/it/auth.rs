//! Every credential kind, and refused credentials.

use soc_api::{ApiError, Credentials, Operation};
use soc_sim::{
    AccessKey, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_PROJECT_NAME, DEFAULT_USER, PathKind,
    SimConfig,
};

use crate::common::{STAGING, assert_full_export, builder, iam_token, list_all, staging, start};

#[tokio::test]
async fn permanent_ak_sk() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING).build().unwrap();
    assert_full_export(&client, &staging()).await;
    assert!(
        sim.log().entries().iter().all(|e| e.status == 200),
        "{:?}",
        sim.log().entries()
    );
}

#[tokio::test]
async fn temporary_ak_sk_with_security_token() {
    let config = SimConfig {
        access_keys: vec![AccessKey::temporary("TEMPAK", "temp-sk", "sts-token-value")],
        ..SimConfig::default()
    };
    let sim = start(config).await;
    let client = builder(&sim, STAGING)
        .credentials(Credentials::temporary_ak_sk(
            "TEMPAK",
            "temp-sk",
            "sts-token-value",
        ))
        .build()
        .unwrap();
    assert_full_export(&client, &staging()).await;

    // The same key without its token is refused, once (401 is not retried).
    let without = builder(&sim, STAGING)
        .credentials(Credentials::ak_sk("TEMPAK", "temp-sk"))
        .build()
        .unwrap();
    let err = without
        .show_workflow(&staging().workflows[0].info.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Auth { status: 401, .. }), "{err}");
    assert_eq!(err.attempts(), 1);
}

#[tokio::test]
async fn wrong_secret_key_is_an_auth_error_that_names_the_request() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .credentials(Credentials::ak_sk(
            soc_sim::DEFAULT_ACCESS_KEY,
            "not-the-secret",
        ))
        .build()
        .unwrap();
    let err = list_all(&client).await.unwrap_err();
    assert!(matches!(err, ApiError::Auth { status: 401, .. }), "{err}");
    assert!(err.request_id().is_some(), "{err}");
    assert!(!err.to_string().contains("not-the-secret"));
}

#[tokio::test]
async fn static_token() {
    let sim = start(SimConfig::default()).await;
    let token = iam_token(&sim.base_url()).await;
    let client = builder(&sim, STAGING)
        .credentials(Credentials::token(token))
        .build()
        .unwrap();
    assert_full_export(&client, &staging()).await;

    let bad = builder(&sim, STAGING)
        .credentials(Credentials::token("forged-token"))
        .build()
        .unwrap();
    let err = bad
        .show_workflow(&staging().workflows[0].info.id)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Auth { status: 401, .. }), "{err}");
}

#[tokio::test]
async fn password_token_is_fetched_once_and_cached() {
    let sim = start(SimConfig::default()).await;
    let client = password_builder(&sim).concurrency(4).build().unwrap();
    assert_full_export(&client, &staging()).await;
    assert_full_export(&client, &staging()).await;
    assert_eq!(
        sim.log().of_kind(PathKind::IamToken).len(),
        1,
        "one token for every request"
    );
}

#[tokio::test]
async fn password_scoped_by_project_name() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .credentials(Credentials::Password {
            user: DEFAULT_USER.into(),
            password: DEFAULT_PASSWORD.into(),
            domain: DEFAULT_DOMAIN.into(),
            project_name: Some(DEFAULT_PROJECT_NAME.into()),
        })
        .build()
        .unwrap();
    assert_full_export(&client, &staging()).await;
}

#[tokio::test]
async fn expired_token_is_renewed_once_on_401() {
    // Tokens die after 3 uses: a full export needs several tokens, each renewed after a 401.
    let sim = start(SimConfig {
        token_max_uses: Some(3),
        ..SimConfig::default()
    })
    .await;
    let client = password_builder(&sim)
        .concurrency(1)
        .export_batch_size(1)
        .build()
        .unwrap();
    assert_full_export(&client, &staging()).await;
    let tokens = sim.log().of_kind(PathKind::IamToken).len();
    assert!(tokens >= 3, "tokens were renewed ({tokens})");
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_of_the_token_request() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .credentials(Credentials::password(
            DEFAULT_USER,
            "pw-must-not-leak",
            DEFAULT_DOMAIN,
        ))
        .build()
        .unwrap();
    let err = client.show_workflow("any").await.unwrap_err();
    assert!(matches!(err, ApiError::Auth { status: 401, .. }), "{err}");
    assert_eq!(err.context().operation, Operation::IamToken);
    assert!(
        !format!("{err:?} {err}").contains("pw-must-not-leak"),
        "{err:?}"
    );
}

#[tokio::test]
async fn password_token_is_renewed_before_it_expires() {
    // A 2-second token is used for at most half its life, then replaced without any 401.
    let sim = start(SimConfig {
        token_ttl: std::time::Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let client = password_builder(&sim).build().unwrap();
    assert_full_export(&client, &staging()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_full_export(&client, &staging()).await;
    assert_eq!(sim.log().of_kind(PathKind::IamToken).len(), 2);
    assert!(sim.log().entries().iter().all(|e| e.status != 401));
}

/// A builder for the staging workspace with the simulator's default IAM user.
fn password_builder(sim: &soc_sim::RunningSim) -> soc_api::ClientBuilder {
    builder(sim, STAGING).credentials(Credentials::password(
        DEFAULT_USER,
        DEFAULT_PASSWORD,
        DEFAULT_DOMAIN,
    ))
}
