//! The read operations and export.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use futures_util::stream::{StreamExt, TryStreamExt};
use futures_util::{Stream, pin_mut};
use reqwest::Method;
use url::Url;

use crate::client::WorkspaceRef;
use crate::error::{ApiError, ErrorContext, ListDetail, Operation};
use crate::export::{self, ExportSource, ExportedWorkflow};
use crate::http::{Call, Client, DecodeFailure, Response, Success, envelope_error, join_url};
use crate::model::{ApiObject, VersionInfo, WorkflowInfo, decode_data_object, decode_page};
use crate::page::{MAX_OFFSET, PAGE_LIMIT, Page, paginate, paginate_counted};

/// The raw answer of one export request.
struct ExportAnswer {
    body: Bytes,
    parsed: export::Parsed,
    content_type: Option<String>,
    file_name: Option<String>,
}

/// A decoded list page: its objects, its `total`, and its `code` and `message`.
pub(crate) type ListAnswer = (
    Vec<ApiObject>,
    Option<u64>,
    (Option<String>, Option<String>),
);

/// A list answer: a JSON object holding its items (under `items_key`) or its total (under
/// `total_key`), each item an object with an id; anything else is no list.
pub(crate) fn decode_list(
    resp: &Response,
    items_key: &str,
    total_key: &str,
    offset: u64,
) -> Result<ListAnswer, DecodeFailure> {
    let format = soc_model::Format::sniff(&resp.body);
    if format != soc_model::Format::JsonObject {
        return Err(DecodeFailure::not_a_workflow(format!(
            "the list answer is {}, not a JSON object",
            format.describe()
        )));
    }
    let page = decode_page(&resp.body, items_key, total_key)
        .map_err(|err| DecodeFailure::retryable("the list page is not the expected json", err))?;
    if !page.has_items && page.total.is_none() {
        return Err(DecodeFailure::not_a_workflow(format!(
            "the list answer has neither `{items_key}` nor `{total_key}`: it holds no list"
        )));
    }
    Ok((objects(page.items, offset)?, page.total, page.said))
}

/// A show answer: `{"data": {...object with an id...}}`.
pub(crate) fn decode_show(resp: &Response) -> Result<ApiObject, DecodeFailure> {
    decode_data_object(&resp.body).map_err(|err| {
        DecodeFailure::retryable("expected {\"data\": {...object with an id...}}", err)
    })
}

/// Turns each raw page item into an API object; a malformed item is a permanent failure.
fn objects(
    items: Vec<Box<serde_json::value::RawValue>>,
    offset: u64,
) -> Result<Vec<ApiObject>, DecodeFailure> {
    items
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            ApiObject::from_raw(raw).map_err(|err| {
                DecodeFailure::permanent(
                    format!("list item {} is not a usable object", offset + index as u64),
                    err,
                )
            })
        })
        .collect()
}

impl Client {
    /// The endpoint the client talks to.
    #[must_use]
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The project id.
    #[must_use]
    pub fn project_id(&self) -> &str {
        &self.inner.project_id
    }

    /// The workspace id, resolving a workspace name through the workspaces list on first use.
    pub async fn workspace_id(&self) -> Result<&str, ApiError> {
        match &self.inner.workspace {
            WorkspaceRef::Id(id) => Ok(id),
            WorkspaceRef::Name(name) => self
                .inner
                .workspace_id
                .get_or_try_init(|| self.resolve_workspace(name))
                .await
                .map(String::as_str),
        }
    }

    async fn resolve_workspace(&self, name: &str) -> Result<String, ApiError> {
        let base = join_url(
            &self.inner.endpoint,
            &["v1", &self.inner.project_id, "workspaces"],
        );
        let owned = name.to_owned();
        let fetch = |offset: u64| {
            let mut url = base.clone();
            url.query_pairs_mut()
                .append_pair("offset", &offset.to_string())
                .append_pair("limit", &PAGE_LIMIT.to_string())
                .append_pair("name", name);
            let operation = Operation::ListWorkspaces {
                name: name.to_owned(),
                offset,
            };
            async move {
                self.fetch_page(operation, url, "workspaces", "count", offset)
                    .await
            }
        };
        let stream = paginate(
            MAX_OFFSET,
            move |offset| Operation::ListWorkspaces {
                name: owned.clone(),
                offset,
            },
            fetch,
        );
        pin_mut!(stream);
        let mut matches = Vec::new();
        while let Some(workspace) = stream.try_next().await? {
            // The name filter may be fuzzy on the server; only an exact match counts.
            if workspace.name() == Some(name) {
                matches.push(workspace.id().to_owned());
            }
        }
        match <[String; 1]>::try_from(matches) {
            Ok([id]) => Ok(id),
            Err(matches) => Err(ApiError::WorkspaceName {
                name: name.to_owned(),
                found: matches.len(),
                ctx: Box::new(ErrorContext {
                    operation: Operation::ListWorkspaces {
                        name: name.to_owned(),
                        offset: 0,
                    },
                    request_id: None,
                    attempts: 1,
                }),
            }),
        }
    }

