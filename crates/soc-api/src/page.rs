//! Offset/limit paging as a lazy stream.
//!
//! Rules (from the API reference and the Terraform provider's pager): pages of `limit` 100,
//! next offset = offset + items received, stop on an empty page or once `total` is reached. The
//! API accepts offsets up to 10000 only, so a longer list is a typed error rather than a
//! silently truncated one. A workflow listed twice (offset paging shifts when a workflow is
//! created mid-listing) is dropped with a warning: the copy is identical in substance and
//! nothing is lost. A changed `total` is an error instead, because a deletion mid-listing
//! shifts a workflow past the pages already read, and nothing would notice it is missing; so is a
//! list whose pages end before its `total`: a truncated list must never look like a smaller
//! workspace.

use std::collections::{HashSet, VecDeque};
use std::future::Future;

use futures_util::{Stream, StreamExt};

use crate::error::{ApiError, ErrorContext, ListDetail, Operation};
use crate::model::ApiObject;

/// Items per page (the API maximum).
pub(crate) const PAGE_LIMIT: u64 = 100;

/// The largest offset the API accepts.
pub(crate) const MAX_OFFSET: u64 = 10_000;

/// One fetched page.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub total: Option<u64>,
    pub request_id: Option<String>,
    pub attempts: u32,
    /// The list answer's `code` and `message`, for errors about it.
    pub said: (Option<String>, Option<String>),
}

/// Something that has an identity for duplicate detection.
pub(crate) trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for ApiObject {
    fn key(&self) -> &str {
        self.id()
    }
}

/// Why paging stopped with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageProblem {
    /// The next offset would exceed what the API accepts.
    PastMaxOffset,
    /// `total` changed between pages.
    TotalChanged { before: u64, after: u64 },
    /// A non-empty page held only items already seen: the server ignores the offset.
    RepeatedPage,
    /// The pages ended before `total` items were listed.
    Incomplete { total: u64, listed: u64 },
}

/// The paging state machine, kept free of I/O so its rules are unit-tested directly.
#[derive(Debug)]
pub(crate) struct Pager {
    offset: u64,
    max_offset: u64,
    total: Option<u64>,
    seen: HashSet<String>,
    done: bool,
}

