//! Normalizing the bundled fixtures and generated workspaces, and the invariants of normalization.

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Value, json};
use soc_diff::normalize::is_redaction_marker;
use soc_diff::{
    Content, Document, Normalized, NormalizedContent, Profile, ProfileConfig, decode_export,
};

use crate::decode::testdata;

fn fixture(env: &str, file: &str) -> Normalized {
    let path = testdata()
        .join("workspaces")
        .join(env)
        .join("workflows")
        .join(file);
    let bytes = std::fs::read(&path).unwrap();
    let docs = decode_export(file, &bytes, &Profile::secmaster()).unwrap();
    Profile::secmaster().normalize(&docs[0])
}

fn pair(file: &str) -> (Normalized, Normalized) {
    (fixture("staging", file), fixture("production", file))
}

fn value(n: &Normalized) -> Value {
    match n.value() {
        Some(parsed) => parsed.unwrap(),
        None => panic!("{} is opaque", n.name),
    }
}

fn doc(value: Value) -> Document {
    Document {
        name: "wf".into(),
        source: "prop.json".into(),
        content: Content::Json(value),
    }
}

#[test]
fn unchanged_workflow_normalizes_identically() {
    let (stg, prod) = pair("04-false-positive.json");
    assert_eq!(stg.canonical(), prod.canonical());
    assert_eq!(stg.sha256, prod.sha256);
    assert_eq!(stg.layout_sha256, prod.layout_sha256);
    assert!(stg.layout_sha256.is_some());
    assert!(stg.notes.is_empty() && prod.notes.is_empty());
    // Nothing environment-specific survives.
    let text = stg.canonical().unwrap();
    for gone in [
        "create_time",
        "creator_name",
        "workspace_id",
        "aopworkflow_id",
        "\"id\": \"0",
        "BPMNDiagram",
    ] {
        assert!(!text.contains(gone), "{gone} left in canonical text");
    }
    // The BPMN graph does survive, ids and all.
    assert!(text.contains("\"sourceRef\""));
    assert!(text.contains("bpmn2:sequenceFlow"));
}

#[test]
fn layout_only_drift_shows_in_layout_hash_only() {
    let (stg, prod) = pair("03-isolate.json");
    assert_eq!(stg.canonical(), prod.canonical());
    assert_eq!(stg.sha256, prod.sha256);
    assert!(stg.layout_sha256.is_some() && prod.layout_sha256.is_some());
    assert_ne!(stg.layout_sha256, prod.layout_sha256);

    let keep = Profile::secmaster()
        .with_config(&ProfileConfig {
            keep_layout: true,
            ..Default::default()
        })
        .unwrap();
    let read = |env: &str| {
        let path = testdata()
            .join("workspaces")
            .join(env)
            .join("workflows/03-isolate.json");
        keep.normalize(&decode_export("f", &std::fs::read(path).unwrap(), &keep).unwrap()[0])
    };
    assert_ne!(read("staging").sha256, read("production").sha256);
}

