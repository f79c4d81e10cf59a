#!/usr/bin/env python3
"""Writes testdata/workspaces/{staging,production}: the bundled SecMaster workspaces.

Playbooks (the automation that decides when workflows run) are written beside the workflows, in
`playbooks/`: the same playbooks in both workspaces, bound to each workspace's own workflow ids,
drifted as real ones drift: one disabled in production, one whose trigger condition was changed
there, one bound to another workflow, one following the renamed workflow, and one with a draft
version only in staging.

The two workspaces hold the same playbook workflows, promoted from staging to production, and then
drifted the way real ones do: a changed node parameter, a changed taskconfig value, a rotated secret,
a workflow only in staging, one only in production, one renamed, one whose nodes were only moved on
the canvas, and different ids, timestamps and creators everywhere.

Deterministic: run it again and the files come out byte-identical. Each workflow file has the shape of a single-workflow export (the AopWorkflowInfo fields plus a
`versions` array of AopWorkflowVersionInfo), so the folder doubles as a folder of export files. The BPMN follows the xml-js
"elements" rendering that SecMaster uses for `taskflow` (see shared/reference/secmaster-api.md §2.5).
"""
import base64, hashlib, json, os, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "workspaces")


def uid(*parts):
    h = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def short(*parts):
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    n = int(hashlib.sha256("/".join(parts).encode()).hexdigest(), 16)
    return "".join(alphabet[(n >> (5 * i)) % 36] for i in range(7))


def el(name, attributes=None, elements=None):
    e = {"type": "element", "name": name}
    if attributes is not None:
        e["attributes"] = attributes
    if elements is not None:
        e["elements"] = elements
    return e


def text(t):
    return {"type": "text", "text": t}


