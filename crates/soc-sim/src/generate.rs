//! A deterministic generator of large, realistic workspace pairs for benchmarks and tests.
//!
//! [`generate`] returns a base workspace and a drifted copy. The copy looks like a real second
//! workspace promoted by export/import: every workflow, version, dataclass and workspace id,
//! timestamp and creator differs, while the BPMN element ids inside `taskflow` stay equal.
//! A `drift_rate` share of the workflows is then changed the way people change them in a
//! console: a node parameter, a taskconfig value, a node inserted into a flow, or nodes moved
//! on the canvas. Everything is a pure function of [`GenerateOptions`].

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::model::{AopWorkflowInfo, AopWorkflowVersionInfo, Workflow, Workspace};

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

/// Environment identity: what differs between two workspaces holding the same workflows.
struct Env {
    name: &'static str,
    workspace_id: String,
    project_id: String,
    creator_id: String,
    creator_name: &'static str,
    dataclass_id: String,
    time_offset: i64,
}

impl Env {
    fn new(rng: &mut ChaCha8Rng, name: &'static str, creator: &'static str, offset: i64) -> Self {
        Self {
            name,
            workspace_id: uuid(rng),
            project_id: hex32(rng),
            creator_id: hex32(rng),
            creator_name: creator,
            dataclass_id: uuid(rng),
            time_offset: offset,
        }
    }

    fn render(&self, specs: &[Spec], rng: &mut ChaCha8Rng) -> Workspace {
        let width = specs.len().to_string().len().max(2);
        let workflows = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut wf = self.workflow(spec, rng);
                wf.file_name = Some(format!(
                    "{:0width$}-{}.json",
                    i + 1,
                    crate::model::slug(&spec.name)
                ));
                wf
            })
            .collect();
        Workspace {
            id: self.workspace_id.clone(),
            name: format!("gen-{}", self.name),
            description: Some(format!("Generated {} workspace", self.name)),
            project_id: Some(self.project_id.clone()),
            region_id: Some("ap-southeast-1".to_owned()),
            create_time: Some(timestamp(1_704_067_200 + self.time_offset)),
            creator_name: Some(self.creator_name.to_owned()),
            extra: BTreeMap::new(),
            workflows,
            playbooks: Vec::new(),
        }
    }

    fn workflow(&self, spec: &Spec, rng: &mut ChaCha8Rng) -> Workflow {
        let wf_id = uuid(rng);
        let t = spec.created + self.time_offset;
        let mut versions = Vec::new();
        if let Some(old_timeout) = spec.previous_timeout {
            let mut old = spec.clone();
            old.taskconfig
                .insert("timeout".to_owned(), json!(old_timeout));
            versions.push(self.version(&old, &wf_id, uuid(rng), "v1.0.0", "not_activated", t));
        }
        let label = if versions.is_empty() {
            "v1.0.0"
        } else {
            "v1.1.0"
        };
        let active_id = uuid(rng);
        versions.push(self.version(
            spec,
            &wf_id,
            active_id.clone(),
            label,
            "activated",
            t + 86_400,
        ));
        Workflow {
            info: AopWorkflowInfo {
                id: wf_id,
                name: spec.name.clone(),
                description: Some(spec.description.clone()),
                project_id: Some(self.project_id.clone()),
                owner_id: Some(self.creator_id.clone()),
                creator_id: Some(self.creator_id.clone()),
                creator_name: Some(self.creator_name.to_owned()),
                create_time: Some(timestamp(t)),
                modifier_id: Some(self.creator_id.clone()),
                modifier_name: Some(self.creator_name.to_owned()),
                update_time: Some(timestamp(t + 90_000)),
                edit_role: Some(String::new()),
                use_role: Some(String::new()),
                approve_role: Some(String::new()),
                enabled: Some(spec.enabled),
                workspace_id: Some(self.workspace_id.clone()),
                version_id: Some(active_id),
                current_approval_version_id: Some(String::new()),
                current_rejected_version_id: Some(String::new()),
                aop_type: Some(spec.aop_type.to_owned()),
                engine_type: Some("public_engine".to_owned()),
                dataclass_id: Some(self.dataclass_id.clone()),
                dataclass_name: Some("Alert".to_owned()),
                labels: Some(spec.labels.to_owned()),
                version: Some(label.to_owned()),
                extra: BTreeMap::new(),
            },
            versions,
            file_name: None,
        }
    }

    fn version(
        &self,
        spec: &Spec,
        wf_id: &str,
        id: String,
        label: &str,
        status: &str,
        t: i64,
    ) -> AopWorkflowVersionInfo {
        AopWorkflowVersionInfo {
            version_id: Some(id.clone()),
            id,
            name: Some(spec.name.clone()),
            aopworkflow_id: Some(wf_id.to_owned()),
            description: Some(spec.description.clone()),
            project_id: Some(self.project_id.clone()),
            owner_id: Some(self.creator_id.clone()),
            creator_id: Some(self.creator_id.clone()),
            creator_name: Some(self.creator_name.to_owned()),
            create_time: Some(timestamp(t + 60)),
            modifier_id: Some(self.creator_id.clone()),
            modifier_name: Some(self.creator_name.to_owned()),
            update_time: Some(timestamp(t + 3600)),
            enabled: Some(status == "activated"),
            status: Some(status.to_owned()),
            version: Some(label.to_owned()),
            taskconfig: Some(Value::Object(spec.taskconfig.clone()).to_string()),
            taskflow: Some(spec.graph.taskflow_base64()),
            taskflow_type: Some("JSON".to_owned()),
            aop_type: Some(spec.aop_type.to_owned()),
            input: Some(r#"{"alert":{"dataclass":"Alert","type":"object"}}"#.to_owned()),
            output: Some("{}".to_owned()),
            dataclass_id: Some(self.dataclass_id.clone()),
            dataclass_name: Some("Alert".to_owned()),
            workspace_id: Some(self.workspace_id.clone()),
            extra: BTreeMap::new(),
        }
    }
}

