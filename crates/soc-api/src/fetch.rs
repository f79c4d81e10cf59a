//! Getting every workflow document of a workspace: through the export API, through the
//! workflow and versions APIs, or export first and versions when export does not work.
//!
//! Both ways list the workspace page by page and fetch while the listing goes on, with at most
//! `concurrency` units of work started at once (a unit is an export batch, or one workflow's
//! versions); every request shares the client's concurrency limit, rate cap and retries.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::{FuturesUnordered, StreamExt, TryStreamExt};
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
    /// How many workflows the list answer's `total` announced, when it did (from the first page
    /// on; the listing fails if its pages hold fewer).
    pub expected: Option<usize>,
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

/// Where a fetch's documents come from, said once per fetch before its first workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSource {
    /// The API the documents come from.
    pub source: DocumentSource,
    /// With [`SourceMode::Auto`]: why export was not used, when it was not.
    pub fallback: Option<String>,
}

/// One step of [`Client::fetch_stream`].
#[derive(Debug)]
pub enum Fetch {
    /// Where the documents come from: yielded once, before the first workflow (and for a
    /// workspace without workflows, alone).
    Source(FetchSource),
    /// A listed workflow and its document.
    Workflow {
        /// Its place in the listing (workflows arrive as their batches finish).
        position: usize,
        /// The workflow as the list showed it.
        info: WorkflowInfo,
        /// Its document, from the source announced before.
        document: ExportedWorkflow,
    },
}

/// An error of a pipeline, and whether any unit had succeeded before it.
struct PipelineError {
    error: ApiError,
    after_success: bool,
}

/// A workflow of a pipeline: its position in the listing, its info and its document.
type Positioned = (usize, WorkflowInfo, ExportedWorkflow);

/// A pipeline's stream, boxed so the export and versions pipelines can stand in for each other.
type PipelineStream<'a> = Pin<Box<dyn Stream<Item = Result<Positioned, PipelineError>> + 'a>>;

