//! Settings of a simulator run: fixtures, credentials, export format and faults.
//!
//! Plain types with documented defaults, so the CLI can map its flags onto them one to one.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::export::ExportFormat;
use crate::model::Workspace;

/// Default access key (`SIMACCESSKEY0000000`).
pub const DEFAULT_ACCESS_KEY: &str = "SIMACCESSKEY0000000";
/// Default secret key (`sim-secret-key`).
pub const DEFAULT_SECRET_KEY: &str = "sim-secret-key";
/// Default IAM user name.
pub const DEFAULT_USER: &str = "sim-user";
/// Default IAM user password.
pub const DEFAULT_PASSWORD: &str = "sim-password";
/// Default IAM domain (account) name.
pub const DEFAULT_DOMAIN: &str = "sim-domain";
/// Default project name, which Huawei Cloud sets to the region id.
pub const DEFAULT_PROJECT_NAME: &str = "ap-southeast-1";
/// Default project id: the one the bundled fixtures were exported from.
pub const DEFAULT_PROJECT_ID: &str = "0a1b2c3d4e5f40718293a4b5c6d7e8f9";

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used, never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// An access key pair the simulator accepts for `SDK-HMAC-SHA256` signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The access key id (AK).
    pub access_key: String,
    /// The secret key (SK).
    pub secret_key: Secret,
    /// For temporary keys: the `X-Security-Token` every request must carry (and sign).
    pub security_token: Option<Secret>,
}

impl AccessKey {
    /// A permanent key pair.
    pub fn permanent(access_key: impl Into<String>, secret_key: impl Into<Secret>) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        }
    }

    /// A temporary key pair that requires a matching `X-Security-Token`.
    pub fn temporary(
        access_key: impl Into<String>,
        secret_key: impl Into<Secret>,
        security_token: impl Into<Secret>,
    ) -> Self {
        Self {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: Some(security_token.into()),
        }
    }
}

/// An IAM user that can get tokens with password authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUser {
    /// Domain (account) name.
    pub domain: String,
    /// User name.
    pub name: String,
    /// Password.
    pub password: Secret,
}

impl IamUser {
    /// A user in a domain.
    pub fn new(
        domain: impl Into<String>,
        name: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Self {
        Self {
            domain: domain.into(),
            name: name.into(),
            password: password.into(),
        }
    }
}

/// Where the served workspaces come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Fixtures {
    /// The bundled staging and production workspaces embedded in the binary (default).
    #[default]
    Bundled,
    /// Every `<name>/workspace.json` + `<name>/workflows/*.json` folder under this root.
    Dir(PathBuf),
    /// Workspaces built in memory (for example by [`crate::generate`]).
    Workspaces(Vec<Workspace>),
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathKind {
    /// `POST /v3/auth/tokens`.
    IamToken,
    /// `GET /v3/projects`.
    IamProjects,
    /// `GET /v1/{project_id}/workspaces`.
    ListWorkspaces,
    /// `GET …/soc/workflows`.
    ListWorkflows,
    /// `GET …/soc/workflows/{id}`.
    ShowWorkflow,
    /// `GET …/soc/workflows/{id}/versions`.
    ListVersions,
    /// `GET …/soc/workflows/versions/{version_id}`.
    ShowVersion,
    /// `POST …/soc/workflows/export`.
    Export,
    /// `POST …/soc/workflows/import`.
    Import,
    /// `GET …/soc/playbooks`.
    ListPlaybooks,
    /// `GET …/soc/playbooks/{playbook_id}/versions`.
    ListPlaybookVersions,
    /// `GET …/soc/playbooks/versions/{version_id}`.
    ShowPlaybookVersion,
    /// `GET …/soc/playbooks/versions/{version_id}/rules/{rule_id}`.
    ShowPlaybookRule,
    /// `GET …/soc/playbooks/versions/{version_id}/actions`.
    ListPlaybookActions,
}

impl PathKind {
    /// Every kind.
    pub const ALL: [Self; 14] = [
        Self::IamToken,
        Self::IamProjects,
        Self::ListWorkspaces,
        Self::ListWorkflows,
        Self::ShowWorkflow,
        Self::ListVersions,
        Self::ShowVersion,
        Self::Export,
        Self::Import,
        Self::ListPlaybooks,
        Self::ListPlaybookVersions,
        Self::ShowPlaybookVersion,
        Self::ShowPlaybookRule,
        Self::ListPlaybookActions,
    ];