/// The environment-independent content of a workflow.
#[derive(Clone)]
struct Spec {
    name: String,
    description: String,
    aop_type: &'static str,
    labels: &'static str,
    enabled: bool,
    created: i64,
    taskconfig: Map<String, Value>,
    /// `Some(timeout)` when the workflow also has an older, deactivated version.
    previous_timeout: Option<u64>,
    graph: Graph,
}

const VERBS: [&str; 10] = [
    "Block",
    "Triage",
    "Enrich",
    "Notify on",
    "Isolate",
    "Escalate",
    "Close",
    "Contain",
    "Investigate",
    "Remediate",
];
const SUBJECTS: [&str; 10] = [
    "malicious IP",
    "phishing mail",
    "brute-force login",
    "malware host",
    "data exfiltration",
    "suspicious DNS",
    "privilege escalation",
    "web attack",
    "ransomware",
    "leaked credential",
];

impl Spec {
    fn random(rng: &mut ChaCha8Rng, index: usize, nodes: usize) -> Self {
        let verb = pick(rng, &VERBS);
        let subject = pick(rng, &SUBJECTS);
        // The index keeps names unique: the name is the cross-workspace identity.
        let name = format!("{verb} {subject} {:04}", index + 1);
        let created = 1_704_067_200 + i64::from(rng.gen_range(0..31_536_000u32));
        let mut node_info = Map::new();
        node_info.insert("max_parallel".to_owned(), json!(rng.gen_range(1..8u32)));
        let mut taskconfig = Map::new();
        taskconfig.insert("node_info".to_owned(), Value::Object(node_info));
        taskconfig.insert("usertask_info".to_owned(), json!({}));
        taskconfig.insert(
            "timeout".to_owned(),
            json!(pick(rng, &[300u64, 600, 1800, 3600])),
        );
        let previous_timeout = rng.gen_bool(0.2).then(|| pick(rng, &[120u64, 900]));
        let process_ms =
            u64::try_from(created).unwrap_or_default() * 1000 + rng.gen_range(0..1000u64);
        Self {
            name,
            description: format!("{verb} {subject}: generated playbook workflow."),
            aop_type: if rng.gen_bool(0.9) {
                "NORMAL"
            } else {
                "SURVEY"
            },
            labels: pick(rng, &["IP", "ACCOUNT", "DOMAIN"]),
            enabled: rng.gen_bool(0.85),
            created,
            taskconfig,
            previous_timeout,
            graph: Graph::random(rng, process_ms, nodes),
        }
    }

