//! Request handling: routing, the IAM and SecMaster endpoints, error shapes and faults.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::Shared;
use super::config::{ExportFault, PathKind};
use super::log::{AuthKind, InjectedFault, LogEntry};
use super::playbooks::{self, PlaybookOp};
use crate::export;
use crate::model::{Workflow, Workspace};
use crate::sign;

/// Largest request body read (an import file of many large workflows fits).
const BODY_LIMIT: usize = 64 * 1024 * 1024;
const JSON_TYPE: &str = "application/json;charset=UTF-8";

/// A matched API and its path parameters (percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    IamToken,
    IamProjects,
    ListWorkspaces {
        project: String,
    },
    /// A read (or export) under `…/workspaces/{workspace}/soc/workflows`.
    Soc {
        project: String,
        workspace: String,
        op: SocOp,
    },
    /// `POST …/soc/workflows/import`, the one write; kept apart because it takes the write lock.
    Import {
        project: String,
        workspace: String,
    },
    /// A read under `…/workspaces/{workspace}/soc/playbooks`.
    Playbooks {
        project: String,
        workspace: String,
        op: PlaybookOp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SocOp {
    ListWorkflows,
    ShowWorkflow(String),
    ListVersions(String),
    ShowVersion(String),
    Export,
}

impl Route {
    fn kind(&self) -> PathKind {
        match self {
            Self::IamToken => PathKind::IamToken,
            Self::IamProjects => PathKind::IamProjects,
            Self::ListWorkspaces { .. } => PathKind::ListWorkspaces,
            Self::Import { .. } => PathKind::Import,
            Self::Playbooks { op, .. } => match op {
                PlaybookOp::List => PathKind::ListPlaybooks,
                PlaybookOp::ListVersions(_) => PathKind::ListPlaybookVersions,
                PlaybookOp::ShowVersion(_) => PathKind::ShowPlaybookVersion,
                PlaybookOp::ShowRule { .. } => PathKind::ShowPlaybookRule,
                PlaybookOp::ListActions(_) => PathKind::ListPlaybookActions,
            },
            Self::Soc { op, .. } => match op {
                SocOp::ListWorkflows => PathKind::ListWorkflows,
                SocOp::ShowWorkflow(_) => PathKind::ShowWorkflow,
                SocOp::ListVersions(_) => PathKind::ListVersions,
                SocOp::ShowVersion(_) => PathKind::ShowVersion,
                SocOp::Export => PathKind::Export,
            },
        }
    }
}

fn route(method: &Method, path: &str) -> Option<Route> {
    let segs: Vec<String> = path
        .strip_prefix('/')?
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    Some(match segs.as_slice() {
        ["v3", "auth", "tokens"] if post => Route::IamToken,
        ["v3", "projects"] if get => Route::IamProjects,
        ["v1", project, "workspaces"] if get => Route::ListWorkspaces {
            project: (*project).to_owned(),
        },
        [
            "v1",
            project,
            "workspaces",
            workspace,
            "soc",
            "workflows",
            rest @ ..,
        ] => {
            let op = match rest {
                [] if get => SocOp::ListWorkflows,
                ["export"] if post => SocOp::Export,
                ["import"] if post => {
                    return Some(Route::Import {
                        project: (*project).to_owned(),
                        workspace: (*workspace).to_owned(),
                    });
                }
                ["versions", id] if get => SocOp::ShowVersion((*id).to_owned()),
                [id] if get => SocOp::ShowWorkflow((*id).to_owned()),
                [id, "versions"] if get => SocOp::ListVersions((*id).to_owned()),
                _ => return None,
            };
            Route::Soc {
                project: (*project).to_owned(),
                workspace: (*workspace).to_owned(),
                op,
            }
        }
        [
            "v1",
            project,
            "workspaces",
            workspace,
            "soc",
            "playbooks",
            rest @ ..,
        ] if get => Route::Playbooks {
            project: (*project).to_owned(),
            workspace: (*workspace).to_owned(),
            op: PlaybookOp::route(rest)?,
        },
        _ => return None,
    })
}

/// A response before faults and common headers are applied.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) content_type: &'static str,
    pub(super) headers: Vec<(header::HeaderName, String)>,
    pub(super) body: Vec<u8>,
}

