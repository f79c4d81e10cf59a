//! A deterministic generator of large, realistic workspace pairs for benchmarks and tests.
//!
//! [`generate`] returns a base workspace and a drifted copy. The copy looks like a real second
//! workspace promoted by export/import: every workflow, version, dataclass and workspace id,
//! timestamp and creator differs, while the BPMN element ids inside `taskflow` stay equal.
//! A `drift_rate` share of the workflows is then changed the way people change them in a
//! console: a node parameter, a taskconfig value, a node inserted into a flow, or nodes moved
//! on the canvas. Everything is a pure function of [`GenerateOptions`].
//!
//! One file per concern: `workspace` (workflow specs and their rendering into one environment),
//! `graph` (the BPMN graph of a workflow and its mutations), `bpmn` (the graph as `taskflow`).

mod bpmn;
mod graph;
mod workspace;

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::Workspace;
use workspace::{Env, Spec};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Number of workflows in each workspace. Default 100.
    pub workflows: usize,
    /// Approximate number of BPMN nodes (events, tasks, gateways) per workflow; at least 3 are
    /// generated (start, one task, end). Default 20.
    pub nodes_per_workflow: usize,
    /// Seed of every random choice. Default 0.
    pub seed: u64,
    /// Share of workflows (0.0 to 1.0, clamped) mutated in the drifted copy. Default 0.1.
    pub drift_rate: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            workflows: 100,
            nodes_per_workflow: 20,
            seed: 0,
            drift_rate: 0.1,
        }
    }
}

/// A kind of change made to a workflow in the drifted copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DriftKind {
    /// One value inside a service task's `soar:params` changed.
    NodeParameter,
    /// One value of the active version's `taskconfig` changed.
    TaskconfigValue,
    /// A service task was inserted into a sequence flow.
    NodeAdded,
    /// Nodes were dragged on the canvas (only `bpmndi:BPMNDiagram` changed).
    LayoutMove,
}

impl DriftKind {
    /// All kinds, in the order the generator assigns them.
    pub const ALL: [Self; 4] = [
        Self::NodeParameter,
        Self::TaskconfigValue,
        Self::NodeAdded,
        Self::LayoutMove,
    ];
}

/// One change the generator made to the drifted copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    /// Name of the changed workflow (the cross-workspace identity).
    pub workflow: String,
    /// What changed.
    pub kind: DriftKind,
    /// Human-readable detail, e.g. the node and parameter.
    pub detail: String,
}

/// A generated workspace pair and the list of changes between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The base ("staging") workspace.
    pub base: Workspace,
    /// The drifted copy ("production").
    pub drifted: Workspace,
    /// Every semantic or layout change made to the copy, in workflow order.
    pub mutations: Vec<Mutation>,
}

/// Generates a base workspace and a drifted copy (see the module docs).
pub fn generate(opts: &GenerateOptions) -> (Workspace, Workspace) {
    let g = generate_with_mutations(opts);
    (g.base, g.drifted)
}

