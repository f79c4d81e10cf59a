//! `ClientBuilder` and the configuration it validates.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::credentials::Credentials;
use crate::error::BuildError;
use crate::http::{Inner, Pacer};
use crate::retry::RetryPolicy;

/// Default cap on a response body: 64 MiB ([`soc_model::Limits`]' export size).
pub const DEFAULT_MAX_BODY_BYTES: u64 = soc_model::limits::DEFAULT_MAX_EXPORT_BYTES;

/// Default number of requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Default number of workflow ids per export request.
pub const DEFAULT_EXPORT_BATCH: usize = 10;

/// Network timeouts, per attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP/TLS connection.
    pub connect: Duration,
    /// The longest pause while waiting for response bytes.
    pub read: Duration,
    /// The whole attempt, body included (`None`: no overall limit, only `read`).
    pub request: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            request: Some(Duration::from_secs(300)),
        }
    }
}

/// Where workflow documents come from (`source` of an environment in `socdrift.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceMode {
    /// The export API only.
    Export,
    /// The workflow and versions APIs only; each document is built as an export would hold it.
    Versions,
    /// Export first; when the export route does not exist or does not answer a workflow
    /// document, the versions APIs for that environment.
    #[default]
    Auto,
}

impl SourceMode {
    /// `export`, `versions` or `auto`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Versions => "versions",
            Self::Auto => "auto",
        }
    }
}

/// Which workspace the client works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WorkspaceRef {
    Id(String),
    Name(String),
}

/// Builds a [`Client`](crate::Client) for one SecMaster workspace.
///
/// Required: an endpoint or region, a project id, a workspace id or name, and credentials.
#[derive(Clone)]
#[must_use]
pub struct ClientBuilder {
    endpoint: Option<String>,
    region: Option<String>,
    iam_endpoint: Option<String>,
    project_id: Option<String>,
    workspace: Option<WorkspaceRef>,
    credentials: Option<Credentials>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    concurrency: usize,
    requests_per_second: Option<f64>,
    limits: soc_model::Limits,
    source: SourceMode,
    export_batch_size: usize,
    ca_bundle: Option<PathBuf>,
    accept_invalid_certs: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("project_id", &self.project_id)
            .field("workspace", &self.workspace)
            .field(
                "credentials",
                &self.credentials.as_ref().map(Credentials::kind),
            )
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("concurrency", &self.concurrency)
            .field("requests_per_second", &self.requests_per_second)
            .field("limits", &self.limits)
            .field("source", &self.source)
            .field("export_batch_size", &self.export_batch_size)
            .field("ca_bundle", &self.ca_bundle)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// A builder with default timeouts, retries (5 attempts), concurrency 8, no rate cap,
    /// a 64 MiB body cap and verified TLS.
    pub fn new() -> Self {
        Self {
            endpoint: None,
            region: None,
            iam_endpoint: None,
            project_id: None,
            workspace: None,
            credentials: None,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            requests_per_second: None,
            limits: soc_model::Limits::default(),
            source: SourceMode::default(),
            export_batch_size: DEFAULT_EXPORT_BATCH,
            ca_bundle: None,
            accept_invalid_certs: false,
        }
    }

