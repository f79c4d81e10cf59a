//! A workflow's BPMN graph: nodes, the plugin calls they make and the flows between them,
//! generated at random, and changed the ways people change them in a console.

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::{pick, short_id, unique};

/// A plugin call a service task makes.
#[derive(Clone)]
pub(super) struct Plugin {
    pub(super) plugin: &'static str,
    pub(super) action: &'static str,
    pub(super) params: Map<String, Value>,
}

#[derive(Clone)]
pub(super) struct Node {
    pub(super) kind: &'static str,
    pub(super) id: String,
    pub(super) name: String,
    pub(super) plugin: Option<Plugin>,
    /// Canvas position of the shape's top-left corner.
    pub(super) x: i64,
    pub(super) y: i64,
}

impl Node {
    pub(super) fn size(&self) -> (i64, i64) {
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
pub(super) struct Flow {
    pub(super) id: String,
    pub(super) source: String,
    pub(super) target: String,
    pub(super) name: Option<&'static str>,
}

#[derive(Clone)]
pub(super) struct Graph {
    pub(super) process_ms: u64,
    pub(super) nodes: Vec<Node>,
    pub(super) flows: Vec<Flow>,
    /// How many tasks were added after generation, to keep added names unique.
    pub(super) added: usize,
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
    pub(super) fn random(rng: &mut ChaCha8Rng, process_ms: u64, total: usize) -> Self {
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
    pub(super) fn change_parameter(&mut self, rng: &mut ChaCha8Rng) -> Option<String> {
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

    pub(super) fn insert_node(&mut self, rng: &mut ChaCha8Rng) -> String {
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

    pub(super) fn move_nodes(&mut self, rng: &mut ChaCha8Rng) -> String {
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
}