    /// The kebab-case name used on the command line and in the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IamToken => "iam-token",
            Self::IamProjects => "iam-projects",
            Self::ListWorkspaces => "list-workspaces",
            Self::ListWorkflows => "list-workflows",
            Self::ShowWorkflow => "show-workflow",
            Self::ListVersions => "list-versions",
            Self::ShowVersion => "show-version",
            Self::Export => "export",
            Self::Import => "import",
            Self::ListPlaybooks => "list-playbooks",
            Self::ListPlaybookVersions => "list-playbook-versions",
            Self::ShowPlaybookVersion => "show-playbook-version",
            Self::ShowPlaybookRule => "show-playbook-rule",
            Self::ListPlaybookActions => "list-playbook-actions",
        }
    }
}

impl fmt::Display for PathKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PathKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named(s, &Self::ALL, Self::as_str, "path kind")
    }
}

/// The one of `all` whose command-line name is `s`, or an error listing the names.
fn parse_named<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter().copied().find(|k| name(*k) == s).ok_or_else(|| {
        let names: Vec<_> = all.iter().map(|k| name(*k)).collect();
        format!(
            "unknown {what} {s:?} (expected one of {})",
            names.join(", ")
        )
    })
}

/// A fixed-window request limit per access key (or per token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub per: Duration,
}

/// Faults injected on demand; all off by default. Random choices are a pure function of `seed`
/// and the request's sequence number among the requests the scope selects.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Seed of every random fault decision. Default 0.
    pub seed: u64,
    /// Fixed latency added to every response. Default 0.
    pub latency: Duration,
    /// Extra latency drawn uniformly from `0..=jitter`. Default 0.
    pub jitter: Duration,
    /// Per-key rate limit answered with 429 `APIGW.0308` and `Retry-After`. Default none.
    pub rate_limit: Option<RateLimit>,
    /// Share (0.0–1.0) of selected requests answered with a random 500, 502 or 503. Default 0.
    pub error_rate: f64,
    /// Share of selected requests whose connection is dropped after part of the body. Default 0.
    pub drop_rate: f64,
    /// Share of selected requests whose body is cut short of its `Content-Length`. Default 0.
    pub truncate_rate: f64,
    /// Share of selected requests answered 200 with malformed JSON. Default 0.
    pub malformed_rate: f64,
    /// Only requests of these kinds get the rate-based faults above; empty = all. Default empty.
    pub only: Vec<PathKind>,
    /// Only the first K selected requests get rate-based faults; `None` = all. Default none.
    pub first_requests: Option<u64>,
    /// Every export request is answered this way instead. Default none.
    pub export_fault: Option<ExportFault>,
    /// The workflow list's and the playbook list's `total` claim this many more items than
    /// their pages hold. Default 0.
    pub list_total_surplus: u64,
    /// The versions list leaves out `taskflow` and `taskconfig` (showing a version still gives
    /// them), as the real list may. Default false.
    pub versions_without_content: bool,
    /// Showing a playbook version leaves out its `rules` and `actions`, so a client must read them
    /// from the (deprecated) rule and actions endpoints. Default false: they are inline.
    pub playbook_details_separate: bool,
}

/// How every export request is answered under an export fault. Deterministic: every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFault {
    /// HTTP 200 with SecMaster's error envelope `{"code": "SecMaster.20039999", "message",
    /// "success": false}`.
    SecMasterEnvelope,
    /// HTTP 200 with the gateway's error envelope `{"error_code": "APIGW.0201", "error_msg",
    /// "request_id"}`.
    GatewayEnvelope,
    /// The export route taken away: HTTP 404 `APIGW.0101`, before authentication, as for any
    /// path the gateway does not know.
    RouteMissing,
    /// HTTP 200 with an empty body.
    Empty,
    /// HTTP 200 with an HTML page.
    Html,
    /// HTTP 200 with a success envelope that holds no workflow.
    NoWorkflow,
    /// HTTP 200 with bytes of no known format.
    Binary,
}

