//! docs/architecture.md's picture of the crate graph is what `cargo metadata` says, and the graph
//! is the data flow: every crate depends only on crates below it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const START: &str = "<!-- crate-graph:start -->\n";
const END: &str = "<!-- crate-graph:end -->";

/// Where each crate stands in the data flow: a crate may depend only on crates of a lower layer,
/// so nothing reaches sideways (the store and the differ never know each other) or back.
const LAYERS: [(&str, u8); 8] = [
    ("soc-model", 0),
    ("soc-text", 0),
    ("soc-sim", 0),
    ("soc-api", 1),
    ("soc-normalize", 1),
    ("soc-store", 2),
    ("soc-diff", 2),
    ("soc-cli", 3),
];

/// Dependencies between workspace crates: `(crate, dependency, dev-only)`, sorted.
fn workspace_edges() -> Vec<(String, String, bool)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let members: Vec<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let mut edges: BTreeMap<(String, String), bool> = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().unwrap();
        for dependency in package["dependencies"].as_array().unwrap() {
            let target = dependency["name"].as_str().unwrap();
            if !members.contains(&target) {
                continue;
            }
            let dev = dependency["kind"].as_str() == Some("dev");
            // A crate named both as a dependency and a dev-dependency is a dependency.
            let only_dev = edges
                .entry((name.to_owned(), target.to_owned()))
                .or_insert(dev);
            *only_dev &= dev;
        }
    }
    edges
        .into_iter()
        .map(|((from, to), dev)| (from, to, dev))
        .collect()
}

/// The generated part of the document: a Mermaid graph of the dependencies, then the dev-only ones.
fn picture(edges: &[(String, String, bool)]) -> String {
    let id = |name: &str| name.replace('-', "_");
    let mut crates: Vec<&str> = edges
        .iter()
        .flat_map(|(from, to, _)| [from.as_str(), to.as_str()])
        .collect();
    crates.sort_unstable();
    crates.dedup();
    let mut out = String::from("```mermaid\nflowchart TD\n");
    for name in &crates {
        out.push_str(&format!("    {}[\"{name}\"]\n", id(name)));
    }
    for (from, to, _) in edges.iter().filter(|(_, _, dev)| !dev) {
        out.push_str(&format!("    {} --> {}\n", id(from), id(to)));
    }
    out.push_str("```\n\nTests and benchmarks only (dev-dependencies):\n\n");
    for (from, to, _) in edges.iter().filter(|(_, _, dev)| *dev) {
        out.push_str(&format!("- {from} → {to}\n"));
    }
    out
}

/// Regenerate with `SOCDRIFT_UPDATE_ARCH=1 cargo test -p soc-cli --test it architecture`.
#[test]
fn the_crate_graph_in_the_docs_is_cargo_metadata() {
    let edges = workspace_edges();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/architecture.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("{} has no {START:?} … {END:?} block", path.display());
    };
    let generated = picture(&edges);
    let committed = &text[start + START.len()..end];
    if committed != generated && std::env::var_os("SOCDRIFT_UPDATE_ARCH").is_some() {
        let updated = format!(
            "{}{generated}{}",
            &text[..start + START.len()],
            &text[end..]
        );
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        committed == generated,
        "the crate graph in {} is not what cargo metadata says; regenerate it with \
         `SOCDRIFT_UPDATE_ARCH=1 cargo test -p soc-cli --test it architecture` and review the \
         diff\n--- committed\n{committed}\n--- generated\n{generated}",
        path.display()
    );
}

#[test]
fn every_crate_depends_only_on_crates_below_it_in_the_data_flow() {
    let layer = |name: &str| {
        LAYERS
            .iter()
            .find(|(crate_name, _)| *crate_name == name)
            .map(|(_, layer)| *layer)
            .unwrap_or_else(|| panic!("{name} is not placed in LAYERS: say where it stands"))
    };
    let edges = workspace_edges();
    assert!(edges.len() > 5, "{edges:?}");
    for (from, to, dev) in &edges {
        if *dev {
            continue;
        }
        assert!(
            layer(from) > layer(to),
            "{from} depends on {to}, which is not below it in the data flow"
        );
    }
}
