//! The request engine: authentication, concurrency and rate limits, retries, body caps.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use soc_model::{ErrorEnvelope, ErrorFields};
use tokio::time::Instant;
use url::Url;

use crate::client::WorkspaceRef;
use crate::credentials::Credentials;
use crate::error::{ApiError, BoxError, ErrorContext, Operation};
use crate::retry::{is_retryable_status, parse_retry_after};
use crate::secret::Secret;
use crate::sign;

/// The code SecMaster answers (with HTTP 403, or 400 in its docs) for a workspace id that does
/// not exist in the project.
pub(crate) const WORKSPACE_NOT_FOUND: &str = "SecMaster.20010001";

/// Error envelopes are small; a larger 2xx body is not looked at for one (a list or an export
/// parser still refuses it if it is no document).
const ENVELOPE_CHECK_BYTES: usize = 1024 * 1024;

/// Error codes that mean "this object does not exist": workflow, workflow version, workspace,
/// playbook version or rule (`SecMaster.20048004`), playbook action (`SecMaster.20030005`),
/// playbook (`SecMaster.20048006`, "invalid playbook id").
const NOT_FOUND_CODES: &[&str] = &[
    "SecMaster.20040611",
    "SecMaster.20040605",
    "SecMaster.20011003",
    "SecMaster.20048004",
    "SecMaster.20030005",
    "SecMaster.20048006",
];

/// An async client for one SecMaster workspace. Cheap to clone; clones share the connection
/// pool, the concurrency limit, the rate limit and the IAM token cache.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut s = f.debug_struct("Client");
        s.field("endpoint", &inner.endpoint.as_str())
            .field("project_id", &inner.project_id)
            .field("workspace", &inner.workspace)
            .field("credentials", &inner.credentials.kind());
        if let Some(iam) = &inner.iam_endpoint {
            s.field("iam_endpoint", &iam.as_str());
        }
        s.field("concurrency", &inner.concurrency)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub endpoint: Url,
    pub project_id: String,
    pub workspace: WorkspaceRef,
    pub workspace_id: tokio::sync::OnceCell<String>,
    pub credentials: Credentials,
    /// Set for password credentials only.
    pub iam_endpoint: Option<Url>,
    /// An async mutex on purpose: concurrent requests that find no valid token wait for the
    /// one fetch in progress instead of each asking IAM.
    pub token_cache: tokio::sync::Mutex<Option<CachedToken>>,
    pub retry: crate::retry::RetryPolicy,
    pub permits: tokio::sync::Semaphore,
    pub concurrency: usize,
    pub pacer: Option<Pacer>,
    pub max_body_bytes: u64,
    pub limits: soc_model::Limits,
    pub source: crate::client::SourceMode,
    pub export_batch_size: usize,
}

/// A cached IAM token and when to stop using it.
pub(crate) struct CachedToken {
    token: Secret,
    refresh_at: Instant,
}

/// Spaces request starts evenly to respect a requests-per-second cap. (A token bucket crate
/// would add bursts we do not want against a throttling gateway; this is a dozen lines.)
pub(crate) struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Option<Instant>>,
}

impl Pacer {
    pub(crate) fn new(rate: f64) -> Self {
        Self {
            interval: Duration::from_secs_f64((1.0 / rate).min(3600.0)),
            next: tokio::sync::Mutex::new(None),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// A response read in full (within the body cap).
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub request_id: Option<String>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A successful call: the decoded value and where it came from.
#[derive(Debug)]
pub(crate) struct Success<T> {
    pub value: T,
    pub request_id: Option<String>,
    pub attempts: u32,
}

/// Why a 2xx body was not usable.
pub(crate) struct DecodeFailure {
    pub what: String,
    pub source: Option<BoxError>,
    /// Whether asking again may help (a truncated body) or not (a wrong shape).
    pub retry: bool,
    pub kind: FailureKind,
}

/// Which [`ApiError`] a decode failure becomes once no retry is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// [`ApiError::Decode`].
    Decode,
    /// [`ApiError::NotAWorkflow`].
    NotAWorkflow,
    /// [`ApiError::Limit`].
    Limit,
}

impl DecodeFailure {
    pub(crate) fn retryable(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            what: what.into(),
            source: Some(source.into()),
            retry: true,
            kind: FailureKind::Decode,
        }
    }

    pub(crate) fn permanent(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            what: what.into(),
            source: Some(source.into()),
            retry: false,
            kind: FailureKind::Decode,
        }
    }