impl Pager {
    pub(crate) fn new(max_offset: u64) -> Self {
        Self {
            offset: 0,
            max_offset,
            total: None,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// The offset of the next page, `None` when the listing is complete.
    pub(crate) fn next_offset(&self) -> Result<Option<u64>, PageProblem> {
        if self.done {
            Ok(None)
        } else if self.offset > self.max_offset {
            Err(PageProblem::PastMaxOffset)
        } else {
            Ok(Some(self.offset))
        }
    }

    /// Takes a page in: returns its new items (duplicates dropped) and advances.
    pub(crate) fn absorb<T: Keyed>(
        &mut self,
        items: Vec<T>,
        total: Option<u64>,
    ) -> Result<Vec<T>, PageProblem> {
        if let (Some(before), Some(after)) = (self.total, total) {
            if before != after {
                return Err(PageProblem::TotalChanged { before, after });
            }
        }
        self.total = self.total.or(total);
        if items.is_empty() {
            self.done = true;
            if let Some(total) = self.total {
                let listed = self.seen.len() as u64;
                if listed < total {
                    // A truncated list must never look like a smaller workspace.
                    return Err(PageProblem::Incomplete { total, listed });
                }
            }
            return Ok(items);
        }
        self.offset += items.len() as u64;
        let received = items.len();
        let mut fresh = Vec::with_capacity(received);
        for item in items {
            if self.seen.insert(item.key().to_owned()) {
                fresh.push(item);
            } else {
                tracing::warn!(
                    id = item.key(),
                    "listed twice (the list shifted while paging); keeping the first copy"
                );
            }
        }
        if fresh.is_empty() {
            return Err(PageProblem::RepeatedPage);
        }
        if self.total.is_some_and(|total| self.offset >= total) {
            self.done = true;
        }
        Ok(fresh)
    }
}

struct State<T, F, O> {
    pager: Pager,
    fetch: F,
    buffer: VecDeque<T>,
    finished: bool,
    operation: O,
}

fn problem_error(
    problem: PageProblem,
    ctx: Box<ErrorContext>,
    max_offset: u64,
    said: (Option<String>, Option<String>),
) -> ApiError {
    match problem {
        PageProblem::Incomplete { total, listed } => ApiError::ListIncomplete {
            what: ctx.operation.listed(),
            total,
            listed,
            detail: Box::new(ListDetail {
                code: said.0,
                message: said.1,
                ..ListDetail::default()
            }),
            ctx,
        },
        PageProblem::PastMaxOffset => ApiError::PageLimit { max_offset, ctx },
        PageProblem::TotalChanged { before, after } => {
            ApiError::ListingChanged { before, after, ctx }
        }
        PageProblem::RepeatedPage => ApiError::RepeatedPage { ctx },
    }
}

/// A lazy stream over all items of an offset/limit listing. `fetch(offset)` gets one page;
/// `operation(offset)` names it in errors. The stream ends after the first error.
pub(crate) fn paginate<T, F, Fut, O>(
    max_offset: u64,
    operation: O,
    fetch: F,
) -> impl Stream<Item = Result<T, ApiError>>
where
    T: Keyed,
    O: Fn(u64) -> Operation,
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    paginate_counted(max_offset, operation, fetch).map(|item| item.map(|(item, _)| item))
}

/// [`paginate`], each item with the listing's `total` as the pages announced it so far (a
/// progress display's total, known from the first page on).
pub(crate) fn paginate_counted<T, F, Fut, O>(
    max_offset: u64,
    operation: O,
    fetch: F,
) -> impl Stream<Item = Result<(T, Option<u64>), ApiError>>
where
    T: Keyed,
    O: Fn(u64) -> Operation,
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let state = State {
        pager: Pager::new(max_offset),
        fetch,
        buffer: VecDeque::new(),
        finished: false,
        operation,
    };
    futures_util::stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                let total = st.pager.total;
                return Some((Ok((item, total)), st));
            }
            if st.finished {
                return None;
            }
            let offset = match st.pager.next_offset() {
                Ok(Some(offset)) => offset,
                Ok(None) => return None,
                Err(problem) => {
                    st.finished = true;
                    let ctx = Box::new(ErrorContext {
                        operation: (st.operation)(st.pager.offset),
                        request_id: None,
                        attempts: 0,
                    });
                    return Some((
                        Err(problem_error(problem, ctx, max_offset, (None, None))),
                        st,
                    ));
                }
            };
            match (st.fetch)(offset).await {
                Ok(page) => match st.pager.absorb(page.items, page.total) {
                    Ok(items) => st.buffer.extend(items),
                    Err(problem) => {
                        st.finished = true;
                        let ctx = Box::new(ErrorContext {
                            operation: (st.operation)(offset),
                            request_id: page.request_id,
                            attempts: page.attempts,
                        });
                        return Some((Err(problem_error(problem, ctx, max_offset, page.said)), st));
                    }
                },
                Err(err) => {
                    st.finished = true;
                    return Some((Err(err), st));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::cell::RefCell;

    impl Keyed for String {
        fn key(&self) -> &str {
            self
        }
    }

    fn ids(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("wf-{i}")).collect()
    }

    type Ready = std::future::Ready<Result<Page<String>, ApiError>>;
    type Log = std::rc::Rc<RefCell<Vec<u64>>>;

    /// Serves `all` in pages of `PAGE_LIMIT`, recording the offsets asked for.
    fn serve(all: Vec<String>, total: Option<u64>) -> (impl FnMut(u64) -> Ready, Log) {
        let asked = std::rc::Rc::new(RefCell::new(Vec::new()));
        let log = asked.clone();
        let fetch = move |offset: u64| {
            log.borrow_mut().push(offset);
            let start = usize::try_from(offset).unwrap().min(all.len());
            let end = (start + PAGE_LIMIT as usize).min(all.len());
            std::future::ready(Ok(Page {
                items: all[start..end].to_vec(),
                total,
                request_id: None,
                attempts: 1,
                said: (None, None),
            }))
        };
        (fetch, asked)
    }

    fn run<F, Fut>(fetch: F, max_offset: u64) -> Vec<Result<String, ApiError>>
    where
        F: FnMut(u64) -> Fut,
        Fut: Future<Output = Result<Page<String>, ApiError>>,
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(
            paginate(
                max_offset,
                |offset| Operation::ListWorkflows { offset },
                fetch,
            )
            .collect(),
        )
    }

    #[test]
    fn stops_when_total_is_reached() {
        let (fetch, asked) = serve(ids(0..250), Some(250));
        let got: Vec<String> = run(fetch, MAX_OFFSET)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, ids(0..250));
        assert_eq!(*asked.borrow(), vec![0, 100, 200]);
    }

    #[test]
    fn stops_on_empty_page_without_total() {
        let (fetch, asked) = serve(ids(0..200), None);
        let got = run(fetch, MAX_OFFSET);
        assert_eq!(got.len(), 200);
        assert_eq!(*asked.borrow(), vec![0, 100, 200]);
    }

    #[test]
    fn pages_that_end_before_the_total_are_an_error() {
        let (fetch, _) = serve(ids(0..150), Some(180));
        let got = run(fetch, MAX_OFFSET);
        let err = got.last().unwrap().as_ref().unwrap_err();
        assert!(
            matches!(
                err,
                ApiError::ListIncomplete {
                    total: 180,
                    listed: 150,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(got.len(), 151);
    }

    #[test]
    fn empty_workspace() {
        let (fetch, asked) = serve(Vec::new(), Some(0));
        assert!(run(fetch, MAX_OFFSET).is_empty());
        assert_eq!(*asked.borrow(), vec![0]);
    }

    #[test]
    fn refuses_to_page_past_the_offset_cap() {
        let (fetch, asked) = serve(ids(0..450), Some(450));
        let got = run(fetch, 300);
        assert_eq!(got.len(), 401);
        assert!(got[..400].iter().all(Result::is_ok));
        let err = got[400].as_ref().unwrap_err();
        assert!(
            matches!(
                err,
                ApiError::PageLimit {
                    max_offset: 300,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(*asked.borrow(), vec![0, 100, 200, 300]);
    }

    #[test]
    fn offset_exactly_at_the_cap_is_still_fetched() {
        let (fetch, asked) = serve(ids(0..10_050), Some(10_050));
        let got = run(fetch, MAX_OFFSET);
        assert_eq!(got.len(), 10_050);
        assert!(got.iter().all(Result::is_ok));
        assert_eq!(asked.borrow().last(), Some(&10_000));
        // Without a total nothing says the list ended, and offset 10050 cannot be asked for.
        let (fetch, _) = serve(ids(0..10_050), None);
        let got = run(fetch, MAX_OFFSET);
        assert!(matches!(
            got.last().unwrap(),
            Err(ApiError::PageLimit { .. })
        ));
    }

    #[test]
    fn duplicates_across_pages_are_dropped() {
        // A workflow created mid-listing shifts everything by one: the last item of page one
        // comes again first on page two.
        let mut pages = vec![ids(0..100), ids(99..199), Vec::new()].into_iter();
        let fetch = move |_offset: u64| {
            std::future::ready(Ok(Page {
                items: pages.next().unwrap_or_default(),
                total: None,
                request_id: None,
                attempts: 1,
                said: (None, None),
            }))
        };
        let got: Vec<String> = run(fetch, MAX_OFFSET)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, ids(0..199));
    }

    #[test]
    fn changed_total_is_an_error() {
        let mut pages = vec![(ids(0..100), 150), (ids(100..149), 149)].into_iter();
        let fetch = move |_offset: u64| {
            let (items, total) = pages.next().unwrap();
            std::future::ready(Ok(Page {
                items,
                total: Some(total),
                request_id: Some("r2".into()),
                attempts: 1,
                said: (None, None),
            }))
        };
        let got = run(fetch, MAX_OFFSET);
        let err = got.last().unwrap().as_ref().unwrap_err();
        assert!(
            matches!(
                err,
                ApiError::ListingChanged {
                    before: 150,
                    after: 149,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.request_id(), Some("r2"));
    }

    #[test]
    fn a_server_ignoring_offset_does_not_loop() {
        let fetch = |_offset: u64| {
            std::future::ready(Ok(Page {
                items: ids(0..100),
                total: None,
                request_id: None,
                attempts: 1,
                said: (None, None),
            }))
        };
        let got = run(fetch, MAX_OFFSET);
        assert_eq!(got.len(), 101);
        assert!(matches!(
            got.last().unwrap(),
            Err(ApiError::RepeatedPage { .. })
        ));
    }

    #[test]
    fn fetch_errors_end_the_stream() {
        let mut calls = 0;
        let fetch = move |offset: u64| {
            calls += 1;
            std::future::ready(if calls == 1 {
                Ok(Page {
                    items: ids(0..100),
                    total: Some(300),
                    request_id: None,
                    attempts: 1,
                    said: (None, None),
                })
            } else {
                Err(ApiError::PageLimit {
                    max_offset: 0,
                    ctx: Box::new(ErrorContext {
                        operation: Operation::ListWorkflows { offset },
                        request_id: None,
                        attempts: 1,
                    }),
                })
            })
        };
        let got = run(fetch, MAX_OFFSET);
        assert_eq!(got.len(), 101);
        assert!(got[100].is_err());
    }
}
