//! Getting every workflow document of a workspace: through the export API, through the
//! workflow and versions APIs, or export first and versions when export does not work.
//!
//! Both ways list the workspace page by page and fetch while the listing goes on, with at most
//! `concurrency` units of work started at once (a unit is an export batch, or one workflow's
//! versions); every request shares the client's concurrency limit, rate cap and retries.

use std::collections::{HashMap, VecDeque};
use std::future::Future;

use bytes::Bytes;
use futures_util::pin_mut;
use futures_util::stream::{FuturesUnordered, StreamExt};
use soc_model::{DocumentSource, Format};

use crate::client::SourceMode;
use crate::error::{ApiError, ErrorContext, Operation};
use crate::export::{ExportSource, ExportedWorkflow};
use crate::http::Client;
use crate::model::WorkflowInfo;
use crate::ops::missing_export;

/// Progress of a fetch, reported after each listed item and each fetched workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportProgress {
    /// Workflows listed so far.
    pub listed: usize,
    /// Workflows fetched so far.
    pub exported: usize,
    /// Whether the listing is complete (then `listed` is the total).
    pub listing_done: bool,
}

/// Every workflow of a workspace with its document, and where the documents came from.
#[derive(Debug)]
pub struct Fetched {
    /// The API the documents came from.
    pub source: DocumentSource,
    /// With [`SourceMode::Auto`]: why export was not used, when it was not.
    pub fallback: Option<String>,
    /// `(listed info, document)` pairs in list order.
    pub workflows: Vec<(WorkflowInfo, ExportedWorkflow)>,
}

/// An error of a pipeline, and whether any unit had succeeded before it.
struct PipelineError {
    error: ApiError,
    after_success: bool,
}

/// Whether the export route is on trial (the `auto` source, before falling back to the versions
/// API is ruled out): then the first batch is alone in flight until it succeeds, and an answer
/// that holds no workflow socdrift can read is an error instead of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trial {
    /// The export route is the one to use (the `export` source); what it answers is kept.
    Trusted,
    /// The export route may not work here.
    OnTrial,
}

impl Client {
    /// Lists the workspace and exports every workflow, exporting while the listing goes on.
    /// Returns `(listed info, export)` pairs in list order; `progress` is called as work
    /// completes.
    pub async fn export_all(
        &self,
        progress: impl FnMut(ExportProgress),
    ) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, ApiError> {
        self.export_pipeline(Trial::Trusted, progress)
            .await
            .map_err(|e| e.error)
    }

    /// Lists the workspace and builds every workflow's document from the versions API (see
    /// [`document_from_versions`](Self::document_from_versions)), while the listing goes on.
    pub async fn versions_all(
        &self,
        progress: impl FnMut(ExportProgress),
    ) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, ApiError> {
        self.pipeline(1, Trial::Trusted, progress, |infos| async move {
            let mut out = Vec::with_capacity(infos.len());
            for info in &infos {
                out.push(self.document_from_versions(info).await?);
            }
            Ok(out)
        })
        .await
        .map_err(|e| e.error)
    }

    /// Every workflow of the workspace with its document, from the source the client was built
    /// with ([`ClientBuilder::source`](crate::ClientBuilder::source)).
    ///
    /// With [`SourceMode::Auto`], the first export batch decides: when the export route does not
    /// exist (HTTP 404, 405 or 501, `APIGW.0101`) or its answer is no workflow document socdrift
    /// can read (after retries), the documents come from the versions API instead and
    /// [`Fetched::fallback`] says why. Once an export batch has succeeded, a later failure is an
    /// error like any other.
    pub async fn fetch_all(
        &self,
        mut progress: impl FnMut(ExportProgress),
    ) -> Result<Fetched, ApiError> {
        let (source, fallback, workflows) = match self.inner.source {
            SourceMode::Export => (
                DocumentSource::Export,
                None,
                self.export_all(&mut progress).await?,
            ),
            SourceMode::Versions => (
                DocumentSource::Versions,
                None,
                self.versions_all(&mut progress).await?,
            ),
            SourceMode::Auto => match self.export_pipeline(Trial::OnTrial, &mut progress).await {
                Ok(workflows) => (DocumentSource::Export, None, workflows),
                Err(PipelineError {
                    error,
                    after_success: false,
                }) if export_unusable(&error) => {
                    tracing::info!(error = %error, "export is not usable; reading the versions api");
                    let workflows = self.versions_all(&mut progress).await?;
                    (DocumentSource::Versions, Some(error.to_string()), workflows)
                }
                Err(e) => return Err(e.error),
            },
        };
        Ok(Fetched {
            source,
            fallback,
            workflows,
        })
    }

