//! Getting every playbook of a workspace as a document socdrift can compare.
//!
//! For each listed playbook (`GET …/soc/playbooks`, pages of 100): its versions are listed
//! (`GET …/soc/playbooks/{playbook_id}/versions`, paged), the active one is shown
//! (`GET …/soc/playbooks/versions/{version_id}`), and when the shown version does not carry its
//! rule or its actions inline, they are read from their own endpoints
//! (`GET …/versions/{version_id}/rules/{rule_id}`, `GET …/versions/{version_id}/actions`), which
//! answer with deprecation headers. The document is built by
//! [`soc_model::playbook::build`], with the names of the workflows its actions bind.
//!
//! `POST …/soc/playbooks/export` is never called: its answer is not documented.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use futures_util::{Stream, pin_mut};
use soc_model::playbook;

use crate::error::{ApiError, ErrorContext, Operation};
use crate::http::{Call, Client, Response, Success};
use crate::model::ApiObject;
use crate::ops::{decode_list, decode_show};
use crate::page::{MAX_OFFSET, PAGE_LIMIT, Page, paginate};

/// A playbook (`PlaybookInfo`) as listed.
pub type PlaybookInfo = ApiObject;

/// A playbook's document (see [`soc_model::playbook`]): its info, versions, the active version
/// with its rule and actions, and the names of the workflows those bind.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaybookDocument {
    /// The playbook id.
    pub id: String,
    /// The playbook name, when the listed info has one.
    pub name: Option<String>,
    /// The document, JSON.
    pub bytes: Bytes,
}

/// A deprecation an endpoint announced in its answer's headers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deprecation {
    /// The endpoint's path (a `GET`), with its ids as placeholders.
    pub endpoint: &'static str,
    /// `X-API-Deprecation-Info`.
    pub info: Option<String>,
    /// `X-API-Deprecation-Date`.
    pub date: Option<String>,
}

impl std::fmt::Display for Deprecation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GET {} is deprecated", self.endpoint)?;
        if let Some(date) = &self.date {
            write!(f, " (date {date})")?;
        }
        if let Some(info) = &self.info {
            write!(f, ": {info}")?;
        }
        Ok(())
    }
}

/// Every playbook of a workspace with its document.
#[derive(Debug, Clone, Default)]
pub struct FetchedPlaybooks {
    /// `(listed info, document)` in list order.
    pub playbooks: Vec<(PlaybookInfo, PlaybookDocument)>,
    /// The deprecations the answers announced, each once.
    pub deprecations: Vec<Deprecation>,
}

/// The rule endpoint (a `GET`), ids as placeholders, as named in deprecation notices.
pub const RULE_ENDPOINT: &str = "/v1/{project_id}/workspaces/{workspace_id}/soc/playbooks/versions/{version_id}/rules/{rule_id}";
/// The actions endpoint (a `GET`), ids as placeholders, as named in deprecation notices.
pub const ACTIONS_ENDPOINT: &str =
    "/v1/{project_id}/workspaces/{workspace_id}/soc/playbooks/versions/{version_id}/actions";

/// The deprecation a response announces, if it announces one.
pub(crate) fn deprecation_of(resp: &Response, endpoint: &'static str) -> Option<Deprecation> {
    let header = |name: &str| {
        resp.header(name)
            .map(soc_model::envelope::clean)
            .filter(|s| !s.is_empty())
    };
    let (info, date) = (
        header("x-api-deprecation-info"),
        header("x-api-deprecation-date"),
    );
    (info.is_some() || date.is_some()).then_some(Deprecation {
        endpoint,
        info,
        date,
    })
}

/// Deprecations seen by concurrent requests, kept once each.
#[derive(Debug, Clone, Default)]
struct Seen(Arc<Mutex<Vec<Deprecation>>>);

impl Seen {
    fn add(&self, deprecation: Option<Deprecation>) {
        if let Some(deprecation) = deprecation {
            let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if !seen.contains(&deprecation) {
                seen.push(deprecation);
            }
        }
    }

    fn take(&self) -> Vec<Deprecation> {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = std::mem::take(&mut *seen);
        all.sort();
        all
    }
}

