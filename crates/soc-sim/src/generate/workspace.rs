//! Workflow specs (what a workflow holds, whichever workspace it is in) and their rendering into
//! one environment's workspace (ids, timestamps and creators of that environment).

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::graph::Graph;
use super::{DriftKind, hex32, pick, timestamp, uuid};
use crate::model::{AopWorkflowInfo, AopWorkflowVersionInfo, Workflow, Workspace};

/// Environment identity: what differs between two workspaces holding the same workflows.
pub(super) struct Env {
    name: &'static str,
    workspace_id: String,
    project_id: String,
    creator_id: String,
    creator_name: &'static str,
    dataclass_id: String,
    time_offset: i64,
}

impl Env {
    pub(super) fn new(
        rng: &mut ChaCha8Rng,
        name: &'static str,
        creator: &'static str,
        offset: i64,
    ) -> Self {
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

    pub(super) fn render(&self, specs: &[Spec], rng: &mut ChaCha8Rng) -> Workspace {
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
pub(super) struct Spec {
    pub(super) name: String,
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
    pub(super) fn random(rng: &mut ChaCha8Rng, index: usize, nodes: usize) -> Self {
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
    pub(super) fn mutate(&mut self, rng: &mut ChaCha8Rng, kind: DriftKind) -> (DriftKind, String) {
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
