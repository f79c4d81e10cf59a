//! The playbook endpoints: list playbooks, list a playbook's versions, show a version, and the
//! version's rule and actions (the last two answered with deprecation headers).
//!
//! Shapes follow the official SDK models (`ListPlaybooksResponse`, `ListPlaybookVersionsResponse`,
//! `ShowPlaybookVersionResponse`, `ShowPlaybookRuleResponse`, `ListPlaybookActionsResponse`):
//! unlike the workflow answers, their bodies carry `code` and `message` but no `success` and no
//! `request_id` (the request id is the `X-Request-Id` header), and lists echo no `offset`/`limit`.

use axum::http::{HeaderName, StatusCode};
use serde_json::{Map, Value, json};

use super::api::{Ctx, Reply, int_param, params, slice};
use crate::model::Workspace;
use crate::playbook::{Playbook, PlaybookVersion};

/// `X-API-Deprecation-Info` of the rule and actions endpoints. The SDK models declare the
/// header; its real text is [UNCONFIRMED].
pub(super) const DEPRECATION_INFO: &str =
    "This API is deprecated: ShowPlaybookVersion returns the version's rules and actions.";
/// `X-API-Deprecation-Date` of the rule and actions endpoints ([UNCONFIRMED] value).
pub(super) const DEPRECATION_DATE: &str = "2026-06-30";

/// A playbook request under `…/soc/playbooks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PlaybookOp {
    List,
    ListVersions(String),
    ShowVersion(String),
    ShowRule { version: String, rule: String },
    ListActions(String),
}

impl PlaybookOp {
    /// The operation a `GET …/soc/playbooks/<rest>` names, if any.
    pub(super) fn route(rest: &[&str]) -> Option<Self> {
        Some(match rest {
            [] => Self::List,
            ["versions", version] => Self::ShowVersion((*version).to_owned()),
            ["versions", version, "actions"] => Self::ListActions((*version).to_owned()),
            ["versions", version, "rules", rule] => Self::ShowRule {
                version: (*version).to_owned(),
                rule: (*rule).to_owned(),
            },
            [id, "versions"] => Self::ListVersions((*id).to_owned()),
            _ => return None,
        })
    }
}

/// Answers one playbook request in a known workspace.
pub(super) fn handle(ctx: &Ctx<'_>, ws: &Workspace, op: PlaybookOp, query: &str) -> Reply {
    match op {
        PlaybookOp::List => list_playbooks(ctx, ws, query),
        PlaybookOp::ListVersions(id) => match ws.playbook(&id) {
            Some(pb) => list_versions(pb, query),
            None => Reply::secmaster("SecMaster.20048006", format!("Invalid playbook ID: {id}")),
        },
        PlaybookOp::ShowVersion(id) => match find_version(ws, &id) {
            Some(version) => {
                let mut shown = version.shown();
                if ctx.shared.faults.playbook_details_separate() {
                    if let Value::Object(map) = &mut shown {
                        map.remove("rules");
                        map.remove("actions");
                    }
                }
                plain(one("data", shown))
            }
            None => version_not_found(&id),
        },
        PlaybookOp::ShowRule { version, rule } => {
            let found = find_version(ws, &version).and_then(|v| {
                v.rules
                    .as_ref()
                    .filter(|r| r.get("id").and_then(Value::as_str) == Some(rule.as_str()))
            });
            match found {
                Some(rules) => deprecated(plain(one("data", rules.clone()))),
                None => Reply::secmaster(
                    "SecMaster.20048004",
                    format!("The playbook rule does not exist: {rule} (version {version})"),
                ),
            }
        }
        PlaybookOp::ListActions(id) => match find_version(ws, &id) {
            Some(version) => list_actions(version, query),
            None => Reply::secmaster(
                "SecMaster.20030005",
                format!("Get playbook action failed: no playbook version {id}"),
            ),
        },
    }
}

fn find_version<'a>(ws: &'a Workspace, id: &str) -> Option<&'a PlaybookVersion> {
    ws.playbooks.iter().find_map(|p| p.version(id))
}

fn version_not_found(id: &str) -> Reply {
    Reply::secmaster(
        "SecMaster.20048004",
        format!("The playbook version does not exist: {id}"),
    )
}

/// The playbook success envelope: `code` and `message`, then `fields`.
fn plain(fields: Map<String, Value>) -> Reply {
    let mut body = Map::new();
    body.insert("code".into(), json!("00000000"));
    body.insert("message".into(), json!(""));
    body.extend(fields);
    Reply::json(StatusCode::OK, &Value::Object(body))
}

fn one(key: &str, value: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_owned(), value);
    m
}

/// The deprecation headers the SDK models declare for the rule and actions endpoints.
fn deprecated(mut reply: Reply) -> Reply {
    reply.headers.push((
        HeaderName::from_static("x-api-deprecation-info"),
        DEPRECATION_INFO.to_owned(),
    ));
    reply.headers.push((
        HeaderName::from_static("x-api-deprecation-date"),
        DEPRECATION_DATE.to_owned(),
    ));
    reply
}

/// `offset` (0–10000, default 0) and `limit` (1–100, default 10); the playbook APIs' ranges are
/// [UNCONFIRMED], so they are those of the workflow list.
fn page_params(p: &std::collections::BTreeMap<String, String>) -> Result<(i64, i64), Reply> {
    Ok((
        int_param(p, "offset", 0, 0..=10_000)?,
        int_param(p, "limit", 10, 1..=100)?,
    ))
}