impl Reply {
    pub(super) fn json(status: StatusCode, value: &Value) -> Self {
        Self {
            status,
            content_type: JSON_TYPE,
            headers: Vec::new(),
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// SecMaster business error: HTTP 400 `{code, message}`.
    pub(super) fn secmaster(code: &str, message: impl Into<String>) -> Self {
        Self::json(
            StatusCode::BAD_REQUEST,
            &json!({"code": code, "message": message.into()}),
        )
    }

    /// An unknown workspace: HTTP 403 with `SecMaster.20010001`, as the Terraform provider
    /// sees it (the error-code table lists the code under 400).
    pub(super) fn unknown_workspace(workspace_id: &str) -> Self {
        Self::json(
            StatusCode::FORBIDDEN,
            &json!({"code": "SecMaster.20010001", "message": format!("Invalid workspace ID: {workspace_id}")}),
        )
    }

    pub(super) fn bad_parameter(message: impl Into<String>) -> Self {
        Self::secmaster("SecMaster.20030001", message)
    }

    /// API gateway error: `{error_code, error_msg, request_id}`.
    fn gateway(status: StatusCode, code: &str, message: &str, request_id: &str) -> Self {
        Self::json(
            status,
            &json!({"error_code": code, "error_msg": message, "request_id": request_id}),
        )
    }

    /// IAM error: `{error_code, error_msg}`.
    fn iam(status: StatusCode, code: &str, message: &str) -> Self {
        Self::json(status, &json!({"error_code": code, "error_msg": message}))
    }
}

/// Per-request context handlers need.
pub(super) struct Ctx<'a> {
    pub(super) shared: &'a Shared,
    request_id: &'a str,
    seq: u64,
}

impl Ctx<'_> {
    /// The SecMaster success envelope around `fields`.
    fn envelope(&self, fields: Map<String, Value>) -> Reply {
        let mut body = Map::new();
        body.insert("code".into(), json!("00000000"));
        body.insert("message".into(), json!(""));
        body.insert("success".into(), json!(true));
        body.insert("request_id".into(), json!(self.request_id));
        body.extend(fields);
        Reply::json(StatusCode::OK, &Value::Object(body))
    }
}

/// The single entry point: every request goes through here.
pub(super) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let seq = shared.seq.fetch_add(1, Ordering::SeqCst);
    let request_id = request_id(&shared, seq);
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or("").to_owned();
    let route = route(&method, &path).filter(|r| {
        // The export route taken away: the gateway knows no such API.
        !(r.kind() == PathKind::Export
            && shared.faults.export_fault() == Some(ExportFault::RouteMissing))
    });
    let kind = route.as_ref().map(Route::kind);

    let latency = shared.faults.latency(seq);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let mut auth_kind = AuthKind::None;
    let mut fault = None;
    let reply = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Err(_) => Reply::bad_parameter(format!(
            "request body unreadable or over {BODY_LIMIT} bytes"
        )),
        Ok(body) => {
            let ctx = Ctx {
                shared: &shared,
                request_id: &request_id,
                seq,
            };
            match route {
                None => Reply::gateway(
                    StatusCode::NOT_FOUND,
                    "APIGW.0101",
                    "The API does not exist or has not been published in the environment",
                    &request_id,
                ),
                Some(route) => process(&ctx, route, parts, body, &mut auth_kind, &mut fault).await,
            }
        }
    };

    let status = reply.status.as_u16();
    shared.log.push(LogEntry {
        seq,
        method: method.to_string(),
        path,
        query,
        kind,
        status,
        auth: auth_kind,
        request_id: request_id.clone(),
        fault,
    });
    into_response(reply, &request_id, fault)
}

/// One request through the gateway: authenticated and rate-limited (except the IAM token call),
/// perhaps failed on purpose, then answered by its route.
async fn process(
    ctx: &Ctx<'_>,
    route: Route,
    parts: Parts,
    body: Bytes,
    auth_kind: &mut AuthKind,
    fault: &mut Option<InjectedFault>,
) -> Reply {
    if let Err(reply) = admit(ctx, &route, &parts, &body, auth_kind, fault) {
        return reply;
    }
    *fault = ctx.shared.faults.pick(route.kind());
    if let Some(InjectedFault::ServerError(code)) = *fault {
        return server_error(code, ctx.request_id);
    }
    dispatch(ctx, route, parts, body, auth_kind).await
}