    /// Applies a change of this kind and returns the kind actually applied with its detail.
    fn mutate(&mut self, rng: &mut ChaCha8Rng, kind: DriftKind) -> (DriftKind, String) {
        let detail = match kind {
            DriftKind::NodeParameter => match self.graph.change_parameter(rng) {
                Some(detail) => detail,
                // No parameterised task (tiny graphs): insert one, which is drift too.
                None => return (DriftKind::NodeAdded, self.graph.insert_node(rng)),
            },
            DriftKind::TaskconfigValue => {
                let old = self
                    .taskconfig
                    .get("timeout")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let new = old + 60 * rng.gen_range(1..30u64);
                self.taskconfig.insert("timeout".to_owned(), json!(new));
                format!("taskconfig timeout {old} -> {new}")
            }
            DriftKind::NodeAdded => self.graph.insert_node(rng),
            DriftKind::LayoutMove => self.graph.move_nodes(rng),
        };
        (kind, detail)
    }
}

/// A plugin call a service task makes.
#[derive(Clone)]
struct Plugin {
    plugin: &'static str,
    action: &'static str,
    params: Map<String, Value>,
}

#[derive(Clone)]
struct Node {
    kind: &'static str,
    id: String,
    name: String,
    plugin: Option<Plugin>,
    /// Canvas position of the shape's top-left corner.
    x: i64,
    y: i64,
}

impl Node {
    fn size(&self) -> (i64, i64) {
        if self.kind.ends_with("Event") {
            (36, 36)
        } else if self.kind.ends_with("Gateway") {
            (50, 50)
        } else {
            (100, 80)
        }
    }
}

#[derive(Clone)]
struct Flow {
    id: String,
    source: String,
    target: String,
    name: Option<&'static str>,
}

#[derive(Clone)]
struct Graph {
    process_ms: u64,
    nodes: Vec<Node>,
    flows: Vec<Flow>,
    /// How many tasks were added after generation, to keep added names unique.
    added: usize,
}

fn random_plugin(rng: &mut ChaCha8Rng) -> (&'static str, Plugin) {
    let mut params = Map::new();
    let mut p = |k: &str, v: Value| {
        params.insert(k.to_owned(), v);
    };
    let (title, plugin, action) = match rng.gen_range(0..12u32) {
        0 => {
            p("ip", json!("${alert.src_ip}"));
            p("sources", json!(["tip", "virustotal"]));
            ("Query threat intel", "ThreatIntel", "query_ip")
        }
        1 => {
            p("ip", json!("${alert.src_ip}"));
            p("duration", json!(pick(rng, &[3600u64, 86_400, 604_800])));
            p("policy", json!("default"));
            ("Block on WAF", "WAF", "add_blacklist")
        }
        2 => {
            p("status", json!(pick(rng, &["Closed", "Open", "Handling"])));
            p(
                "verification",
                json!(pick(rng, &["True positive", "False positive"])),
            );
            ("Update alert", "SecMaster", "update_alert")
        }
        3 => {
            p("channel", json!(pick(rng, &["wecom", "email", "sms"])));
            p("template", json!("high_severity_alert"));
            ("Send message", "Notification", "send_message")
        }
        4 => {
            p("host_id", json!("${alert.host_id}"));
            ("Isolate host", "HSS", "isolate_host")
        }
        5 => {
            p("queue", json!("incident"));
            p("priority", json!(pick(rng, &["P1", "P2", "P3", "P4"])));
            ("Create ticket", "ITSM", "create_ticket")
        }
        6 => {
            p("urls", json!("${steps.extract.urls}"));
            p("timeout", json!(300));
            ("Detonate URLs", "Sandbox", "detonate")
        }
        7 => {
            p("ip", json!("${alert.src_ip}"));
            ("Geo-locate IP", "GeoIP", "lookup")
        }
        8 => {
            p("ip", json!("${alert.dst_ip}"));
            ("Query asset owner", "CMDB", "find_owner")
        }
        9 => {
            p("host", json!("siem.corp.example"));
            p("port", json!(514));
            ("Forward to SIEM", "Syslog", "forward")
        }
        10 => {
            p("user", json!("${alert.user_name}"));
            p("notify", json!(rng.gen_bool(0.5)));
            ("Disable account", "IAM", "disable_user")
        }
        _ => {
            p("cidr", json!("${alert.src_ip}/32"));
            p("action", json!("deny"));
            p("priority", json!(rng.gen_range(1..100u32)));
            ("Add ACL rule", "VPC", "add_acl_rule")
        }
    };
    (
        title,
        Plugin {
            plugin,
            action,
            params,
        },
    )
}