    /// An answer that holds no workflow document: retried like a transient fault (a proxy's
    /// error page, a body lost on the way), then [`ApiError::NotAWorkflow`].
    pub(crate) fn not_a_workflow(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            source: None,
            retry: true,
            kind: FailureKind::NotAWorkflow,
        }
    }

    /// An answer over a parsing limit: never retried.
    pub(crate) fn limit(source: soc_model::ReadError) -> Self {
        Self {
            what: "the answer is over a limit".into(),
            source: Some(Box::new(source)),
            retry: false,
            kind: FailureKind::Limit,
        }
    }

    fn into_error(self, ctx: Box<ErrorContext>) -> ApiError {
        match (self.kind, self.source) {
            (FailureKind::NotAWorkflow, _) | (_, None) => ApiError::NotAWorkflow {
                what: self.what,
                ctx,
            },
            (FailureKind::Limit, Some(source)) => match source.downcast::<soc_model::ReadError>() {
                Ok(source) => ApiError::Limit {
                    source: *source,
                    ctx,
                },
                Err(source) => ApiError::Decode {
                    what: self.what,
                    ctx,
                    source,
                },
            },
            (FailureKind::Decode, Some(source)) => ApiError::Decode {
                what: self.what,
                ctx,
                source,
            },
        }
    }
}

/// One request to make (possibly several times).
pub(crate) struct Call<'a> {
    pub operation: &'a Operation,
    pub method: Method,
    pub url: Url,
    pub body: Option<Bytes>,
    /// SecMaster calls are authenticated and carry `X-Project-Id`; the IAM token call is not.
    pub secmaster: bool,
}

impl<'a> Call<'a> {
    /// An authenticated SecMaster GET.
    pub(crate) fn get(operation: &'a Operation, url: Url) -> Self {
        Self {
            operation,
            method: Method::GET,
            url,
            body: None,
            secmaster: true,
        }
    }
}

enum SendError {
    Http(reqwest::Error),
    TooLarge {
        content_length: Option<u64>,
        request_id: Option<String>,
    },
}

/// What authenticates one attempt.
enum AuthMaterial {
    None,
    Token(Secret),
    Sign,
}

fn request_id_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Gateway codes that mean "too many requests", whatever the status.
fn is_throttling_code(code: &str) -> bool {
    matches!(code, "APIGW.0308" | "APIG.0308")
}

/// The typed error for a 2xx answer whose body is an error envelope.
pub(crate) fn envelope_error(
    status: u16,
    envelope: ErrorEnvelope,
    ctx: Box<ErrorContext>,
) -> ApiError {
    if envelope.fields.code.as_deref() == Some(WORKSPACE_NOT_FOUND) {
        return ApiError::WorkspaceNotFound {
            status,
            workspace: String::new(),
            project: String::new(),
            message: envelope.fields.message,
            ctx,
        };
    }
    ApiError::ErrorAnswer {
        status,
        envelope: Box::new(envelope),
        ctx,
    }
}

/// The typed error for a final non-2xx response.
pub(crate) fn status_error(status: u16, resp: &Response, mut ctx: Box<ErrorContext>) -> ApiError {
    let ErrorFields {
        code,
        message,
        request_id: body_request_id,
    } = ErrorFields::from_body(&resp.body);
    if ctx.request_id.is_none() {
        ctx.request_id = body_request_id;
    }
    if code.as_deref() == Some(WORKSPACE_NOT_FOUND) {
        return ApiError::WorkspaceNotFound {
            status,
            workspace: String::new(),
            project: String::new(),
            message,
            ctx,
        };
    }
    let is_gateway = code.as_deref().is_some_and(|c| c.starts_with("APIG"));
    if status == 429 {
        let retry_after = resp
            .header("retry-after")
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        return ApiError::Throttled { retry_after, ctx };
    }
    if status == 401 || status == 403 {
        return ApiError::Auth {
            status,
            code,
            message,
            ctx,
        };
    }
    if code
        .as_deref()
        .is_some_and(|c| NOT_FOUND_CODES.contains(&c))
        || (status == 404 && !is_gateway)
    {
        return ApiError::NotFound {
            status,
            code,
            message,
            ctx,
        };
    }
    ApiError::Api {
        status,
        code,
        message,
        ctx,
    }
}