#[test]
fn rotated_secret_shows_as_different_redacted_values() {
    let (stg, prod) = pair("02-notify.json");
    let token = |n: &Normalized| {
        value(n)["versions"][0]["taskconfig"]["webhook"]["api_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, b) = (token(&stg), token(&prod));
    assert!(
        is_redaction_marker(&a) && is_redaction_marker(&b),
        "{a} {b}"
    );
    assert_ne!(a, b);
    for n in [&stg, &prod] {
        let text = n.canonical().unwrap();
        assert!(!text.contains("stg-1Lm4Qw8z") && !text.contains("prod-7Hq2pXk9"));
    }
    // The changed escalation timeout is visible as a number inside the decoded taskconfig.
    assert_eq!(
        value(&stg)["versions"][0]["taskconfig"]["node_info"]["escalation_minutes"],
        json!(15)
    );
    assert_eq!(
        value(&prod)["versions"][0]["taskconfig"]["node_info"]["escalation_minutes"],
        json!(30)
    );
}

#[test]
fn changed_node_parameter_and_rename_show_where_they_are() {
    let (stg, prod) = pair("01-block-ip.json");
    assert_ne!(stg.sha256, prod.sha256);
    let changed: Vec<_> =
        similar::TextDiff::from_lines(stg.canonical().unwrap(), prod.canonical().unwrap())
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .map(|c| c.value().trim().to_owned())
            .collect();
    assert_eq!(changed, ["\"duration\": 86400,", "\"duration\": 3600,"]);

    let (stg, prod) = pair("05-phishing.json");
    let mut a = value(&stg).clone();
    let mut b = value(&prod).clone();
    assert_eq!(a["name"], json!("Phishing triage"));
    assert_eq!(b["name"], json!("Phishing mail triage"));
    a["name"] = json!(null);
    b["name"] = json!(null);
    assert_eq!(a, b, "a rename changes only the name");
}

#[test]
fn canonical_form_of_a_fixture() {
    let n = fixture("staging", "02-notify.json");
    insta::assert_snapshot!("notify_staging_canonical", n.canonical().unwrap());
}

/// Across a generated pair, exactly the mutated workflows differ, and layout moves only in layout.
#[test]
fn generated_drift_is_found_and_nothing_else() {
    use soc_sim::generate::{DriftKind, GenerateOptions, generate_with_mutations};
    let generated = generate_with_mutations(&GenerateOptions {
        workflows: 24,
        nodes_per_workflow: 12,
        seed: 7,
        drift_rate: 0.5,
    });
    let normalize_all = |ws: &soc_sim::Workspace| -> Vec<Normalized> {
        let workflows: Vec<_> = ws.workflows.iter().collect();
        let bytes = soc_sim::export::export_json(&workflows).unwrap();
        decode_export("gen.json", &bytes, &Profile::secmaster())
            .unwrap()
            .iter()
            .map(|d| Profile::secmaster().normalize(d))
            .collect()
    };
    let base = normalize_all(&generated.base);
    let drifted = normalize_all(&generated.drifted);
    assert_eq!(base.len(), 24);
    assert!(generated.mutations.len() >= 8);
    for (a, b) in base.iter().zip(&drifted) {
        assert_eq!(a.name, b.name);
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        let mutation = generated
            .mutations
            .iter()
            .find(|m| m.workflow == a.name)
            .map(|m| m.kind);
        match mutation {
            None => {
                assert_eq!(a.sha256, b.sha256, "{} should be unchanged", a.name);
                assert_eq!(a.layout_sha256, b.layout_sha256, "{}", a.name);
            }
            Some(DriftKind::LayoutMove) => {
                assert_eq!(
                    a.sha256, b.sha256,
                    "{}: layout move changed content",
                    a.name
                );
                assert_ne!(a.layout_sha256, b.layout_sha256, "{}", a.name);
            }
            Some(kind) => assert_ne!(a.sha256, b.sha256, "{}: {kind:?} not visible", a.name),
        }
    }
}

/// Shuffling the BPMN elements (matched by id) and the XML-order of children changes nothing.
#[test]
fn bpmn_element_order_is_not_drift() {
    let path = testdata().join("workspaces/staging/workflows/01-block-ip.json");
    let mut raw: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let engine = base64::engine::general_purpose::STANDARD;
    let text = raw["versions"][0]["taskflow"].as_str().unwrap();
    let mut flow: Value = serde_json::from_slice(&engine.decode(text).unwrap()).unwrap();
    let before = Profile::secmaster().normalize(&doc(raw.clone()));
    fn reverse_all(value: &mut Value) {
        match value {
            Value::Array(items) => {
                items.reverse();
                items.iter_mut().for_each(reverse_all);
            }
            Value::Object(map) => map.values_mut().for_each(reverse_all),
            _ => {}
        }
    }
    reverse_all(&mut flow);
    raw["versions"][0]["taskflow"] = json!(engine.encode(serde_json::to_vec(&flow).unwrap()));
    let after = Profile::secmaster().normalize(&doc(raw));
    assert_eq!(before.canonical(), after.canonical());
    assert_eq!(before.layout_sha256, after.layout_sha256);
}

// ---- properties --------------------------------------------------------------------------------

/// Keys chosen to hit every rule: ignored fields, payload fields, secrets, layout and set/keyed arrays.
const KEYS: &[&str] = &[
    "name",
    "id",
    "create_time",
    "versions",
    "taskconfig",
    "taskflow",
    "input",
    "password",
    "api_token",
    "tokenizer",
    "auth_type",
    "value",
    "elements",
    "attributes",
    "s",
    "k",
    "a",
    "b",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "",
            "x",
            "{not json",
            "[",
            "bpmndi:BPMNDiagram",
            "<redacted:0123abcd>",
            " {}",
            "42",
            "Authorization",
            "postgres://u:pw@h/db",
            "https://h/p?sig=abc&x=1",
            "Authorization: Bearer x",
            "{\"password\": \"x\"",
            "a=1 token=t",
            "${vault.token}"
        ])
        .prop_map(|s| json!(s)),
        "[a-z]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(str::to_owned),
                inner.clone(),
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
            // Embedded payloads: JSON text and base64 of JSON text.
            inner
                .clone()
                .prop_map(|v| Value::String(serde_json::to_string(&v).unwrap())),
            inner.prop_map(|v| {
                Value::String(
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::to_vec(&v).unwrap()),
                )
            }),
        ]
    })
}