/// What the gateway checks before a route sees the request: the caller's credentials, and the
/// rate limit. `Err` holds the gateway's answer to a request that does not pass.
fn admit(
    ctx: &Ctx<'_>,
    route: &Route,
    parts: &Parts,
    body: &Bytes,
    auth_kind: &mut AuthKind,
    fault: &mut Option<InjectedFault>,
) -> Result<(), Reply> {
    let shared = ctx.shared;
    let principal = if *route == Route::IamToken {
        None
    } else {
        match shared
            .auth
            .authenticate(&parts.method, &parts.uri, &parts.headers, body)
        {
            Ok(p) => Some(p),
            Err(failure) => {
                *auth_kind = failure.auth_kind(&parts.headers);
                let (code, msg) = failure.code_and_message();
                return Err(Reply::gateway(
                    StatusCode::UNAUTHORIZED,
                    code,
                    &msg,
                    ctx.request_id,
                ));
            }
        }
    };
    if let Some(p) = &principal {
        *auth_kind = p.auth.clone();
        if let Some(retry) = shared.faults.rate_limited(&p.rate_key) {
            *fault = Some(InjectedFault::RateLimited);
            let mut reply = Reply::gateway(
                StatusCode::TOO_MANY_REQUESTS,
                "APIGW.0308",
                &format!(
                    "The throttling threshold has been reached: policy user over ratelimit,limit:{},time:1 minute",
                    shared.faults.rate_limit_requests()
                ),
                ctx.request_id,
            );
            let secs = retry.as_secs() + u64::from(retry.subsec_nanos() > 0);
            reply
                .headers
                .push((header::RETRY_AFTER, secs.max(1).to_string()));
            return Err(reply);
        }
    }
    Ok(())
}

/// The route's answer.
async fn dispatch(
    ctx: &Ctx<'_>,
    route: Route,
    parts: Parts,
    body: Bytes,
    auth_kind: &mut AuthKind,
) -> Reply {
    match route {
        Route::IamToken => iam_token(ctx, &body, auth_kind),
        Route::IamProjects => iam_projects(ctx, parts.uri.query().unwrap_or("")),
        Route::ListWorkspaces { project } => match check_project(ctx, &project) {
            Err(r) => r,
            Ok(()) => list_workspaces(ctx, parts.uri.query().unwrap_or("")),
        },
        Route::Soc {
            project,
            workspace,
            op,
        } => {
            if let Err(r) = check_project(ctx, &project) {
                return r;
            }
            soc(ctx, &workspace, op, parts.uri.query().unwrap_or(""), &body)
        }
        Route::Import { project, workspace } => match check_project(ctx, &project) {
            Err(r) => r,
            Ok(()) => import(ctx, &workspace, parts, body).await,
        },
        Route::Playbooks {
            project,
            workspace,
            op,
        } => {
            if let Err(r) = check_project(ctx, &project) {
                return r;
            }
            let workspaces = ctx
                .shared
                .workspaces
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            match workspaces.iter().find(|w| w.id == workspace) {
                Some(ws) => playbooks::handle(ctx, ws, op, parts.uri.query().unwrap_or("")),
                None => Reply::unknown_workspace(&workspace),
            }
        }
    }
}

fn server_error(code: u16, request_id: &str) -> Reply {
    match code {
        502 => Reply::gateway(
            StatusCode::BAD_GATEWAY,
            "APIGW.0201",
            "Backend unavailable",
            request_id,
        ),
        503 => Reply::gateway(
            StatusCode::SERVICE_UNAVAILABLE,
            "APIGW.0203",
            "Backend service unavailable, please try again later",
            request_id,
        ),
        _ => Reply::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": "SecMaster.20039999", "message": "Unknown error"}),
        ),
    }
}

fn check_project(ctx: &Ctx<'_>, project: &str) -> Result<(), Reply> {
    if project == ctx.shared.project_id {
        Ok(())
    } else {
        Err(Reply::secmaster(
            "SecMaster.20030002",
            format!("Invalid project ID: {project}"),
        ))
    }
}

fn soc(ctx: &Ctx<'_>, workspace_id: &str, op: SocOp, query: &str, body: &[u8]) -> Reply {
    let workspaces = ctx
        .shared
        .workspaces
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let Some(ws) = workspaces.iter().find(|w| w.id == workspace_id) else {
        return Reply::unknown_workspace(workspace_id);
    };
    match op {
        SocOp::ListWorkflows => list_workflows(ctx, ws, query),
        SocOp::ShowWorkflow(id) => match ws.workflow(&id) {
            Some(wf) => ctx.envelope(one("data", info_value(wf))),
            None => workflow_not_found(&id),
        },
        SocOp::ListVersions(id) => match ws.workflow(&id) {
            Some(wf) => list_versions(ctx, wf, query),
            None => workflow_not_found(&id),
        },
        SocOp::ShowVersion(vid) => {
            let found = ws
                .workflows
                .iter()
                .flat_map(|w| &w.versions)
                .find(|v| v.id == vid);
            match found {
                Some(v) => ctx.envelope(one("data", serde_json::to_value(v).unwrap_or_default())),
                None => Reply::secmaster(
                    "SecMaster.20040605",
                    format!("The workflow version does not exist: {vid}"),
                ),
            }
        }
        SocOp::Export => match ctx.shared.faults.export_fault() {
            Some(fault) => export_fault(ctx, fault),
            None => export_workflows(ctx, ws, body),
        },
    }
}