impl Client {
    /// Runs an authenticated SecMaster `call` with retries and decodes a 2xx answer with `decode`.
    pub(crate) async fn execute<T>(
        &self,
        call: Call<'_>,
        decode: impl Fn(&Response) -> Result<T, DecodeFailure>,
    ) -> Result<Success<T>, ApiError> {
        self.execute_with(call, decode, || self.auth_material())
            .await
            .map_err(|err| self.locate(err))
    }

    /// Sends `call` once, whatever the answer: no retry, no decoding, any status is returned.
    /// For looking at what the server answers (`probe`), not for getting work done.
    pub(crate) async fn send_once(&self, call: Call<'_>) -> Result<Response, ApiError> {
        let ctx = |request_id| {
            Box::new(ErrorContext {
                operation: call.operation.clone(),
                request_id,
                attempts: 1,
            })
        };
        let _permit = self.inner.permits.acquire().await.ok();
        if let Some(pacer) = &self.inner.pacer {
            pacer.wait().await;
        }
        let material = self.auth_material().await?;
        let request = self
            .build_request(&call, &material)
            .map_err(|source| ApiError::Decode {
                what: "the credentials cannot be sent as http headers".into(),
                ctx: ctx(None),
                source,
            })?;
        match self.send_and_read(request).await {
            Ok(response) => Ok(response),
            Err(SendError::TooLarge {
                content_length,
                request_id,
            }) => Err(ApiError::TooLarge {
                limit: self.inner.max_body_bytes,
                content_length,
                ctx: ctx(request_id),
            }),
            Err(SendError::Http(source)) if source.is_timeout() => Err(ApiError::Timeout {
                ctx: ctx(None),
                source,
            }),
            Err(SendError::Http(source)) => Err(ApiError::Transport {
                ctx: ctx(None),
                source,
            }),
        }
    }

    /// Names the workspace and project in an error that is about them.
    fn locate(&self, mut err: ApiError) -> ApiError {
        if let ApiError::WorkspaceNotFound {
            workspace, project, ..
        } = &mut err
        {
            project.clone_from(&self.inner.project_id);
            *workspace = match (&self.inner.workspace, self.inner.workspace_id.get()) {
                (_, Some(id)) => id.clone(),
                (WorkspaceRef::Id(id), None) | (WorkspaceRef::Name(id), None) => id.clone(),
            };
        }
        err
    }

