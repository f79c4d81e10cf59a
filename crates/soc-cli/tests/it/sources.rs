//! Where documents come from (`source = export | versions | auto`), and every error shape of a
//! first contact with a workspace, end to end.

use soc_api::{ClientBuilder, Credentials, RetryPolicy, SourceMode};
use soc_normalize::Profile;
use soc_sim::{ExportFault, FaultConfig, SimConfig};

use crate::live::Live;

fn faulty(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

/// Every bundled workflow of both workspaces normalizes to the same bytes whether it came
/// through the export API or through the versions API (listed with or without content).
#[test]
fn every_bundled_workflow_normalizes_the_same_through_export_and_versions() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for versions_without_content in [false, true] {
        let sim = runtime
            .block_on(soc_sim::Sim::start(faulty(FaultConfig {
                versions_without_content,
                ..FaultConfig::default()
            })))
            .unwrap();
        let profile = Profile::secmaster();
        let mut compared = 0;
        for workspace in sim.workspaces() {
            let fetch = |mode| {
                let client = ClientBuilder::new()
                    .endpoint(sim.base_url())
                    .project_id(sim.project_id())
                    .workspace_id(&workspace.id)
                    .credentials(Credentials::ak_sk(
                        soc_sim::DEFAULT_ACCESS_KEY,
                        soc_sim::DEFAULT_SECRET_KEY,
                    ))
                    .retry(RetryPolicy::no_delay())
                    .source(mode)
                    .build()
                    .unwrap();
                runtime.block_on(client.fetch_all(|_| {})).unwrap()
            };
            let exported = fetch(SourceMode::Export);
            let built = fetch(SourceMode::Versions);
            assert_eq!(exported.workflows.len(), built.workflows.len());
            for ((info, export), (built_info, document)) in
                exported.workflows.iter().zip(&built.workflows)
            {
                assert_eq!(info.id(), built_info.id());
                let a = soc_normalize::decode::decode_normalized("export", &export.bytes, &profile)
                    .unwrap();
                let b =
                    soc_normalize::decode::decode_normalized("versions", &document.bytes, &profile)
                        .unwrap();
                assert_eq!(a.len(), 1);
                assert_eq!(
                    (a[0].canonical(), &a[0].sha256, &a[0].layout_sha256),
                    (b[0].canonical(), &b[0].sha256, &b[0].layout_sha256),
                    "{} of {}",
                    info.name().unwrap_or_default(),
                    workspace.name
                );
                compared += 1;
            }
        }
        assert_eq!(compared, 12, "every bundled workflow");
        runtime.block_on(sim.shutdown()).unwrap();
    }
}

