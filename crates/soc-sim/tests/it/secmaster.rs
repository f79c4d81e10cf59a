//! SecMaster endpoints: listing, paging, filters, show, versions, export, import and errors.

use std::collections::HashSet;
use std::io::Read;

use reqwest::Method;
use serde_json::{Value, json};
use soc_sim::{ExportFormat, SimConfig, Workflow, bundled_workspace};

use crate::support::{
    PRODUCTION, STAGING, assert_gateway_error, assert_secmaster_error, json, start, start_default,
};

#[tokio::test]
async fn list_workspaces_returns_both_with_count_and_pages() {
    let (sim, c) = start_default().await;
    let (status, rid, body) = json(
        c.get(&format!("/v1/{}/workspaces?offset=0&limit=10", c.project))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!rid.is_empty());
    assert_eq!(body["count"], 2);
    let names: Vec<&str> = body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [STAGING, PRODUCTION]);
    assert_eq!(
        body["workspaces"][0]["id"],
        sim.workspace_id(STAGING).unwrap()
    );
    assert_eq!(body["workspaces"][0]["project_id"], sim.project_id());
    let (_, _, page) = json(
        c.get(&format!("/v1/{}/workspaces?offset=1&limit=1", c.project))
            .await,
    )
    .await;
    assert_eq!(page["count"], 2);
    assert_eq!(page["workspaces"][0]["name"], PRODUCTION);
    assert_secmaster_error(
        c.get("/v1/not-the-project/workspaces").await,
        "SecMaster.20030002",
    )
    .await;
}