    /// The retry loop. `auth` gives each attempt its credentials; it is a parameter (not a
    /// direct call) so that the IAM token fetch, which runs through this loop without
    /// credentials, does not make the future type recursive.
    async fn execute_with<T, A, F>(
        &self,
        call: Call<'_>,
        decode: impl Fn(&Response) -> Result<T, DecodeFailure>,
        auth: A,
    ) -> Result<Success<T>, ApiError>
    where
        A: Fn() -> F,
        F: Future<Output = Result<AuthMaterial, ApiError>>,
    {
        let inner = &self.inner;
        let policy = &inner.retry;
        let mut attempt: u32 = 0;
        let mut renewed_token = false;
        // Kept only from a 401 to the immediate retry with a renewed token, so that queued
        // requests cannot use up the new token first.
        let mut held_permit = None;
        loop {
            attempt += 1;
            let ctx = |request_id: Option<String>| {
                Box::new(ErrorContext {
                    operation: call.operation.clone(),
                    request_id,
                    attempts: attempt,
                })
            };
            // SecMaster calls share the concurrency limit and the rate cap. The IAM token call
            // does not: it goes to another service, the token cache already lets only one run
            // at a time, and it runs while a SecMaster call holds a permit.
            let permit = match held_permit.take() {
                Some(permit) => Some(permit),
                None if call.secmaster => inner.permits.acquire().await.ok(),
                None => None,
            };
            if let (true, Some(pacer)) = (call.secmaster, &inner.pacer) {
                pacer.wait().await;
            }
            // Credentials are taken at the last moment, so a token cannot go stale while the
            // request waits for a permit.
            let material = auth().await?;
            let result = match self.build_request(&call, &material) {
                Ok(request) => self.send_and_read(request).await,
                Err(source) => {
                    return Err(ApiError::Decode {
                        what: "the credentials cannot be sent as http headers".into(),
                        ctx: ctx(None),
                        source,
                    });
                }
            };
            let retries_left = attempt < policy.max_attempts;
            let response = match result {
                Ok(response) => response,
                Err(SendError::TooLarge {
                    content_length,
                    request_id,
                }) => {
                    return Err(ApiError::TooLarge {
                        limit: inner.max_body_bytes,
                        content_length,
                        ctx: ctx(request_id),
                    });
                }
                Err(SendError::Http(source)) => {
                    if retries_left {
                        tracing::debug!(operation = %call.operation, attempt, error = %source, "retrying after a transport error");
                        drop(permit); // never sleep on a permit
                        self.backoff(attempt, None).await;
                        continue;
                    }
                    return Err(if source.is_timeout() {
                        ApiError::Timeout {
                            ctx: ctx(None),
                            source,
                        }
                    } else {
                        ApiError::Transport {
                            ctx: ctx(None),
                            source,
                        }
                    });
                }
            };
            let status = response.status;
            if (200..300).contains(&status) {
                let envelope = (call.secmaster && response.body.len() <= ENVELOPE_CHECK_BYTES)
                    .then(|| ErrorEnvelope::detect_bytes(&response.body))
                    .flatten();
                if let Some(envelope) = envelope {
                    let throttled = envelope
                        .fields
                        .code
                        .as_deref()
                        .is_some_and(is_throttling_code);
                    if throttled && retries_left {
                        tracing::debug!(operation = %call.operation, attempt, "retrying after a throttling envelope");
                        drop(permit);
                        self.backoff(attempt, None).await;
                        continue;
                    }
                    let request_id = response
                        .request_id
                        .clone()
                        .or_else(|| envelope.fields.request_id.clone());
                    return Err(envelope_error(status, envelope, ctx(request_id)));
                }
                match decode(&response) {
                    Ok(value) => {
                        return Ok(Success {
                            value,
                            request_id: response.request_id,
                            attempts: attempt,
                        });
                    }
                    Err(failure) if failure.retry && retries_left => {
                        tracing::debug!(operation = %call.operation, attempt, what = %failure.what, "retrying after an undecodable body");
                        drop(permit); // never sleep on a permit
                        self.backoff(attempt, None).await;
                        continue;
                    }
                    Err(failure) => {
                        return Err(failure.into_error(ctx(response.request_id)));
                    }
                }
            }
            if status == 401 && call.secmaster && !renewed_token {
                if let (AuthMaterial::Token(used), Credentials::Password { .. }) =
                    (&material, &inner.credentials)
                {
                    renewed_token = true;
                    let mut cached = inner.token_cache.lock().await;
                    if cached.as_ref().is_some_and(|c| &c.token == used) {
                        *cached = None;
                    }
                    tracing::debug!(operation = %call.operation, "401 with a cached iam token; getting a new one");
                    held_permit = permit;
                    continue;
                }
            }
            if is_retryable_status(status) && retries_left {
                let retry_after = response
                    .header("retry-after")
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                tracing::debug!(operation = %call.operation, attempt, status, "retrying after a retryable status");
                drop(permit);
                self.backoff(attempt, retry_after).await;
                continue;
            }
            let request_id = response.request_id.clone();
            return Err(status_error(status, &response, ctx(request_id)));
        }
    }

