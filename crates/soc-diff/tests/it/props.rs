//! Invariants of the differ, over generated documents.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use soc_diff::diff;
use soc_diff::diff::structural_changes;
use soc_diff::report::ChangeKind;
use soc_normalize::{Content, Document, Entry, Profile, ProfileConfig};

use crate::diff::fixture_options;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        "[a-z~/ ]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Writes `value` as JSON text with every object's keys in an order chosen by `seed` (serde_json
/// itself always writes them sorted).
fn write_shuffled(value: &Value, seed: &mut u64, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // A small LCG is enough to scramble the order reproducibly.
            for i in (1..entries.len()).rev() {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                entries.swap(i, (*seed >> 33) as usize % (i + 1));
            }
            out.push('{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_shuffled(v, seed, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_shuffled(v, seed, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn entries(profile: &Profile, docs: &[Document]) -> Vec<Entry> {
    docs.iter()
        .map(|d| Entry::Loaded(profile.normalize(d)))
        .collect()
}

fn workflow(body: Value) -> Value {
    let mut map = Map::new();
    map.insert("name".into(), json!("wf"));
    map.insert("body".into(), body);
    Value::Object(map)
}

fn set_profile() -> Profile {
    let config = ProfileConfig {
        sets: vec!["/tags".into()],
        keyed: [("/nodes".to_owned(), "id".to_owned())].into(),
        ..ProfileConfig::default()
    };
    Profile::secmaster().with_config(&config).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_document_diffed_with_itself_has_no_drift(body in arb_json()) {
        let profile = Profile::secmaster();
        let value = workflow(body);
        prop_assert!(structural_changes(&value, &value, &profile).is_empty());
        let doc = Document { name: "wf".into(), source: "wf.json".into(), content: Content::Json(value) };
        let report = diff(entries(&profile, std::slice::from_ref(&doc)), entries(&profile, &[doc]), &profile, &fixture_options()).unwrap();
        prop_assert!(!report.has_drift());
        prop_assert_eq!(report.summary.total.unchanged, 1);
    }

    #[test]
    fn object_key_order_never_shows_as_drift(body in arb_json(), seed in any::<u64>()) {
        let profile = Profile::secmaster();
        let value = workflow(body);
        let mut shuffled = String::new();
        write_shuffled(&value, &mut { seed }, &mut shuffled);
        let left = soc_normalize::decode_export("left.json", value.to_string().as_bytes(), &profile).unwrap();
        let right = soc_normalize::decode_export("right.json", shuffled.as_bytes(), &profile).unwrap();
        let report = diff(entries(&profile, &left), entries(&profile, &right), &profile, &fixture_options()).unwrap();
        prop_assert!(!report.has_drift(), "{:#?}", report);
    }

    #[test]
    fn set_and_keyed_array_order_never_shows_as_drift(
        (tags, shuffled_tags) in prop::collection::vec(arb_json(), 0..8)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        (nodes, shuffled_nodes) in prop::collection::btree_map("[a-z]{1,4}", arb_json(), 0..8)
            .prop_map(|m| m.into_iter().map(|(id, v)| json!({"id": id, "v": v})).collect::<Vec<_>>())
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
    ) {
        let profile = set_profile();
        let left = json!({"name": "wf", "tags": tags, "nodes": nodes});
        let right = json!({"name": "wf", "tags": shuffled_tags, "nodes": shuffled_nodes});
        // The differ ignores the order by itself, before any normalization...
        let changes = structural_changes(&left, &right, &profile);
        prop_assert!(changes.is_empty(), "{:#?}", changes);
        // ...and through normalization the documents are identical.
        let doc = |value: Value| Document { name: "wf".into(), source: "wf.json".into(), content: Content::Json(value) };
        let report = diff(entries(&profile, &[doc(left)]), entries(&profile, &[doc(right)]), &profile, &fixture_options()).unwrap();
        prop_assert!(!report.has_drift(), "{:#?}", report);
    }

    #[test]
    fn one_insertion_into_an_ordered_array_is_one_added_change(
        (items, extra, at, as_objects) in prop::collection::btree_set("[a-z]{1,4}", 0..30)
            .prop_flat_map(|set| {
                let len = set.len();
                (Just(set), "[a-z]{5}", 0..=len, any::<bool>())
            })
            .prop_map(|(set, extra, at, as_objects)| (set.into_iter().collect::<Vec<_>>(), extra, at, as_objects)),
        seed in any::<u64>(),
    ) {
        // Distinct items in a scrambled (not sorted) order; `extra` is longer than any of them.
        let mut items = items;
        let mut s = seed;
        for i in (1..items.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            items.swap(i, (s >> 33) as usize % (i + 1));
        }
        let item = |s: &String| if as_objects { json!({"k": s, "n": s.len()}) } else { json!(s) };
        let before: Vec<Value> = items.iter().map(item).collect();
        let mut after = before.clone();
        after.insert(at, item(&extra));
        let profile = Profile::secmaster();
        let left = json!({"list": before});
        let right = json!({"list": after});

        let changes = structural_changes(&left, &right, &profile);
        prop_assert_eq!(changes.len(), 1, "{:#?}", changes);
        prop_assert_eq!(changes[0].kind, ChangeKind::Added);
        prop_assert_eq!(&changes[0].path, &format!("/list/{at}"));
        prop_assert_eq!(changes[0].right.as_ref(), Some(&item(&extra)));

        let back = structural_changes(&right, &left, &profile);
        prop_assert_eq!(back.len(), 1, "{:#?}", back);
        prop_assert_eq!(back[0].kind, ChangeKind::Removed);
        prop_assert_eq!(&back[0].path, &format!("/list/{at}"));
    }
}

fn task(id: &str, v: i64) -> Value {
    json!({"type": "element", "name": "bpmn2:serviceTask", "attributes": {"id": id, "v": v}})
}

fn diagram(nodes: Vec<Value>) -> Value {
    json!({"taskflow": {"workflow": {"elements": [{"type": "element", "name": "bpmn2:process",
        "attributes": {"id": "P"}, "elements": nodes}]}}})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The address of a change to one node is the same whatever unrelated nodes are added around
    /// it and in whatever order the diagram lists them; its JSON pointer is not.
    #[test]
    fn an_address_survives_unrelated_nodes_and_order(
        ids in prop::collection::btree_set("[a-z]{3,6}", 2..10),
        extra in prop::collection::btree_set("[A-Z]{3,6}", 0..6),
        seed in any::<u64>(),
    ) {
        let ids: Vec<String> = ids.into_iter().collect();
        let target = ids[0].clone();
        let nodes = |changed: bool| -> Vec<Value> {
            ids.iter().map(|id| task(id, i64::from(changed && *id == target))).collect()
        };
        let profile = Profile::secmaster();
        let alone = structural_changes(&diagram(nodes(false)), &diagram(nodes(true)), &profile);
        prop_assert_eq!(alone.len(), 1);
        let mut crowded = nodes(true);
        crowded.extend(extra.iter().map(|id| task(id, 7)));
        let mut s = seed;
        for i in (1..crowded.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            crowded.swap(i, (s >> 33) as usize % (i + 1));
        }
        let changes = structural_changes(&diagram(nodes(false)), &diagram(crowded), &profile);
        let same: Vec<_> = changes.iter().filter(|c| c.path == alone[0].path).collect();
        prop_assert_eq!(same.len(), 1, "{:#?}", changes);
        prop_assert_eq!(&alone[0].path, &format!("/taskflow/serviceTask[{target}]/v"));
        prop_assert_eq!(changes.len(), 1 + extra.len());
    }
}