fn one(key: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_owned(), value);
    m
}

fn workflow_not_found(id: &str) -> Reply {
    Reply::secmaster(
        "SecMaster.20040611",
        format!("The workflow does not exist: {id}"),
    )
}

/// The `AopWorkflowInfo` object (the export without `versions`).
fn info_value(wf: &Workflow) -> Value {
    serde_json::to_value(&wf.info).unwrap_or_default()
}

/// Decoded query parameters; the last value of a repeated key wins.
pub(super) fn params(query: &str) -> std::collections::BTreeMap<String, String> {
    sign::query_pairs(query)
        .into_iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect()
}

pub(super) fn int_param(
    p: &std::collections::BTreeMap<String, String>,
    name: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, Reply> {
    let Some(raw) = p.get(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<i64>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(Reply::bad_parameter(format!(
            "Invalid parameter {name}={raw:?}: must be an integer from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

/// The page fields every list envelope carries.
fn page_fields(total: usize, offset: i64, limit: i64, size: usize) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("total".into(), json!(total));
    m.insert("offset".into(), json!(offset));
    m.insert("limit".into(), json!(limit));
    m.insert("size".into(), json!(size));
    m.insert(
        "page".into(),
        json!(if limit > 0 { offset / limit + 1 } else { 1 }),
    );
    m
}

pub(super) fn slice<T>(items: &[T], offset: i64, limit: i64) -> &[T] {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(items.len());
    let end = start
        .saturating_add(usize::try_from(limit).unwrap_or(0))
        .min(items.len());
    items.get(start..end).unwrap_or(&[])
}

fn list_workflows(ctx: &Ctx<'_>, ws: &Workspace, query: &str) -> Reply {
    let p = params(query);
    let offset = match int_param(&p, "offset", 0, 0..=10_000) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let limit = match int_param(&p, "limit", 10, 1..=100) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let descending = match p.get("order").map(|s| s.to_ascii_uppercase()) {
        None => true,
        Some(o) if o == "DESC" => true,
        Some(o) if o == "ASC" => false,
        Some(o) => {
            return Reply::secmaster("SecMaster.20030010", format!("Invalid order: {o}"));
        }
    };
    let by_update = match p.get("sortby").map(String::as_str) {
        None | Some("create_time") => false,
        Some("update_time") => true,
        Some(other) => {
            return Reply::secmaster("SecMaster.20030009", format!("Invalid sort field: {other}"));
        }
    };
    let enabled = match p.get("enabled").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => return Reply::bad_parameter(format!("Invalid parameter enabled={other:?}")),
    };
    if let Some(t) = p.get("aop_type") {
        if !["NORMAL", "SURVEY", "HEMOSTASIS", "EASE"].contains(&t.as_str()) {
            return Reply::bad_parameter(format!("Invalid parameter aop_type={t:?}"));
        }
    }
    let contains = |field: &Option<String>, key: &str| {
        p.get(key)
            .is_none_or(|want| field.as_deref().unwrap_or("").contains(want.as_str()))
    };
    let equals = |field: &Option<String>, key: &str| {
        p.get(key)
            .is_none_or(|want| field.as_deref() == Some(want.as_str()))
    };
    let mut matched: Vec<&Workflow> = ws
        .workflows
        .iter()
        .filter(|w| {
            let i = &w.info;
            p.get("name").is_none_or(|n| i.name.contains(n.as_str()))
                && contains(&i.description, "description")
                && equals(&i.dataclass_id, "dataclass_id")
                && equals(&i.dataclass_name, "dataclass_name")
                && equals(&i.aop_type, "aop_type")
                && enabled.is_none_or(|e| i.enabled.unwrap_or(false) == e)
        })
        .collect();
    matched.sort_by(|a, b| {
        let key = |w: &Workflow| {
            let t = if by_update {
                &w.info.update_time
            } else {
                &w.info.create_time
            };
            (t.clone().unwrap_or_default(), w.info.id.clone())
        };
        let ord = key(a).cmp(&key(b));
        if descending { ord.reverse() } else { ord }
    });
    let page = slice(&matched, offset, limit);
    let data: Vec<Value> = page.iter().map(|w| info_value(w)).collect();
    let total = matched.len() + ctx.shared.faults.list_total_surplus();
    let mut fields = page_fields(total, offset, limit, data.len());
    fields.insert("data".into(), Value::Array(data));
    ctx.envelope(fields)
}

fn list_versions(ctx: &Ctx<'_>, wf: &Workflow, query: &str) -> Reply {
    let p = params(query);
    let data: Vec<Value> = wf
        .versions
        .iter()
        .filter(|v| {
            p.get("status")
                .is_none_or(|s| v.status.as_deref() == Some(s.as_str()))
        })
        .map(|v| {
            let mut value = serde_json::to_value(v).unwrap_or_default();
            if ctx.shared.faults.versions_without_content() {
                if let Value::Object(map) = &mut value {
                    map.remove("taskflow");
                    map.remove("taskconfig");
                }
            }
            value
        })
        .collect();
    let n = data.len();
    let mut fields = page_fields(n, 0, i64::try_from(n).unwrap_or(i64::MAX).max(1), n);
    fields.insert("data".into(), Value::Array(data));
    ctx.envelope(fields)
}

/// The answer of an export request under an export fault: always HTTP 200 (the route-missing
/// fault never gets here).
fn export_fault(ctx: &Ctx<'_>, fault: ExportFault) -> Reply {
    let file = |content_type: &'static str, body: &[u8]| Reply {
        status: StatusCode::OK,
        content_type,
        headers: vec![(
            header::CONTENT_DISPOSITION,
            "attachment;filename=workflow.json".to_owned(),
        )],
        body: body.to_vec(),
    };
    match fault {
        ExportFault::SecMasterEnvelope => Reply::json(
            StatusCode::OK,
            &json!({"code": "SecMaster.20039999", "message": "Export failed: injected fault", "success": false, "request_id": ctx.request_id}),
        ),
        ExportFault::GatewayEnvelope => Reply::gateway(
            StatusCode::OK,
            "APIGW.0201",
            "Backend unavailable (injected fault)",
            ctx.request_id,
        ),
        ExportFault::Empty => file("application/octet-stream", b""),
        ExportFault::Html => file(
            "text/html",
            b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Injected fault</body></html>",
        ),
        ExportFault::NoWorkflow => Reply::json(
            StatusCode::OK,
            &json!({"code": "00000000", "message": "", "success": true, "request_id": ctx.request_id}),
        ),
        ExportFault::Binary => file("application/octet-stream", b"\x00SOCSIM\x01\x02injected\xff"),
        ExportFault::RouteMissing => Reply::gateway(
            StatusCode::NOT_FOUND,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment",
            ctx.request_id,
        ),
    }
}

fn export_workflows(ctx: &Ctx<'_>, ws: &Workspace, body: &[u8]) -> Reply {
    let ids: Vec<String> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => match m.get("id") {
            Some(Value::Array(items)) => {
                let ids: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect();
                match ids {
                    Some(ids) => ids,
                    None => {
                        return Reply::bad_parameter(
                            "Invalid parameter id: must be a list of workflow ids",
                        );
                    }
                }
            }
            _ => {
                return Reply::bad_parameter(
                    "Missing parameter id: expected {\"id\": [\"<workflow id>\", ...]}",
                );
            }
        },
        _ => {
            return Reply::bad_parameter(
                "Invalid request body: expected {\"id\": [\"<workflow id>\", ...]}",
            );
        }
    };
    if ids.is_empty() {
        return Reply::bad_parameter("Invalid parameter id: the list is empty");
    }
    let mut seen = std::collections::HashSet::new();
    let mut picked = Vec::with_capacity(ids.len());
    for id in &ids {
        // Duplicates are exported once, so a batch never holds the same workflow twice.
        if !seen.insert(id.as_str()) {
            continue;
        }
        match ws.workflow(id) {
            Some(wf) => picked.push(wf),
            None => return workflow_not_found(id),
        }
    }
    let format = ctx.shared.export_format;
    let assembled =
        export::export_with(format, &picked, |wf| ctx.shared.exports.single(&ws.id, wf));
    match assembled {
        Ok(bytes) => Reply {
            status: StatusCode::OK,
            content_type: "application/octet-stream",
            // The one example the export documentation gives.
            headers: vec![(
                header::CONTENT_DISPOSITION,
                format!("attachment;filename={}", format.file_name()),
            )],
            body: bytes,
        },
        Err(e) => Reply::json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": "SecMaster.20039999", "message": format!("export failed: {e}")}),
        ),
    }
}

async fn import(ctx: &Ctx<'_>, workspace_id: &str, parts: Parts, body: Bytes) -> Reply {
    {
        let workspaces = ctx
            .shared
            .workspaces
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if !workspaces.iter().any(|w| w.id == workspace_id) {
            return Reply::unknown_workspace(workspace_id);
        }
    }
    let file = match upload_file(parts, body).await {
        Ok(f) => f,
        Err(msg) => return Reply::bad_parameter(msg),
    };
    let incoming = match export::parse_export(&file) {
        Ok(w) if !w.is_empty() => w,
        Ok(_) => return Reply::bad_parameter("Invalid uploadFile: the file holds no workflows"),
        Err(e) => return Reply::bad_parameter(format!("Invalid uploadFile: {e}")),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(
        u64::try_from(ctx.shared.boot_nanos % u128::from(u64::MAX)).unwrap_or(0) ^ ctx.seq,
    );
    let mut workspaces = ctx.shared.workspaces_mut();
    let Some(ws) = workspaces.iter_mut().find(|w| w.id == workspace_id) else {
        return Reply::unknown_workspace(workspace_id);
    };
    // All or nothing: check every name before changing anything.
    let mut names = std::collections::HashSet::new();
    for wf in &incoming {
        if ws.workflow_by_name(&wf.info.name).is_some() || !names.insert(wf.info.name.clone()) {
            return Reply::secmaster(
                "SecMaster.20030003",
                format!(
                    "Invalid name: a workflow named {:?} already exists",
                    wf.info.name
                ),
            );
        }
    }
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ+0800").to_string();
    for mut wf in incoming {
        let new_id = crate::generate::uuid(&mut rng);
        let old_active = wf.info.version_id.clone();
        wf.info.id = new_id.clone();
        wf.info.workspace_id = Some(ws.id.clone());
        wf.info.project_id = Some(ctx.shared.project_id.clone());
        wf.info.create_time = Some(now.clone());
        wf.info.update_time = Some(now.clone());
        for v in &mut wf.versions {
            let vid = crate::generate::uuid(&mut rng);
            if old_active.as_deref() == Some(v.id.as_str()) {
                wf.info.version_id = Some(vid.clone());
            }
            v.id = vid.clone();
            v.version_id = Some(vid);
            v.aopworkflow_id = Some(new_id.clone());
            v.workspace_id = Some(ws.id.clone());
            v.project_id = Some(ctx.shared.project_id.clone());
            v.create_time = Some(now.clone());
            v.update_time = Some(now.clone());
        }
        wf.file_name = None;
        ws.workflows.push(wf);
    }
    ctx.envelope(Map::new())
}

/// The bytes of the multipart part `uploadFile`.
async fn upload_file(parts: Parts, body: Bytes) -> Result<Vec<u8>, String> {
    let req = Request::from_parts(parts, Body::from(body));
    let mut multipart = Multipart::from_request(req, &()).await.map_err(|e| {
        format!("Invalid request: expected multipart/form-data with part uploadFile ({e})")
    })?;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                if field.name() == Some("uploadFile") {
                    return field
                        .bytes()
                        .await
                        .map(|b| b.to_vec())
                        .map_err(|e| format!("Invalid uploadFile part ({e})"));
                }
            }
            Ok(None) => return Err("Missing parameter uploadFile".to_owned()),
            Err(e) => return Err(format!("Invalid multipart body ({e})")),
        }
    }
}