/// A snapshot taken through export and one taken through versions of the same workspace show no
/// drift, and each records where it came from; so does the report.
#[test]
fn an_export_snapshot_and_a_versions_snapshot_of_one_workspace_show_no_drift() {
    let live = Live::start_with(SimConfig::default(), "");
    let mut toml = std::fs::read_to_string(live.env.path().join("socdrift.toml")).unwrap();
    for (name, source) in [("exp", "export"), ("ver", "versions")] {
        toml.push_str(&format!(
            "[env.{name}]\nendpoint = \"{}\"\nproject_id = \"{}\"\nworkspace = \"soc-staging\"\nsource = \"{source}\"\n\n",
            live.sim.base_url(),
            live.sim.project_id()
        ));
    }
    live.env.write("socdrift.toml", &toml);
    let run = live.env.run(&["snapshot", "--env", "exp", "--env", "ver"]);
    assert_eq!(run.code, 0, "{run}");
    for (env, source) in [("exp", "export"), ("ver", "versions")] {
        let manifest = latest_manifest(&live, env);
        assert_eq!(manifest["source"]["api_source"], source, "{env}");
    }
    let run = live.env.run(&["diff", "exp", "ver", "--format", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let report = &report["pairs"][0];
    assert_eq!(report["summary"]["workflows"]["unchanged"], 6, "{run}");
    assert_eq!(report["summary"]["playbooks"]["unchanged"], 6, "{run}");
    assert_eq!(
        (&report["left_source"], &report["right_source"]),
        (&serde_json::json!("export"), &serde_json::json!("versions"))
    );
    let run = live
        .env
        .run(&["diff", "exp@live", "ver@live", "--format", "json"]);
    assert_eq!(run.code, 0, "{run}");
}

fn latest_manifest(live: &Live, env: &str) -> serde_json::Value {
    let store = soc_store::Store::open(live.env.path().join(".socdrift")).unwrap();
    let snapshot = store.resolve(env, &soc_store::Selector::Latest).unwrap();
    serde_json::to_value(snapshot.manifest()).unwrap()
}

fn snapshot_count(live: &Live, env: &str) -> usize {
    let store = soc_store::Store::open(live.env.path().join(".socdrift")).unwrap();
    store.list(env).map_or(0, |snapshots| snapshots.len())
}

/// With the export route taken away, `auto` reads the versions API, says so once, records it,
/// and the report is the one the bundled workspaces always give.
#[test]
fn auto_falls_back_to_versions_and_says_so_once() {
    let live = Live::start_with(
        faulty(FaultConfig {
            export_fault: Some(ExportFault::RouteMissing),
            ..FaultConfig::default()
        }),
        "",
    );
    let run = live.env.run(&["snapshot", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stderr.matches("read through the").count(), 1, "{run}");
    assert!(run.stderr.contains("APIGW.0101"), "{run}");
    assert_eq!(
        latest_manifest(&live, "staging")["source"]["api_source"],
        "versions"
    );
    live.assert_bundled_live_drift();
    let run = live.env.run(&[
        "diff",
        "staging@live",
        "production@live",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["pairs"][0]["right_source"], "versions", "{run}");
}

/// Every broken answer is exit 2 with a message naming environment, what was done, code,
/// message and request id, and a hint; nothing already stored changes.
#[test]
fn broken_answers_exit_2_and_leave_the_store_alone() {
    let cases: Vec<(FaultConfig, &str, Vec<&str>)> = vec![
        (
            FaultConfig {
                export_fault: Some(ExportFault::SecMasterEnvelope),
                ..FaultConfig::default()
            },
            "",
            vec![
                "cannot export workflows of `staging`",
                "SecMaster.20039999: Export failed: injected fault",
                "although its status is http 200",
                "request id",
                "hint: if the export keeps answering this way, set `source = \"versions\"`",
            ],
        ),
        (
            FaultConfig {
                export_fault: Some(ExportFault::GatewayEnvelope),
                ..FaultConfig::default()
            },
            "",
            vec![
                "APIGW.0201: Backend unavailable (injected fault) (the gateway cannot reach the service behind it)",
                "request id",
            ],
        ),
        (
            FaultConfig {
                export_fault: Some(ExportFault::Html),
                ..FaultConfig::default()
            },
            "source = \"export\"\n",
            vec![
                "the export answer is an HTML page, not a workflow document",
                "5 attempts",
            ],
        ),
        (
            FaultConfig {
                list_total_surplus: 2,
                ..FaultConfig::default()
            },
            "",
            vec![
                "the list promised 8 workflows but its pages held 6; the answer said code 00000000",
                "hint: nothing was stored",
            ],
        ),
    ];
    for (faults, staging_extra, expected) in cases {
        let live = Live::start_with(SimConfig::default(), "");
        assert_eq!(live.env.run(&["snapshot", "--env", "staging"]).code, 0);
        let before = snapshot_count(&live, "staging");
        // The same workspace again, now answering badly.
        let broken = Live::start_with(faulty(faults), "");
        let toml = std::fs::read_to_string(broken.env.path().join("socdrift.toml"))
            .unwrap()
            .replacen(
                "workspace = \"soc-staging\"\n",
                &format!("workspace = \"soc-staging\"\n{staging_extra}"),
                1,
            );
        live.env.write("socdrift.toml", &toml);
        let run = live.env.run(&["-q", "snapshot", "--env", "staging"]);
        assert_eq!(run.code, 2, "{run}");
        for text in expected {
            assert!(run.stderr.contains(text), "missing {text:?} in {run}");
        }
        assert_eq!(snapshot_count(&live, "staging"), before, "{run}");
        let run = live.env.run(&["check", "staging@latest", "staging@live"]);
        assert_eq!(run.code, 2, "never no drift: {run}");
    }
}

#[test]
fn an_unknown_workspace_is_named_with_its_project() {
    let live = Live::start();
    let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml"))
        .unwrap()
        .replacen(
            "workspace = \"soc-staging\"",
            "workspace_id = \"00000000-0000-0000-0000-000000000000\"",
            1,
        );
    live.env.write("socdrift.toml", &toml);
    let run = live.env.run(&["snapshot", "--env", "staging"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains(&format!(
            "workspace \"00000000-0000-0000-0000-000000000000\" does not exist in project {}",
            live.sim.project_id()
        )),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("hint: check `workspace_id`/`workspace` in [env.staging]"),
        "{run}"
    );
    assert!(!run.stderr.contains("authentication failed"), "{run}");
}

/// Every string of the emulator's workspaces (names, ids, descriptions, taskflows, ...), at
/// least 4 characters long.
fn workspace_values() -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) if s.chars().count() >= 4 => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut values = vec![soc_sim::DEFAULT_PROJECT_ID.to_owned()];
    for workspace in soc_sim::bundled_workspaces().unwrap() {
        values.push(workspace.id.clone());
        values.push(workspace.name.clone());
        for workflow in &workspace.workflows {
            let export: serde_json::Value =
                serde_json::from_slice(&workflow.export_bytes().unwrap()).unwrap();
            walk(&export, &mut values);
        }
        for playbook in &workspace.playbooks {
            let file: serde_json::Value =
                serde_json::from_slice(&playbook.file_bytes_pretty().unwrap()).unwrap();
            walk(&file, &mut values);
        }
    }
    values.sort();
    values.dedup();
    values
}

#[test]
fn probe_reports_every_call_and_its_sample_keeps_no_value() {
    let live = Live::start();
    let run = live.env.run(&[
        "probe",
        "--env",
        "staging",
        "-o",
        "json",
        "--out",
        "sample.json",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], true);
    let names: Vec<&str> = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "list-workspaces",
            "list-workflows",
            "list-versions",
            "show-version",
            "export",
            "list-playbooks",
            "list-playbook-versions",
            "show-playbook-version",
            "show-playbook-rule",
            "list-playbook-actions",
        ]
    );
    for call in report["calls"].as_array().unwrap() {
        assert_eq!(call["status"], 200, "{call}");
        assert!(call["request_id"].as_str().unwrap().ends_with("-soc-sim"));
        assert!(call["body"]["format"].is_string());
        assert_eq!(call["ok"], true, "{call}");
    }
    let export = &report["calls"][4];
    assert_eq!(
        export["content_disposition"],
        "attachment;filename=workflow.json"
    );
    assert_eq!(export["missing"], serde_json::json!([]), "{export}");
    let sample = std::fs::read_to_string(live.env.path().join("sample.json")).unwrap();
    let values = workspace_values();
    assert!(values.len() > 100, "{}", values.len());
    for value in &values {
        assert!(
            !sample.contains(value.as_str()),
            "{value:?} survived in the sample"
        );
    }
    let sample: serde_json::Value = serde_json::from_str(&sample).unwrap();
    assert_eq!(sample["calls"].as_array().unwrap().len(), 10);
    assert_eq!(sample["calls"][4]["sample"]["body"]["name"], "<string:25>");
}

#[test]
fn probe_says_where_rules_and_actions_come_from() {
    let inline = Live::start();
    let run = inline.env.run(&["probe", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout
            .contains("answered, but not needed: the shown version carries the rule inline"),
        "{run}"
    );
    let separate = Live::start_with(
        faulty(FaultConfig {
            playbook_details_separate: true,
            ..FaultConfig::default()
        }),
        "",
    );
    let run = separate
        .env
        .run(&["probe", "--env", "staging", "-o", "json"]);
    assert_eq!(run.code, 0, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rule = &report["calls"][8];
    assert_eq!(rule["name"], "show-playbook-rule");
    assert!(
        rule["verdict"]
            .as_str()
            .unwrap()
            .starts_with("the rule read from here"),
        "{rule}"
    );
    assert!(
        rule["deprecation"]
            .as_str()
            .unwrap()
            .contains("is deprecated (date "),
        "{rule}"
    );
    let text = separate.env.run(&["probe", "--env", "staging"]);
    assert_eq!(text.code, 0, "{text}");
    assert!(
        text.stdout.contains("     deprecated: GET /v1/"),
        "the text report says which call announced its deprecation: {text}"
    );
}

#[test]
fn probe_says_what_to_do_when_export_does_not_work() {
    for (fault, source, code, advice) in [
        (
            ExportFault::RouteMissing,
            "auto",
            0,
            "auto reads the versions API here on its own",
        ),
        (
            ExportFault::RouteMissing,
            "export",
            2,
            "set `source = \"versions\"`: the versions API works",
        ),
        (
            ExportFault::Html,
            "auto",
            0,
            "export did not answer a workflow document (an HTML page)",
        ),
        (
            ExportFault::SecMasterEnvelope,
            "auto",
            2,
            "set `source = \"versions\"`",
        ),
    ] {
        let live = Live::start_with(
            faulty(FaultConfig {
                export_fault: Some(fault),
                ..FaultConfig::default()
            }),
            "",
        );
        let toml = std::fs::read_to_string(live.env.path().join("socdrift.toml"))
            .unwrap()
            .replacen(
                "workspace = \"soc-staging\"\n",
                &format!("workspace = \"soc-staging\"\nsource = \"{source}\"\n"),
                1,
            );
        live.env.write("socdrift.toml", &toml);
        let run = live.env.run(&["probe", "--env", "staging"]);
        assert_eq!(run.code, code, "{fault} {source}: {run}");
        assert!(run.stdout.contains(advice), "{fault} {source}: {run}");
    }
    let zip = Live::start_with(
        SimConfig {
            export_format: soc_sim::ExportFormat::Zip,
            ..SimConfig::default()
        },
        "",
    );
    let run = zip.env.run(&["probe", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stdout.contains(
            "export answered a ZIP of 1 member holding 1 workflow document(s): supported"
        ),
        "{run}"
    );
}