impl Client {
    /// Every playbook of the workspace, as a lazy stream over pages of 100 (checked like the
    /// workflow list: totals, repeated pages, offsets past 10000).
    pub fn list_playbooks(&self) -> impl Stream<Item = Result<PlaybookInfo, ApiError>> + Send + '_ {
        self.list_soc("playbooks", Vec::new(), |offset| Operation::ListPlaybooks {
            offset,
        })
    }

    /// Every version of a playbook (`PlaybookVersionListEntity`), all pages.
    pub async fn list_playbook_versions(
        &self,
        playbook_id: &str,
    ) -> Result<Vec<ApiObject>, ApiError> {
        let id = playbook_id.to_owned();
        self.list_soc(
            "playbooks",
            vec![id.clone(), "versions".to_owned()],
            move |offset| Operation::ListPlaybookVersions {
                playbook_id: id.clone(),
                offset,
            },
        )
        .try_collect()
        .await
    }

    /// One playbook version (`PlaybookVersionInfo`), with its rule and actions when the API
    /// gives them inline.
    pub async fn show_playbook_version(&self, version_id: &str) -> Result<ApiObject, ApiError> {
        let operation = Operation::ShowPlaybookVersion {
            version_id: version_id.to_owned(),
        };
        let url = self
            .soc_collection_url("playbooks", &["versions", version_id])
            .await?;
        let call = Call::get(&operation, url);
        Ok(self.execute(call, decode_show).await?.value)
    }

    /// A playbook version's rule (`RuleInfo`) from its own, deprecated endpoint, and the
    /// deprecation the answer announced.
    pub async fn show_playbook_rule(
        &self,
        version_id: &str,
        rule_id: &str,
    ) -> Result<(ApiObject, Option<Deprecation>), ApiError> {
        let operation = Operation::ShowPlaybookRule {
            version_id: version_id.to_owned(),
            rule_id: rule_id.to_owned(),
        };
        let url = self
            .soc_collection_url("playbooks", &["versions", version_id, "rules", rule_id])
            .await?;
        let call = Call::get(&operation, url);
        let Success { value, .. } = self
            .execute(call, |resp| {
                Ok((decode_show(resp)?, deprecation_of(resp, RULE_ENDPOINT)))
            })
            .await?;
        Ok(value)
    }

    /// A playbook version's actions (`ActionInfo`) from their own, deprecated endpoint, all
    /// pages, and the deprecation the answers announced.
    pub async fn list_playbook_actions(
        &self,
        version_id: &str,
    ) -> Result<(Vec<ApiObject>, Option<Deprecation>), ApiError> {
        let seen = Seen::default();
        let owned = version_id.to_owned();
        let fetch = |offset: u64| {
            let operation = Operation::ListPlaybookActions {
                version_id: version_id.to_owned(),
                offset,
            };
            let seen = seen.clone();
            async move {
                let url = self
                    .playbook_page_url(&["versions", version_id, "actions"], offset)
                    .await?;
                let call = Call::get(&operation, url);
                let Success {
                    value: ((items, total, said), deprecation),
                    request_id,
                    attempts,
                } = self
                    .execute(call, |resp| {
                        Ok((
                            decode_list(resp, "data", "total", offset)?,
                            deprecation_of(resp, ACTIONS_ENDPOINT),
                        ))
                    })
                    .await?;
                seen.add(deprecation);
                Ok(Page {
                    items,
                    total,
                    request_id,
                    attempts,
                    said,
                })
            }
        };
        let actions = paginate(
            MAX_OFFSET,
            move |offset| Operation::ListPlaybookActions {
                version_id: owned.clone(),
                offset,
            },
            fetch,
        )
        .try_collect()
        .await?;
        Ok((actions, seen.take().pop()))
    }

    /// One playbook's document: its versions listed, the active one shown, its rule and actions
    /// read from their endpoints where the shown version lacks them, and the workflows its
    /// actions bind named from `workflow_names` (id to name, the same workspace's workflows).
    pub async fn playbook_document(
        &self,
        info: &PlaybookInfo,
        workflow_names: &BTreeMap<String, String>,
    ) -> Result<(PlaybookDocument, Vec<Deprecation>), ApiError> {
        let versions = self.list_playbook_versions(info.id()).await?;
        let listed: Vec<&serde_json::Map<String, serde_json::Value>> =
            versions.iter().map(ApiObject::as_object).collect();
        let active_id = playbook::active_version_id(info.as_object(), &listed);
        let mut deprecations = Vec::new();
        let (shown, rules, actions) = match &active_id {
            None => (None, None, None),
            Some(id) => {
                let shown = self.show_playbook_version(id).await?;
                let rules = match playbook::rule_to_fetch(shown.as_object()) {
                    Some(rule_id) => {
                        let (rule, deprecation) = self.show_playbook_rule(id, rule_id).await?;
                        deprecations.extend(deprecation);
                        Some(rule)
                    }
                    None => None,
                };
                let actions = if playbook::actions_to_fetch(shown.as_object()) {
                    let (actions, deprecation) = self.list_playbook_actions(id).await?;
                    deprecations.extend(deprecation);
                    Some(actions)
                } else {
                    None
                };
                (Some(shown), rules, actions)
            }
        };
        let version_texts: Vec<&str> = versions.iter().map(ApiObject::raw_json).collect();
        let action_texts: Option<Vec<&str>> = actions
            .as_ref()
            .map(|actions| actions.iter().map(ApiObject::raw_json).collect());
        let parts = playbook::PlaybookParts {
            info: info.raw_json(),
            versions: &version_texts,
            active: shown.as_ref().map(|shown| playbook::ActiveParts {
                version: shown.raw_json(),
                rules: rules.as_ref().map(ApiObject::raw_json),
                actions: action_texts.as_deref(),
            }),
            workflow_names,
        };
        let bytes = playbook::build(&parts).map_err(|source| ApiError::Decode {
            what: "cannot build the playbook document from its answers".into(),
            ctx: Box::new(ErrorContext {
                operation: Operation::ListPlaybookVersions {
                    playbook_id: info.id().to_owned(),
                    offset: 0,
                },
                request_id: None,
                attempts: 1,
            }),
            source: Box::new(source),
        })?;
        let document = PlaybookDocument {
            id: info.id().to_owned(),
            name: info.name().map(str::to_owned),
            bytes: Bytes::from(bytes),
        };
        Ok((document, deprecations))
    }

    /// Every playbook of the workspace with its document, at most `concurrency` playbooks at
    /// once (every request shares the client's concurrency limit, rate cap and retries).
    /// `workflow_names` maps the workspace's workflow ids to their names; `progress` is called
    /// with the number of playbooks done and listed.
    pub async fn playbooks_all(
        &self,
        workflow_names: &BTreeMap<String, String>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<FetchedPlaybooks, ApiError> {
        let list = self.list_playbooks();
        pin_mut!(list);
        let infos: Vec<PlaybookInfo> = list.try_collect().await?;
        let listed = infos.len();
        progress(0, listed);
        let mut done: Vec<Option<PlaybookDocument>> = vec![None; listed];
        let seen = Seen::default();
        let mut count = 0;
        {
            let pending = stream::iter(infos.iter().enumerate())
                .map(|(index, info)| async move {
                    self.playbook_document(info, workflow_names)
                        .await
                        .map(|done| (index, done))
                })
                .buffer_unordered(self.inner.concurrency);
            pin_mut!(pending);
            while let Some(result) = pending.next().await {
                let (index, (document, deprecations)) = result?;
                for deprecation in deprecations {
                    seen.add(Some(deprecation));
                }
                if let Some(slot) = done.get_mut(index) {
                    *slot = Some(document);
                }
                count += 1;
                progress(count, listed);
            }
        }
        // Every playbook came back or the loop returned its error; a gap must never be silent.
        let Some(documents) = done.into_iter().collect::<Option<Vec<_>>>() else {
            return Err(ApiError::ListIncomplete {
                what: "playbooks",
                total: listed as u64,
                listed: count as u64,
                detail: Box::default(),
                ctx: Box::new(ErrorContext {
                    operation: Operation::ListPlaybooks { offset: 0 },
                    request_id: None,
                    attempts: 0,
                }),
            });
        };
        let playbooks = infos.into_iter().zip(documents).collect();
        Ok(FetchedPlaybooks {
            playbooks,
            deprecations: seen.take(),
        })
    }

    /// `…/soc/playbooks/<tail>?offset=…&limit=100`.
    async fn playbook_page_url(&self, tail: &[&str], offset: u64) -> Result<url::Url, ApiError> {
        let mut url = self.soc_collection_url("playbooks", tail).await?;
        url.query_pairs_mut()
            .append_pair("offset", &offset.to_string())
            .append_pair("limit", &PAGE_LIMIT.to_string());
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deprecations_say_what_when_and_why() {
        let d = Deprecation {
            endpoint: "/x",
            info: Some("use Y".into()),
            date: Some("2026-06-30".into()),
        };
        assert_eq!(
            d.to_string(),
            "GET /x is deprecated (date 2026-06-30): use Y"
        );
        let seen = Seen::default();
        seen.add(Some(d.clone()));
        seen.add(Some(d.clone()));
        seen.add(None);
        assert_eq!(seen.take(), [d]);
    }
}