    pub(crate) async fn fetch_page(
        &self,
        operation: Operation,
        url: Url,
        items_key: &str,
        total_key: &str,
        offset: u64,
    ) -> Result<Page<ApiObject>, ApiError> {
        let call = Call::get(&operation, url);
        let Success {
            value: (items, total, said),
            request_id,
            attempts,
        } = self
            .execute(call, |resp| decode_list(resp, items_key, total_key, offset))
            .await?;
        Ok(Page {
            items,
            total,
            request_id,
            attempts,
            said,
        })
    }

    /// `…/workspaces/{workspace_id}/soc/workflows` plus `tail`, every part encoded.
    async fn soc_url(&self, tail: &[&str]) -> Result<Url, ApiError> {
        self.soc_collection_url("workflows", tail).await
    }

    /// `…/workspaces/{workspace_id}/soc/{collection}` plus `tail`, every part encoded.
    pub(crate) async fn soc_collection_url(
        &self,
        collection: &str,
        tail: &[&str],
    ) -> Result<Url, ApiError> {
        let workspace = self.workspace_id().await?;
        let mut segments = vec![
            "v1",
            self.inner.project_id.as_str(),
            "workspaces",
            workspace,
            "soc",
            collection,
        ];
        segments.extend_from_slice(tail);
        Ok(join_url(&self.inner.endpoint, &segments))
    }

