//! Starting a simulator and building clients for it.

use std::collections::BTreeMap;

use soc_api::{Client, ClientBuilder, Credentials, RetryPolicy};
use soc_sim::Workspace;
use soc_sim::{
    DEFAULT_ACCESS_KEY, DEFAULT_DOMAIN, DEFAULT_PASSWORD, DEFAULT_PROJECT_NAME, DEFAULT_SECRET_KEY,
    DEFAULT_USER, Fixtures, RunningSim, Sim, SimConfig,
};

pub const STAGING: &str = "soc-staging";

/// Starts a simulator with `config`.
pub async fn start(config: SimConfig) -> RunningSim {
    Sim::start(config).await.expect("simulator starts")
}

/// Starts a simulator serving these workspaces, with otherwise default settings.
pub fn serving(workspaces: Vec<Workspace>) -> SimConfig {
    SimConfig {
        fixtures: Fixtures::Workspaces(workspaces),
        ..SimConfig::default()
    }
}

/// A builder for the workspace named `workspace` on `sim`, default AK/SK, no retry delays.
pub fn builder(sim: &RunningSim, workspace: &str) -> ClientBuilder {
    ClientBuilder::new()
        .endpoint(sim.base_url())
        .iam_endpoint(sim.base_url())
        .project_id(sim.project_id())
        .workspace_id(sim.workspace_id(workspace).expect("workspace is served"))
        .credentials(Credentials::ak_sk(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY))
        .retry(RetryPolicy::no_delay())
}

/// A default client for `workspace`.
pub fn client(sim: &RunningSim, workspace: &str) -> Client {
    builder(sim, workspace).build().expect("client builds")
}

/// What the simulator holds: workflow id -> its single-workflow export bytes.
pub fn expected_exports(workspace: &Workspace) -> BTreeMap<String, Vec<u8>> {
    workspace
        .workflows
        .iter()
        .map(|wf| (wf.id().to_owned(), wf.export_bytes().expect("export bytes")))
        .collect()
}

/// The bundled staging workspace.
pub fn staging() -> Workspace {
    soc_sim::bundled_workspace("staging").expect("bundled staging workspace")
}

/// The ids of the bundled staging workflows, in fixture order.
pub fn staging_ids() -> Vec<String> {
    staging()
        .workflows
        .iter()
        .map(|w| w.info.id.clone())
        .collect()
}

/// A generated workspace of `n` small workflows (names and ids unique).
pub fn generated(n: usize) -> Workspace {
    let opts = soc_sim::generate::GenerateOptions {
        workflows: n,
        nodes_per_workflow: 4,
        ..Default::default()
    };
    soc_sim::generate::generate(&opts).0
}

/// Runs `export_all` and checks every workflow the simulator holds came back byte-identical,
/// exactly once.
pub async fn assert_full_export(client: &Client, workspace: &Workspace) {
    let exported = client
        .export_all(|_| {})
        .await
        .expect("export_all succeeds");
    let expected = expected_exports(workspace);
    let got: BTreeMap<String, Vec<u8>> = exported
        .iter()
        .map(|(info, wf)| (info.id().to_owned(), wf.bytes.to_vec()))
        .collect();
    assert_eq!(exported.len(), expected.len(), "each workflow exactly once");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (id, bytes) in &expected {
        assert!(
            got[id] == *bytes,
            "export of {id} differs from the simulator's bytes"
        );
    }
    for (info, wf) in &exported {
        assert_eq!(info.id(), wf.id);
        assert_eq!(info.name(), wf.name.as_deref(), "name read from the export");
    }
}

/// Every listed workflow, or the first error.
pub async fn list_all(client: &Client) -> Result<Vec<soc_api::WorkflowInfo>, soc_api::ApiError> {
    use futures_util::TryStreamExt;
    client.list_workflows().try_collect().await
}

/// Gets a token from the simulator's IAM the way an operator would (outside the client).
pub async fn iam_token(base: &str) -> String {
    let body = serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": DEFAULT_USER, "password": DEFAULT_PASSWORD, "domain": {"name": DEFAULT_DOMAIN}}}},
        "scope": {"project": {"name": DEFAULT_PROJECT_NAME}}}});
    let resp = reqwest::Client::new()
        .post(format!("{base}/v3/auth/tokens"))
        .json(&body)
        .send()
        .await
        .expect("iam answers");
    assert_eq!(resp.status().as_u16(), 201);
    resp.headers()["x-subject-token"]
        .to_str()
        .expect("token is ascii")
        .to_owned()
}