#[tokio::test]
async fn list_workflows_envelope_defaults_and_order() {
    let (sim, c) = start_default().await;
    let (status, rid, body) = json(c.get(&c.wf_path(&sim, STAGING, "")).await).await;
    assert_eq!(status, 200);
    for key in [
        "code",
        "message",
        "success",
        "request_id",
        "total",
        "offset",
        "limit",
        "size",
        "page",
        "data",
    ] {
        assert!(body.get(key).is_some(), "missing {key}: {body}");
    }
    assert_eq!(body["request_id"], rid.as_str());
    assert_eq!(
        (
            body["total"].as_u64(),
            body["offset"].as_u64(),
            body["limit"].as_u64(),
            body["size"].as_u64()
        ),
        (Some(6), Some(0), Some(10), Some(6))
    );
    let data = body["data"].as_array().unwrap();
    // Default order: create_time DESC. Items are AopWorkflowInfo, without versions.
    let times: Vec<&str> = data
        .iter()
        .map(|w| w["create_time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    assert!(
        data.iter().all(|w| w.get("versions").is_none()
            && w["workspace_id"] == sim.workspace_id(STAGING).unwrap())
    );
    let (_, _, asc) = json(
        c.get(&c.wf_path(&sim, STAGING, "?order=ASC&sortby=update_time"))
            .await,
    )
    .await;
    let first = asc["data"][0]["update_time"].as_str().unwrap();
    assert!(
        data.iter()
            .all(|w| w["update_time"].as_str().unwrap() >= first)
    );
}

#[tokio::test]
async fn paging_with_limit_2_walks_every_workflow_once() {
    let (sim, c) = start_default().await;
    let mut ids = Vec::new();
    let mut offset = 0;
    let mut pages = 0;
    loop {
        let (_, _, body) = json(
            c.get(&c.wf_path(&sim, STAGING, &format!("?limit=2&offset={offset}")))
                .await,
        )
        .await;
        let data = body["data"].as_array().unwrap();
        if data.is_empty() {
            break;
        }
        assert_eq!(body["total"], 6);
        assert_eq!(body["page"], offset / 2 + 1);
        pages += 1;
        offset += data.len();
        ids.extend(data.iter().map(|w| w["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 6);
    let staging = bundled_workspace("staging").unwrap();
    let expected: HashSet<&str> = staging.workflows.iter().map(Workflow::id).collect();
    assert_eq!(
        ids.iter().map(String::as_str).collect::<HashSet<_>>(),
        expected
    );
    // The last offset allowed still answers, with an empty page.
    let (status, _, body) = json(
        c.get(&c.wf_path(&sim, STAGING, "?offset=10000&limit=100"))
            .await,
    )
    .await;
    assert_eq!((status, body["data"].as_array().unwrap().len()), (200, 0));
}

#[tokio::test]
async fn list_filters() {
    let (sim, c) = start_default().await;
    let names = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, _, b) = json(
        c.get(&c.wf_path(&sim, PRODUCTION, "?name=Phishing%20mail"))
            .await,
    )
    .await;
    assert_eq!(names(&b), ["Phishing mail triage"]);
    let (_, _, b) = json(
        c.get(&c.wf_path(&sim, PRODUCTION, "?name=Phishing+mail"))
            .await,
    )
    .await;
    assert_eq!(
        names(&b),
        ["Phishing mail triage"],
        "+ is a space in queries"
    );
    let (_, _, b) = json(
        c.get(&c.wf_path(
            &sim,
            STAGING,
            "?enabled=true&aop_type=NORMAL&dataclass_name=Alert",
        ))
        .await,
    )
    .await;
    assert_eq!(b["total"], 6);
    let (_, _, b) = json(c.get(&c.wf_path(&sim, STAGING, "?enabled=false")).await).await;
    assert_eq!(b["total"], 0);
    let (_, _, b) = json(
        c.get(&c.wf_path(&sim, STAGING, "?description=allow%20list&last_version=true"))
            .await,
    )
    .await;
    assert_eq!(
        names(&b),
        ["Close false positives"],
        "unknown parameters are ignored"
    );
}

#[tokio::test]
async fn bad_list_parameters_are_secmaster_errors() {
    let (sim, c) = start_default().await;
    for q in [
        "?limit=101",
        "?limit=0",
        "?limit=ten",
        "?offset=-1",
        "?offset=10001",
        "?enabled=yes",
        "?aop_type=OTHER",
    ] {
        assert_secmaster_error(
            c.get(&c.wf_path(&sim, STAGING, q)).await,
            "SecMaster.20030001",
        )
        .await;
    }
    assert_secmaster_error(
        c.get(&c.wf_path(&sim, STAGING, "?sortby=name")).await,
        "SecMaster.20030009",
    )
    .await;
    assert_secmaster_error(
        c.get(&c.wf_path(&sim, STAGING, "?order=UP")).await,
        "SecMaster.20030010",
    )
    .await;
    let path = format!(
        "/v1/{}/workspaces/00000000-0000-0000-0000-000000000000/soc/workflows",
        c.project
    );
    // An unknown workspace is 403, as the Terraform provider sees it.
    let (status, _, body) = json(c.get(&path).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("SecMaster.20010001")),
        "{body}"
    );
    let path = format!(
        "/v1/other-project/workspaces/{}/soc/workflows",
        sim.workspace_id(STAGING).unwrap()
    );
    assert_secmaster_error(c.get(&path).await, "SecMaster.20030002").await;
}

#[tokio::test]
async fn show_workflow_versions_and_version() {
    let (sim, c) = start_default().await;
    let staging = bundled_workspace("staging").unwrap();
    let wf = staging
        .workflow_by_name("Notify on high-severity alert")
        .unwrap();
    let (status, _, body) = json(
        c.get(&c.wf_path(&sim, STAGING, &format!("/{}", wf.id())))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["data"], serde_json::to_value(&wf.info).unwrap());

    let (_, _, body) = json(
        c.get(&c.wf_path(&sim, STAGING, &format!("/{}/versions", wf.id())))
            .await,
    )
    .await;
    assert_eq!(body["total"], 1);
    assert_eq!(
        body["data"][0],
        serde_json::to_value(&wf.versions[0]).unwrap()
    );
    let (_, _, none) = json(
        c.get(&c.wf_path(
            &sim,
            STAGING,
            &format!("/{}/versions?status=pending_submit", wf.id()),
        ))
        .await,
    )
    .await;
    assert_eq!(none["total"], 0);

    let vid = wf.info.version_id.as_deref().unwrap();
    let (_, _, body) = json(
        c.get(&c.wf_path(&sim, STAGING, &format!("/versions/{vid}")))
            .await,
    )
    .await;
    assert_eq!(
        body["data"]["taskflow"],
        wf.versions[0].taskflow.as_deref().unwrap()
    );

    assert_secmaster_error(
        c.get(&c.wf_path(&sim, STAGING, "/no-such-workflow")).await,
        "SecMaster.20040611",
    )
    .await;
    assert_secmaster_error(
        c.get(&c.wf_path(&sim, STAGING, "/no-such-workflow/versions"))
            .await,
        "SecMaster.20040611",
    )
    .await;
    assert_secmaster_error(
        c.get(&c.wf_path(&sim, STAGING, "/versions/no-such-version"))
            .await,
        "SecMaster.20040605",
    )
    .await;
    // A production workflow is unknown in staging.
    let prod = bundled_workspace("production").unwrap();
    assert_secmaster_error(
        c.get(&c.wf_path(&sim, STAGING, &format!("/{}", prod.workflows[0].id())))
            .await,
        "SecMaster.20040611",
    )
    .await;
}

async fn export(c: &crate::support::Client, path: &str, ids: &[&str]) -> reqwest::Response {
    c.post_json(path, &json!({ "id": ids })).await
}

#[tokio::test]
async fn json_export_follows_the_contract() {
    let (sim, c) = start_default().await;
    let staging = bundled_workspace("staging").unwrap();
    let path = c.wf_path(&sim, STAGING, "/export");
    let a = &staging.workflows[0];
    let b = &staging.workflows[3];

    let resp = export(&c, &path, &[a.id()]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment;filename=workflow.json"
    );
    assert!(resp.headers().contains_key("x-request-id"));
    assert_eq!(
        resp.bytes().await.unwrap().as_ref(),
        a.export_bytes().unwrap().as_slice()
    );

    let batch = export(&c, &path, &[b.id(), a.id(), b.id()])
        .await
        .bytes()
        .await
        .unwrap();
    let parts = soc_sim::export::split_json_batch(&batch).unwrap();
    assert_eq!(
        parts.len(),
        2,
        "duplicates are exported once, in request order"
    );
    assert_eq!(parts[0], b.export_bytes().unwrap().as_slice());
    assert_eq!(parts[1], a.export_bytes().unwrap().as_slice());
    let mut expected = b"[".to_vec();
    expected.extend(b.export_bytes().unwrap());
    expected.push(b',');
    expected.extend(a.export_bytes().unwrap());
    expected.push(b']');
    assert_eq!(batch.as_ref(), expected.as_slice());
}

#[tokio::test]
async fn zip_export_has_one_member_per_workflow() {
    let (sim, c) = start(SimConfig {
        export_format: ExportFormat::Zip,
        ..SimConfig::default()
    })
    .await;
    let prod = bundled_workspace("production").unwrap();
    let ids: Vec<&str> = prod.workflows.iter().map(Workflow::id).collect();
    let resp = export(&c, &c.wf_path(&sim, PRODUCTION, "/export"), &ids).await;
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment;filename=workflow.zip"
    );
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(zip.len(), prod.workflows.len());
    for wf in &prod.workflows {
        let mut member = zip.by_name(&format!("{}.json", wf.id())).unwrap();
        let mut content = Vec::new();
        member.read_to_end(&mut content).unwrap();
        assert_eq!(content, wf.export_bytes().unwrap());
    }
    // One workflow is still a zip.
    let one = export(&c, &c.wf_path(&sim, PRODUCTION, "/export"), &ids[..1])
        .await
        .bytes()
        .await
        .unwrap();
    assert!(one.starts_with(b"PK\x03\x04"));
}

#[tokio::test]
async fn bad_export_requests() {
    let (sim, c) = start_default().await;
    let path = c.wf_path(&sim, STAGING, "/export");
    assert_secmaster_error(
        c.post_json(&path, &json!({"id": []})).await,
        "SecMaster.20030001",
    )
    .await;
    assert_secmaster_error(
        c.post_json(&path, &json!({"ids": ["x"]})).await,
        "SecMaster.20030001",
    )
    .await;
    assert_secmaster_error(
        c.post_json(&path, &json!({"id": [1, 2]})).await,
        "SecMaster.20030001",
    )
    .await;
    assert_secmaster_error(
        c.post_json(&path, &json!(["x"])).await,
        "SecMaster.20030001",
    )
    .await;
    assert_secmaster_error(
        c.signed(Method::POST, &path, b"{not json".to_vec()).await,
        "SecMaster.20030001",
    )
    .await;
    assert_secmaster_error(
        c.post_json(&path, &json!({"id": ["no-such-workflow"]}))
            .await,
        "SecMaster.20040611",
    )
    .await;
}

fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "socsimboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"uploadFile\"; filename=\"workflows.json\"\r\nContent-Type: application/json\r\n\r\n").as_bytes());
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn import_adds_workflows_with_new_ids() {
    let (sim, c) = start_default().await;
    let staging = bundled_workspace("staging").unwrap();
    let enrich = staging
        .workflow_by_name("Enrich alert with context")
        .unwrap();
    let file = export(&c, &c.wf_path(&sim, STAGING, "/export"), &[enrich.id()])
        .await
        .bytes()
        .await
        .unwrap();
    let (content_type, body) = multipart(&file);
    let import_path = c.wf_path(&sim, PRODUCTION, "/import");
    let resp = c
        .signed_with(
            Method::POST,
            &import_path,
            body.clone(),
            &[("content-type", &content_type)],
            true,
        )
        .await;
    let (status, _, reply) = json(resp).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["success"], true);

    let (_, _, listed) = json(c.get(&c.wf_path(&sim, PRODUCTION, "?name=Enrich")).await).await;
    assert_eq!(listed["total"], 1);
    let imported = &listed["data"][0];
    assert_ne!(imported["id"], enrich.id());
    assert_eq!(
        imported["workspace_id"],
        sim.workspace_id(PRODUCTION).unwrap()
    );
    let new_id = imported["id"].as_str().unwrap();
    let (_, _, versions) = json(
        c.get(&c.wf_path(&sim, PRODUCTION, &format!("/{new_id}/versions")))
            .await,
    )
    .await;
    assert_eq!(versions["data"][0]["aopworkflow_id"], new_id);
    assert_eq!(versions["data"][0]["id"], imported["version_id"]);
    assert_eq!(
        versions["data"][0]["taskflow"],
        enrich.versions[0].taskflow.as_deref().unwrap()
    );

    // Importing the same names again is refused and changes nothing.
    let resp = c
        .signed_with(
            Method::POST,
            &import_path,
            body,
            &[("content-type", &content_type)],
            true,
        )
        .await;
    assert_secmaster_error(resp, "SecMaster.20030003").await;
    let (_, _, again) = json(c.get(&c.wf_path(&sim, PRODUCTION, "")).await).await;
    assert_eq!(again["total"], 7);
}