    /// Every workflow of the workspace, as a lazy stream over pages of 100.
    ///
    /// A workflow listed twice (the list shifted while paging) is yielded once, with a warning.
    /// Errors end the stream: [`ApiError::PageLimit`] past offset 10000,
    /// [`ApiError::ListingChanged`] when the total changes between pages.
    pub fn list_workflows(&self) -> impl Stream<Item = Result<WorkflowInfo, ApiError>> + Send + '_ {
        self.list_workflows_counted()
            .map(|item| item.map(|(info, _)| info))
    }

    /// [`list_workflows`](Self::list_workflows), each workflow with the list's `total` as
    /// announced so far.
    pub(crate) fn list_workflows_counted(
        &self,
    ) -> impl Stream<Item = Result<(WorkflowInfo, Option<u64>), ApiError>> + Send + '_ {
        self.list_soc_counted("workflows", Vec::new(), |offset| Operation::ListWorkflows {
            offset,
        })
    }

    /// A lazy stream over the pages of `…/soc/{collection}/{tail}?offset=…&limit=100`, whose
    /// items are under `data` and whose total is `total`; `operation(offset)` names each page.
    pub(crate) fn list_soc<'a, O>(
        &'a self,
        collection: &'static str,
        tail: Vec<String>,
        operation: O,
    ) -> impl Stream<Item = Result<ApiObject, ApiError>> + Send + 'a
    where
        O: Fn(u64) -> Operation + Clone + Send + Sync + 'a,
    {
        self.list_soc_counted(collection, tail, operation)
            .map(|item| item.map(|(object, _)| object))
    }

    /// [`list_soc`](Self::list_soc), each item with the list's `total` as announced so far.
    fn list_soc_counted<'a, O>(
        &'a self,
        collection: &'static str,
        tail: Vec<String>,
        operation: O,
    ) -> impl Stream<Item = Result<(ApiObject, Option<u64>), ApiError>> + Send + 'a
    where
        O: Fn(u64) -> Operation + Clone + Send + Sync + 'a,
    {
        let named = operation.clone();
        let fetch = move |offset: u64| {
            let operation = named(offset);
            let tail = tail.clone();
            async move {
                let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
                let mut url = self.soc_collection_url(collection, &tail).await?;
                url.query_pairs_mut()
                    .append_pair("offset", &offset.to_string())
                    .append_pair("limit", &PAGE_LIMIT.to_string());
                self.fetch_page(operation, url, "data", "total", offset)
                    .await
            }
        };
        paginate_counted(MAX_OFFSET, operation, fetch)
    }

    async fn get_object(&self, operation: Operation, tail: &[&str]) -> Result<ApiObject, ApiError> {
        let url = self.soc_url(tail).await?;
        let call = Call::get(&operation, url);
        let success = self.execute(call, decode_show).await?;
        Ok(success.value)
    }

    /// One workflow (`GET …/soc/workflows/{id}`).
    pub async fn show_workflow(&self, id: &str) -> Result<WorkflowInfo, ApiError> {
        self.get_object(Operation::ShowWorkflow { id: id.to_owned() }, &[id])
            .await
    }

    /// One workflow version (`GET …/soc/workflows/versions/{version_id}`).
    pub async fn show_version(&self, version_id: &str) -> Result<VersionInfo, ApiError> {
        self.get_object(
            Operation::ShowVersion {
                version_id: version_id.to_owned(),
            },
            &["versions", version_id],
        )
        .await
    }

    /// The versions of a workflow (`GET …/soc/workflows/{id}/versions`; the API does not page it).
    pub async fn list_versions(&self, workflow_id: &str) -> Result<Vec<VersionInfo>, ApiError> {
        let operation = Operation::ListVersions {
            workflow_id: workflow_id.to_owned(),
        };
        let url = self.soc_url(&[workflow_id, "versions"]).await?;
        let page = self
            .fetch_page(operation.clone(), url, "data", "total", 0)
            .await?;
        let listed = page.items.len() as u64;
        match page.total {
            // The API does not page versions; a list short of its total lost some.
            Some(total) if total > listed => Err(ApiError::ListIncomplete {
                what: "versions",
                total,
                listed,
                detail: Box::new(ListDetail {
                    workflow_id: Some(workflow_id.to_owned()),
                    workflow_name: None,
                    code: page.said.0,
                    message: page.said.1,
                }),
                ctx: Box::new(ErrorContext {
                    operation,
                    request_id: page.request_id,
                    attempts: page.attempts,
                }),
            }),
            _ => Ok(page.items),
        }
    }

    async fn export_request(
        &self,
        operation: &Operation,
        ids: &[String],
    ) -> Result<Success<ExportAnswer>, ApiError> {
        let url = self.soc_url(&["export"]).await?;
        let body = serde_json::json!({ "id": ids }).to_string();
        let call = Call {
            operation,
            method: Method::POST,
            url,
            body: Some(Bytes::from(body)),
            secmaster: true,
        };
        self.execute(call, |resp: &Response| {
            let parsed =
                export::parse_answer(&resp.body, &self.inner.limits).map_err(|err| match err {
                    export::AnswerError::Malformed(err) => {
                        DecodeFailure::retryable("the export file is incomplete", err)
                    }
                    export::AnswerError::NotAWorkflow(what) => DecodeFailure::not_a_workflow(
                        format!("the export answer is {what}, not a workflow document"),
                    ),
                    export::AnswerError::Limit(err) => DecodeFailure::limit(err),
                })?;
            Ok(ExportAnswer {
                body: resp.body.clone(),
                parsed,
                content_type: resp.header("content-type").map(str::to_owned),
                file_name: resp
                    .header("content-disposition")
                    .and_then(export::disposition_file_name),
            })
        })
        .await
    }

    /// Exports one workflow in its own request; the answer is kept whole.
    async fn export_one(&self, id: &str) -> Result<ExportedWorkflow, ApiError> {
        let operation = Operation::Export {
            ids: vec![id.to_owned()],
        };
        let Success {
            value: answer,
            request_id,
            attempts,
        } = self.export_request(&operation, &[id.to_owned()]).await?;
        let ctx = || {
            Box::new(ErrorContext {
                operation: operation.clone(),
                request_id: request_id.clone(),
                attempts,
            })
        };
        if let export::Parsed::Envelope(envelope) = answer.parsed {
            return Err(envelope_error(200, envelope, ctx()));
        }
        let name = export::check_single(id, answer.parsed).map_err(|problem| {
            ApiError::ExportMismatch {
                problem,
                ctx: Box::new(ErrorContext {
                    operation: operation.clone(),
                    request_id: request_id.clone(),
                    attempts,
                }),
            }
        })?;
        Ok(ExportedWorkflow {
            id: id.to_owned(),
            name,
            bytes: answer.body,
            content_type: answer.content_type,
            file_name: answer.file_name,
            request_id,
            source: ExportSource::Whole,
        })
    }

    /// Exports a batch in one request when the answer splits per workflow; otherwise one
    /// request per workflow.
    pub(crate) async fn export_batch(
        &self,
        ids: Vec<String>,
    ) -> Result<Vec<ExportedWorkflow>, ApiError> {
        if let [id] = ids.as_slice() {
            return Ok(vec![self.export_one(id).await?]);
        }
        let operation = Operation::Export { ids: ids.clone() };
        match self.export_request(&operation, &ids).await {
            Ok(Success {
                value: answer,
                request_id,
                ..
            }) => {
                let split = match answer.parsed {
                    export::Parsed::Pieces(pieces) => export::reconcile(&ids, pieces),
                    export::Parsed::Unsplittable(why) => Err(why),
                    export::Parsed::Object { .. } => Err("is a single json object".to_owned()),
                    export::Parsed::Opaque => Err("is neither a json array nor a zip".to_owned()),
                    export::Parsed::Envelope(envelope) => {
                        return Err(envelope_error(
                            200,
                            envelope,
                            Box::new(ErrorContext {
                                operation,
                                request_id,
                                attempts: 1,
                            }),
                        ));
                    }
                };
                match split {
                    Ok(pieces) => {
                        return Ok(pieces
                            .into_iter()
                            .map(|piece| ExportedWorkflow {
                                id: piece.id,
                                name: piece.name,
                                bytes: piece.bytes,
                                content_type: piece.is_json.then(|| "application/json".to_owned()),
                                file_name: Some(piece.file_name),
                                request_id: request_id.clone(),
                                source: piece.source,
                            })
                            .collect());
                    }
                    Err(problem) => tracing::warn!(
                        batch = ids.len(),
                        request_id,
                        %problem,
                        "cannot split a batch export per workflow; exporting one workflow per request"
                    ),
                }
            }
            // A missing route is missing for every id: asking per id would only repeat it.
            Err(err) if matches!(err.status(), Some(404 | 405 | 501)) => return Err(err),
            // A batch refused as a whole (one bad id) is retried per id, so the error that
            // remains names the workflow.
            Err(
                err @ (ApiError::NotFound { .. }
                | ApiError::Api {
                    status: 400..=499, ..
                }),
            ) => {
                tracing::warn!(error = %err, "batch export refused; exporting one workflow per request");
            }
            Err(err) => return Err(err),
        }
        futures_util::future::try_join_all(ids.iter().map(|id| self.export_one(id))).await
    }

    /// Exports workflows by id: raw bytes per workflow, in the order of `ids` (duplicates in
    /// `ids` are exported once). Ids are batched (see
    /// [`ClientBuilder::export_batch_size`](crate::ClientBuilder::export_batch_size)) and
    /// requests run concurrently up to the client's limit. Every id comes back exactly once, or
    /// the call fails.
    pub async fn export(&self, ids: &[String]) -> Result<Vec<ExportedWorkflow>, ApiError> {
        let mut seen = HashSet::new();
        let unique: Vec<String> = ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect();
        let batches: Vec<Vec<String>> = unique
            .chunks(self.inner.export_batch_size)
            .map(<[String]>::to_vec)
            .collect();
        let results: Vec<Vec<ExportedWorkflow>> = futures_util::stream::iter(batches)
            .map(|batch| self.export_batch(batch))
            .buffer_unordered(self.inner.concurrency)
            .try_collect()
            .await?;
        let mut by_id: HashMap<String, ExportedWorkflow> = results
            .into_iter()
            .flatten()
            .map(|workflow| (workflow.id.clone(), workflow))
            .collect();
        let mut ordered = Vec::with_capacity(unique.len());
        for id in unique {
            ordered.push(by_id.remove(&id).ok_or_else(|| missing_export(&id))?);
        }
        Ok(ordered)
    }
}

/// Cannot happen (every batch is reconciled), but a missing workflow must never be silent.
pub(crate) fn missing_export(id: &str) -> ApiError {
    ApiError::ExportMismatch {
        problem: format!("lacks {id:?}"),
        ctx: Box::new(ErrorContext {
            operation: Operation::Export {
                ids: vec![id.to_owned()],
            },
            request_id: None,
            attempts: 0,
        }),
    }
}
