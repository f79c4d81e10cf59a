//! Exports: JSON and ZIP answers, batching, fallbacks, every id exactly once.

use soc_api::{ApiError, ExportSource};
use soc_sim::ExportFormat;
use soc_sim::{PathKind, SimConfig};

use crate::common::{
    STAGING, assert_full_export, builder, client, expected_exports, generated, serving, staging,
    staging_ids, start,
};

#[tokio::test]
async fn json_batches_split_byte_identically() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING).export_batch_size(4).build().unwrap();
    assert_full_export(&client, &staging()).await;
    // 6 workflows in batches of 4: two export requests, no fallback.
    assert_eq!(sim.log().of_kind(PathKind::Export).len(), 2);
    let exported = client
        .export(&[
            staging().workflows[0].info.id.clone(),
            staging().workflows[1].info.id.clone(),
        ])
        .await
        .unwrap();
    assert!(
        exported
            .iter()
            .all(|e| e.source == ExportSource::JsonArrayElement),
        "{exported:?}"
    );
    assert_eq!(
        exported[0].content_type.as_deref(),
        Some("application/json")
    );
}

#[tokio::test]
async fn zip_batches_split_per_member() {
    let sim = start(SimConfig {
        export_format: ExportFormat::Zip,
        ..SimConfig::default()
    })
    .await;
    let client = builder(&sim, STAGING)
        .export_batch_size(10)
        .build()
        .unwrap();
    assert_full_export(&client, &staging()).await;
    assert_eq!(sim.log().of_kind(PathKind::Export).len(), 1);
    let ids: Vec<String> = staging_ids();
    let exported = client.export(&ids).await.unwrap();
    assert!(exported.iter().all(|e| e.source == ExportSource::ZipMember));
    assert_eq!(
        exported[0].file_name.as_deref(),
        Some(format!("{}.json", ids[0]).as_str())
    );
}

#[tokio::test]
async fn zip_single_answers_are_kept_whole() {
    let sim = start(SimConfig {
        export_format: ExportFormat::Zip,
        ..SimConfig::default()
    })
    .await;
    let client = builder(&sim, STAGING).export_batch_size(1).build().unwrap();
    let id = staging().workflows[2].info.id.clone();
    let exported = client.export(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(exported.len(), 1);
    let one = &exported[0];
    assert_eq!(one.source, ExportSource::Whole);
    assert!(
        one.bytes.starts_with(b"PK\x03\x04"),
        "the zip itself is kept"
    );
    assert_eq!(one.file_name.as_deref(), Some("workflow.zip"));
    assert_eq!(one.name.as_deref(), Some(staging().workflows[2].name()));
}

#[tokio::test]
async fn unbatched_answers_keep_response_metadata() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING).export_batch_size(1).build().unwrap();
    assert_full_export(&client, &staging()).await;
    let ids: Vec<String> = staging_ids();
    let exported = client.export(&ids).await.unwrap();
    for one in &exported {
        assert_eq!(one.source, ExportSource::Whole);
        assert_eq!(one.file_name.as_deref(), Some("workflow.json"));
        assert_eq!(
            one.content_type.as_deref(),
            Some("application/octet-stream")
        );
        assert!(one.request_id.is_some());
    }
}

#[tokio::test]
async fn paging_and_batching_over_many_workflows() {
    let workspace = generated(250);
    let name = workspace.name.clone();
    let sim = start(serving(vec![workspace.clone()])).await;
    let client = builder(&sim, &name)
        .concurrency(8)
        .export_batch_size(7)
        .build()
        .unwrap();
    assert_full_export(&client, &workspace).await;
    let pages = sim.log().of_kind(PathKind::ListWorkflows);
    assert_eq!(pages.len(), 3, "pages of 100 stop at the total");
    assert!(pages.iter().all(|p| p.query.contains("limit=100")));
}

#[tokio::test]
async fn export_returns_input_order_and_dedupes() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING).export_batch_size(2).build().unwrap();
    let expected = expected_exports(&staging());
    let ids: Vec<String> = expected
        .keys()
        .rev()
        .cloned()
        .chain(expected.keys().take(2).cloned())
        .collect();
    let exported = client.export(&ids).await.unwrap();
    assert_eq!(exported.len(), expected.len());
    let order: Vec<&str> = exported.iter().map(|e| e.id.as_str()).collect();
    let want: Vec<&str> = expected.keys().rev().map(String::as_str).collect();
    assert_eq!(order, want);
    for e in &exported {
        assert_eq!(e.bytes.as_ref(), expected[&e.id].as_slice());
    }
}

