//! `probe`: a read-only first contact with a workspace, for finding out what the real API
//! answers before trusting a drift check to it.
//!
//! Calls each endpoint socdrift uses once (workspaces list, one page of workflows, one
//! workflow's versions, one version, one export), with no retry, and reports per call what came
//! back: status, content type and disposition, the format soc-model sniffs, size, the top-level
//! fields against those socdrift expects, the request id. A redacted sample of each answer
//! ([`soc_model::inspect::redact`]) keeps the structure and none of the values, so it can be
//! attached to a bug report.

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use soc_model::document::{
    LIST_FIELDS, SHOW_FIELDS, VERSION_CONTENT_FIELDS, WORKSPACE_LIST_FIELDS, export_fields,
};
use soc_model::inspect::{Inspection, check_fields, inspect, redact};
use soc_model::playbook::{PLAYBOOK_LIST_FIELDS, PLAYBOOK_SHOW_FIELDS};
use soc_model::{ErrorFields, Format};

use crate::client::{SourceMode, WorkspaceRef};
use crate::error::Operation;
use crate::http::{Call, Client, Response, join_url};

/// What one call of a probe saw.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeCall {
    /// `list-workspaces`, `list-workflows`, `list-versions`, `show-version` or `export`.
    pub name: &'static str,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, with its ids as placeholders (`/v1/{project_id}/workspaces`).
    pub path: &'static str,
    /// The HTTP status; absent when no answer came (or the call was skipped).
    pub status: Option<u16>,
    /// `Content-Type` of the answer.
    pub content_type: Option<String>,
    /// `Content-Disposition` of the answer.
    pub content_disposition: Option<String>,
    /// What the body is, its fields, the workflows it holds, its error envelope.
    pub body: Option<Inspection>,
    /// Top-level fields socdrift expects and did not see.
    pub missing: Vec<String>,
    /// Top-level fields seen that socdrift does not expect (harmless, but worth knowing).
    pub extra: Vec<String>,
    /// `X-Request-Id` of the answer.
    pub request_id: Option<String>,
    /// The deprecation the answer announced (`X-API-Deprecation-Info`/`-Date`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecation: Option<String>,
    /// What went wrong, when something did (an error status's code and message, a transport
    /// error), or why the call was skipped.
    pub problem: Option<String>,
    /// What the answer means for socdrift, in a sentence.
    pub verdict: String,
    /// Whether the answer is what socdrift needs.
    pub ok: bool,
    #[serde(skip)]
    sample: Option<Value>,
    /// For export: whether `auto` would read the versions API after this answer (the route is
    /// missing, or the answer is no workflow document) rather than fail.
    #[serde(skip)]
    falls_back: bool,
}

impl ProbeCall {
    fn new(name: &'static str, method: &'static str, path: &'static str) -> Self {
        Self {
            name,
            method,
            path,
            status: None,
            content_type: None,
            content_disposition: None,
            body: None,
            missing: Vec::new(),
            extra: Vec::new(),
            request_id: None,
            deprecation: None,
            problem: None,
            verdict: String::new(),
            ok: false,
            sample: None,
            falls_back: false,
        }
    }

    fn skipped(mut self, why: &str) -> Self {
        self.problem = Some(format!("not called: {why}"));
        self.verdict = format!("not called: {why}");
        self
    }

    /// The redacted sample of the answer (structure only, no values).
    #[must_use]
    pub fn sample(&self) -> Option<&Value> {
        self.sample.as_ref()
    }
}

/// Everything a probe saw, and whether socdrift can work with it.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// Whether everything socdrift needs for the configured `source` works.
    pub ok: bool,
    /// The configured source (`export`, `versions`, `auto`).
    pub source: &'static str,
    /// One entry per call, in order.
    pub calls: Vec<ProbeCall>,
    /// What to do, one sentence per finding.
    pub advice: Vec<String>,
}

impl ProbeReport {
    /// The redacted samples of every answer, as one JSON document: per call its name, status,
    /// and the sample. No name, id or other string value of the workspace survives in it.
    #[must_use]
    pub fn samples(&self) -> Value {
        let calls: Vec<Value> = self
            .calls
            .iter()
            .map(|call| {
                serde_json::json!({
                    "name": call.name,
                    "method": call.method,
                    "path": call.path,
                    "status": call.status,
                    "content_type": call.content_type,
                    "content_disposition": call.content_disposition.as_deref().map(redact_disposition),
                    "sample": call.sample,
                })
            })
            .collect();
        serde_json::json!({ "format": "socdrift-probe-sample", "format_version": 1, "calls": calls })
    }
}