/// Like [`generate`], also returning the mutations, so tests can check a differ finds them.
pub fn generate_with_mutations(opts: &GenerateOptions) -> Generated {
    // Separate streams keep the base content independent of the drift settings.
    let mut content_rng = stream(opts.seed, 1);
    let specs: Vec<Spec> = (0..opts.workflows)
        .map(|i| Spec::random(&mut content_rng, i, opts.nodes_per_workflow.max(3)))
        .collect();

    let mut drifted_specs = specs.clone();
    let mut drift_rng = stream(opts.seed, 2);
    let rate = if opts.drift_rate.is_finite() {
        opts.drift_rate.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // Rounding keeps a 10% rate of 5 workflows at one mutation rather than none.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let count = ((opts.workflows as f64) * rate).round() as usize;
    let mut chosen: Vec<usize> = (0..opts.workflows).collect();
    chosen.shuffle(&mut drift_rng);
    chosen.truncate(count.min(opts.workflows));
    chosen.sort_unstable();
    let mut mutations = Vec::with_capacity(chosen.len());
    for (n, &i) in chosen.iter().enumerate() {
        let kind = DriftKind::ALL[n % DriftKind::ALL.len()];
        if let Some(spec) = drifted_specs.get_mut(i) {
            let (kind, detail) = spec.mutate(&mut drift_rng, kind);
            mutations.push(Mutation {
                workflow: spec.name.clone(),
                kind,
                detail,
            });
        }
    }

    let base_env = Env::new(&mut stream(opts.seed, 3), "staging", "alice.wang", 0);
    let drifted_env = Env::new(
        &mut stream(opts.seed, 4),
        "production",
        "release-bot",
        3 * 86_400,
    );
    Generated {
        base: base_env.render(&specs, &mut stream(opts.seed, 5)),
        drifted: drifted_env.render(&drifted_specs, &mut stream(opts.seed, 6)),
        mutations,
    }
}

fn stream(seed: u64, n: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(n);
    rng
}

fn unique(seen: &mut BTreeMap<&'static str, usize>, title: &'static str) -> String {
    let n = seen.entry(title).or_insert(0);
    *n += 1;
    if *n == 1 {
        title.to_owned()
    } else {
        format!("{title} ({n})")
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // Every call site passes a non-empty literal array.
    items[rng.gen_range(0..items.len())]
}

fn short_id(rng: &mut ChaCha8Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..7)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A random UUID-shaped id (8-4-4-4-12 lowercase hex), as SecMaster ids look.
pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
    let h = hex32(rng);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn hex32(rng: &mut ChaCha8Rng) -> String {
    let bytes: [u8; 16] = rng.r#gen();
    hex::encode(bytes)
}

/// SecMaster-style timestamp (`2024-04-26T16:08:09Z+0800`), treated as opaque by clients.
fn timestamp(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ+0800").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Workflow;
    use base64::Engine as _;
    use serde_json::Value;

    fn decode(wf: &Workflow) -> Value {
        let b64 = wf
            .active_version()
            .and_then(|v| v.taskflow.clone())
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn count_named(v: &Value, suffix: &str) -> usize {
        match v {
            Value::Object(m) => {
                let own = usize::from(
                    m.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.ends_with(suffix)),
                );
                own + m.values().map(|c| count_named(c, suffix)).sum::<usize>()
            }
            Value::Array(a) => a.iter().map(|c| count_named(c, suffix)).sum(),
            _ => 0,
        }
    }

    #[test]
    fn deterministic_under_the_seed() {
        let opts = GenerateOptions {
            workflows: 20,
            nodes_per_workflow: 15,
            seed: 7,
            drift_rate: 0.3,
        };
        assert_eq!(
            generate_with_mutations(&opts),
            generate_with_mutations(&opts)
        );
        let other = GenerateOptions {
            seed: 8,
            ..opts.clone()
        };
        assert_ne!(generate(&opts).0, generate(&other).0);
    }

    #[test]
    fn base_does_not_depend_on_drift_rate() {
        let a = GenerateOptions {
            workflows: 10,
            nodes_per_workflow: 10,
            seed: 1,
            drift_rate: 0.0,
        };
        let b = GenerateOptions {
            drift_rate: 1.0,
            ..a.clone()
        };
        assert_eq!(generate(&a).0, generate(&b).0);
    }

    #[test]
    fn drift_rate_controls_mutation_count_and_kinds() {
        let opts = GenerateOptions {
            workflows: 40,
            nodes_per_workflow: 12,
            seed: 3,
            drift_rate: 0.25,
        };
        let g = generate_with_mutations(&opts);
        assert_eq!(g.mutations.len(), 10);
        for kind in DriftKind::ALL {
            assert!(
                g.mutations.iter().any(|m| m.kind == kind),
                "{kind:?} missing"
            );
        }
        let none = generate_with_mutations(&GenerateOptions {
            drift_rate: 0.0,
            ..opts.clone()
        });
        assert!(none.mutations.is_empty());
        let nan = generate_with_mutations(&GenerateOptions {
            drift_rate: f64::NAN,
            ..opts
        });
        assert!(nan.mutations.is_empty());
    }

    #[test]
    fn copy_differs_in_identity_everywhere_and_in_content_only_where_mutated() {
        let opts = GenerateOptions {
            workflows: 30,
            nodes_per_workflow: 20,
            seed: 11,
            drift_rate: 0.2,
        };
        let g = generate_with_mutations(&opts);
        assert_ne!(g.base.id, g.drifted.id);
        assert_ne!(g.base.project_id, g.drifted.project_id);
        for (a, b) in g.base.workflows.iter().zip(&g.drifted.workflows) {
            assert_eq!(a.info.name, b.info.name);
            assert_ne!(a.info.id, b.info.id);
            assert_ne!(a.info.create_time, b.info.create_time);
            assert_ne!(a.info.creator_name, b.info.creator_name);
            assert_eq!(b.info.workspace_id.as_deref(), Some(g.drifted.id.as_str()));
            let (va, vb) = (a.active_version().unwrap(), b.active_version().unwrap());
            assert_eq!(b.info.version_id.as_deref(), Some(vb.id.as_str()));
            assert_eq!(vb.aopworkflow_id.as_deref(), Some(b.info.id.as_str()));
            let mutated = g.mutations.iter().find(|m| m.workflow == a.info.name);
            let same_content = va.taskflow == vb.taskflow && va.taskconfig == vb.taskconfig;
            assert_eq!(
                same_content,
                mutated.is_none(),
                "{}: {mutated:?}",
                a.info.name
            );
            if let Some(m) = mutated {
                match m.kind {
                    DriftKind::TaskconfigValue => assert_ne!(va.taskconfig, vb.taskconfig),
                    DriftKind::NodeAdded => {
                        assert_eq!(
                            count_named(&decode(b), "Task"),
                            count_named(&decode(a), "Task") + 1
                        );
                    }
                    _ => assert_ne!(va.taskflow, vb.taskflow),
                }
            }
        }
    }

    #[test]
    fn taskflow_is_realistic_bpmn_of_about_the_requested_size() {
        let opts = GenerateOptions {
            workflows: 5,
            nodes_per_workflow: 30,
            seed: 5,
            drift_rate: 0.0,
        };
        let (base, _) = generate(&opts);
        for wf in &base.workflows {
            let doc = decode(wf);
            assert_eq!(doc["elementType"], "{}");
            let nodes = count_named(&doc, "Event")
                + count_named(&doc, "Task")
                + count_named(&doc, "Gateway");
            assert_eq!(nodes, 30, "{}", wf.info.name);
            assert_eq!(count_named(&doc, "bpmndi:BPMNShape"), 30);
            assert!(count_named(&doc, "bpmn2:sequenceFlow") >= 29);
            let json = serde_json::to_string(&doc).unwrap();
            assert!(json.contains("soar:params"));
            // Every soar:params value is itself a JSON document.
            let tc: Value =
                serde_json::from_str(wf.active_version().unwrap().taskconfig.as_deref().unwrap())
                    .unwrap();
            assert!(tc["timeout"].is_u64());
        }
    }

    #[test]
    fn tiny_sizes_do_not_panic() {
        for n in [0, 1, 2, 3] {
            let g = generate_with_mutations(&GenerateOptions {
                workflows: n,
                nodes_per_workflow: n,
                seed: 0,
                drift_rate: 1.0,
            });
            assert_eq!(g.base.workflows.len(), n);
            assert_eq!(g.mutations.len(), n);
        }
    }

    #[test]
    fn generated_workspaces_write_and_load_back_unchanged() {
        let (base, drifted) = generate(&GenerateOptions {
            workflows: 12,
            nodes_per_workflow: 8,
            seed: 2,
            drift_rate: 0.5,
        });
        let dir = tempfile::tempdir().unwrap();
        for ws in [&base, &drifted] {
            let path = dir.path().join(&ws.name);
            ws.write_dir(&path).unwrap();
            assert_eq!(&Workspace::load_dir(&path).unwrap(), ws);
        }
        assert_eq!(Workspace::load_root(dir.path()).unwrap().len(), 2);
    }
}