impl Graph {
    fn random(rng: &mut ChaCha8Rng, process_ms: u64, total: usize) -> Self {
        let mut g = Self {
            process_ms,
            nodes: Vec::with_capacity(total),
            flows: Vec::with_capacity(total + total / 4),
            added: 0,
        };
        let mut titles: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut col = 0i64;
        let start = g.push_node(rng, "startEvent", "Start".to_owned(), None, col, 0);
        let mut frontier = vec![start];
        let mut remaining = total.saturating_sub(2);
        while remaining > 0 {
            col += 1;
            if remaining >= 3 && rng.gen_bool(0.15) {
                let gw = g.push_node(
                    rng,
                    "exclusiveGateway",
                    "Severity high?".to_owned(),
                    None,
                    col,
                    0,
                );
                g.connect_all(rng, &frontier, &gw, None);
                col += 1;
                let mut branches = Vec::new();
                for (lane, label) in [(0, "yes"), (1, "no")] {
                    let (title, plugin) = random_plugin(rng);
                    let name = unique(&mut titles, title);
                    let id = g.push_node(rng, "serviceTask", name, Some(plugin), col, lane);
                    g.connect(rng, &gw, &id, Some(label));
                    branches.push(id);
                }
                frontier = branches;
                remaining -= 3;
            } else if rng.gen_bool(0.12) {
                let name = unique(&mut titles, "Analyst review");
                let id = g.push_node(rng, "userTask", name, None, col, 0);
                g.connect_all(rng, &frontier, &id, None);
                frontier = vec![id];
                remaining -= 1;
            } else {
                let (title, plugin) = random_plugin(rng);
                let name = unique(&mut titles, title);
                let id = g.push_node(rng, "serviceTask", name, Some(plugin), col, 0);
                g.connect_all(rng, &frontier, &id, None);
                frontier = vec![id];
                remaining -= 1;
            }
        }
        let end = g.push_node(rng, "endEvent", "End".to_owned(), None, col + 1, 0);
        g.connect_all(rng, &frontier, &end, None);
        g
    }

    fn push_node(
        &mut self,
        rng: &mut ChaCha8Rng,
        kind: &'static str,
        name: String,
        plugin: Option<Plugin>,
        col: i64,
        lane: i64,
    ) -> String {
        let prefix = match kind {
            "startEvent" | "endEvent" => "Event",
            "exclusiveGateway" => "Gateway",
            _ => "Activity",
        };
        let id = format!("{prefix}_{}", short_id(rng));
        self.nodes.push(Node {
            kind,
            id: id.clone(),
            name,
            plugin,
            x: -470 + 180 * col,
            y: -520 + 140 * lane,
        });
        id
    }

    fn connect(&mut self, rng: &mut ChaCha8Rng, from: &str, to: &str, name: Option<&'static str>) {
        self.flows.push(Flow {
            id: format!("Flow_{}", short_id(rng)),
            source: from.to_owned(),
            target: to.to_owned(),
            name,
        });
    }

    fn connect_all(
        &mut self,
        rng: &mut ChaCha8Rng,
        from: &[String],
        to: &str,
        name: Option<&'static str>,
    ) {
        for f in from {
            self.connect(rng, f, to, name);
        }
    }