    /// The documents of the given workflows, from the client's source (with
    /// [`SourceMode::Auto`], as [`fetch_all`](Self::fetch_all) decides, on the first batch).
    pub async fn fetch(&self, infos: Vec<WorkflowInfo>) -> Result<Fetched, ApiError> {
        let by_versions = |infos: Vec<WorkflowInfo>| async move {
            let mut workflows = Vec::with_capacity(infos.len());
            for info in infos {
                let document = self.document_from_versions(&info).await?;
                workflows.push((info, document));
            }
            Ok::<_, ApiError>(workflows)
        };
        let by_export = |infos: Vec<WorkflowInfo>, trial: Trial| async move {
            let ids: Vec<String> = infos.iter().map(|i| i.id().to_owned()).collect();
            let documents = self.export(&ids).await?;
            if trial == Trial::OnTrial {
                documents.iter().try_for_each(|d| recognisable(d, &ids))?;
            }
            Ok::<_, ApiError>(infos.into_iter().zip(documents).collect::<Vec<_>>())
        };
        let (source, fallback, workflows) = match self.inner.source {
            SourceMode::Export => (
                DocumentSource::Export,
                None,
                by_export(infos, Trial::Trusted).await?,
            ),
            SourceMode::Versions => (DocumentSource::Versions, None, by_versions(infos).await?),
            SourceMode::Auto => match by_export(infos.clone(), Trial::OnTrial).await {
                Ok(workflows) => (DocumentSource::Export, None, workflows),
                Err(error) if export_unusable(&error) => (
                    DocumentSource::Versions,
                    Some(error.to_string()),
                    by_versions(infos).await?,
                ),
                Err(error) => return Err(error),
            },
        };
        Ok(Fetched {
            source,
            fallback,
            workflows,
        })
    }

    /// A workflow's export-equivalent document built from the versions API: its versions are
    /// listed (`GET …/soc/workflows/{id}/versions`), each one the list gives without `taskflow`
    /// or `taskconfig` is shown (`GET …/soc/workflows/versions/{version_id}`), and the document
    /// is the workflow's info with `versions` holding them ([`soc_model::export_from_versions`]).
    pub async fn document_from_versions(
        &self,
        info: &WorkflowInfo,
    ) -> Result<ExportedWorkflow, ApiError> {
        let listed = self.list_versions(info.id()).await.map_err(|mut err| {
            if let ApiError::ListIncomplete { detail, .. } = &mut err {
                detail.workflow_name = info.name().map(str::to_owned);
            }
            err
        })?;
        let shown = futures_util::future::try_join_all(listed.into_iter().map(|version| async {
            if soc_model::document::version_needs_show(version.as_object()) {
                self.show_version(version.id()).await
            } else {
                Ok(version)
            }
        }))
        .await?;
        let raws: Vec<&str> = shown.iter().map(|v| v.raw_json()).collect();
        let bytes = soc_model::export_from_versions(info.raw_json(), &raws).map_err(|source| {
            ApiError::Decode {
                what: "cannot build the workflow document from its versions".into(),
                ctx: Box::new(ErrorContext {
                    operation: Operation::ListVersions {
                        workflow_id: info.id().to_owned(),
                    },
                    request_id: None,
                    attempts: 1,
                }),
                source: Box::new(source),
            }
        })?;
        Ok(ExportedWorkflow {
            id: info.id().to_owned(),
            name: info.name().map(str::to_owned),
            bytes: Bytes::from(bytes),
            content_type: Some("application/json".to_owned()),
            file_name: Some(format!("{}.json", info.id())),
            request_id: None,
            source: ExportSource::Versions,
        })
    }

    /// [`export_all`](Self::export_all); on trial, the first batch alone is in flight until it
    /// succeeds, and an answer socdrift cannot read as workflows is an error.
    async fn export_pipeline(
        &self,
        trial: Trial,
        progress: impl FnMut(ExportProgress),
    ) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, PipelineError> {
        let batch = self.inner.export_batch_size;
        self.pipeline(batch, trial, progress, |infos| async move {
            let ids: Vec<String> = infos.iter().map(|i| i.id().to_owned()).collect();
            let documents = self.export_batch(ids.clone()).await?;
            if trial == Trial::OnTrial {
                documents.iter().try_for_each(|d| recognisable(d, &ids))?;
            }
            Ok(documents)
        })
        .await
    }

