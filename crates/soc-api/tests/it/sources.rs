//! Where documents come from (export, versions, auto) and how answers are checked, against the
//! simulator's export faults.

use soc_api::{ApiError, SourceMode};
use soc_model::DocumentSource;
use soc_sim::{ExportFault, FaultConfig, PathKind, SimConfig, bundled_workspaces};

use crate::common::{STAGING, builder, client, expected_exports, staging, start};

fn same_json(a: &[u8], b: &[u8]) -> bool {
    let parse = |bytes| serde_json::from_slice::<serde_json::Value>(bytes).expect("json");
    parse(a) == parse(b)
}

fn with_faults(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

/// The versions API gives, for every bundled workflow of both workspaces, the document the export
/// gives (the same JSON; the simulator lists objects with sorted keys, so the bytes differ); with
/// the versions list lacking `taskflow`/`taskconfig`, each version is shown and the documents are
/// still the same. (soc-cli's tests check they normalize to the same bytes.)
#[tokio::test]
async fn versions_build_the_same_documents_as_the_export() {
    for versions_without_content in [false, true] {
        let sim = start(with_faults(FaultConfig {
            versions_without_content,
            ..FaultConfig::default()
        }))
        .await;
        for workspace in bundled_workspaces().unwrap() {
            let name = workspace.name.clone();
            let versions = builder(&sim, &name)
                .source(SourceMode::Versions)
                .build()
                .unwrap();
            let fetched = versions.fetch_all(|_| {}).await.unwrap();
            assert_eq!(fetched.source, DocumentSource::Versions);
            assert!(fetched.fallback.is_none());
            let expected = expected_exports(&workspace);
            assert_eq!(fetched.workflows.len(), expected.len());
            for (info, document) in &fetched.workflows {
                assert!(
                    same_json(&document.bytes, &expected[info.id()]),
                    "{name}: {}",
                    info.id()
                );
                assert_eq!(document.source, soc_api::ExportSource::Versions);
            }
        }
        let log = sim.log();
        let shows = log.of_kind(PathKind::ShowVersion).len();
        assert_eq!(
            shows > 0,
            versions_without_content,
            "{shows} versions shown"
        );
        assert!(
            log.of_kind(PathKind::Export).is_empty(),
            "versions never export"
        );
    }
}

#[tokio::test]
async fn auto_uses_export_when_it_works() {
    let sim = start(SimConfig::default()).await;
    let fetched = client(&sim, STAGING).fetch_all(|_| {}).await.unwrap();
    assert_eq!(
        (fetched.source, fetched.fallback.as_deref()),
        (DocumentSource::Export, None)
    );
    assert_eq!(fetched.workflows.len(), staging().workflows.len());
    assert!(sim.log().of_kind(PathKind::ListVersions).is_empty());
}

/// Export that does not exist or does not answer a workflow document: `auto` reads the versions
/// API, says why, and gets the same bytes; `export` fails (after retries where asking again may
/// help); a binary answer is kept under `export` and refused by `auto`.
#[tokio::test]
async fn auto_falls_back_when_export_is_no_workflow_document() {
    let expected = expected_exports(&staging());
    for fault in [
        ExportFault::RouteMissing,
        ExportFault::Empty,
        ExportFault::Html,
        ExportFault::NoWorkflow,
        ExportFault::Binary,
    ] {
        let sim = start(with_faults(FaultConfig {
            export_fault: Some(fault),
            ..FaultConfig::default()
        }))
        .await;
        let fetched = client(&sim, STAGING).fetch_all(|_| {}).await.unwrap();
        assert_eq!(fetched.source, DocumentSource::Versions, "{fault}");
        let reason = fetched.fallback.expect("auto says why");
        assert!(reason.contains("export"), "{fault}: {reason}");
        for (info, document) in &fetched.workflows {
            assert!(same_json(&document.bytes, &expected[info.id()]), "{fault}");
        }

        let export_only = builder(&sim, STAGING)
            .source(SourceMode::Export)
            .build()
            .unwrap();
        let result = export_only.fetch_all(|_| {}).await;
        match fault {
            ExportFault::Binary => {
                let fetched = result.unwrap();
                assert_eq!(fetched.source, DocumentSource::Export);
            }
            ExportFault::RouteMissing => {
                let err = result.unwrap_err();
                assert_eq!(err.status(), Some(404), "{err}");
                assert!(err.to_string().contains("APIGW.0101"), "{err}");
            }
            _ => {
                let err = result.unwrap_err();
                assert!(
                    matches!(err, ApiError::NotAWorkflow { .. }),
                    "{fault}: {err}"
                );
                assert_eq!(err.attempts(), 5, "retried like a transient fault: {err}");
                assert!(err.to_string().contains("not a workflow document"), "{err}");
            }
        }
    }
}

/// An error envelope with a success status is an error under every source mode that exports,
/// naming code, message and request id; never a fallback, never a document.
#[tokio::test]
async fn error_envelopes_with_200_are_errors() {
    for (fault, code) in [
        (ExportFault::SecMasterEnvelope, "SecMaster.20039999"),
        (ExportFault::GatewayEnvelope, "APIGW.0201"),
    ] {
        let sim = start(with_faults(FaultConfig {
            export_fault: Some(fault),
            ..FaultConfig::default()
        }))
        .await;
        for mode in [SourceMode::Auto, SourceMode::Export] {
            let client = builder(&sim, STAGING).source(mode).build().unwrap();
            let err = client.fetch_all(|_| {}).await.unwrap_err();
            assert!(matches!(err, ApiError::ErrorAnswer { .. }), "{err}");
            let text = err.to_string();
            assert!(text.contains(code), "{text}");
            assert!(text.contains("injected fault"), "{text}");
            assert!(text.contains("although its status is http 200"), "{text}");
            assert!(err.request_id().is_some_and(|id| id.ends_with("-soc-sim")));
        }
    }
}

#[tokio::test]
async fn a_list_short_of_its_total_is_an_error() {
    let sim = start(with_faults(FaultConfig {
        list_total_surplus: 2,
        ..FaultConfig::default()
    }))
    .await;
    for mode in [SourceMode::Export, SourceMode::Versions, SourceMode::Auto] {
        let client = builder(&sim, STAGING).source(mode).build().unwrap();
        let err = client.fetch_all(|_| {}).await.unwrap_err();
        let held = staging().workflows.len();
        let text = err.to_string();
        assert!(
            matches!(err, ApiError::ListIncomplete { total, listed, .. } if total == held as u64 + 2 && listed == held as u64),
            "{text}"
        );
        assert!(text.contains("00000000"), "names the list's code: {text}");
        assert!(err.request_id().is_some(), "{text}");
    }
}

#[tokio::test]
async fn an_unknown_workspace_says_so_instead_of_authentication_failed() {
    let sim = start(SimConfig::default()).await;
    let client = builder(&sim, STAGING)
        .workspace_id("00000000-0000-0000-0000-000000000000")
        .build()
        .unwrap();
    let err = client.fetch_all(|_| {}).await.unwrap_err();
    assert!(
        matches!(err, ApiError::WorkspaceNotFound { status: 403, .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "workspace \"00000000-0000-0000-0000-000000000000\" does not exist in project {}",
            sim.project_id()
        )),
        "{text}"
    );
    assert!(!text.contains("authentication"), "{text}");
}

/// The streamed fetch says where the documents come from before the first of them, falls back
/// from an unusable export before yielding anything, and keeps no more than the work in flight
/// ahead of its consumer on the versions path too.
#[tokio::test]
async fn the_fetch_stream_says_its_source_first_and_yields_each_workflow_once() {
    use futures_util::StreamExt;
    use soc_api::Fetch;
    let workspace = crate::common::generated(60);
    let name = workspace.name.clone();
    let expected = expected_exports(&workspace);
    for fault in [None, Some(ExportFault::RouteMissing)] {
        let sim = start(SimConfig {
            faults: FaultConfig {
                export_fault: fault,
                ..FaultConfig::default()
            },
            ..crate::common::serving(vec![workspace.clone()])
        })
        .await;
        let client = builder(&sim, &name).concurrency(2).build().unwrap();
        let stream = client.fetch_stream(|_| {});
        futures_util::pin_mut!(stream);
        let first = stream.next().await.unwrap().unwrap();
        let Fetch::Source(source) = first else {
            panic!("the source comes first: {first:?}")
        };
        assert_eq!(source.source == DocumentSource::Versions, fault.is_some());
        assert_eq!(source.fallback.is_some(), fault.is_some());
        let mut seen = std::collections::BTreeMap::new();
        let mut positions = std::collections::BTreeSet::new();
        while let Some(step) = stream.next().await {
            match step.unwrap() {
                Fetch::Workflow {
                    position,
                    info,
                    document,
                } => {
                    if seen.is_empty() && fault.is_some() {
                        // One workflow's versions per unit, at most `concurrency` units ahead.
                        let listed = sim.log().of_kind(PathKind::ListVersions).len();
                        assert!(listed <= 2 + 1, "{listed} versions lists before the first");
                    }
                    assert!(positions.insert(position));
                    assert!(same_json(&document.bytes, &expected[info.id()]));
                    assert!(seen.insert(info.id().to_owned(), ()).is_none());
                }
                Fetch::Source(again) => panic!("the source is said once: {again:?}"),
            }
        }
        assert_eq!(seen.len(), expected.len(), "{fault:?}");
        assert_eq!(
            positions.into_iter().collect::<Vec<_>>(),
            (0..60).collect::<Vec<_>>()
        );
    }
}
