//! The read operations and export.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt, TryStreamExt};
use futures_util::{Stream, pin_mut};
use reqwest::Method;
use url::Url;

use crate::client::WorkspaceRef;
use crate::error::{ApiError, ErrorContext, Operation};
use crate::export::{self, ExportSource, ExportedWorkflow};
use crate::http::{Call, Client, DecodeFailure, Response, Success, join_url};
use crate::model::{ApiObject, VersionInfo, WorkflowInfo, decode_data_object, decode_page};
use crate::page::{MAX_OFFSET, PAGE_LIMIT, Page, paginate};

/// Progress of [`Client::export_all`], reported after each listed page item and each export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    /// Workflows listed so far.
    pub listed: usize,
    /// Workflows exported so far.
    pub exported: usize,
    /// Whether the listing is complete (then `listed` is the total).
    pub listing_done: bool,
}

/// The raw answer of one export request.
struct ExportAnswer {
    body: Bytes,
    parsed: export::Parsed,
    content_type: Option<String>,
    file_name: Option<String>,
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

    async fn fetch_page(
        &self,
        operation: Operation,
        url: Url,
        items_key: &str,
        total_key: &str,
        offset: u64,
    ) -> Result<Page<ApiObject>, ApiError> {
        let call = Call::get(&operation, url);
        let Success {
            value: (items, total),
            request_id,
            attempts,
        } = self
            .execute(call, |resp| {
                let page = decode_page(&resp.body, items_key, total_key).map_err(|err| {
                    DecodeFailure::retryable("the list page is not the expected json", err)
                })?;
                Ok((objects(page.items, offset)?, page.total))
            })
            .await?;
        Ok(Page {
            items,
            total,
            request_id,
            attempts,
        })
    }