/// A `Content-Disposition` with its file name reduced to its extension.
fn redact_disposition(value: &str) -> String {
    value
        .split(';')
        .map(|part| match part.trim().split_once('=') {
            Some((key, name)) if key.trim().to_ascii_lowercase().starts_with("filename") => {
                let name = name.trim().trim_matches('"');
                let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
                let extension: String = extension
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(8)
                    .collect();
                format!("{}=<name>.{extension}", key.trim())
            }
            _ => part.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

impl Client {
    /// Calls each endpoint socdrift uses once and reports what each answered (see the module
    /// docs). Read-only; never retries; never fails: what went wrong is in the report.
    pub async fn probe(&self) -> ProbeReport {
        let mut calls = Vec::new();
        let mut advice = Vec::new();

        let (workspaces, workspace_id) = self.probe_workspaces(&mut advice).await;
        calls.push(workspaces);
        let Some(workspace_id) = workspace_id else {
            for (name, method, path) in LATER_CALLS.into_iter().chain(PLAYBOOK_CALLS) {
                calls
                    .push(ProbeCall::new(name, method, path).skipped("the workspace is not known"));
            }
            return self.finish(calls, advice);
        };

        let (list, first_workflow) = self.probe_list(&workspace_id).await;
        calls.push(list);
        let Some(workflow_id) = first_workflow else {
            for &(name, method, path) in &LATER_CALLS[1..] {
                calls.push(
                    ProbeCall::new(name, method, path)
                        .skipped("the workflow list gave no workflow"),
                );
            }
            self.probe_playbooks(&workspace_id, &mut calls).await;
            return self.finish(calls, advice);
        };

        let (versions, first_version) = self.probe_versions(&workspace_id, &workflow_id).await;
        calls.push(versions);
        match first_version {
            Some(version_id) => calls.push(self.probe_version(&workspace_id, &version_id).await),
            None => calls.push(
                ProbeCall::new(LATER_CALLS[2].0, LATER_CALLS[2].1, LATER_CALLS[2].2)
                    .skipped("the versions list gave no version"),
            ),
        }
        calls.push(self.probe_export(&workspace_id, &workflow_id).await);
        self.probe_playbooks(&workspace_id, &mut calls).await;
        self.finish(calls, advice)
    }

    fn finish(&self, calls: Vec<ProbeCall>, mut advice: Vec<String>) -> ProbeReport {
        let passed = |name: &str| calls.iter().any(|c| c.name == name && c.ok);
        let listing = passed("list-workflows");
        let export = passed("export");
        let versions = passed("list-versions") && passed("show-version");
        let workspace_needed = matches!(self.inner.workspace, WorkspaceRef::Name(_));
        let workspaces = !workspace_needed || passed("list-workspaces");
        let playbooks = playbooks_readable(&calls);
        let source = self.inner.source;
        let documents = match source {
            SourceMode::Export => export,
            SourceMode::Versions => versions,
            SourceMode::Auto => export || versions,
        };
        let falls_back = calls.iter().any(|c| c.name == "export" && c.falls_back);
        for call in &calls {
            if call.name == "export" || !call.ok {
                advice.push(format!("{}: {}", call.name, call.verdict));
            }
        }
        // `auto` reads the versions API only when export is missing or no document; an error
        // answer stays an error.
        let documents = documents && !(source == SourceMode::Auto && !export && !falls_back);
        match (source, export, versions) {
            (SourceMode::Auto, false, true) if falls_back => advice.push(
                "auto reads the versions API here on its own, after one export attempt per run; set `source = \"versions\"` to skip it".to_owned(),
            ),
            (SourceMode::Auto | SourceMode::Export, false, true) => advice.push(
                "set `source = \"versions\"`: the versions API works".to_owned(),
            ),
            (SourceMode::Versions, true, false) => advice.push(
                "the versions API did not work but export does: set `source = \"export\"`".to_owned(),
            ),
            (_, false, false) => advice.push(
                "neither export nor the versions API gave a workflow document: socdrift cannot snapshot this workspace; attach the --out sample to a bug report".to_owned(),
            ),
            _ => {}
        }
        if !playbooks {
            advice.push(
                "the playbook calls did not all work: socdrift snapshots and compares playbooks \
                 next to workflows, so a snapshot of this workspace would fail"
                    .to_owned(),
            );
        }
        ProbeReport {
            ok: workspaces && listing && documents && playbooks,
            source: source.as_str(),
            calls,
            advice,
        }
    }

    /// One call: sends it once and fills in what the answer was.
    async fn probe_call(
        &self,
        mut call: ProbeCall,
        operation: Operation,
        method: Method,
        url: url::Url,
        body: Option<Bytes>,
        expected: &[&str],
    ) -> (ProbeCall, Option<Value>) {
        let request = Call {
            operation: &operation,
            method,
            url,
            body,
            secmaster: true,
        };
        let response = match self.send_once(request).await {
            Ok(response) => response,
            Err(err) => {
                call.problem = Some(err.to_string());
                call.verdict = "no answer".to_owned();
                return (call, None);
            }
        };
        let Response {
            status,
            body,
            request_id,
            ..
        } = &response;
        let limits = &self.inner.limits;
        let seen = inspect(body, limits);
        let fields = check_fields(&seen.fields, expected);
        call.status = Some(*status);
        call.deprecation =
            crate::playbooks::deprecation_of(&response, call.path).map(|d| d.to_string());
        call.content_type = response.header("content-type").map(str::to_owned);
        call.content_disposition = response.header("content-disposition").map(str::to_owned);
        call.request_id = request_id.clone().or_else(|| {
            seen.envelope
                .as_ref()
                .and_then(|e| e.fields.request_id.clone())
        });
        let failed = !(200..300).contains(status) || seen.envelope.is_some();
        if seen.format.is_json() && !failed {
            call.missing = fields.missing;
            call.extra = fields.extra;
        }
        call.sample = Some(redact(body, limits));
        if !(200..300).contains(status) {
            let said = ErrorFields::from_body(body);
            let code = said.code.as_deref().unwrap_or("no code");
            let meaning = said
                .code
                .as_deref()
                .and_then(soc_model::code_meaning)
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            call.problem = Some(format!(
                "http {status}: {code}: {}{meaning}",
                said.message.as_deref().unwrap_or("no message")
            ));
        } else if let Some(envelope) = &seen.envelope {
            call.problem = Some(format!(
                "an error although the status is {status}: {envelope}"
            ));
        }
        let parsed = if seen.format.is_json() {
            serde_json::from_slice::<Value>(soc_model::format::strip_bom(body)).ok()
        } else {
            None
        };
        call.body = Some(seen);
        (call, parsed)
    }

    /// [`probe_call`](Self::probe_call) of the first page (`offset=0&limit=10`) of a list.
    async fn probe_first_page(
        &self,
        call: ProbeCall,
        operation: Operation,
        mut url: url::Url,
        expected: &[&str],
    ) -> (ProbeCall, Option<Value>) {
        url.query_pairs_mut()
            .append_pair("offset", "0")
            .append_pair("limit", "10");
        self.probe_call(call, operation, Method::GET, url, None, expected)
            .await
    }

    async fn probe_workspaces(&self, advice: &mut Vec<String>) -> (ProbeCall, Option<String>) {
        let call = ProbeCall::new("list-workspaces", "GET", "/v1/{project_id}/workspaces");
        let mut url = join_url(
            &self.inner.endpoint,
            &["v1", &self.inner.project_id, "workspaces"],
        );
        url.query_pairs_mut()
            .append_pair("offset", "0")
            .append_pair("limit", "100");
        let (name, wanted_id) = match &self.inner.workspace {
            WorkspaceRef::Name(name) => (name.clone(), None),
            WorkspaceRef::Id(id) => (String::new(), Some(id.clone())),
        };
        let operation = Operation::ListWorkspaces { name, offset: 0 };
        let (mut call, parsed) = self
            .probe_call(
                call,
                operation,
                Method::GET,
                url,
                None,
                WORKSPACE_LIST_FIELDS,
            )
            .await;
        let items = parsed
            .as_ref()
            .and_then(|v| v.get("workspaces"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let visible = items.len();
        let found = items.iter().find(|w| match &self.inner.workspace {
            WorkspaceRef::Name(name) => w.get("name").and_then(Value::as_str) == Some(name),
            WorkspaceRef::Id(id) => w.get("id").and_then(Value::as_str) == Some(id),
        });
        let found_id = found
            .and_then(|w| w.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        call.ok = call.problem.is_none() && parsed.is_some();
        call.verdict = match (&call.problem, &found_id) {
            (None, Some(_)) => {
                format!("{visible} workspaces visible; the configured one is among them")
            }
            (None, None) => {
                call.ok = false;
                format!(
                    "{visible} workspaces visible; the configured workspace is not among them (check `workspace_id`/`workspace`)"
                )
            }
            (Some(_), _) => "the workspaces list did not work".to_owned(),
        };
        let workspace_id = match (&self.inner.workspace, found_id) {
            (WorkspaceRef::Id(id), _) => Some(id.clone()),
            (WorkspaceRef::Name(_), found) => found,
        };
        if wanted_id.is_some() && !call.ok {
            advice.push(
                "the workspace is given by id, so socdrift does not need the workspaces list"
                    .to_owned(),
            );
        }
        (call, workspace_id)
    }

    fn soc(&self, workspace_id: &str, tail: &[&str]) -> url::Url {
        self.soc_in(workspace_id, "workflows", tail)
    }

    fn soc_in(&self, workspace_id: &str, collection: &str, tail: &[&str]) -> url::Url {
        let mut segments = vec![
            "v1",
            self.inner.project_id.as_str(),
            "workspaces",
            workspace_id,
            "soc",
            collection,
        ];
        segments.extend_from_slice(tail);
        join_url(&self.inner.endpoint, &segments)
    }

    /// The playbook calls: the list (first page), the first playbook's versions, its active
    /// version, that version's rule and its actions (the last two from deprecated endpoints).
    async fn probe_playbooks(&self, workspace_id: &str, calls: &mut Vec<ProbeCall>) {
        let get = |call: usize| {
            let (name, method, path) = PLAYBOOK_CALLS[call];
            ProbeCall::new(name, method, path)
        };
        let skip_from = |calls: &mut Vec<ProbeCall>, first: usize, why: &str| {
            for call in first..PLAYBOOK_CALLS.len() {
                calls.push(get(call).skipped(why));
            }
        };
        let (mut list, parsed) = self
            .probe_first_page(
                get(0),
                Operation::ListPlaybooks { offset: 0 },
                self.soc_in(workspace_id, "playbooks", &[]),
                PLAYBOOK_LIST_FIELDS,
            )
            .await;
        let data = list_data(parsed.as_ref());
        let total = list_total(parsed.as_ref());
        list.ok = list.problem.is_none() && data.is_some();
        list.verdict = match (&list.problem, data, total) {
            (Some(_), _, _) => {
                "the playbook list did not work: socdrift cannot snapshot this workspace's playbooks"
                    .to_owned()
            }
            (None, None, _) => "the answer holds no `data` list of playbooks".to_owned(),
            (None, Some(d), Some(t)) => format!("{} playbook(s) on the first page, of {t}", d.len()),
            (None, Some(d), None) => {
                format!("{} playbook(s) on the first page; no `total`", d.len())
            }
        };
        let first = data
            .and_then(|d| d.first())
            .and_then(Value::as_object)
            .cloned();
        calls.push(list);
        let Some((info, playbook_id)) =
            first.and_then(|info| Some((info.clone(), id_of(Some(&Value::Object(info)))?)))
        else {
            skip_from(calls, 1, "the playbook list gave no playbook");
            return;
        };

        let (mut versions, parsed) = self
            .probe_first_page(
                get(1),
                Operation::ListPlaybookVersions {
                    playbook_id: playbook_id.clone(),
                    offset: 0,
                },
                self.soc_in(workspace_id, "playbooks", &[&playbook_id, "versions"]),
                PLAYBOOK_LIST_FIELDS,
            )
            .await;
        let listed: Vec<&serde_json::Map<String, Value>> = list_data(parsed.as_ref())
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .collect();
        let active = soc_model::playbook::active_version_id(&info, &listed);
        versions.ok = versions.problem.is_none() && list_data(parsed.as_ref()).is_some();
        versions.verdict = match (&versions.problem, &active) {
            (Some(_), _) => "the playbook versions list did not work".to_owned(),
            (None, Some(_)) => format!("{} version(s); the active one is known", listed.len()),
            (None, None) => format!("{} version(s), none of them active", listed.len()),
        };
        calls.push(versions);
        let Some(version_id) =
            active.or_else(|| id_of(listed.first().map(|m| Value::Object((*m).clone())).as_ref()))
        else {
            skip_from(calls, 2, "the playbook has no version");
            return;
        };

        let (mut show, parsed) = self
            .probe_call(
                get(2),
                Operation::ShowPlaybookVersion {
                    version_id: version_id.clone(),
                },
                Method::GET,
                self.soc_in(workspace_id, "playbooks", &["versions", &version_id]),
                None,
                PLAYBOOK_SHOW_FIELDS,
            )
            .await;
        let shown = parsed
            .as_ref()
            .and_then(|v| v.get("data"))
            .and_then(Value::as_object)
            .cloned();
        show.ok = show.problem.is_none() && shown.is_some();
        let rule_needed = shown
            .as_ref()
            .is_some_and(|v| soc_model::playbook::rule_to_fetch(v).is_some());
        let actions_needed = shown
            .as_ref()
            .is_some_and(soc_model::playbook::actions_to_fetch);
        show.verdict = match (&show.problem, &shown) {
            (Some(_), _) => "showing a playbook version did not work".to_owned(),
            (None, None) => "the answer holds no `data` version".to_owned(),
            (None, Some(_)) if rule_needed || actions_needed => {
                "the version does not carry its rule and actions inline: socdrift reads them from the (deprecated) rule and actions endpoints".to_owned()
            }
            (None, Some(_)) => "the version carries its rule and actions inline".to_owned(),
        };
        calls.push(show);
        let Some(shown) = shown else {
            skip_from(calls, 3, "the version could not be shown");
            return;
        };

        let rule_id = shown
            .get("rule_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        match rule_id {
            None => calls.push(get(3).skipped("the version has no rule_id")),
            Some(rule_id) => {
                let (mut rule, parsed) = self
                    .probe_call(
                        get(3),
                        Operation::ShowPlaybookRule {
                            version_id: version_id.clone(),
                            rule_id: rule_id.clone(),
                        },
                        Method::GET,
                        self.soc_in(
                            workspace_id,
                            "playbooks",
                            &["versions", &version_id, "rules", &rule_id],
                        ),
                        None,
                        PLAYBOOK_SHOW_FIELDS,
                    )
                    .await;
                let answered = rule.problem.is_none()
                    && parsed
                        .as_ref()
                        .and_then(|v| v.get("data"))
                        .and_then(|d| d.get("rule"))
                        .is_some();
                rule.ok = answered || !rule_needed;
                rule.verdict = needed_verdict("the rule", answered, rule_needed);
                calls.push(rule);
            }
        }

        let mut url = self.soc_in(
            workspace_id,
            "playbooks",
            &["versions", &version_id, "actions"],
        );
        url.query_pairs_mut()
            .append_pair("offset", "0")
            .append_pair("limit", "10");
        let (mut actions, parsed) = self
            .probe_call(
                get(4),
                Operation::ListPlaybookActions {
                    version_id,
                    offset: 0,
                },
                Method::GET,
                url,
                None,
                PLAYBOOK_LIST_FIELDS,
            )
            .await;
        let answered = actions.problem.is_none() && list_data(parsed.as_ref()).is_some();
        actions.ok = answered || !actions_needed;
        actions.verdict = needed_verdict("the actions", answered, actions_needed);
        calls.push(actions);
    }

    async fn probe_list(&self, workspace_id: &str) -> (ProbeCall, Option<String>) {
        let (name, method, path) = LIST_CALL;
        let (mut call, parsed) = self
            .probe_first_page(
                ProbeCall::new(name, method, path),
                Operation::ListWorkflows { offset: 0 },
                self.soc(workspace_id, &[]),
                LIST_FIELDS,
            )
            .await;
        let data = list_data(parsed.as_ref());
        let total = list_total(parsed.as_ref());
        let first = id_of(data.and_then(|d| d.first()));
        call.ok = call.problem.is_none() && data.is_some();
        call.verdict = match (&call.problem, data, total) {
            (Some(_), _, _) => {
                "the workflow list did not work: socdrift cannot read this workspace".to_owned()
            }
            (None, None, _) => "the answer holds no `data` list of workflows".to_owned(),
            (None, Some(d), Some(t)) => {
                format!("{} workflow(s) on the first page, of {t}", d.len())
            }
            (None, Some(d), None) => {
                format!("{} workflow(s) on the first page; no `total`", d.len())
            }
        };
        (call, first)
    }

    async fn probe_versions(
        &self,
        workspace_id: &str,
        workflow_id: &str,
    ) -> (ProbeCall, Option<String>) {
        let (name, method, path) = LATER_CALLS[1];
        let (mut call, parsed) = self
            .probe_call(
                ProbeCall::new(name, method, path),
                Operation::ListVersions {
                    workflow_id: workflow_id.to_owned(),
                },
                Method::GET,
                self.soc(workspace_id, &[workflow_id, "versions"]),
                None,
                LIST_FIELDS,
            )
            .await;
        let data = list_data(parsed.as_ref());
        let first = data.and_then(|d| d.first());
        let first_id = id_of(first);
        call.ok = call.problem.is_none() && first_id.is_some();
        call.verdict = match (&call.problem, first.and_then(Value::as_object)) {
            (Some(_), _) => "the versions list did not work".to_owned(),
            (None, None) => "the answer holds no version".to_owned(),
            (None, Some(version)) if soc_model::document::version_needs_show(version) => format!(
                "{} version(s), listed without {}: socdrift shows each version",
                data.map_or(0, Vec::len),
                VERSION_CONTENT_FIELDS.join("/")
            ),
            (None, Some(_)) => format!(
                "{} version(s), listed with their taskflow and taskconfig",
                data.map_or(0, Vec::len)
            ),
        };
        (call, first_id)
    }

    async fn probe_version(&self, workspace_id: &str, version_id: &str) -> ProbeCall {
        let (name, method, path) = LATER_CALLS[2];
        let (mut call, parsed) = self
            .probe_call(
                ProbeCall::new(name, method, path),
                Operation::ShowVersion {
                    version_id: version_id.to_owned(),
                },
                Method::GET,
                self.soc(workspace_id, &["versions", version_id]),
                None,
                SHOW_FIELDS,
            )
            .await;
        let version = parsed
            .as_ref()
            .and_then(|v| v.get("data"))
            .and_then(Value::as_object);
        call.ok = call.problem.is_none()
            && version.is_some_and(|v| !soc_model::document::version_needs_show(v));
        call.verdict = match (&call.problem, version) {
            (Some(_), _) => "showing a version did not work".to_owned(),
            (None, None) => "the answer holds no `data` version".to_owned(),
            (None, Some(v)) if soc_model::document::version_needs_show(v) => {
                "the version lacks its taskflow or taskconfig: the versions API cannot give the workflow".to_owned()
            }
            (None, Some(_)) => "the version holds its taskflow and taskconfig: `source = \"versions\"` works".to_owned(),
        };
        call
    }

    async fn probe_export(&self, workspace_id: &str, workflow_id: &str) -> ProbeCall {
        let (name, method, path) = LATER_CALLS[3];
        let body = serde_json::json!({ "id": [workflow_id] }).to_string();
        let expected = export_fields();
        let (mut call, _) = self
            .probe_call(
                ProbeCall::new(name, method, path),
                Operation::Export {
                    ids: vec![workflow_id.to_owned()],
                },
                Method::POST,
                self.soc(workspace_id, &["export"]),
                Some(Bytes::from(body)),
                &expected,
            )
            .await;
        let Some(seen) = &call.body else {
            call.verdict = "export gave no answer".to_owned();
            return call;
        };
        let what = match (seen.format, seen.zip_members) {
            (Format::Zip, Some(1)) => "a ZIP of 1 member".to_owned(),
            (Format::Zip, Some(members)) => format!("a ZIP of {members} members"),
            (format, _) => format.describe().to_owned(),
        };
        call.ok = call.problem.is_none() && seen.workflows > 0;
        let route_missing = matches!(call.status, Some(404 | 405 | 501))
            || seen
                .envelope
                .as_ref()
                .and_then(|e| e.fields.code.as_deref())
                .is_some_and(|c| c.ends_with(".0101"));
        call.falls_back =
            !call.ok && (route_missing || (call.problem.is_none() && call.status.is_some()));
        call.verdict = if call.ok {
            format!(
                "export answered {what} holding {} workflow document(s): supported",
                seen.workflows
            )
        } else if let Some(problem) = &call.problem {
            format!(
                "export failed ({problem}): set `source = \"versions\"` if the versions calls work"
            )
        } else {
            format!(
                "export did not answer a workflow document ({what}): set `source = \"versions\"`"
            )
        };
        call
    }
}

/// Whether the playbook calls give socdrift what it needs: the list works, and every later call
/// worked, was not needed (a rule or actions the shown version carries inline) or had nothing to
/// ask for (no playbook, no rule).
fn playbooks_readable(calls: &[ProbeCall]) -> bool {
    let call = |name: &str| calls.iter().find(|c| c.name == name);
    call("list-playbooks").is_some_and(|c| c.ok)
        && PLAYBOOK_CALLS[1..].iter().all(|(name, _, _)| {
            call(name).is_some_and(|c| c.ok || (c.status.is_none() && c.problem.is_some()))
        })
}

/// What a deprecated endpoint's answer means: whether it worked, and whether socdrift needs it.
fn needed_verdict(what: &str, answered: bool, needed: bool) -> String {
    match (answered, needed) {
        (true, true) => format!("{what} read from here: the shown version does not carry it"),
        (true, false) => {
            format!("answered, but not needed: the shown version carries {what} inline")
        }
        (false, true) => format!(
            "did not work, and the shown version does not carry {what}: socdrift cannot read this playbook"
        ),
        (false, false) => {
            format!("did not work; not needed, the shown version carries {what} inline")
        }
    }
}

/// The `total` of a list answer.
fn list_total(parsed: Option<&Value>) -> Option<u64> {
    parsed.and_then(|v| v.get("total")).and_then(Value::as_u64)
}

/// The `data` array of a list answer.
fn list_data(parsed: Option<&Value>) -> Option<&Vec<Value>> {
    parsed.and_then(|v| v.get("data")).and_then(Value::as_array)
}

/// The `id` of an object, as a string.
fn id_of(item: Option<&Value>) -> Option<String> {
    item.and_then(|v| v.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The playbook calls, in order.
const PLAYBOOK_CALLS: [(&str, &str, &str); 5] = [
    (
        "list-playbooks",
        "GET",
        "/v1/{project_id}/workspaces/{workspace_id}/soc/playbooks",
    ),
    (
        "list-playbook-versions",
        "GET",
        "/v1/{project_id}/workspaces/{workspace_id}/soc/playbooks/{playbook_id}/versions",
    ),
    (
        "show-playbook-version",
        "GET",
        "/v1/{project_id}/workspaces/{workspace_id}/soc/playbooks/versions/{version_id}",
    ),
    ("show-playbook-rule", "GET", crate::playbooks::RULE_ENDPOINT),
    (
        "list-playbook-actions",
        "GET",
        crate::playbooks::ACTIONS_ENDPOINT,
    ),
];

const LIST_CALL: (&str, &str, &str) = (
    "list-workflows",
    "GET",
    "/v1/{project_id}/workspaces/{workspace_id}/soc/workflows",
);

/// The calls after the workspaces list, in order.
const LATER_CALLS: [(&str, &str, &str); 4] = [
    LIST_CALL,
    (
        "list-versions",
        "GET",
        "/v1/{project_id}/workspaces/{workspace_id}/soc/workflows/{workflow_id}/versions",
    ),
    (
        "show-version",
        "GET",
        "/v1/{project_id}/workspaces/{workspace_id}/soc/workflows/versions/{version_id}",
    ),
    (
        "export",
        "POST",
        "/v1/{project_id}/workspaces/{workspace_id}/soc/workflows/export",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_keep_only_the_extension() {
        assert_eq!(
            redact_disposition("attachment;filename=workflow.json"),
            "attachment;filename=<name>.json"
        );
        assert_eq!(
            redact_disposition("attachment; filename=\"6e0b secret.zip\"; filename*=UTF-8''x.zip"),
            "attachment;filename=<name>.zip;filename*=<name>.zip"
        );
    }
}