def taskflow(wf_key, process_ms, nodes, flows, layout_shift=0):
    """nodes: list of (kind, id, attrs); flows: list of (id, source, target, name or None)."""
    proc_id = f"Process_{process_ms}"
    incoming = {n[1]: [] for n in nodes}
    outgoing = {n[1]: [] for n in nodes}
    for fid, s, t, _ in flows:
        outgoing[s].append(fid)
        incoming[t].append(fid)
    proc_elements = []
    for kind, nid, attrs in nodes:
        children = [el("bpmn2:incoming", elements=[text(f)]) for f in incoming[nid]]
        children += [el("bpmn2:outgoing", elements=[text(f)]) for f in outgoing[nid]]
        proc_elements.append(el(f"bpmn2:{kind}", {"id": nid, **attrs}, children))
    for fid, s, t, name in flows:
        attrs = {"id": fid, "sourceRef": s, "targetRef": t}
        if name:
            attrs["name"] = name
        proc_elements.append(el("bpmn2:sequenceFlow", attrs))
    shapes, pos = [], {}
    for i, (kind, nid, _) in enumerate(nodes):
        x, y = -470 + 180 * i + layout_shift, -520 + (60 if i % 2 else 0) - layout_shift // 2
        w, h = (36, 36) if kind.endswith("Event") else (50, 50) if "Gateway" in kind else (100, 80)
        pos[nid] = (x, y, w, h)
        shapes.append(el("bpmndi:BPMNShape", {"id": f"{nid}_di", "bpmnElement": nid},
                         [el("dc:Bounds", {"x": str(x), "y": str(y), "width": str(w), "height": str(h)})]))
    for fid, s, t, _ in flows:
        sx, sy, sw, sh = pos[s]
        tx, ty, tw, th = pos[t]
        shapes.append(el("bpmndi:BPMNEdge", {"id": f"{fid}_di", "bpmnElement": fid}, [
            el("di:waypoint", {"x": str(sx + sw), "y": str(sy + sh // 2)}),
            el("di:waypoint", {"x": str(tx), "y": str(ty + th // 2)}),
        ]))
    doc = {"elementType": "{}", "workflow": {"elements": [el("bpmn2:definitions", {
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xmlns:bpmn2": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "xmlns:bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
        "xmlns:dc": "http://www.omg.org/spec/DD/20100524/DC",
        "xmlns:di": "http://www.omg.org/spec/DD/20100524/DI",
        "xmlns:flowable": "http://flowable.org/bpmn",
        "xmlns:soar": "https://soc.cloudsre.com/soar/v2",
        "id": f"diagram_{proc_id}",
        "targetNamespace": "http://flowable.org/bpmn",
    }, [
        el("bpmn2:process", {"id": proc_id, "name": f"Service_Process{process_ms}", "isExecutable": "true"}, proc_elements),
        el("bpmndi:BPMNDiagram", {"id": "BPMNDiagram_1"}, [
            el("bpmndi:BPMNPlane", {"id": "BPMNPlane_1", "bpmnElement": proc_id}, shapes)]),
    ])]}}
    return base64.b64encode(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()).decode()


def plugin(name, plugin_name, action, params):
    return {"name": name, "soar:type": "plugin", "soar:plugin_name": plugin_name, "soar:action": action,
            "soar:timeout": "60", "soar:retry": "0", "soar:params": json.dumps(params, ensure_ascii=False, separators=(",", ":"))}


def linear(k, steps):
    """start -> steps... -> end, ids derived from the workflow key."""
    nodes = [("startEvent", f"Event_{short(k, 'start')}", {"name": "Start"})]
    for i, (kind, attrs) in enumerate(steps):
        nodes.append((kind, f"Activity_{short(k, 'step', str(i))}", attrs))
    nodes.append(("endEvent", f"Event_{short(k, 'end')}", {"name": "End"}))
    flows = [(f"Flow_{short(k, 'flow', str(i))}", nodes[i][1], nodes[i + 1][1], None) for i in range(len(nodes) - 1)]
    return nodes, flows


def workflows(env):
    """The workflow definitions of one environment: (key, info, taskflow args, taskconfig, extra)."""
    prod = env == "production"
    out = []

    # 1. Changed node parameter: production still blocks for one hour, staging for a day.
    k = "block-ip"
    nodes, flows = linear(k, [
        ("serviceTask", plugin("Query threat intel", "ThreatIntel", "query_ip", {"ip": "${alert.src_ip}", "sources": ["tip", "virustotal"]})),
        ("serviceTask", plugin("Block on WAF", "WAF", "add_blacklist", {"ip": "${alert.src_ip}", "duration": 3600 if prod else 86400, "policy": "default"})),
        ("serviceTask", plugin("Close alert", "SecMaster", "update_alert", {"status": "Closed", "verification": "True positive"})),
    ])
    out.append((k, "Block malicious source IP", "Blocks the source IP of a high-risk alert on WAF and closes the alert.",
                nodes, flows, {"node_info": {}, "usertask_info": {}, "timeout": 600}, 1712000000000))

    # 2. Changed taskconfig value (escalation timeout) and a rotated webhook token.
    k = "notify"
    nodes, flows = linear(k, [
        ("serviceTask", plugin("Send WeCom message", "Notification", "send_message", {"channel": "wecom", "template": "high_severity_alert"})),
        ("userTask", {"name": "Acknowledge", "flowable:dueDate": "", "soar:due_handle": "interrupt", "soar:handlers": json.dumps([{"type": "role", "value": "soc_analyst"}])}),
    ])
    out.append((k, "Notify on high-severity alert", "Notifies the on-duty analyst and waits for acknowledgement.",
                nodes, flows, {"node_info": {"escalation_minutes": 30 if prod else 15},
                               "usertask_info": {"reminder": True},
                               "webhook": {"url": "https://hooks.example.com/soc", "api_token": "prod-7Hq2pXk9" if prod else "stg-1Lm4Qw8z"}},
                1712100000000))

    # 3. Layout-only drift: same graph, nodes dragged on the canvas in production.
    k = "isolate"
    nodes, flows = linear(k, [
        ("serviceTask", plugin("Isolate host", "HSS", "isolate_host", {"host_id": "${alert.host_id}"})),
        ("serviceTask", plugin("Create ticket", "ITSM", "create_ticket", {"queue": "incident", "priority": "P1"})),
    ])
    out.append((k, "Isolate compromised host", "Isolates a host reported by HSS and opens an incident ticket.",
                nodes, flows, {"node_info": {}, "usertask_info": {}}, 1712200000000, 140 if prod else 0))

    # 4. Unchanged apart from ids, timestamps and creators.
    k = "false-positive"
    gw = f"Gateway_{short(k, 'gw')}"
    s, a1, a2, e = (f"Event_{short(k, 'start')}", f"Activity_{short(k, 'close')}", f"Activity_{short(k, 'keep')}", f"Event_{short(k, 'end')}")
    nodes = [
        ("startEvent", s, {"name": "Start"}),
        ("exclusiveGateway", gw, {"name": "Whitelisted?"}),
        ("serviceTask", a1, plugin("Close as false positive", "SecMaster", "update_alert", {"status": "Closed", "verification": "False positive"})),
        ("serviceTask", a2, plugin("Raise severity", "SecMaster", "update_alert", {"severity": "High"})),
        ("endEvent", e, {"name": "End"}),
    ]
    flows = [
        (f"Flow_{short(k, '1')}", s, gw, None),
        (f"Flow_{short(k, '2')}", gw, a1, "yes"),
        (f"Flow_{short(k, '3')}", gw, a2, "no"),
        (f"Flow_{short(k, '4')}", a1, e, None),
        (f"Flow_{short(k, '5')}", a2, e, None),
    ]
    out.append((k, "Close false positives", "Closes alerts whose source is on the allow list.",
                nodes, flows, {"node_info": {"allow_list": "corp_scanners"}, "usertask_info": {}}, 1712300000000))

    # 5. Renamed in production, content unchanged.
    k = "phishing"
    nodes, flows = linear(k, [
        ("serviceTask", plugin("Extract URLs", "MailParser", "extract_urls", {"mail": "${alert.raw_mail}"})),
        ("serviceTask", plugin("Detonate URLs", "Sandbox", "detonate", {"urls": "${steps.extract.urls}", "timeout": 300})),
    ])
    out.append((k, "Phishing mail triage" if prod else "Phishing triage", "Extracts and detonates URLs from reported mail.",
                nodes, flows, {"node_info": {}, "usertask_info": {}}, 1712400000000))

    if not prod:
        # 6. Only in staging: built, not yet promoted.
        k = "enrich"
        nodes, flows = linear(k, [
            ("serviceTask", plugin("Geo-locate IP", "GeoIP", "lookup", {"ip": "${alert.src_ip}"})),
            ("serviceTask", plugin("Query asset owner", "CMDB", "find_owner", {"ip": "${alert.dst_ip}"})),
            ("serviceTask", plugin("Attach enrichment", "SecMaster", "add_comment", {"format": "markdown"})),
        ])
        out.append((k, "Enrich alert with context", "Adds geo-location and asset owner to new alerts.",
                    nodes, flows, {"node_info": {}, "usertask_info": {}}, 1712500000000))
    else:
        # 7. Only in production: created there by hand and never back-ported.
        k = "legacy-sync"
        nodes, flows = linear(k, [
            ("serviceTask", plugin("Sync to legacy SIEM", "Syslog", "forward", {"host": "siem.corp.example", "port": 514})),
        ])
        out.append((k, "Legacy ticket sync", "Forwards closed incidents to the legacy SIEM.",
                    nodes, flows, {"node_info": {}, "usertask_info": {}}, 1711900000000))
    return out


CREATORS = {
    "staging": ("d1c6a0e9b4f34d7f8a6c2b1e0f9d8c7b", "alice.wang"),
    "production": ("7e2b9c4d1a8f4e6b9d3c5a7f0e1b2c3d", "release-bot"),
}


def ts(env, ms, extra=0):
    # SecMaster documents "2024-04-26T16:08:09Z+0800"-style strings; treated as opaque.
    import datetime
    base = datetime.datetime.fromtimestamp(ms / 1000 + (86400 * 3 if env == "production" else 0) + extra, datetime.timezone.utc)
    return base.strftime("%Y-%m-%dT%H:%M:%SZ+0800")


def condition(name, detail, *data):
    return {"name": name, "detail": detail, "data": list(data)}


def event_rule(conditions, logics):
    return {"expression_type": "common", "conditions": conditions, "logics": logics}


def playbooks(env):
    """(key, name, description, enabled, trigger, rule, [(action name, bound workflow key)], extra drafts)."""
    prod = env == "production"
    high = condition("condition_0", "High or critical alert", "alert.severity", "in", "High,Critical")
    return [
        ("auto-block", "Auto-block malicious sources",
         "Blocks the source of every high-risk alert as it is raised.", True, "EVENT",
         event_rule([high, condition("condition_1", "Has a source IP", "alert.src_ip", "is not empty", "")],
                    ["condition_0", "AND", "condition_1"]),
         [("Block the source IP", "block-ip")], 0),
        ("notify", "Notify the on-call analyst",
         "Pages the on-call analyst for every high-severity alert.", not prod, "EVENT",
         event_rule([high], ["condition_0"]),
         [("Page the analyst", "notify")], 0),
        ("contain", "Contain compromised hosts",
         "Isolates hosts named in malware alerts.", True, "EVENT",
         event_rule([condition("condition_0", "Malware alert", "alert.type", "==", "Malware"),
                     condition("condition_1", "Severe enough",
                               "alert.severity", "in", "Critical" if prod else "High,Critical")],
                    ["condition_0", "AND", "condition_1"]),
         [("Isolate the host", "isolate")], 0),
        ("suspicious-login", "Triage suspicious logins",
         "Reacts to impossible-travel and brute-force login alerts.", True, "EVENT",
         event_rule([condition("condition_0", "Login anomaly", "alert.category", "==", "Suspicious login")],
                    ["condition_0"]),
         [("Contain the account's host", "block-ip" if prod else "isolate")], 0),
        ("phishing", "Respond to reported phishing",
         "Triages every mail users report as phishing.", True, "EVENT",
         event_rule([condition("condition_0", "Reported mail", "alert.type", "==", "Phishing")],
                    ["condition_0"]),
         [("Triage the mail", "phishing")], 0),
        ("stale-sweep", "Close stale false positives",
         "Closes alerts marked as false positives once a day.", True, "TIMER",
         {"cron": "0 0 2 * * ?", "schedule_type": "day", "start_type": "IMMEDIATELY",
          "end_type": "FOREVER", "end_time": "", "start_time": "", "repeat_range": "",
          "only_once": False, "execution_type": "SERIAL_WAIT"},
         [("Close the false positives", "false-positive")], 0 if prod else 1),
    ]


def write_playbooks(env, wdir, project_id, workspace_id):
    creator_id, creator_name = CREATORS[env]
    approver = "release-bot" if env == "production" else "bob.chen"
    pdir = os.path.join(wdir, "playbooks")
    os.makedirs(pdir, exist_ok=True)
    for f in os.listdir(pdir):
        os.remove(os.path.join(pdir, f))
    wf_ids = {key: uid(env, key, "workflow") for key, *_ in workflows(env)}
    dataclass_id = uid(env, "dataclass", "alert")
    for i, (key, name, desc, enabled, trigger, rule, actions, drafts) in enumerate(playbooks(env)):
        ms = 1712000000000 + i * 86400000
        pb_id = uid(env, key, "playbook")
        versions = []
        for n in range(1 + drafts):
            draft = n > 0
            ver_id = uid(env, key, "playbook-version", str(n))
            rule_id = uid(env, key, "playbook-rule", str(n))
            versions.append({
                "id": ver_id, "description": "Draft: narrower trigger" if draft else desc,
                "create_time": ts(env, ms, 60 + n * 3600), "update_time": ts(env, ms, 120 + n * 3600),
                "project_id": project_id, "creator_id": creator_id, "modifier_id": creator_id,
                "playbook_id": pb_id, "version": f"v{n + 1}", "enabled": not draft,
                "status": "EDITING" if draft else "PUBLISHED", "action_strategy": "ASYNC",
                "rule_enable": True, "dataclass_id": dataclass_id, "trigger_type": trigger,
                "dataobject_create": trigger == "EVENT", "dataobject_update": False,
                "dataobject_delete": False, "version_type": 0 if draft else 1, "rule_id": rule_id,
                "dataclass_name": "Alert", "approve_name": "" if draft else approver,
                "rules": {"id": rule_id, "project_id": project_id,
                          "rule": json.dumps(rule, separators=(",", ":"))},
                "actions": [
                    {"id": uid(env, key, "action", str(n), str(j)), "name": action_name,
                     "description": "Runs when the trigger matches", "action_type": "AOP_WORKFLOW",
                     "action_id": wf_ids[wf_key], "playbook_id": pb_id,
                     "playbook_version_id": ver_id, "project_id": project_id}
                    for j, (action_name, wf_key) in enumerate(actions)
                ],
            })
        info = {
            "id": pb_id, "name": name, "description": desc, "create_time": ts(env, ms),
            "update_time": ts(env, ms, 7200), "project_id": project_id,
            "version_id": versions[0]["id"], "enabled": enabled, "workspace_id": workspace_id,
            "approve_role": "", "user_role": "", "edit_role": "", "owner_id": creator_id,
            "version": "v1", "dataclass_name": "Alert", "dataclass_id": dataclass_id,
            "unaudited_version_id": "", "reject_version_id": "",
        }
        with open(os.path.join(pdir, f"{i + 1:02d}-{key}.json"), "w") as fh:
            # Sorted keys: the simulator keeps playbooks as JSON maps and writes them sorted.
            json.dump({**info, "versions": versions}, fh, indent=2, ensure_ascii=False, sort_keys=True)
            fh.write("\n")


def main():
    for env in ("staging", "production"):
        project_id = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
        workspace_id = uid("workspace", env)
        wdir = os.path.join(ROOT, env)
        os.makedirs(os.path.join(wdir, "workflows"), exist_ok=True)
        for f in os.listdir(os.path.join(wdir, "workflows")):
            os.remove(os.path.join(wdir, "workflows", f))
        creator_id, creator_name = CREATORS[env]
        with open(os.path.join(wdir, "workspace.json"), "w") as fh:
            json.dump({"id": workspace_id, "name": f"soc-{env}", "description": f"SOAR {env} workspace",
                       "project_id": project_id, "region_id": "ap-southeast-1",
                       "create_time": ts(env, 1711000000000), "creator_name": creator_name}, fh, indent=2)
            fh.write("\n")
        for i, (key, name, desc, nodes, flows, taskconfig, ms, *rest) in enumerate(workflows(env)):
            shift = rest[0] if rest else 0
            wf_id = uid(env, key, "workflow")
            ver_id = uid(env, key, "version")
            info = {
                "id": wf_id, "name": name, "description": desc, "project_id": project_id,
                "owner_id": creator_id, "creator_id": creator_id, "creator_name": creator_name,
                "create_time": ts(env, ms), "modifier_id": creator_id, "modifier_name": creator_name,
                "update_time": ts(env, ms, 7200), "edit_role": "", "use_role": "", "approve_role": "",
                "enabled": True, "workspace_id": workspace_id, "version_id": ver_id,
                "current_approval_version_id": "", "current_rejected_version_id": "",
                "aop_type": "NORMAL", "engine_type": "public_engine",
                "dataclass_id": uid(env, "dataclass", "alert"), "dataclass_name": "Alert",
                "labels": "IP", "version": "v1.0.0",
            }
            version = {
                # A rename in the console renames the workflow, not its versions.
                "id": ver_id, "version_id": ver_id, "name": "Phishing triage" if key == "phishing" else name,
                "aopworkflow_id": wf_id,
                "description": desc, "project_id": project_id, "owner_id": creator_id,
                "creator_id": creator_id, "creator_name": creator_name, "create_time": ts(env, ms, 60),
                "modifier_id": creator_id, "modifier_name": creator_name, "update_time": ts(env, ms, 3600),
                "enabled": True, "status": "activated", "version": "v1.0.0",
                "taskconfig": json.dumps(taskconfig, separators=(",", ":")),
                "taskflow": taskflow(key, ms, nodes, flows, shift), "taskflow_type": "JSON", "aop_type": "NORMAL",
                "input": json.dumps({"alert": {"type": "object", "dataclass": "Alert"}}, separators=(",", ":")),
                "output": "{}", "dataclass_id": info["dataclass_id"], "dataclass_name": "Alert",
                "workspace_id": workspace_id,
            }
            with open(os.path.join(wdir, "workflows", f"{i + 1:02d}-{key}.json"), "w") as fh:
                json.dump({**info, "versions": [version]}, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
        write_playbooks(env, wdir, project_id, workspace_id)
    print(f"wrote {ROOT}", file=sys.stderr)


if __name__ == "__main__":
    main()