    /// The SecMaster endpoint URL, e.g. `https://secmaster.cn-north-4.myhuaweicloud.com` or a
    /// local emulator. Takes precedence over the region's endpoint.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The region id (e.g. `cn-north-4`): gives `https://secmaster.{region}.myhuaweicloud.com`
    /// and, for password credentials, `https://iam.{region}.myhuaweicloud.com`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The IAM endpoint URL for password credentials.
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into());
        self
    }

    /// The project id (per region) the workspace belongs to.
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// The workspace id (replaces any workspace name).
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace = Some(WorkspaceRef::Id(id.into()));
        self
    }

    /// A workspace name, resolved through the workspaces list on first use; exactly one
    /// workspace must carry it (replaces any workspace id).
    pub fn workspace_name(mut self, name: impl Into<String>) -> Self {
        self.workspace = Some(WorkspaceRef::Name(name.into()));
        self
    }

    /// The credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Network timeouts per attempt.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The retry policy ([`RetryPolicy::no_delay`] in tests).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The most SecMaster requests in flight at once (at least 1), across all operations of the
    /// client (IAM token requests are not counted).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// An optional cap on requests started per second (retries included).
    pub fn requests_per_second(mut self, rate: Option<f64>) -> Self {
        self.requests_per_second = rate;
        self
    }

    /// The largest response body accepted, in bytes.
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_export_bytes = bytes;
        self
    }

    /// The limits every answer is read within: the body cap is `max_export_bytes`, and ZIP and
    /// JSON answers are unpacked and parsed within the others.
    pub fn limits(mut self, limits: soc_model::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Where [`Client::fetch_all`](crate::Client::fetch_all) gets workflow documents from
    /// (default [`SourceMode::Auto`]).
    pub fn source(mut self, source: SourceMode) -> Self {
        self.source = source;
        self
    }

    /// Workflow ids per export request (1 disables batching). Batch answers that cannot be
    /// split per workflow fall back to one id per request.
    pub fn export_batch_size(mut self, n: usize) -> Self {
        self.export_batch_size = n;
        self
    }

    /// A PEM file of extra CA certificates to trust (in addition to the system and bundled roots).
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// Turns TLS certificate verification off. Dangerous; logs a warning when the client is built.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Validates the configuration and builds the client. No request is made: a workspace name
    /// is resolved, and an IAM token obtained, on first use.
    pub fn build(self) -> Result<crate::Client, BuildError> {
        let region = match self.region.as_deref().map(str::trim) {
            Some(region) if !is_region_id(region) => {
                return Err(BuildError::InvalidRegion(region.to_owned()));
            }
            other => other.map(str::to_owned),
        };
        let endpoint = match (&self.endpoint, &region) {
            (Some(url), _) => parse_base_url("endpoint", url)?,
            (None, Some(region)) => parse_base_url(
                "endpoint",
                &format!("https://secmaster.{region}.myhuaweicloud.com"),
            )?,
            (None, None) => return Err(BuildError::MissingEndpoint),
        };
        let project_id = match self.project_id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => return Err(BuildError::MissingProjectId),
        };
        check_header_value("project id", &project_id)?;
        let workspace = match self.workspace {
            Some(WorkspaceRef::Id(id)) if !id.trim().is_empty() => {
                WorkspaceRef::Id(id.trim().to_owned())
            }
            Some(WorkspaceRef::Name(name)) if !name.trim().is_empty() => WorkspaceRef::Name(name),
            _ => return Err(BuildError::MissingWorkspace),
        };
        let credentials = self.credentials.ok_or(BuildError::MissingCredentials)?;
        if let Some(field) = credentials.first_empty_field() {
            return Err(BuildError::EmptyCredential {
                kind: credentials.kind(),
                field,
            });
        }
        let iam_endpoint = match &credentials {
            Credentials::AkSk {
                ak, security_token, ..
            } => {
                check_header_value("access key", ak)?;
                if let Some(token) = security_token {
                    check_header_value("security token", token.expose())?;
                }
                None
            }
            Credentials::Token(token) => {
                check_header_value("token", token.expose())?;
                None
            }
            Credentials::Password { .. } => Some(match (&self.iam_endpoint, &region) {
                (Some(url), _) => parse_base_url("iam endpoint", url)?,
                (None, Some(region)) => parse_base_url(
                    "iam endpoint",
                    &format!("https://iam.{region}.myhuaweicloud.com"),
                )?,
                (None, None) => return Err(BuildError::MissingIamEndpoint),
            }),
        };
        if self.concurrency == 0 {
            return Err(invalid("concurrency", "must be at least 1"));
        }
        if self.export_batch_size == 0 {
            return Err(invalid("export_batch_size", "must be at least 1"));
        }
        if let Err(kind) = self.limits.validate() {
            return Err(invalid("limits", &format!("{kind} must be at least 1")));
        }
        if self.retry.max_attempts == 0 {
            return Err(invalid("retry.max_attempts", "must be at least 1"));
        }
        let pacer = match self.requests_per_second {
            None => None,
            Some(rate) if rate.is_finite() && rate > 0.0 => Some(Pacer::new(rate)),
            Some(rate) => {
                return Err(invalid(
                    "requests_per_second",
                    &format!("{rate} is not a positive number"),
                ));
            }
        };

        let mut http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(self.timeouts.connect)
            .read_timeout(self.timeouts.read)
            .pool_max_idle_per_host(self.concurrency)
            .user_agent(concat!("socdrift-soc-api/", env!("CARGO_PKG_VERSION")));
        if let Some(total) = self.timeouts.request {
            http = http.timeout(total);
        }
        if let Some(path) = &self.ca_bundle {
            let pem = std::fs::read(path).map_err(|source| BuildError::CaBundleRead {
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
                BuildError::CaBundleParse {
                    path: path.clone(),
                    source: Some(source),
                }
            })?;
            if certs.is_empty() {
                return Err(BuildError::CaBundleParse {
                    path: path.clone(),
                    source: None,
                });
            }
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        if self.accept_invalid_certs {
            tracing::warn!(
                endpoint = %endpoint,
                "tls certificate verification is off: anyone on the network path can read and alter the traffic"
            );
            http = http.danger_accept_invalid_certs(true);
        }
        let http = http.build().map_err(BuildError::Http)?;

        Ok(crate::Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                project_id,
                workspace,
                workspace_id: tokio::sync::OnceCell::new(),
                credentials,
                iam_endpoint,
                token_cache: tokio::sync::Mutex::new(None),
                retry: self.retry,
                permits: tokio::sync::Semaphore::new(self.concurrency),
                concurrency: self.concurrency,
                pacer,
                max_body_bytes: self.limits.max_export_bytes,
                limits: self.limits,
                source: self.source,
                export_batch_size: self.export_batch_size,
            }),
        })
    }
}