/// The workflow listing a pipeline reads, each workflow with the list's announced total.
type ListStream<'a> =
    Pin<Box<dyn Stream<Item = Result<(WorkflowInfo, Option<u64>), ApiError>> + Send + 'a>>;

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
        in_list_order(self.export_pipeline(Trial::Trusted, progress))
            .await
            .map_err(|e| e.error)
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
        self.export_pipeline(Trial::Trusted, progress).map(|item| {
            item.map(|(_, info, document)| (info, document))
                .map_err(|e| e.error)
        })
    }

    /// Lists the workspace and builds every workflow's document from the versions API (see
    /// [`document_from_versions`](Self::document_from_versions)), while the listing goes on.
    pub async fn versions_all(
        &self,
        progress: impl FnMut(ExportProgress),
    ) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, ApiError> {
        in_list_order(self.versions_pipeline(progress))
            .await
            .map_err(|e| e.error)
    }

    /// Every workflow of the workspace with its document, from the source the client was built
    /// with ([`ClientBuilder::source`](crate::ClientBuilder::source)), in list order: the
    /// workflows of [`fetch_stream`](Self::fetch_stream), collected.
    pub async fn fetch_all(
        &self,
        progress: impl FnMut(ExportProgress),
    ) -> Result<Fetched, ApiError> {
        let stream = self.fetch_stream(progress);
        futures_util::pin_mut!(stream);
        let mut decided = None;
        let mut workflows = Vec::new();
        while let Some(step) = stream.next().await {
            match step? {
                Fetch::Source(source) => decided = Some(source),
                Fetch::Workflow {
                    position,
                    info,
                    document,
                } => workflows.push((position, info, document)),
            }
        }
        workflows.sort_by_key(|(position, _, _)| *position);
        // Cannot be missing (the stream says it before anything else); export is the default.
        let FetchSource { source, fallback } = decided.unwrap_or(FetchSource {
            source: DocumentSource::Export,
            fallback: None,
        });
        Ok(Fetched {
            source,
            fallback,
            workflows: workflows
                .into_iter()
                .map(|(_, info, document)| (info, document))
                .collect(),
        })
    }

    /// Every workflow of the workspace with its document, from the source the client was built
    /// with, yielded as each arrives (in no particular order) so the caller can process and drop
    /// it: memory holds the listing and the work in flight (at most the client's concurrency
    /// batches, or workflows for the versions API), not the workspace. The stream works only
    /// while it is polled. It first says where the documents come from ([`Fetch::Source`]),
    /// then yields every listed workflow once ([`Fetch::Workflow`]), or ends with the first
    /// error.
    ///
    /// With [`SourceMode::Auto`], the first export batch decides (it runs alone, and nothing is
    /// yielded before it is in): when the export route does not exist (HTTP 404, 405 or 501,
    /// `APIGW.0101`) or its answer is no workflow document socdrift can read (after retries),
    /// the documents come from the versions API instead and [`FetchSource::fallback`] says why.
    /// Once an export batch has succeeded, a later failure is an error like any other.
    pub fn fetch_stream<'a>(
        &'a self,
        progress: impl FnMut(ExportProgress) + 'a,
    ) -> impl Stream<Item = Result<Fetch, ApiError>> + 'a {
        let progress: SharedProgress<'a> = Rc::new(RefCell::new(progress));
        let (stream, source): (PipelineStream<'a>, _) = match self.inner.source {
            SourceMode::Export => (
                Box::pin(self.export_pipeline(Trial::Trusted, shared(&progress))),
                Some(fixed(DocumentSource::Export)),
            ),
            SourceMode::Versions => (
                Box::pin(self.versions_pipeline(shared(&progress))),
                Some(fixed(DocumentSource::Versions)),
            ),
            SourceMode::Auto => (
                Box::pin(self.export_pipeline(Trial::OnTrial, shared(&progress))),
                None,
            ),
        };
        let state = FetchState {
            client: self,
            decided: source.is_some(),
            progress,
            stream,
            source,
            held: None,
            done: false,
        };
        futures_util::stream::unfold(state, move |mut state| async move {
            loop {
                if let Some(step) = state.said() {
                    return Some((Ok(step), state));
                }
                if state.done {
                    return None;
                }
                let next = state.stream.next().await;
                if let Some(error) = state.take(next) {
                    return Some((Err(error), state));
                }
            }
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

    /// The export pipeline of [`export_stream`](Self::export_stream); on trial, the first batch
    /// alone is in flight until it succeeds, and an answer socdrift cannot read as workflows is
    /// an error.
    fn export_pipeline<'a>(
        &'a self,
        trial: Trial,
        progress: impl FnMut(ExportProgress) + 'a,
    ) -> impl Stream<Item = Result<Positioned, PipelineError>> + 'a {
        let batch = self.inner.export_batch_size;
        self.pipeline(
            batch,
            trial,
            progress,
            move |infos: Vec<WorkflowInfo>| async move {
                let ids: Vec<String> = infos.iter().map(|i| i.id().to_owned()).collect();
                let documents = self.export_batch(ids.clone()).await?;
                if trial == Trial::OnTrial {
                    documents.iter().try_for_each(|d| recognisable(d, &ids))?;
                }
                Ok(documents)
            },
        )
    }

    /// The versions pipeline: each workflow's document built from the versions API.
    fn versions_pipeline<'a>(
        &'a self,
        progress: impl FnMut(ExportProgress) + 'a,
    ) -> impl Stream<Item = Result<Positioned, PipelineError>> + 'a {
        self.pipeline(
            1,
            Trial::Trusted,
            progress,
            move |infos: Vec<WorkflowInfo>| async move {
                let mut out = Vec::with_capacity(infos.len());
                for info in &infos {
                    out.push(self.document_from_versions(info).await?);
                }
                Ok(out)
            },
        )
    }

    /// Lists the workspace and runs `work` on batches of `batch` listed workflows while the
    /// listing goes on, at most `concurrency` batches at once (only one until the first has
    /// succeeded, when on trial), yielding each workflow with its position in the listing as
    /// soon as its batch is in. Works only while polled; ends after every listed workflow was
    /// yielded once, or with the first error.
    fn pipeline<'a, W, Fut>(
        &'a self,
        batch: usize,
        trial: Trial,
        progress: impl FnMut(ExportProgress) + 'a,
        work: W,
    ) -> impl Stream<Item = Result<Positioned, PipelineError>> + 'a
    where
        W: Fn(Vec<WorkflowInfo>) -> Fut + 'a,
        Fut: Future<Output = Result<Vec<ExportedWorkflow>, ApiError>> + 'a,
    {
        let state = PipelineState {
            list: Box::pin(self.list_workflows_counted()),
            expected: None,
            progress,
            work,
            listed: HashMap::new(),
            count: 0,
            done: 0,
            pending: VecDeque::new(),
            in_flight: FuturesUnordered::new(),
            ready: VecDeque::new(),
            listing_done: false,
            succeeded: false,
            finished: false,
        };
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
                // eagerly into `pending`. So the next list page never queues behind a whole page
                // of work for a permit: it is asked for as soon as a page arrives and gets the
                // first free permit, while the work keeps the other permits busy.
                let room = if trial == Trial::OnTrial && !state.succeeded {
                    1
                } else {
                    concurrency
                };
                state.start_batches(room, batch);
                if state.listing_done && state.in_flight.is_empty() {
                    state.finished = true;
                    // Cannot happen (every batch is reconciled), but must never be silent.
                    if let Some(id) = state.listed.keys().next() {
                        let error = PipelineError {
                            error: missing_export(id),
                            after_success: true,
                        };
                        return Some((Err(error), state));
                    }
                    return None;
                }
                let outcome: Result<(), ApiError> = tokio::select! {
                    item = state.list.next(), if !state.listing_done => state.listed_one(item),
                    Some(result) = state.in_flight.next(), if !state.in_flight.is_empty() => {
                        state.batch_in(result)
                    }
                };
                (state.progress)(ExportProgress {
                    listed: state.count,
                    exported: state.done,
                    listing_done: state.listing_done,
                    expected: state.expected.and_then(|total| usize::try_from(total).ok()),
                });
                if let Err(error) = outcome {
                    state.finished = true;
                    let error = PipelineError {
                        error,
                        after_success: state.succeeded,
                    };
                    return Some((Err(error), state));
                }
            }
        })
    }
}