fn list_workspaces(ctx: &Ctx<'_>, query: &str) -> Reply {
    let p = params(query);
    let offset = match int_param(&p, "offset", 0, 0..=i64::from(i32::MAX)) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let limit = match int_param(&p, "limit", 10, 1..=1000) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let ids: Option<Vec<&str>> = p.get("ids").map(|s| s.split(',').map(str::trim).collect());
    let workspaces = ctx
        .shared
        .workspaces
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    let matched: Vec<Value> = workspaces
        .iter()
        .filter(|w| p.get("name").is_none_or(|n| w.name.contains(n.as_str())))
        .filter(|w| ids.as_ref().is_none_or(|ids| ids.contains(&w.id.as_str())))
        .map(|w| workspace_value(ctx.shared, w))
        .collect();
    let page = slice(&matched, offset, limit).to_vec();
    let body = json!({"count": matched.len(), "workspaces": page});
    Reply::json(StatusCode::OK, &body)
}

fn workspace_value(shared: &Shared, ws: &Workspace) -> Value {
    let created = ws.create_time.clone().unwrap_or_default();
    let mut v = json!({
        "id": ws.id,
        "name": ws.name,
        "description": ws.description.clone().unwrap_or_default(),
        "create_time": created,
        "update_time": created,
        "creator_id": "",
        "creator_name": ws.creator_name.clone().unwrap_or_default(),
        "modifier_id": "",
        "modifier_name": ws.creator_name.clone().unwrap_or_default(),
        "project_id": shared.project_id,
        "project_name": shared.project_name,
        "domain_id": shared.domain_id,
        "domain_name": shared.domain_name,
        "enterprise_project_id": "0",
        "enterprise_project_name": "default",
        "is_view": false,
        "region_id": ws.region_id.clone().unwrap_or_else(|| shared.project_name.clone()),
        "view_bind_id": "",
        "view_bind_name": "",
        "workspace_agency_list": [],
    });
    if let Value::Object(m) = &mut v {
        for (k, extra) in &ws.extra {
            m.insert(k.clone(), extra.clone());
        }
    }
    v
}