    async fn backoff(&self, attempt: u32, retry_after: Option<Duration>) {
        let delay = self
            .inner
            .retry
            .delay(attempt, retry_after, &mut rand::thread_rng());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    fn build_request(
        &self,
        call: &Call<'_>,
        material: &AuthMaterial,
    ) -> Result<reqwest::RequestBuilder, BoxError> {
        let inner = &self.inner;
        let mut headers = HeaderMap::new();
        let mut signed: Vec<(&'static str, String)> = Vec::new();
        let content_type = if call.secmaster {
            "application/json;charset=UTF-8"
        } else {
            "application/json;charset=utf8"
        };
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        signed.push(("content-type", content_type.to_owned()));
        if call.secmaster {
            headers.insert("x-project-id", HeaderValue::from_str(&inner.project_id)?);
            signed.push(("x-project-id", inner.project_id.clone()));
        }
        match material {
            AuthMaterial::None => {}
            AuthMaterial::Token(token) => {
                let mut value = HeaderValue::from_str(token.expose())?;
                value.set_sensitive(true);
                headers.insert("x-auth-token", value);
            }
            AuthMaterial::Sign => {
                if let Credentials::AkSk {
                    ak,
                    sk,
                    security_token,
                } = &inner.credentials
                {
                    let date = chrono::Utc::now().format(sign::SDK_DATE_FORMAT).to_string();
                    headers.insert("x-sdk-date", HeaderValue::from_str(&date)?);
                    signed.push(("x-sdk-date", date.clone()));
                    if let Some(token) = security_token {
                        let mut value = HeaderValue::from_str(token.expose())?;
                        value.set_sensitive(true);
                        headers.insert("x-security-token", value);
                        signed.push(("x-security-token", token.expose().to_owned()));
                    }
                    // The Host header is what hyper derives from the URL: host, plus the port
                    // when it is not the scheme's default.
                    let host = match (call.url.host_str(), call.url.port()) {
                        (Some(host), Some(port)) => format!("{host}:{port}"),
                        (Some(host), None) => host.to_owned(),
                        (None, _) => String::new(),
                    };
                    signed.push(("host", host));
                    let pairs: Vec<(&str, &str)> =
                        signed.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let req = sign::SignableRequest {
                        method: call.method.as_str(),
                        url: &call.url,
                        headers: &pairs,
                        body: call.body.as_deref().unwrap_or_default(),
                    };
                    let mut value =
                        HeaderValue::from_str(&sign::authorization(&req, ak, sk, &date))?;
                    value.set_sensitive(true);
                    headers.insert(reqwest::header::AUTHORIZATION, value);
                }
            }
        }
        let mut request = inner
            .http
            .request(call.method.clone(), call.url.clone())
            .headers(headers);
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        Ok(request)
    }

    async fn send_and_read(&self, request: reqwest::RequestBuilder) -> Result<Response, SendError> {
        let limit = self.inner.max_body_bytes;
        let mut response = request.send().await.map_err(SendError::Http)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let request_id = request_id_of(&headers);
        // Refuse announced oversize bodies before reading a byte, and count while streaming
        // because Content-Length may be absent or wrong.
        let announced = response.content_length();
        if let Some(length) = announced.filter(|len| *len > limit) {
            return Err(SendError::TooLarge {
                content_length: Some(length),
                request_id,
            });
        }
        let capacity = announced.unwrap_or(0).min(limit).min(8 * 1024 * 1024);
        let mut body = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(SendError::Http)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(SendError::TooLarge {
                    content_length: None,
                    request_id,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body: body.freeze(),
            request_id,
        })
    }

    async fn auth_material(&self) -> Result<AuthMaterial, ApiError> {
        match &self.inner.credentials {
            Credentials::AkSk { .. } => Ok(AuthMaterial::Sign),
            Credentials::Token(token) => Ok(AuthMaterial::Token(token.clone())),
            Credentials::Password { .. } => {
                let mut cached = self.inner.token_cache.lock().await;
                if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
                    return Ok(AuthMaterial::Token(c.token.clone()));
                }
                let fresh = self.fetch_iam_token().await?;
                let token = fresh.token.clone();
                *cached = Some(fresh);
                Ok(AuthMaterial::Token(token))
            }
        }
    }

    /// `POST {iam}/v3/auth/tokens` with the password, scoped to the project.
    async fn fetch_iam_token(&self) -> Result<CachedToken, ApiError> {
        let (
            Credentials::Password {
                user,
                password,
                domain,
                project_name,
            },
            Some(iam),
        ) = (&self.inner.credentials, &self.inner.iam_endpoint)
        else {
            return Err(ApiError::Decode {
                what: "an iam token was requested without password credentials".into(),
                ctx: Box::new(ErrorContext {
                    operation: Operation::IamToken,
                    request_id: None,
                    attempts: 0,
                }),
                source: "not password credentials".into(),
            });
        };
        let scope = match project_name {
            Some(name) => serde_json::json!({ "project": { "name": name } }),
            None => serde_json::json!({ "project": { "id": self.inner.project_id } }),
        };
        let body = serde_json::json!({
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": { "user": { "name": user, "password": password.expose(), "domain": { "name": domain } } }
                },
                "scope": scope
            }
        });
        let mut url = join_url(iam, &["v3", "auth", "tokens"]);
        url.query_pairs_mut().append_pair("nocatalog", "true");
        let call = Call {
            operation: &Operation::IamToken,
            method: Method::POST,
            url,
            body: Some(Bytes::from(body.to_string())),
            secmaster: false,
        };
        let no_auth = || std::future::ready(Ok(AuthMaterial::None));
        let success = self
            .execute_with(
                call,
                |resp| {
                    let token = resp
                        .header("x-subject-token")
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| {
                            DecodeFailure::permanent(
                                "the answer has no X-Subject-Token header",
                                "missing header",
                            )
                        })?;
                    let expires_at =
                        serde_json::from_slice::<Value>(&resp.body)
                            .ok()
                            .and_then(|v| {
                                v.pointer("/token/expires_at")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned)
                            });
                    Ok((Secret::new(token), expires_at))
                },
                no_auth,
            )
            .await?;
        let (token, expires_at) = success.value;
        Ok(CachedToken {
            token,
            refresh_at: refresh_instant(expires_at.as_deref(), chrono::Utc::now(), Instant::now()),
        })
    }
}