    /// Changes one `soar:params` value; `None` when no task has parameters.
    fn change_parameter(&mut self, rng: &mut ChaCha8Rng) -> Option<String> {
        let candidates: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| {
                self.nodes
                    .get(i)
                    .is_some_and(|n| n.plugin.as_ref().is_some_and(|p| !p.params.is_empty()))
            })
            .collect();
        let &i = candidates.choose(rng)?;
        let node = self.nodes.get_mut(i)?;
        let plugin = node.plugin.as_mut()?;
        let keys: Vec<String> = plugin.params.keys().cloned().collect();
        let key = keys.choose(rng).cloned()?;
        let old = plugin.params.get(&key).cloned().unwrap_or(Value::Null);
        let new = match &old {
            Value::Number(n) => json!(n.as_u64().unwrap_or(0).saturating_mul(2).saturating_add(1)),
            Value::Bool(b) => json!(!b),
            Value::String(s) => json!(format!("{s}-changed")),
            _ => json!("changed"),
        };
        plugin.params.insert(key.clone(), new.clone());
        Some(format!(
            "node {:?} parameter {key}: {old} -> {new}",
            node.name
        ))
    }

    fn insert_node(&mut self, rng: &mut ChaCha8Rng) -> String {
        let Some(flow_index) = (!self.flows.is_empty()).then(|| rng.gen_range(0..self.flows.len()))
        else {
            return String::new();
        };
        let (title, plugin) = random_plugin(rng);
        self.added += 1;
        let name = format!("{title} (added {})", self.added);
        let (target, tx, ty) = match self.flows.get(flow_index) {
            Some(f) => {
                let t = self.nodes.iter().find(|n| n.id == f.target);
                (f.target.clone(), t.map_or(0, |n| n.x), t.map_or(0, |n| n.y))
            }
            None => return String::new(),
        };
        let id = format!("Activity_{}", short_id(rng));
        self.nodes.push(Node {
            kind: "serviceTask",
            id: id.clone(),
            name: name.clone(),
            plugin: Some(plugin),
            x: tx - 90,
            y: ty + 280,
        });
        if let Some(f) = self.flows.get_mut(flow_index) {
            f.target = id.clone();
        }
        self.connect(rng, &id, &target, None);
        format!("node {name:?} inserted before {target}")
    }

    fn move_nodes(&mut self, rng: &mut ChaCha8Rng) -> String {
        let (dx, dy) = (rng.gen_range(1..8i64) * 20, rng.gen_range(-4..5i64) * 20);
        let count = rng.gen_range(1..=self.nodes.len().clamp(1, 3));
        let start = rng.gen_range(0..self.nodes.len().max(1));
        let mut moved = Vec::new();
        for node in self.nodes.iter_mut().skip(start).take(count) {
            node.x += dx;
            node.y += dy;
            moved.push(node.id.clone());
        }
        format!("moved {} by ({dx}, {dy})", moved.join(", "))
    }

    /// The xml-js rendering of the BPMN document, base64-encoded as `taskflow` holds it.
    fn taskflow_base64(&self) -> String {
        let json = serde_json::to_vec(&self.document()).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    fn document(&self) -> Doc {
        let proc_id = format!("Process_{}", self.process_ms);
        // Index flows and shapes once: linear scans per node made large graphs quadratic.
        let mut incoming: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut outgoing: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in &self.flows {
            incoming.entry(&f.target).or_default().push(&f.id);
            outgoing.entry(&f.source).or_default().push(&f.id);
        }
        let bounds: HashMap<&str, (i64, i64, i64, i64)> = self
            .nodes
            .iter()
            .map(|n| {
                let (w, h) = n.size();
                (n.id.as_str(), (n.x, n.y, w, h))
            })
            .collect();
        let position = |id: &str| bounds.get(id).copied().unwrap_or((0, 0, 0, 0));
        let mut process = Vec::with_capacity(self.nodes.len() + self.flows.len());
        for node in &self.nodes {
            let mut attrs = vec![("id", node.id.clone()), ("name", node.name.clone())];
            match (node.kind, &node.plugin) {
                (_, Some(p)) => {
                    attrs.extend([
                        ("soar:type", "plugin".to_owned()),
                        ("soar:plugin_name", p.plugin.to_owned()),
                        ("soar:action", p.action.to_owned()),
                        ("soar:timeout", "60".to_owned()),
                        ("soar:retry", "0".to_owned()),
                        ("soar:params", Value::Object(p.params.clone()).to_string()),
                    ]);
                }
                ("userTask", None) => attrs.extend([
                    ("flowable:dueDate", String::new()),
                    ("soar:due_handle", "interrupt".to_owned()),
                    (
                        "soar:handlers",
                        r#"[{"type":"role","value":"soc_analyst"}]"#.to_owned(),
                    ),
                ]),
                _ => {}
            }
            let mut children = Vec::new();
            for (tag, index) in [("bpmn2:incoming", &incoming), ("bpmn2:outgoing", &outgoing)] {
                for id in index.get(node.id.as_str()).into_iter().flatten() {
                    children.push(El::new(tag, vec![]).with_children(vec![El::text(id)]));
                }
            }
            process.push(El::new(&format!("bpmn2:{}", node.kind), attrs).with_children(children));
        }
        for f in &self.flows {
            let mut attrs = vec![
                ("id", f.id.clone()),
                ("sourceRef", f.source.clone()),
                ("targetRef", f.target.clone()),
            ];
            if let Some(name) = f.name {
                attrs.push(("name", name.to_owned()));
            }
            process.push(El::new("bpmn2:sequenceFlow", attrs));
        }
        let mut shapes = Vec::with_capacity(self.nodes.len() + self.flows.len());
        for node in &self.nodes {
            let (w, h) = node.size();
            shapes.push(
                El::new(
                    "bpmndi:BPMNShape",
                    vec![
                        ("id", format!("{}_di", node.id)),
                        ("bpmnElement", node.id.clone()),
                    ],
                )
                .with_children(vec![El::new(
                    "dc:Bounds",
                    vec![
                        ("x", node.x.to_string()),
                        ("y", node.y.to_string()),
                        ("width", w.to_string()),
                        ("height", h.to_string()),
                    ],
                )]),
            );
        }
        for f in &self.flows {
            let (sx, sy, sw, sh) = position(&f.source);
            let (tx, ty, _, th) = position(&f.target);
            shapes.push(
                El::new(
                    "bpmndi:BPMNEdge",
                    vec![
                        ("id", format!("{}_di", f.id)),
                        ("bpmnElement", f.id.clone()),
                    ],
                )
                .with_children(vec![
                    El::new(
                        "di:waypoint",
                        vec![
                            ("x", (sx + sw).to_string()),
                            ("y", (sy + sh / 2).to_string()),
                        ],
                    ),
                    El::new(
                        "di:waypoint",
                        vec![("x", tx.to_string()), ("y", (ty + th / 2).to_string())],
                    ),
                ]),
            );
        }
        let definitions = El::new(
            "bpmn2:definitions",
            vec![
                (
                    "xmlns:xsi",
                    "http://www.w3.org/2001/XMLSchema-instance".to_owned(),
                ),
                (
                    "xmlns:bpmn2",
                    "http://www.omg.org/spec/BPMN/20100524/MODEL".to_owned(),
                ),
                (
                    "xmlns:bpmndi",
                    "http://www.omg.org/spec/BPMN/20100524/DI".to_owned(),
                ),
                (
                    "xmlns:dc",
                    "http://www.omg.org/spec/DD/20100524/DC".to_owned(),
                ),
                (
                    "xmlns:di",
                    "http://www.omg.org/spec/DD/20100524/DI".to_owned(),
                ),
                ("xmlns:flowable", "http://flowable.org/bpmn".to_owned()),
                ("xmlns:soar", "https://soc.cloudsre.com/soar/v2".to_owned()),
                ("id", format!("diagram_{proc_id}")),
                ("targetNamespace", "http://flowable.org/bpmn".to_owned()),
            ],
        )
        .with_children(vec![
            El::new(
                "bpmn2:process",
                vec![
                    ("id", proc_id.clone()),
                    ("name", format!("Service_Process{}", self.process_ms)),
                    ("isExecutable", "true".to_owned()),
                ],
            )
            .with_children(process),
            El::new(
                "bpmndi:BPMNDiagram",
                vec![("id", "BPMNDiagram_1".to_owned())],
            )
            .with_children(vec![
                El::new(
                    "bpmndi:BPMNPlane",
                    vec![("id", "BPMNPlane_1".to_owned()), ("bpmnElement", proc_id)],
                )
                .with_children(shapes),
            ]),
        ]);
        Doc {
            element_type: "{}",
            workflow: Elements {
                elements: vec![definitions],
            },
        }
    }
}