fn iam_token(ctx: &Ctx<'_>, body: &[u8], auth_kind: &mut AuthKind) -> Reply {
    let shared = ctx.shared;
    let bad = |msg: &str| Reply::iam(StatusCode::BAD_REQUEST, "IAM.0007", msg);
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad("The request body is not valid JSON.");
    };
    let identity = &v["auth"]["identity"];
    let methods_ok = identity["methods"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x == "password"));
    let user = &identity["password"]["user"];
    let (Some(name), Some(password)) = (user["name"].as_str(), user["password"].as_str()) else {
        return bad("The parameter auth.identity.password.user is invalid.");
    };
    if !methods_ok {
        return bad("The parameter auth.identity.methods is invalid.");
    }
    *auth_kind = AuthKind::Password {
        user: name.to_owned(),
    };
    let domain = user["domain"]["name"].as_str().unwrap_or_default();
    if !shared.auth.check_password(domain, name, password) {
        return Reply::iam(
            StatusCode::UNAUTHORIZED,
            "IAM.0004",
            "The username or password is wrong.",
        );
    }
    let project = &v["auth"]["scope"]["project"];
    let scoped = project["name"].as_str() == Some(shared.project_name.as_str())
        || project["id"].as_str() == Some(shared.project_id.as_str());
    if !scoped {
        return bad(
            "The parameter auth.scope.project is invalid: the token must be scoped to the simulator's project.",
        );
    }
    // Random, not seeded: issued tokens must not be guessable.
    let token_bytes: [u8; 32] = rand::random();
    let token = format!("MIIsim{}", hex::encode(token_bytes));
    let issued = shared.auth.issue(name, token);
    let user_id: String = sign::sha256_hex(format!("{domain}/{name}").as_bytes())
        .chars()
        .take(32)
        .collect();
    let fmt = "%Y-%m-%dT%H:%M:%S%.6fZ";
    let body = json!({"token": {
        "expires_at": issued.expires_at.format(fmt).to_string(),
        "issued_at": issued.issued_at.format(fmt).to_string(),
        "methods": ["password"],
        "catalog": [],
        "project": {"id": shared.project_id, "name": shared.project_name,
                    "domain": {"id": shared.domain_id, "name": shared.domain_name}},
        "roles": [{"id": "0", "name": "secu_admin"}],
        "user": {"id": user_id, "name": name, "password_expires_at": "",
                 "domain": {"id": shared.domain_id, "name": shared.domain_name}},
    }});
    let mut reply = Reply::json(StatusCode::CREATED, &body);
    reply.headers.push((
        header::HeaderName::from_static("x-subject-token"),
        issued.token,
    ));
    reply
}