/// When to stop using a token that expires at `expires_at`: five minutes early (or halfway
/// for short-lived tokens); ten minutes from now if the expiry is missing or unreadable.
pub(crate) fn refresh_instant(
    expires_at: Option<&str>,
    now_utc: chrono::DateTime<chrono::Utc>,
    now: Instant,
) -> Instant {
    let lifetime = expires_at
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .and_then(|at| (at.with_timezone(&chrono::Utc) - now_utc).to_std().ok());
    match lifetime {
        Some(lifetime) => {
            let margin = Duration::from_secs(300).min(lifetime / 2);
            now + (lifetime - margin)
        }
        None => {
            tracing::warn!(
                expires_at,
                "cannot read the iam token expiry; renewing it in 10 minutes"
            );
            now + Duration::from_secs(600)
        }
    }
}

/// `base` with `segments` appended, each percent-encoded (ids cannot inject path parts).
pub(crate) fn join_url(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
            request_id: None,
        }
    }

    fn ctx() -> Box<ErrorContext> {
        Box::new(ErrorContext {
            operation: Operation::ShowWorkflow { id: "w".into() },
            request_id: None,
            attempts: 1,
        })
    }

    #[test]
    fn statuses_map_to_kinds() {
        let nf = status_error(
            400,
            &response(400, r#"{"code":"SecMaster.20040611","message":"m"}"#),
            ctx(),
        );
        assert!(nf.is_not_found());
        let nf = status_error(404, &response(404, r#"{"code":"SecMaster.1"}"#), ctx());
        assert!(nf.is_not_found());
        // A gateway 404 means a wrong endpoint or path, not a missing workflow.
        let gw = status_error(
            404,
            &response(
                404,
                r#"{"error_code":"APIGW.0101","error_msg":"api not exist"}"#,
            ),
            ctx(),
        );
        assert!(matches!(gw, ApiError::Api { status: 404, .. }), "{gw}");
        assert!(matches!(
            status_error(401, &response(401, "{}"), ctx()),
            ApiError::Auth { status: 401, .. }
        ));
        assert!(matches!(
            status_error(403, &response(403, ""), ctx()),
            ApiError::Auth { status: 403, .. }
        ));
        assert!(matches!(
            status_error(429, &response(429, ""), ctx()),
            ApiError::Throttled { .. }
        ));
        let api = status_error(
            400,
            &response(
                400,
                r#"{"code":"SecMaster.20030001","message":"bad","request_id":"b1"}"#,
            ),
            ctx(),
        );
        assert!(matches!(api, ApiError::Api { status: 400, .. }));
        assert_eq!(api.request_id(), Some("b1"));
    }

    #[test]
    fn token_refresh_times() {
        let now_utc = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let now = Instant::now();
        let at = refresh_instant(Some("2026-01-02T00:00:00.000000Z"), now_utc, now);
        assert_eq!(at - now, Duration::from_secs(24 * 3600 - 300));
        let short = refresh_instant(Some("2026-01-01T00:04:00Z"), now_utc, now);
        assert_eq!(short - now, Duration::from_secs(120));
        let past = refresh_instant(Some("2025-12-31T00:00:00Z"), now_utc, now);
        assert_eq!(past - now, Duration::from_secs(600));
        assert_eq!(
            refresh_instant(None, now_utc, now) - now,
            Duration::from_secs(600)
        );
    }

    #[test]
    fn url_segments_are_encoded() {
        let base = Url::parse("http://127.0.0.1:8080/prefix/").unwrap();
        let url = join_url(&base, &["v1", "p", "workflows", "../x?y#z"]);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/prefix/v1/p/workflows/..%2Fx%3Fy%23z"
        );
    }
}