/// A progress callback shared by the pipelines of one fetch (the export one, then the versions
/// one when `auto` falls back).
type SharedProgress<'a> = Rc<RefCell<dyn FnMut(ExportProgress) + 'a>>;

/// A callback that reports to `progress`.
fn shared<'a>(progress: &SharedProgress<'a>) -> impl FnMut(ExportProgress) + 'a {
    let progress = Rc::clone(progress);
    move |p: ExportProgress| (progress.borrow_mut())(p)
}

/// A source that is known without a fallback.
fn fixed(source: DocumentSource) -> FetchSource {
    FetchSource {
        source,
        fallback: None,
    }
}

/// Where a [`Client::fetch_stream`] stands between two polls.
struct FetchState<'a> {
    client: &'a Client,
    progress: SharedProgress<'a>,
    stream: PipelineStream<'a>,
    /// Whether the documents' source is known (always, but with `auto` before the first export
    /// batch is in).
    decided: bool,
    /// Said next, before anything else.
    source: Option<FetchSource>,
    /// Held back while the source is said.
    held: Option<Positioned>,
    done: bool,
}

impl FetchState<'_> {
    /// What is ready to be said: the source first, then the workflow held back for it.
    fn said(&mut self) -> Option<Fetch> {
        if let Some(source) = self.source.take() {
            return Some(Fetch::Source(source));
        }
        self.held
            .take()
            .map(|(position, info, document)| Fetch::Workflow {
                position,
                info,
                document,
            })
    }

    /// Takes the pipeline's next item; with `auto`, the first one decides the source (an
    /// unusable export switches to the versions API). Returns the error that ends the stream.
    fn take(&mut self, next: Option<Result<Positioned, PipelineError>>) -> Option<ApiError> {
        let export_decides = !self.decided;
        match next {
            Some(Ok(item)) if export_decides => {
                self.decided = true;
                self.source = Some(fixed(DocumentSource::Export));
                self.held = Some(item);
            }
            Some(Ok(item)) => self.held = Some(item),
            None if export_decides => {
                self.decided = true;
                self.source = Some(fixed(DocumentSource::Export));
                self.done = true;
            }
            None => self.done = true,
            Some(Err(PipelineError {
                error,
                after_success: false,
            })) if export_decides && export_unusable(&error) => {
                tracing::info!(error = %error, "export is not usable; reading the versions api");
                self.decided = true;
                self.source = Some(FetchSource {
                    source: DocumentSource::Versions,
                    fallback: Some(error.to_string()),
                });
                self.stream = Box::pin(self.client.versions_pipeline(shared(&self.progress)));
            }
            Some(Err(e)) => {
                self.done = true;
                return Some(e.error);
            }
        }
        None
    }
}