fn workflow() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(KEYS).prop_map(str::to_owned),
        json_value(),
        0..6,
    )
    .prop_map(|m| {
        let mut map: serde_json::Map<String, Value> = m.into_iter().collect();
        map.insert("name".into(), json!("wf"));
        Value::Object(map)
    })
}

fn rule_profile() -> Profile {
    let config = ProfileConfig {
        sets: vec!["/**/s".into()],
        keyed: [("/**/k".to_owned(), "a.b".to_owned())].into(),
        ..Default::default()
    };
    Profile::secmaster().with_config(&config).unwrap()
}

/// JSON text with object keys in an order given by `seed`, applied inside embedded JSON strings too.
fn shuffled_text(value: &Value, seed: &mut u64) -> String {
    let mut next = || {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    };
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            for i in (1..entries.len()).rev() {
                let j = (next() as usize) % (i + 1);
                entries.swap(i, j);
            }
            let parts: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap(),
                        shuffled_text(v, seed)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| shuffled_text(v, seed))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => {
                serde_json::to_string(&shuffled_text(&inner, seed)).unwrap()
            }
            _ => serde_json::to_string(s).unwrap(),
        },
        other => other.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn normalizing_is_idempotent(wf in workflow()) {
        for profile in [Profile::secmaster(), rule_profile(), Profile::generic()] {
            let once = profile.normalize(&doc(wf.clone()));
            let twice = profile.normalize(&doc(value(&once).clone()));
            prop_assert_eq!(once.canonical(), twice.canonical());
            prop_assert_eq!(&once.sha256, &twice.sha256);
        }
    }

    #[test]
    fn object_key_order_never_matters(wf in workflow(), seed in any::<u64>()) {
        let profile = rule_profile();
        let text = shuffled_text(&wf, &mut seed.clone());
        let shuffled = decode_export("shuffled.json", text.as_bytes(), &profile).unwrap();
        let a = profile.normalize(&doc(wf));
        let b = profile.normalize(&shuffled[0]);
        prop_assert_eq!(a.canonical(), b.canonical());
        prop_assert_eq!(a.layout_sha256, b.layout_sha256);
    }

    #[test]
    fn set_and_keyed_array_order_never_matters(
        items in prop::collection::vec(json_value(), 0..8).prop_shuffle().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        keyed in prop::collection::vec((prop::option::of(0u8..4), json_value()), 0..8)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let profile = rule_profile();
        let keyed_items = |v: &[(Option<u8>, Value)]| -> Vec<Value> {
            v.iter().map(|(key, payload)| match key {
                Some(key) => json!({"a": {"b": format!("k{key}")}, "v": payload}),
                None => json!({"v": payload}),
            }).collect()
        };
        let a = profile.normalize(&doc(json!({"name": "wf", "s": items.0, "k": keyed_items(&keyed.0)})));
        let b = profile.normalize(&doc(json!({"name": "wf", "s": items.1, "k": keyed_items(&keyed.1)})));
        prop_assert_eq!(a.canonical(), b.canonical());
    }
}