fn iam_projects(ctx: &Ctx<'_>, query: &str) -> Reply {
    let shared = ctx.shared;
    let p = params(query);
    let project = json!({
        "id": shared.project_id,
        "name": shared.project_name,
        "domain_id": shared.domain_id,
        "parent_id": shared.domain_id,
        "description": "",
        "enabled": true,
        "is_domain": false,
        "links": {"self": format!("/v3/projects/{}", shared.project_id)},
    });
    let matches = p.get("name").is_none_or(|n| *n == shared.project_name)
        && p.get("id").is_none_or(|i| *i == shared.project_id);
    let projects = if matches { vec![project] } else { vec![] };
    Reply::json(
        StatusCode::OK,
        &json!({"projects": projects, "links": {"self": "/v3/projects", "next": null, "previous": null}}),
    )
}

/// `request_uuid-timestamp-hostname`, as the API documents `X-Request-Id`.
fn request_id(shared: &Shared, seq: u64) -> String {
    let digest = sign::sha256_hex(format!("{}:{seq}", shared.boot_nanos).as_bytes());
    let uuid: String = digest.chars().take(32).collect();
    format!("{uuid}-{}-soc-sim", Utc::now().timestamp_millis())
}

/// Builds the HTTP response, applying a body fault if one was drawn.
fn into_response(reply: Reply, request_id: &str, fault: Option<InjectedFault>) -> Response {
    let full_len = reply.body.len();
    let half = full_len / 2;
    let body = match fault {
        Some(InjectedFault::Malformed) => {
            let mut broken = reply.body.get(..half).unwrap_or(&[]).to_vec();
            broken.extend_from_slice(b"<html>");
            Body::from(broken)
        }
        Some(InjectedFault::Truncated | InjectedFault::Dropped) => {
            let head = Bytes::copy_from_slice(reply.body.get(..half).unwrap_or(&[]));
            // An error after the first chunk makes hyper abort the connection mid-body. The
            // pause lets the headers and the first chunk reach the client first, so it sees a
            // started response that breaks rather than no response at all.
            let abort = futures_util::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "injected fault",
                ))
            });
            Body::from_stream(futures_util::StreamExt::chain(
                futures_util::stream::iter([Ok(head)]),
                abort,
            ))
        }
        _ => Body::from(reply.body),
    };
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-request-id", v);
    }
    if fault == Some(InjectedFault::Truncated) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full_len.max(1)));
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_the_documented_paths_only() {
        let get = Method::GET;
        let post = Method::POST;
        let soc = |op| Route::Soc {
            project: "p".into(),
            workspace: "w".into(),
            op,
        };
        assert_eq!(route(&post, "/v3/auth/tokens"), Some(Route::IamToken));
        assert_eq!(route(&get, "/v3/projects"), Some(Route::IamProjects));
        assert_eq!(
            route(&get, "/v1/p/workspaces"),
            Some(Route::ListWorkspaces {
                project: "p".into()
            })
        );
        assert_eq!(
            route(&get, "/v1/p/workspaces/w/soc/workflows"),
            Some(soc(SocOp::ListWorkflows))
        );
        assert_eq!(
            route(&get, "/v1/p/workspaces/w/soc/workflows/a"),
            Some(soc(SocOp::ShowWorkflow("a".into())))
        );
        assert_eq!(
            route(&get, "/v1/p/workspaces/w/soc/workflows/a/versions"),
            Some(soc(SocOp::ListVersions("a".into())))
        );
        assert_eq!(
            route(&get, "/v1/p/workspaces/w/soc/workflows/versions/v"),
            Some(soc(SocOp::ShowVersion("v".into())))
        );
        assert_eq!(
            route(&post, "/v1/p/workspaces/w/soc/workflows/export"),
            Some(soc(SocOp::Export))
        );
        assert_eq!(
            route(&post, "/v1/p/workspaces/w/soc/workflows/import"),
            Some(Route::Import {
                project: "p".into(),
                workspace: "w".into()
            })
        );
        assert_eq!(
            route(&get, "/v1/p/workspaces/w/soc/workflows/export/x"),
            None
        );
        assert_eq!(route(&post, "/v1/p/workspaces/w/soc/workflows"), None);
        assert_eq!(
            route(&get, "/v1/p/workspaces/w/soc/workflows/"),
            Some(soc(SocOp::ShowWorkflow(String::new())))
        );
        assert_eq!(route(&get, "/v2/p/workspaces"), None);
        assert_eq!(route(&get, ""), None);
    }

    #[test]
    fn slicing_pages_never_panics() {
        let items = [1, 2, 3];
        assert_eq!(slice(&items, 0, 2), &[1, 2]);
        assert_eq!(slice(&items, 2, 2), &[3]);
        assert_eq!(slice(&items, 5, 2), &[] as &[i32]);
        assert_eq!(slice(&items, 0, 0), &[] as &[i32]);
    }
}