    /// Lists the workspace and runs `work` on batches of `batch` listed workflows while the
    /// listing goes on, at most `concurrency` batches at once (only one until the first has
    /// succeeded, on trial). Returns the pairs in list order.
    async fn pipeline<W, Fut>(
        &self,
        batch: usize,
        trial: Trial,
        mut progress: impl FnMut(ExportProgress),
        work: W,
    ) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, PipelineError>
    where
        W: Fn(Vec<WorkflowInfo>) -> Fut,
        Fut: Future<Output = Result<Vec<ExportedWorkflow>, ApiError>>,
    {
        let concurrency = self.inner.concurrency;
        let list = self.list_workflows();
        pin_mut!(list);
        let mut infos: Vec<WorkflowInfo> = Vec::new();
        let mut pending: VecDeque<WorkflowInfo> = VecDeque::new();
        let mut in_flight = FuturesUnordered::new();
        let mut done: HashMap<String, ExportedWorkflow> = HashMap::new();
        let mut listing_done = false;
        let mut succeeded = false;
        let fail = |error, after_success| PipelineError {
            error,
            after_success,
        };
        loop {
            // At most `concurrency` batches are started at a time, and the listing is read
            // eagerly into `pending`. So the next list page never queues behind a whole page of
            // work for a permit: it is asked for as soon as a page arrives and gets the first
            // free permit, while the work keeps the other permits busy.
            let room = if trial == Trial::OnTrial && !succeeded {
                1
            } else {
                concurrency
            };
            while in_flight.len() < room
                && (pending.len() >= batch || (listing_done && !pending.is_empty()))
            {
                let take = batch.min(pending.len());
                in_flight.push(work(pending.drain(..take).collect()));
            }
            tokio::select! {
                item = list.next(), if !listing_done => {
                    match item {
                        Some(info) => {
                            let info = info.map_err(|e| fail(e, succeeded))?;
                            pending.push_back(info.clone());
                            infos.push(info);
                        }
                        None => listing_done = true,
                    }
                    progress(ExportProgress { listed: infos.len(), exported: done.len(), listing_done });
                }
                Some(result) = in_flight.next(), if !in_flight.is_empty() => {
                    for workflow in result.map_err(|e| fail(e, succeeded))? {
                        done.insert(workflow.id.clone(), workflow);
                    }
                    succeeded = true;
                    progress(ExportProgress { listed: infos.len(), exported: done.len(), listing_done });
                }
                else => break,
            }
        }
        infos
            .into_iter()
            .map(|info| {
                let workflow = done
                    .remove(info.id())
                    .ok_or_else(|| fail(missing_export(info.id()), true))?;
                Ok((info, workflow))
            })
            .collect()
    }
}

/// Whether an export answer is something socdrift reads as workflows: JSON or a ZIP. Anything
/// else would only be compared by its hash.
fn recognisable(document: &ExportedWorkflow, ids: &[String]) -> Result<(), ApiError> {
    let format = Format::sniff(&document.bytes);
    if format.is_json() || format == Format::Zip {
        return Ok(());
    }
    Err(ApiError::NotAWorkflow {
        what: format!(
            "the export answer is {}, which socdrift cannot read as a workflow",
            format.describe()
        ),
        ctx: Box::new(ErrorContext {
            operation: Operation::Export { ids: ids.to_vec() },
            request_id: document.request_id.clone(),
            attempts: 1,
        }),
    })
}

/// Whether an export error means "export does not work here" rather than "this went wrong": the
/// route is missing (404, 405, 501, `APIGW.0101`) or the answer is no workflow document.
pub(crate) fn export_unusable(error: &ApiError) -> bool {
    let is_export = matches!(error.context().operation, Operation::Export { .. });
    let route_missing = matches!(error.status(), Some(404 | 405 | 501))
        || error
            .code()
            .is_some_and(|c| c == "APIGW.0101" || c == "APIG.0101");
    is_export && (route_missing || matches!(error, ApiError::NotAWorkflow { .. }))
}