fn invalid(name: &'static str, reason: &str) -> BuildError {
    BuildError::InvalidSetting {
        name,
        reason: reason.to_owned(),
    }
}

/// Region ids are lower-case letters, digits and dashes (`cn-north-4`, `eu-west-101`).
fn is_region_id(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
}

fn check_header_value(name: &'static str, value: &str) -> Result<(), BuildError> {
    match reqwest::header::HeaderValue::from_str(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(invalid(
            name,
            "contains characters that cannot be sent in an http header",
        )),
    }
}

/// An http(s) base URL without query or fragment.
fn parse_base_url(which: &'static str, text: &str) -> Result<Url, BuildError> {
    let bad = |reason: &str| BuildError::InvalidUrl {
        which,
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|err| bad(&err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn base() -> ClientBuilder {
        ClientBuilder::new()
            .region("cn-north-4")
            .project_id("p1")
            .workspace_id("w1")
            .credentials(Credentials::ak_sk("AK", "SK"))
    }

    #[test]
    fn region_gives_endpoints() {
        let client = base().build().unwrap();
        assert_eq!(
            client.endpoint().as_str(),
            "https://secmaster.cn-north-4.myhuaweicloud.com/"
        );
        let client = base()
            .credentials(Credentials::password("u", "p", "d"))
            .build()
            .unwrap();
        assert!(format!("{client:?}").contains("iam.cn-north-4.myhuaweicloud.com"));
    }

    #[test]
    fn explicit_endpoint_wins() {
        let client = base().endpoint("http://127.0.0.1:9/base").build().unwrap();
        assert_eq!(client.endpoint().as_str(), "http://127.0.0.1:9/base");
    }

    #[test]
    fn missing_and_bad_settings_are_named() {
        let cases: Vec<(ClientBuilder, &str)> = vec![
            (
                ClientBuilder::new()
                    .project_id("p")
                    .workspace_id("w")
                    .credentials(Credentials::token("t")),
                "no secmaster endpoint",
            ),
            (base().region("CN north"), "invalid region"),
            (base().endpoint("ftp://x"), "scheme"),
            (base().endpoint("not a url"), "invalid endpoint url"),
            (base().endpoint("https://h/?q=1"), "query"),
            (base().project_id(" "), "no project id"),
            (base().project_id("p\n1"), "project id"),
            (base().workspace_name(""), "no workspace"),
            (
                base().credentials(Credentials::token("")),
                "token of the iam token credentials is empty",
            ),
            (base().concurrency(0), "concurrency"),
            (base().export_batch_size(0), "export_batch_size"),
            (base().requests_per_second(Some(0.0)), "requests_per_second"),
            (
                base().requests_per_second(Some(f64::NAN)),
                "requests_per_second",
            ),
            (
                base().retry(RetryPolicy::default().with_max_attempts(0)),
                "max_attempts",
            ),
            (
                base().ca_bundle("/nonexistent/ca.pem"),
                "cannot read ca bundle /nonexistent/ca.pem",
            ),
            (
                ClientBuilder::new()
                    .endpoint("http://127.0.0.1:1")
                    .project_id("p")
                    .workspace_id("w")
                    .credentials(Credentials::password("u", "p", "d")),
                "iam endpoint",
            ),
        ];
        for (builder, expected) in cases {
            let err = builder.build().unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{err:?} should mention {expected:?}"
            );
        }
        let no_creds = ClientBuilder::new()
            .region("r")
            .project_id("p")
            .workspace_id("w")
            .build()
            .unwrap_err();
        assert!(matches!(no_creds, BuildError::MissingCredentials));
    }

    #[test]
    fn ca_bundle_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("soc-api-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "no certificates here\n").unwrap();
        let err = base().ca_bundle(&path).build().unwrap_err();
        assert!(matches!(err, BuildError::CaBundleParse { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Collects what a tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logs_of(build: impl FnOnce()) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, build);
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn turning_tls_verification_off_warns() {
        let logs = logs_of(|| {
            base().danger_accept_invalid_certs(true).build().unwrap();
        });
        assert!(
            logs.contains("WARN") && logs.contains("verification is off"),
            "{logs}"
        );
        let logs = logs_of(|| {
            base().build().unwrap();
        });
        assert!(logs.is_empty(), "{logs}");
    }

    #[test]
    fn debug_hides_secrets() {
        let builder = base().credentials(Credentials::temporary_ak_sk(
            "AK",
            Secret::new("sk-secret"),
            "sts-secret",
        ));
        let shown = format!("{builder:?}");
        assert!(
            !shown.contains("sk-secret") && !shown.contains("sts-secret"),
            "{shown}"
        );
        let shown = format!("{:?}", builder.build().unwrap());
        assert!(
            !shown.contains("sk-secret") && !shown.contains("sts-secret"),
            "{shown}"
        );
    }
}