/// `offset`, `limit` and `enabled`, the parameters the playbook and version lists share.
fn list_params(
    p: &std::collections::BTreeMap<String, String>,
) -> Result<(i64, i64, Option<bool>), Reply> {
    let (offset, limit) = page_params(p)?;
    Ok((offset, limit, bool_param(p, "enabled")?))
}

fn bool_param(
    p: &std::collections::BTreeMap<String, String>,
    name: &str,
) -> Result<Option<bool>, Reply> {
    match p.get(name).map(String::as_str) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Reply::bad_parameter(format!(
            "Invalid parameter {name}={other:?}"
        ))),
    }
}

/// `total`, `size` (items in this page) and `page` (`offset / limit + 1`, [UNCONFIRMED]): the page
/// fields of the playbook lists, which echo neither `offset` nor `limit`.
fn page(total: usize, offset: i64, limit: i64, data: Vec<Value>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("total".into(), json!(total));
    m.insert("size".into(), json!(data.len()));
    m.insert("page".into(), json!(offset / limit.max(1) + 1));
    m.insert("data".into(), Value::Array(data));
    m
}

fn field<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn list_playbooks(ctx: &Ctx<'_>, ws: &Workspace, query: &str) -> Reply {
    let p = params(query);
    let (offset, limit, enabled) = match list_params(&p) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let contains = |info: &Map<String, Value>, key: &str| {
        p.get(key)
            .is_none_or(|want| field(info, key).contains(want.as_str()))
    };
    let mut matched: Vec<&Playbook> = ws
        .playbooks
        .iter()
        .filter(|pb| {
            let i = &pb.info;
            contains(i, "name")
                && contains(i, "description")
                && p.get("dataclass_name")
                    .is_none_or(|want| field(i, "dataclass_name") == want)
                && p.get("search_txt").is_none_or(|want| {
                    field(i, "name").contains(want.as_str())
                        || field(i, "description").contains(want.as_str())
                })
                && enabled.is_none_or(|e| i.get("enabled").and_then(Value::as_bool) == Some(e))
        })
        .collect();
    // Newest first, as the workflow list (the playbook list's order is [UNCONFIRMED]).
    matched.sort_by(|a, b| {
        let key = |pb: &Playbook| {
            (
                field(&pb.info, "create_time").to_owned(),
                pb.id().to_owned(),
            )
        };
        key(b).cmp(&key(a))
    });
    let data = slice(&matched, offset, limit)
        .iter()
        .map(|pb| Value::Object(pb.info.clone()))
        .collect();
    let total = matched.len() + ctx.shared.faults.list_total_surplus();
    plain(page(total, offset, limit, data))
}

fn list_versions(pb: &Playbook, query: &str) -> Reply {
    let p = params(query);
    let (offset, limit, enabled) = match list_params(&p) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Some(status) = p.get("status") {
        if !["EDITING", "APPROVING", "UNPASSED", "PUBLISHED"].contains(&status.as_str()) {
            return Reply::bad_parameter(format!("Invalid parameter status={status:?}"));
        }
    }
    let version_type = match p.get("version_type").map(String::as_str) {
        None => None,
        Some("0") => Some(0),
        Some("1") => Some(1),
        Some(other) => {
            return Reply::bad_parameter(format!("Invalid parameter version_type={other:?}"));
        }
    };
    let matched: Vec<&PlaybookVersion> = pb
        .versions
        .iter()
        .filter(|v| {
            p.get("status")
                .is_none_or(|s| field(&v.info, "status") == s)
                && enabled.is_none_or(|e| v.info.get("enabled").and_then(Value::as_bool) == Some(e))
                && version_type
                    .is_none_or(|t| v.info.get("version_type").and_then(Value::as_i64) == Some(t))
        })
        .collect();
    let data = slice(&matched, offset, limit)
        .iter()
        .map(|v| v.listed())
        .collect();
    plain(page(matched.len(), offset, limit, data))
}

fn list_actions(version: &PlaybookVersion, query: &str) -> Reply {
    let p = params(query);
    let (offset, limit) = match page_params(&p) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let data = slice(&version.actions, offset, limit).to_vec();
    deprecated(plain(page(version.actions.len(), offset, limit, data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(PlaybookOp::route(&[]), Some(PlaybookOp::List));
        assert_eq!(
            PlaybookOp::route(&["p1", "versions"]),
            Some(PlaybookOp::ListVersions("p1".into()))
        );
        assert_eq!(
            PlaybookOp::route(&["versions", "v1"]),
            Some(PlaybookOp::ShowVersion("v1".into()))
        );
        assert_eq!(
            PlaybookOp::route(&["versions", "v1", "rules", "r1"]),
            Some(PlaybookOp::ShowRule {
                version: "v1".into(),
                rule: "r1".into()
            })
        );
        assert_eq!(
            PlaybookOp::route(&["versions", "v1", "actions"]),
            Some(PlaybookOp::ListActions("v1".into()))
        );
        for unserved in [
            &["p1"][..],
            &["export"],
            &["versions"],
            &["versions", "v1", "rules"],
        ] {
            assert_eq!(PlaybookOp::route(unserved), None, "{unserved:?}");
        }
    }
}