#[tokio::test]
async fn an_unknown_id_in_a_batch_is_named() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .export_batch_size(10)
        .build()
        .unwrap();
    let mut ids: Vec<String> = staging_ids();
    ids.insert(3, "no-such-workflow".into());
    let err = client.export(&ids).await.unwrap_err();
    assert!(
        err.is_not_found() || matches!(err, ApiError::ExportMismatch { .. }),
        "{err}"
    );
    assert_eq!(
        err.context().operation.workflow_ids(),
        vec!["no-such-workflow"],
        "{err}"
    );
}

#[tokio::test]
async fn empty_workspace_exports_nothing() {
    let mut workspace = staging();
    workspace.workflows.clear();
    let sim = start(serving(vec![workspace])).await;
    let client = client(&sim, STAGING);
    assert!(client.export_all(|_| {}).await.unwrap().is_empty());
    assert!(client.export(&[]).await.unwrap().is_empty());
    assert!(sim.log().of_kind(PathKind::Export).is_empty());
}

#[tokio::test]
async fn progress_reaches_the_totals() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING).export_batch_size(4).build().unwrap();
    let mut seen = Vec::new();
    client.export_all(|p| seen.push(p)).await.unwrap();
    let last = seen.last().unwrap();
    assert_eq!(
        (last.listed, last.exported, last.listing_done),
        (6, 6, true)
    );
    // The list's `total` is known from the first listed workflow on, before the listing ends:
    // a progress bar gets its total at once.
    let first = seen.first().unwrap();
    assert_eq!((first.listed, first.expected), (1, Some(6)), "{seen:?}");
    assert!(seen.iter().all(|p| p.expected == Some(6)), "{seen:?}");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .max_body_bytes(512)
        .export_batch_size(1)
        .build()
        .unwrap();
    let id = staging().workflows[0].info.id.clone();
    let err = client.export(&[id]).await.unwrap_err();
    assert!(
        matches!(err, ApiError::TooLarge { limit: 512, .. }),
        "{err}"
    );
    assert_eq!(err.attempts(), 1, "a too-large body is not retried");
}

#[tokio::test]
async fn the_export_stream_yields_every_workflow_once_as_it_arrives() {
    use futures_util::StreamExt;
    let workspace = generated(120);
    let name = workspace.name.clone();
    let sim = start(serving(vec![workspace.clone()])).await;
    let client = builder(&sim, &name)
        .concurrency(3)
        .export_batch_size(5)
        .build()
        .unwrap();
    let expected = expected_exports(&workspace);
    let mut last = None;
    let mut seen = std::collections::BTreeMap::new();
    {
        let stream = client.export_stream(|p| last = Some(p));
        futures_util::pin_mut!(stream);
        let mut polled = 0;
        while let Some(item) = stream.next().await {
            let (info, export) = item.unwrap();
            assert_eq!(info.id(), export.id);
            assert!(
                seen.insert(export.id.clone(), export.bytes.to_vec())
                    .is_none()
            );
            polled += 1;
            if polled == 1 {
                // Nothing is exported ahead of the consumer beyond the batches in flight.
                let requests = sim.log().of_kind(PathKind::Export).len();
                assert!(
                    requests <= 3 + 1,
                    "{requests} export requests before the first item"
                );
            }
        }
    }
    assert_eq!(seen, expected);
    let last = last.unwrap();
    assert_eq!(
        (last.listed, last.exported, last.listing_done),
        (120, 120, true)
    );
}

#[tokio::test]
async fn the_export_stream_ends_with_the_first_error() {
    use futures_util::StreamExt;
    let sim = start(SimConfig {
        faults: soc_sim::FaultConfig {
            error_rate: 1.0,
            only: vec![PathKind::Export],
            ..soc_sim::FaultConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    let client = client(&sim, STAGING);
    let items: Vec<_> = client.export_stream(|_| {}).collect().await;
    assert_eq!(items.len(), 1, "one error, then the end");
    assert!(items[0].is_err());
}