/// The xml-js document root, serialized with SecMaster's key order.
#[derive(Serialize)]
struct Doc {
    #[serde(rename = "elementType")]
    element_type: &'static str,
    workflow: Elements,
}

#[derive(Serialize)]
struct Elements {
    elements: Vec<El>,
}

/// An xml-js node: an element (name, ordered attributes, children) or a text node.
enum El {
    Element {
        name: String,
        attributes: Vec<(&'static str, String)>,
        elements: Option<Vec<El>>,
    },
    Text(String),
}

impl El {
    fn new(name: &str, attributes: Vec<(&'static str, String)>) -> Self {
        Self::Element {
            name: name.to_owned(),
            attributes,
            elements: None,
        }
    }

    fn text(t: &str) -> Self {
        Self::Text(t.to_owned())
    }

    fn with_children(self, children: Vec<El>) -> Self {
        match self {
            Self::Element {
                name, attributes, ..
            } => Self::Element {
                name,
                attributes,
                elements: Some(children),
            },
            text @ Self::Text(_) => text,
        }
    }
}

/// Serializes ordered pairs as a JSON object, keeping their order (serde_json maps would sort).
struct Attrs<'a>(&'a [(&'static str, String)]);

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Serialize for El {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Element {
                name,
                attributes,
                elements,
            } => {
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("type", "element")?;
                map.serialize_entry("name", name)?;
                if !attributes.is_empty() {
                    map.serialize_entry("attributes", &Attrs(attributes))?;
                }
                if let Some(children) = elements {
                    map.serialize_entry("elements", children)?;
                }
                map.end()
            }
            Self::Text(t) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", t)?;
                map.end()
            }
        }
    }
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