impl ExportFault {
    /// Every fault.
    pub const ALL: [Self; 7] = [
        Self::SecMasterEnvelope,
        Self::GatewayEnvelope,
        Self::RouteMissing,
        Self::Empty,
        Self::Html,
        Self::NoWorkflow,
        Self::Binary,
    ];

    /// The kebab-case name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecMasterEnvelope => "secmaster-envelope",
            Self::GatewayEnvelope => "gateway-envelope",
            Self::RouteMissing => "route-missing",
            Self::Empty => "empty",
            Self::Html => "html",
            Self::NoWorkflow => "no-workflow",
            Self::Binary => "binary",
        }
    }
}

impl fmt::Display for ExportFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ExportFault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_named(s, &Self::ALL, Self::as_str, "export fault")
    }
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            rate_limit: None,
            error_rate: 0.0,
            drop_rate: 0.0,
            truncate_rate: 0.0,
            malformed_rate: 0.0,
            only: Vec::new(),
            first_requests: None,
            export_fault: None,
            list_total_surplus: 0,
            versions_without_content: false,
            playbook_details_separate: false,
        }
    }
}

/// Everything a simulator run needs. `SimConfig::default()` serves the bundled fixtures on
/// an ephemeral loopback port with the default credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Address to bind. Default `127.0.0.1:0` (loopback, ephemeral port).
    pub listen: SocketAddr,
    /// Workspaces to serve. Default [`Fixtures::Bundled`].
    pub fixtures: Fixtures,
    /// Project id in every path. Default: the fixtures' `project_id`, else
    /// [`DEFAULT_PROJECT_ID`]. When set, the served data's project ids are rewritten to it.
    pub project_id: Option<String>,
    /// Project name (the region id). Default [`DEFAULT_PROJECT_NAME`].
    pub project_name: String,
    /// Accepted access keys. Default one permanent pair: [`DEFAULT_ACCESS_KEY`] /
    /// [`DEFAULT_SECRET_KEY`].
    pub access_keys: Vec<AccessKey>,
    /// IAM users for password tokens. Default [`DEFAULT_DOMAIN`] / [`DEFAULT_USER`] /
    /// [`DEFAULT_PASSWORD`].
    pub users: Vec<IamUser>,
    /// Token lifetime. Default 24 hours, as IAM documents.
    pub token_ttl: Duration,
    /// Tokens expire after this many authenticated requests. Default none.
    pub token_max_uses: Option<u64>,
    /// Largest accepted `X-Sdk-Date` difference from the server clock. Default 15 minutes.
    pub max_clock_skew: Duration,
    /// Shape of the export file. Default [`ExportFormat::Json`].
    pub export_format: ExportFormat,
    /// Faults. Default none.
    pub faults: FaultConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            fixtures: Fixtures::Bundled,
            project_id: None,
            project_name: DEFAULT_PROJECT_NAME.to_owned(),
            access_keys: vec![AccessKey::permanent(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)],
            users: vec![IamUser::new(DEFAULT_DOMAIN, DEFAULT_USER, DEFAULT_PASSWORD)],
            token_ttl: Duration::from_secs(24 * 3600),
            token_max_uses: None,
            max_clock_skew: Duration::from_secs(15 * 60),
            export_format: ExportFormat::Json,
            faults: FaultConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let key = AccessKey::temporary("AK", "very-secret", "tok-secret");
        let shown = format!("{key:?} {}", key.secret_key);
        assert!(
            !shown.contains("very-secret") && !shown.contains("tok-secret"),
            "{shown}"
        );
        let cfg = format!("{:?}", SimConfig::default());
        assert!(!cfg.contains(DEFAULT_SECRET_KEY) && !cfg.contains(DEFAULT_PASSWORD));
    }

    #[test]
    fn path_kinds_round_trip() {
        for k in PathKind::ALL {
            assert_eq!(k.as_str().parse::<PathKind>().unwrap(), k);
        }
        assert!(
            "exports"
                .parse::<PathKind>()
                .unwrap_err()
                .contains("export")
        );
    }
}
