//! A small signing client for the tests, built on the crate's own canonicalizer (which the
//! unit tests pin to the published vectors and the SDK interop test pins to the Python SDK).

use chrono::Utc;
use reqwest::{Method, Response};
use soc_sim::sign::{self, SignInput};
use soc_sim::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, RunningSim, Sim, SimConfig};

pub const STAGING: &str = "soc-staging";
pub const PRODUCTION: &str = "soc-production";

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub host: String,
    pub project: String,
    pub ak: String,
    pub sk: String,
    pub security_token: Option<String>,
    pub date_offset: chrono::Duration,
}

pub async fn start(config: SimConfig) -> (RunningSim, Client) {
    let sim = Sim::start(config).await.expect("sim starts");
    let client = Client {
        http: reqwest::Client::new(),
        base: sim.base_url(),
        host: sim.addr().to_string(),
        project: sim.project_id().to_owned(),
        ak: DEFAULT_ACCESS_KEY.to_owned(),
        sk: DEFAULT_SECRET_KEY.to_owned(),
        security_token: None,
        date_offset: chrono::Duration::zero(),
    };
    (sim, client)
}

pub async fn start_default() -> (RunningSim, Client) {
    start(SimConfig::default()).await
}

impl Client {
    /// `/v1/{project}/workspaces/{ws}/soc/workflows{suffix}`
    pub fn wf_path(&self, sim: &RunningSim, workspace: &str, suffix: &str) -> String {
        let ws = sim.workspace_id(workspace).expect("workspace exists");
        format!("/v1/{}/workspaces/{ws}/soc/workflows{suffix}", self.project)
    }

    /// Sends a request signed with SDK-HMAC-SHA256; `path_and_query` is sent verbatim.
    pub async fn signed(&self, method: Method, path_and_query: &str, body: Vec<u8>) -> Response {
        self.signed_with(method, path_and_query, body, &[], false)
            .await
    }

    pub async fn get(&self, path_and_query: &str) -> Response {
        self.signed(Method::GET, path_and_query, Vec::new()).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.signed_with(
            Method::POST,
            path,
            serde_json::to_vec(body).unwrap(),
            &[("content-type", "application/json")],
            false,
        )
        .await
    }

    /// Full control: extra headers are signed too; `unsigned_payload` uses `UNSIGNED-PAYLOAD`.
    pub async fn signed_with(
        &self,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
        extra: &[(&str, &str)],
        unsigned_payload: bool,
    ) -> Response {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let date = (Utc::now() + self.date_offset)
            .format(sign::DATE_FORMAT)
            .to_string();
        let mut headers = vec![
            ("host".to_owned(), self.host.clone()),
            ("x-sdk-date".to_owned(), date.clone()),
        ];
        if let Some(t) = &self.security_token {
            headers.push(("x-security-token".to_owned(), t.clone()));
        }
        if unsigned_payload {
            headers.push((
                "x-sdk-content-sha256".to_owned(),
                sign::UNSIGNED_PAYLOAD.to_owned(),
            ));
        }
        headers.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let hash = if unsigned_payload {
            sign::UNSIGNED_PAYLOAD.to_owned()
        } else {
            sign::sha256_hex(&body)
        };
        let input = SignInput {
            method: method.as_str(),
            raw_path: path,
            raw_query: query,
            headers: &headers,
            payload_hash: &hash,
        };
        let authorization = sign::authorization(&self.ak, &self.sk, &input, &date);
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .body(body);
        for (k, v) in &headers {
            if k != "host" {
                req = req.header(k, v);
            }
        }
        req.header("authorization", authorization)
            .send()
            .await
            .expect("request is sent")
    }

    pub async fn with_token(&self, token: &str, method: Method, path_and_query: &str) -> Response {
        self.http
            .request(method, format!("{}{path_and_query}", self.base))
            .header("x-auth-token", token)
            .send()
            .await
            .expect("request is sent")
    }

    /// Gets a token for the default user; panics unless IAM answers 201.
    pub async fn token(&self) -> String {
        let resp = self
            .password_auth(
                "sim-domain",
                "sim-user",
                "sim-password",
                serde_json::json!({"name": "ap-southeast-1"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        resp.headers()["x-subject-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    pub async fn password_auth(
        &self,
        domain: &str,
        user: &str,
        password: &str,
        project: serde_json::Value,
    ) -> Response {
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}}},
            "scope": {"project": project}}});
        self.http
            .post(format!("{}/v3/auth/tokens", self.base))
            .json(&body)
            .send()
            .await
            .expect("request is sent")
    }
}

/// Status, request-id header and JSON body of a response.
pub async fn json(resp: Response) -> (u16, String, serde_json::Value) {
    let status = resp.status().as_u16();
    let rid = resp
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = resp.bytes().await.expect("body");
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, rid, value)
}

/// Asserts a SecMaster business error: HTTP 400 `{code, message}`.
pub async fn assert_secmaster_error(resp: Response, code: &str) {
    let (status, rid, body) = json(resp).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(!rid.is_empty());
}

/// Asserts a gateway error `{error_code, error_msg, request_id}` whose id matches the header.
pub async fn assert_gateway_error(resp: Response, status: u16, code: &str) -> serde_json::Value {
    let (got, rid, body) = json(resp).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error_code"], code, "{body}");
    assert!(
        body["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["request_id"], rid.as_str());
    body
}