/// The TOML examples in docs/normalization.md parse and apply (a stale example fails here).
#[test]
fn documented_config_examples_work() {
    let text = std::fs::read_to_string(testdata().join("../docs/normalization.md")).unwrap();
    let blocks: Vec<&str> = text
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert_eq!(blocks.len(), 3);
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        normalize: ProfileConfig,
    }
    for &block in &blocks {
        let config: Config = toml::from_str(block).unwrap_or_else(|e| panic!("{e}\n{block}"));
        let profile = Profile::secmaster().with_config(&config.normalize).unwrap();
        assert_ne!(profile.hash(), Profile::secmaster().hash());
    }
    // The playbook example drops what it says: the version labels and the role fields.
    let playbook = doc(
        json!({"socdrift_document": "playbook", "name": "p", "version": "v3",
        "edit_role": "r1", "user_role": "r2", "approve_role": "r3", "enabled": true,
        "versions": [], "active_version": {"id": "v", "version": "v3", "enabled": true}}),
    );
    let example: Config = toml::from_str(blocks[0]).unwrap();
    assert!(
        blocks[0].contains("/active_version/version"),
        "{}",
        blocks[0]
    );
    let normalized = Profile::secmaster()
        .with_config(&example.normalize)
        .unwrap()
        .normalize(&playbook);
    let kept: Value = serde_json::from_str(normalized.canonical().unwrap()).unwrap();
    assert_eq!(
        kept,
        json!({"name": "p", "enabled": true, "active_version": {"enabled": true}, "other_versions": []})
    );
}