    /// `…/workspaces/{workspace_id}/soc/workflows` plus `tail`, every part encoded.
    async fn soc_url(&self, tail: &[&str]) -> Result<Url, ApiError> {
        let workspace = self.workspace_id().await?;
        let mut segments = vec![
            "v1",
            self.inner.project_id.as_str(),
            "workspaces",
            workspace,
            "soc",
            "workflows",
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
        let fetch = move |offset: u64| async move {
            let mut url = self.soc_url(&[]).await?;
            url.query_pairs_mut()
                .append_pair("offset", &offset.to_string())
                .append_pair("limit", &PAGE_LIMIT.to_string());
            self.fetch_page(
                Operation::ListWorkflows { offset },
                url,
                "data",
                "total",
                offset,
            )
            .await
        };
        paginate(
            MAX_OFFSET,
            |offset| Operation::ListWorkflows { offset },
            fetch,
        )
    }

    async fn get_object(&self, operation: Operation, tail: &[&str]) -> Result<ApiObject, ApiError> {
        let url = self.soc_url(tail).await?;
        let call = Call::get(&operation, url);
        let success = self
            .execute(call, |resp| {
                decode_data_object(&resp.body).map_err(|err| {
                    DecodeFailure::retryable("expected {\"data\": {...object with an id...}}", err)
                })
            })
            .await?;
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
        let page = self.fetch_page(operation, url, "data", "total", 0).await?;
        if page
            .total
            .is_some_and(|total| total > page.items.len() as u64)
        {
            tracing::warn!(
                workflow_id,
                listed = page.items.len(),
                total = page.total,
                "the versions list reports more versions than it returned"
            );
        }
        Ok(page.items)
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
            let parsed = export::parse_answer(&resp.body, self.inner.max_body_bytes)
                .map_err(|err| DecodeFailure::retryable("the export file is incomplete", err))?;
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
    async fn export_batch(&self, ids: Vec<String>) -> Result<Vec<ExportedWorkflow>, ApiError> {
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

    /// Lists the workspace and exports every workflow, exporting while the listing goes on.
    /// Returns `(listed info, export)` pairs in list order; `progress` is called as work
    /// completes.
    pub async fn export_all(
        &self,
        progress: impl FnMut(ExportProgress),
    ) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, ApiError> {
        let mut exported: Vec<(usize, WorkflowInfo, ExportedWorkflow)> =
            self.export_listed(progress).try_collect().await?;
        exported.sort_by_key(|(index, _, _)| *index);
        Ok(exported
            .into_iter()
            .map(|(_, info, workflow)| (info, workflow))
            .collect())
    }

    /// Lists the workspace and exports every workflow like [`export_all`](Self::export_all), but
    /// yields each `(listed info, export)` as soon as its export is in, in no particular order,
    /// so the caller can process and drop it: nothing is held beyond the listing and the batches
    /// in flight (at most the client's concurrency). The stream works only while it is polled, so
    /// a slow consumer slows the export down instead of piling exports up. It ends after every
    /// listed workflow was yielded once, or with the first error.
    pub fn export_stream<'a>(
        &'a self,
        progress: impl FnMut(ExportProgress) + 'a,
    ) -> impl Stream<Item = Result<(WorkflowInfo, ExportedWorkflow), ApiError>> + 'a {
        self.export_listed(progress)
            .map_ok(|(_, info, workflow)| (info, workflow))
    }

    /// [`export_stream`](Self::export_stream) with each workflow's position in the listing.
    fn export_listed<'a>(
        &'a self,
        progress: impl FnMut(ExportProgress) + 'a,
    ) -> impl Stream<Item = Result<(usize, WorkflowInfo, ExportedWorkflow), ApiError>> + 'a {
        type Batch<'b> = std::pin::Pin<
            Box<dyn Future<Output = Result<Vec<ExportedWorkflow>, ApiError>> + Send + 'b>,
        >;
        struct State<'a, P> {
            list: std::pin::Pin<Box<dyn Stream<Item = Result<WorkflowInfo, ApiError>> + Send + 'a>>,
            progress: P,
            /// Listed and not yet exported, by id: position and info.
            listed: HashMap<String, (usize, WorkflowInfo)>,
            count: usize,
            exported: usize,
            pending: VecDeque<String>,
            in_flight: FuturesUnordered<Batch<'a>>,
            ready: VecDeque<(usize, WorkflowInfo, ExportedWorkflow)>,
            listing_done: bool,
            finished: bool,
        }
        let state = State {
            list: Box::pin(self.list_workflows()),
            progress,
            listed: HashMap::new(),
            count: 0,
            exported: 0,
            pending: VecDeque::new(),
            in_flight: FuturesUnordered::new(),
            ready: VecDeque::new(),
            listing_done: false,
            finished: false,
        };
        let batch_size = self.inner.export_batch_size;
        let concurrency = self.inner.concurrency;
        futures_util::stream::unfold(state, move |mut state| async move {
            loop {
                if let Some(item) = state.ready.pop_front() {
                    return Some((Ok(item), state));
                }
                if state.finished {
                    return None;
                }
                // At most `concurrency` batches are started at a time, and the listing is read
                // eagerly into `pending`. So the next list page never queues behind a whole
                // page of exports for a permit: it is asked for as soon as a page arrives and
                // gets the first free permit, while exports keep the other permits busy.
                while state.in_flight.len() < concurrency
                    && (state.pending.len() >= batch_size
                        || (state.listing_done && !state.pending.is_empty()))
                {
                    let take = batch_size.min(state.pending.len());
                    let batch: Vec<String> = state.pending.drain(..take).collect();
                    state.in_flight.push(Box::pin(self.export_batch(batch)));
                }
                if state.listing_done && state.in_flight.is_empty() {
                    state.finished = true;
                    // Cannot happen (every batch is reconciled), but must never be silent.
                    if let Some(id) = state.listed.keys().next() {
                        return Some((Err(missing_export(id)), state));
                    }
                    return None;
                }
                let outcome: Result<(), ApiError> = tokio::select! {
                    item = state.list.next(), if !state.listing_done => {
                        match item {
                            Some(Ok(info)) => {
                                let id = info.id().to_owned();
                                state.pending.push_back(id.clone());
                                state.listed.insert(id, (state.count, info));
                                state.count += 1;
                                Ok(())
                            }
                            Some(Err(err)) => Err(err),
                            None => {
                                state.listing_done = true;
                                Ok(())
                            }
                        }
                    }
                    Some(done) = state.in_flight.next(), if !state.in_flight.is_empty() => {
                        done.and_then(|workflows| {
                            for workflow in workflows {
                                let (index, info) = state
                                    .listed
                                    .remove(&workflow.id)
                                    .ok_or_else(|| missing_export(&workflow.id))?;
                                state.exported += 1;
                                state.ready.push_back((index, info, workflow));
                            }
                            Ok(())
                        })
                    }
                };
                (state.progress)(ExportProgress {
                    listed: state.count,
                    exported: state.exported,
                    listing_done: state.listing_done,
                });
                if let Err(err) = outcome {
                    state.finished = true;
                    return Some((Err(err), state));
                }
            }
        })
    }
}

/// Cannot happen (every batch is reconciled), but a missing workflow must never be silent.
fn missing_export(id: &str) -> ApiError {
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
