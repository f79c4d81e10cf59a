//! A secret planted under any shape redaction knows, at any place a workflow holds data, never
//! appears in the canonical text nor in any report format, while its change is still reported.

use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use soc_diff::{Format, RenderOptions, diff, render};
use soc_normalize::{Document, Entry, Profile};

use crate::diff::fixture_options;

/// The shapes a secret takes, as the fields they add to a JSON object. `in_text` says whether the
/// shape is recognized in text that is not valid JSON (name/value pairs need JSON).
struct Shape {
    fields: fn(&str) -> Vec<(&'static str, Value)>,
    in_text: bool,
}

const SHAPES: &[Shape] = &[
    Shape {
        fields: |s| vec![("pwd", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("passphrase", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("auth", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("cookie", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("client_key", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("clientKey", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("signature", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("db_password", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("X-Auth-Token", json!(s))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("credentials", json!({"user": "soc", "secret": s}))],
        in_text: true,
    },
    Shape {
        fields: |s| {
            vec![(
                "headers",
                json!([{"name": "Authorization", "value": format!("Bearer {s}")}]),
            )]
        },
        in_text: false,
    },
    Shape {
        fields: |s| vec![("params", json!([{"key": "X-Api-Key", "value": s}]))],
        in_text: false,
    },
    Shape {
        fields: |s| {
            vec![(
                "dsn",
                json!(format!("postgres://soc:{s}@db.example.com:5432/soc")),
            )]
        },
        in_text: true,
    },
    Shape {
        fields: |s| {
            vec![(
                "blob",
                json!(format!(
                    "https://a.blob.example.net/c/f?sv=2024&sig={s}&se=1"
                )),
            )]
        },
        in_text: true,
    },
    Shape {
        fields: |s| {
            vec![(
                "s3",
                json!(format!(
                    "https://b.s3.example.com/k?X-Amz-Date=1&X-Amz-Signature={s}"
                )),
            )]
        },
        in_text: true,
    },
    Shape {
        fields: |s| vec![("hook", json!(format!("https://h.example.com/x?token={s}")))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("cmd", json!(format!("mysql -u root --password={s} soc")))],
        in_text: true,
    },
    Shape {
        fields: |s| vec![("header", json!(format!("Authorization: Bearer {s}")))],
        in_text: true,
    },
];

/// Where in a workflow the shape is put.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Fields of the workflow object itself.
    Workflow,
    /// Inside `taskconfig`, a JSON string.
    Taskconfig,
    /// Inside an array inside `taskconfig`.
    Nested,
    /// Inside `soar:params`, JSON in a string inside the base64 `taskflow`.
    SoarParams,
    /// Inside `input`, as text that is not valid JSON.
    BrokenText,
}

fn object(fields: Vec<(&'static str, Value)>) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn workflow(shape: &Shape, place: Place, secret: &str) -> Value {
    let fields = object((shape.fields)(secret));
    let mut wf = json!({"name": "wf", "versions": [{"status": "activated"}]});
    let version = &mut wf["versions"][0];
    match place {
        Place::Workflow => {
            wf.as_object_mut().unwrap().extend(fields);
        }
        Place::Taskconfig => version["taskconfig"] = json!(Value::Object(fields).to_string()),
        Place::Nested => {
            version["taskconfig"] =
                json!(json!({"steps": [{"id": 1, "with": Value::Object(fields)}]}).to_string());
        }
        Place::SoarParams => {
            let graph = json!({"elements": [{"type": "element", "name": "bpmn2:serviceTask",
                "attributes": {"id": "Activity_1", "soar:params": Value::Object(fields).to_string()}}]});
            version["taskflow"] =
                json!(base64::engine::general_purpose::STANDARD.encode(graph.to_string()));
        }
        Place::BrokenText => {
            // Cut before the closing brace: not JSON any more, so compared (and redacted) as text.
            let text = Value::Object(fields).to_string();
            version["input"] = json!(format!("{}, ", &text[..text.len() - 1]));
        }
    }
    wf
}

fn entry(profile: &Profile, value: Value) -> Entry {
    Entry::Loaded(profile.normalize(&Document {
        name: "wf".into(),
        source: "wf.json".into(),
        content: soc_normalize::Content::Json(value),
    }))
}

fn place() -> impl Strategy<Value = Place> {
    prop::sample::select(vec![
        Place::Workflow,
        Place::Taskconfig,
        Place::Nested,
        Place::SoarParams,
        Place::BrokenText,
    ])
}

/// Secrets as people make them: letters, digits and the punctuation passwords and tokens use
/// that may stand in a URL unencoded. The prefix keeps them from occurring in the output by chance.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.~+/-]{4,24}".prop_map(|s| format!("Zq9{s}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_planted_secret_never_appears_in_any_output(
        shape in 0..SHAPES.len(),
        place in place(),
        left in secret(),
        right in secret(),
    ) {
        let shape = &SHAPES[shape];
        prop_assume!(shape.in_text || !matches!(place, Place::BrokenText));
        prop_assume!(left != right);
        let profile = Profile::secmaster();
        let left_entry = entry(&profile, workflow(shape, place, &left));
        let right_entry = entry(&profile, workflow(shape, place, &right));
        let mut outputs = Vec::new();
        for entry in [&left_entry, &right_entry] {
            if let Entry::Loaded(n) = entry {
                outputs.push(n.canonical().unwrap().to_owned());
                outputs.extend(n.notes.iter().cloned());
            }
        }
        let report = diff(vec![left_entry], vec![right_entry], &profile, &fixture_options()).unwrap();
        // The secret changed, so there is drift to report: hidden, not dropped.
        prop_assert!(report.has_drift());
        let report = soc_diff::CheckReport::single(report);
        for format in [Format::Text, Format::Json, Format::Markdown, Format::Junit] {
            for stat_only in [false, true] {
                for color in [false, true] {
                    outputs.push(render(&report, format, &RenderOptions { color, stat_only }));
                }
            }
        }
        for output in &outputs {
            prop_assert!(!output.contains(&left), "{left} in:\n{output}");
            prop_assert!(!output.contains(&right), "{right} in:\n{output}");
        }
    }
}