/// Everything normalization outputs for a document, fed into one hash.
fn pin_normalized(hasher: &mut sha2::Sha256, n: &Normalized) {
    use sha2::Digest as _;
    let text = match &n.content {
        NormalizedContent::Json { canonical, .. } => canonical.as_str(),
        NormalizedContent::Opaque { sha256, .. } => sha256.as_str(),
    };
    let layout = n.layout_sha256.as_deref().unwrap_or("-");
    // Fixture sources are absolute paths; pin only the part inside the repository so the hash
    // does not depend on where the checkout lives.
    let source = n
        .source
        .rfind("testdata/")
        .map_or(n.source.as_str(), |at| &n.source[at..]);
    for part in [n.name.as_str(), source, text, &n.sha256, layout] {
        hasher.update(part.len().to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.update(n.notes.len().to_le_bytes());
    for note in &n.notes {
        hasher.update(note.len().to_le_bytes());
        hasher.update(note.as_bytes());
    }
}

/// Pins today's normalized output (canonical texts, hashes, layout hashes, notes) of a generated
/// corpus and the bundled fixtures, under the built-in profile and under user rules that exercise
/// set sorting, keyed sorting with duplicate keys, and kept layout. Any change to normalization that
/// changes a single byte fails here; a deliberate format change must bump `NORMALIZER_FORMAT` and
/// record the new constant.
#[test]
fn normalized_output_is_byte_identical_to_the_pinned_corpus() {
    use sha2::Digest as _;
    use soc_sim::generate::{GenerateOptions, generate};

    let secmaster = Profile::secmaster();
    let sets = secmaster
        .with_config(&ProfileConfig {
            sets: vec!["/**/taskflow/**/elements".into()],
            ..Default::default()
        })
        .unwrap();
    let keyed_by_name = secmaster
        .with_config(&ProfileConfig {
            keyed: [("/**/taskflow/**/elements".to_owned(), "name".to_owned())].into(),
            keep_layout: true,
            redact_keys: vec!["name".into()],
            ..Default::default()
        })
        .unwrap();
    let generic = Profile::generic();

    let (base, drifted) = generate(&GenerateOptions {
        workflows: 60,
        nodes_per_workflow: 50,
        seed: 7,
        drift_rate: 0.2,
    });
    let mut hasher = sha2::Sha256::new();
    let mut count = 0;
    for side in [&base, &drifted] {
        for (i, wf) in side.workflows.iter().enumerate() {
            let bytes = soc_sim::export::export_json(&[wf]).unwrap();
            let source = format!("gen/{i}.json");
            // Every workflow under the built-in profile; a few under each of the others.
            let profiles: &[&Profile] = if i % 10 == 0 {
                &[&secmaster, &sets, &keyed_by_name, &generic]
            } else {
                &[&secmaster]
            };
            for profile in profiles {
                for doc in decode_export(&source, &bytes, profile).unwrap() {
                    pin_normalized(&mut hasher, &profile.normalize(&doc));
                    count += 1;
                }
            }
        }
    }
    for env in ["staging", "production"] {
        let dir = testdata().join("workspaces").join(env).join("workflows");
        for profile in [&secmaster, &sets, &keyed_by_name, &generic] {
            for doc in soc_diff::load_path(&dir, profile).unwrap() {
                pin_normalized(&mut hasher, &profile.normalize(&doc));
                count += 1;
            }
        }
    }
    // Hand-made corner cases: escapes, unicode, numbers, secrets, embedded JSON, bad payloads.
    let tricky = json!({
        "name": "tricky \u{e9}\u{1F600} \"q\" \\ /",
        "a/b~c": {"password": {"z": [3, 1.5, -0.0, 1e300], "a": "x"}, "api_token": 12},
        "set": [{"b": 1, "a": 2}, "s", 2, true, null, [1, "2"], {"a": 2, "b": 1}],
        "embedded": " [{\"k\":\"{\\\"deep\\\":[2,1]}\"}, 1]",
        "not_json": "{oops",
        "taskflow": "%%%",
        "versions": [{"taskconfig": "{\"secret\":\"x\",\"z\":\"\\u0000\\t\"}", "input": "[]", "output": "7"}],
    });
    let tricky_sets = secmaster
        .with_config(&ProfileConfig {
            sets: vec!["/set".into(), "/**/z".into()],
            ..Default::default()
        })
        .unwrap();
    for profile in [&secmaster, &tricky_sets, &generic] {
        pin_normalized(&mut hasher, &profile.normalize(&doc(tricky.clone())));
        count += 1;
    }
    assert_eq!(
        count,
        2 * (60 + 6 * 3) + 2 * 4 * 6 + 3,
        "corpus size changed"
    );
    // Recorded from the normalizer as of this test's first commit (f7f3616), sources made relative.
    assert_eq!(
        hex::encode(hasher.finalize()),
        "691ac2e03920dca36bd82ad5a6e421ab202b6b424aa11426781c9617b2ed750a"
    );
}

#[test]
fn parallel_loading_gives_what_loading_one_by_one_gives_in_the_same_order() {
    use soc_sim::generate::{GenerateOptions, generate};
    let profile = Profile::secmaster();
    let (workspace, _) = generate(&GenerateOptions {
        workflows: 40,
        nodes_per_workflow: 10,
        seed: 3,
        drift_rate: 0.0,
    });
    let dir = tempfile::tempdir().unwrap();
    let mut exports = Vec::new();
    for (i, wf) in workspace.workflows.iter().enumerate() {
        let bytes = soc_sim::export::export_json(&[wf]).unwrap();
        std::fs::write(dir.path().join(format!("{i:03}.json")), &bytes).unwrap();
        exports.push((format!("gen/{i:03}.json"), bytes));
    }
    let one_by_one = |docs: Vec<Document>| -> Vec<Normalized> {
        docs.iter().map(|d| profile.normalize(d)).collect()
    };
    let from_folder = soc_diff::decode::load_path_normalized(dir.path(), &profile).unwrap();
    assert_eq!(from_folder.len(), 40);
    assert_eq!(
        from_folder,
        one_by_one(soc_diff::load_path(dir.path(), &profile).unwrap())
    );
    let in_memory = soc_diff::decode::normalize_exports(&exports, &profile).unwrap();
    let sequential: Vec<Document> = exports
        .iter()
        .flat_map(|(source, bytes)| decode_export(source, bytes, &profile).unwrap())
        .collect();
    assert_eq!(in_memory, one_by_one(sequential));

    // The error is the first bad file's, in order, however the work was scheduled.
    std::fs::write(dir.path().join("010.json"), b"{\"name\": ").unwrap();
    std::fs::write(dir.path().join("020.json"), b"[1,").unwrap();
    let err = soc_diff::decode::load_path_normalized(dir.path(), &profile).unwrap_err();
    assert!(err.to_string().contains("010.json"), "{err}");
    exports[30].1 = b"{".to_vec();
    exports[35].1 = b"[".to_vec();
    let err = soc_diff::decode::normalize_exports(&exports, &profile).unwrap_err();
    assert!(err.to_string().contains("gen/030.json"), "{err}");
}