/// Where a [`Client::pipeline`] stands between two polls.
struct PipelineState<'a, P, W, Fut> {
    list: ListStream<'a>,
    /// The list's announced total.
    expected: Option<u64>,
    progress: P,
    work: W,
    /// Listed and not yet done, by id: position and info.
    listed: HashMap<String, (usize, WorkflowInfo)>,
    count: usize,
    done: usize,
    pending: VecDeque<WorkflowInfo>,
    in_flight: FuturesUnordered<Fut>,
    ready: VecDeque<Positioned>,
    listing_done: bool,
    succeeded: bool,
    finished: bool,
}

impl<W, Fut, P> PipelineState<'_, P, W, Fut>
where
    W: Fn(Vec<WorkflowInfo>) -> Fut,
    Fut: Future<Output = Result<Vec<ExportedWorkflow>, ApiError>>,
{
    /// Starts batches of `batch` pending workflows (fewer for the last, once the listing is
    /// done) while fewer than `room` are in flight.
    fn start_batches(&mut self, room: usize, batch: usize) {
        while self.in_flight.len() < room
            && (self.pending.len() >= batch || (self.listing_done && !self.pending.is_empty()))
        {
            let take = batch.min(self.pending.len());
            let infos: Vec<WorkflowInfo> = self.pending.drain(..take).collect();
            self.in_flight.push((self.work)(infos));
        }
    }

    /// Takes the next item of the listing: a workflow to do, its end, or its error.
    fn listed_one(
        &mut self,
        item: Option<Result<(WorkflowInfo, Option<u64>), ApiError>>,
    ) -> Result<(), ApiError> {
        match item {
            Some(Ok((info, total))) => {
                self.expected = total.or(self.expected);
                let id = info.id().to_owned();
                self.pending.push_back(info.clone());
                self.listed.insert(id, (self.count, info));
                self.count += 1;
                Ok(())
            }
            Some(Err(err)) => Err(err),
            None => {
                self.listing_done = true;
                Ok(())
            }
        }
    }

    /// Takes a finished batch: each document ready with its listed position, or the error.
    fn batch_in(
        &mut self,
        result: Result<Vec<ExportedWorkflow>, ApiError>,
    ) -> Result<(), ApiError> {
        result.and_then(|documents| {
            for document in documents {
                let (position, info) = self
                    .listed
                    .remove(&document.id)
                    .ok_or_else(|| missing_export(&document.id))?;
                self.done += 1;
                self.ready.push_back((position, info, document));
            }
            self.succeeded = true;
            Ok(())
        })
    }
}

/// The workflows of a pipeline, in list order.
async fn in_list_order(
    stream: impl Stream<Item = Result<Positioned, PipelineError>>,
) -> Result<Vec<(WorkflowInfo, ExportedWorkflow)>, PipelineError> {
    let mut workflows: Vec<Positioned> = stream.try_collect().await?;
    workflows.sort_by_key(|(position, _, _)| *position);
    Ok(workflows
        .into_iter()
        .map(|(_, info, document)| (info, document))
        .collect())
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