#[tokio::test]
async fn bad_import_requests() {
    let (sim, c) = start_default().await;
    let path = c.wf_path(&sim, PRODUCTION, "/import");
    let (ct, body) = multipart(b"{\"not\": \"a workflow\"}");
    let resp = c
        .signed_with(Method::POST, &path, body, &[("content-type", &ct)], true)
        .await;
    assert_secmaster_error(resp, "SecMaster.20030001").await;
    let resp = c
        .signed_with(
            Method::POST,
            &path,
            b"{}".to_vec(),
            &[("content-type", "application/json")],
            false,
        )
        .await;
    assert_secmaster_error(resp, "SecMaster.20030001").await;
    let (ct, body) = multipart(b"[]");
    let resp = c
        .signed_with(Method::POST, &path, body, &[("content-type", &ct)], true)
        .await;
    assert_secmaster_error(resp, "SecMaster.20030001").await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_gateway_404s() {
    let (sim, c) = start_default().await;
    for path in [
        "/",
        "/v1",
        "/v2/x/workspaces",
        &c.wf_path(&sim, STAGING, "/export/extra"),
    ] {
        assert_gateway_error(c.get(path).await, 404, "APIGW.0101").await;
    }
    assert_gateway_error(
        c.signed(Method::DELETE, &c.wf_path(&sim, STAGING, ""), Vec::new())
            .await,
        404,
        "APIGW.0101",
    )
    .await;
    // No credentials needed to learn a path does not exist, as at the gateway.
    let resp = c.http.get(format!("{}/nope", c.base)).send().await.unwrap();
    assert_gateway_error(resp, 404, "APIGW.0101").await;
}

#[tokio::test]
async fn request_ids_are_unique_and_shaped_like_the_real_ones() {
    let (sim, c) = start_default().await;
    let mut seen = HashSet::new();
    for _ in 0..5 {
        let resp = c.get(&c.wf_path(&sim, STAGING, "?limit=1")).await;
        let rid = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
        let parts: Vec<&str> = rid.splitn(3, '-').collect();
        assert_eq!(parts.len(), 3, "{rid}");
        assert!(
            parts[0].len() == 32 && parts[0].chars().all(|ch| ch.is_ascii_hexdigit()),
            "{rid}"
        );
        assert!(parts[1].parse::<u64>().is_ok(), "{rid}");
        assert!(seen.insert(rid));
    }
}
