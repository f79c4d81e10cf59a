#!/usr/bin/env python3
"""Talks to a running soc-sim with the official Huawei Cloud Python SDK.

If the SDK and soc-sim disagree, soc-sim is wrong. Run by scripts/sdk-interop.sh, which starts the
simulator and passes its banner values in SOC_SIM_ENDPOINT, SOC_SIM_PROJECT, SOC_SIM_WORKSPACE,
SOC_SIM_WORKSPACE_PROD. Prints one line per check and a final `N passed, M failed`; exits 1 on any
failure.
"""
import base64
import io
import json
import os
import sys
import tempfile
import traceback
import urllib.parse

import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.formdata import FormFile
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdksecmaster.v1 import (
    ExportAopworkflowInfo, ExportAopworkflowRequest, ImportAopworkflowRequest,
    ImportAopworkflowRequestBody, ListAopWorkflowVersionsRequest, ListPlaybookActionsRequest,
    ListPlaybooksRequest, ListPlaybookVersionsRequest, ListWorkflowsRequest, ListWorkspacesRequest,
    SecMasterClient, ShowAopWorkflowRequest, ShowAopWorkflowVersionRequest, ShowPlaybookRuleRequest,
    ShowPlaybookVersionRequest,
)

ENDPOINT = os.environ["SOC_SIM_ENDPOINT"]
PROJECT = os.environ["SOC_SIM_PROJECT"]
WORKSPACE = os.environ["SOC_SIM_WORKSPACE"]
WORKSPACE_PROD = os.environ["SOC_SIM_WORKSPACE_PROD"]
AK = os.environ.get("SOC_SIM_AK", "SIMACCESSKEY0000000")
SK = os.environ.get("SOC_SIM_SK", "sim-secret-key")


def client(sk=SK, credentials=None):
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.retry_times = 0
    return (SecMasterClient.new_builder()
            .with_http_config(config)
            .with_credentials(credentials or BasicCredentials(AK, sk, PROJECT))
            .with_endpoints([ENDPOINT])
            .build())


SDK = client()
STATE = {}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_error(fn, status, code):
    try:
        fn()
    except exceptions.ClientRequestException as e:
        check(e.status_code == status, f"status {e.status_code} != {status}")
        check(e.error_code == code, f"error_code {e.error_code!r} != {code!r}")
        check(bool(e.request_id), "error carries a request id")
        return e
    raise AssertionError(f"expected HTTP {status} {code}, got success")


def t_list_workspaces():
    r = SDK.list_workspaces(ListWorkspacesRequest(offset=0, limit=10))
    names = sorted(w.name for w in r.workspaces)
    check(r.count == 2, f"count {r.count}")
    check(names == ["soc-production", "soc-staging"], names)


def t_list_workflows_paged():
    seen, offset, pages, total = [], 0, 0, None
    while True:
        r = SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, offset=offset, limit=2))
        total = r.total
        check(r.limit == 2 and r.offset == offset, f"echo limit/offset {r.limit}/{r.offset}")
        if not r.data:
            break
        pages += 1
        seen.extend(w.id for w in r.data)
        offset += len(r.data)
        if offset >= total:
            break
    check(total == 6, f"total {total}")
    check(pages == 3, f"pages {pages}")
    check(len(set(seen)) == 6, f"ids {seen}")
    STATE["ids"] = seen


def t_list_filter_and_order():
    r = SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, name="Phishing", limit=10, order="ASC"))
    check(r.total == 1 and r.data[0].name == "Phishing triage", [w.name for w in r.data])
    r = SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, enabled=True, sortby="update_time", limit=10))
    check(r.total == 6, f"enabled=true total {r.total}")
    r = SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, name="Close false", description="allow list", limit=10))
    check(r.total == 1, f"name with a space: total {r.total}")


def t_project_id_from_iam():
    # No project id: the SDK asks IAM (GET /v3/projects?name=<region>, signed) for it.
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    creds = BasicCredentials(AK, SK).with_iam_endpoint(ENDPOINT)
    sdk = (SecMasterClient.new_builder().with_http_config(config).with_credentials(creds)
           .with_region(Region("ap-southeast-1", ENDPOINT)).build())
    r = sdk.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=1))
    check(r.total == 6, r.total)
    check(creds.project_id == PROJECT, creds.project_id)


def t_temporary_key_with_security_token():
    ak, sk, token = (os.environ["SOC_SIM_TEMP_AK"], os.environ["SOC_SIM_TEMP_SK"], os.environ["SOC_SIM_TEMP_TOKEN"])
    ok = client(credentials=BasicCredentials(ak, sk, PROJECT).with_security_token(token))
    check(ok.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=1)).total == 6, "temporary key works")
    wrong = client(credentials=BasicCredentials(ak, sk, PROJECT).with_security_token("not-the-token"))
    expect_error(lambda: wrong.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=1)), 401, "APIGW.0301")
    missing = client(credentials=BasicCredentials(ak, sk, PROJECT))
    expect_error(lambda: missing.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=1)), 401, "APIGW.0301")


def t_show_workflow():
    wid = STATE["ids"][0]
    r = SDK.show_aop_workflow(ShowAopWorkflowRequest(workspace_id=WORKSPACE, workflow_id=wid))
    check(r.data.id == wid, r.data.id)
    check(r.data.workspace_id == WORKSPACE, r.data.workspace_id)
    STATE["name"] = r.data.name
    STATE["version_id"] = r.data.version_id


def t_list_versions():
    wid = STATE["ids"][0]
    r = SDK.list_aop_workflow_versions(ListAopWorkflowVersionsRequest(workspace_id=WORKSPACE, workflow_id=wid))
    check(len(r.data) >= 1 and r.total == len(r.data), f"{len(r.data)} versions, total {r.total}")
    v = next(v for v in r.data if v.id == STATE["version_id"])
    doc = json.loads(base64.b64decode(v.taskflow))
    check(doc["elementType"] == "{}", "taskflow is xml-js JSON")
    json.loads(v.taskconfig)
    STATE["listed_version"] = v


def t_show_version():
    r = SDK.show_aop_workflow_version(ShowAopWorkflowVersionRequest(workspace_id=WORKSPACE, version_id=STATE["version_id"]))
    check(r.data.id == STATE["version_id"] and r.data.aopworkflow_id == STATE["ids"][0], r.data.id)
    # What socdrift's versions source builds a document from: the shown version equals the listed one.
    listed = STATE["listed_version"]
    for field in ("taskflow", "taskconfig", "taskflow_type", "status", "version", "input", "output"):
        check(getattr(r.data, field) == getattr(listed, field), f"show and list agree on {field}")


def export(ids, workspace=WORKSPACE):
    r = SDK.export_aopworkflow(ExportAopworkflowRequest(workspace_id=workspace, body=ExportAopworkflowInfo(id=ids)))
    buf = io.BytesIO()
    r.consume_download_stream(lambda stream: buf.write(stream.content) if hasattr(stream, "content") else buf.write(stream.read()))
    return buf.getvalue()


def t_export_one():
    data = export([STATE["ids"][0]])
    doc = json.loads(data)
    check(doc["name"] == STATE["name"], doc.get("name"))
    check(doc["versions"] and doc["versions"][0]["taskflow"], "export holds versions with taskflow")
    STATE["export"] = data


def t_export_batch():
    data = export(STATE["ids"][:2])
    docs = json.loads(data)
    check(isinstance(docs, list) and len(docs) == 2, type(docs))
    check(json.dumps(docs[0], sort_keys=True) == json.dumps(json.loads(STATE["export"]), sort_keys=True), "batch element equals single export")


def t_unknown_workflow_400():
    expect_error(lambda: SDK.show_aop_workflow(ShowAopWorkflowRequest(workspace_id=WORKSPACE, workflow_id="nope")),
                 400, "SecMaster.20040611")


def t_unknown_workspace_403():
    expect_error(lambda: SDK.list_workflows(ListWorkflowsRequest(workspace_id="nope", limit=10)), 403, "SecMaster.20010001")


def t_limit_101_400():
    expect_error(lambda: SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=101)), 400, "SecMaster.20030001")


def t_import_into_production():
    enrich = next(i for i in STATE["ids"]
                  if SDK.show_aop_workflow(ShowAopWorkflowRequest(workspace_id=WORKSPACE, workflow_id=i)).data.name
                  == "Enrich alert with context")
    data = export([enrich])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "workflows.json")
        with open(path, "wb") as fh:
            fh.write(data)
        with open(path, "rb") as fh:
            body = ImportAopworkflowRequestBody(upload_file=FormFile(fh, "application/json"))
            r = SDK.import_aopworkflow(ImportAopworkflowRequest(workspace_id=WORKSPACE_PROD, body=body))
    check(r.status_code == 200, r.status_code)
    listed = SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE_PROD, name="Enrich", limit=10))
    check(listed.total == 1 and listed.data[0].id != enrich, "imported with a new id")


def t_list_playbooks_paged():
    seen, offset, pages, total = [], 0, 0, None
    while True:
        r = SDK.list_playbooks(ListPlaybooksRequest(workspace_id=WORKSPACE, offset=offset, limit=4))
        pages += 1
        total = r.total
        check(r.size == len(r.data), f"size {r.size} != {len(r.data)}")
        seen.extend(r.data)
        offset += len(r.data)
        if not r.data or offset >= total:
            break
    check(total == 6 and pages == 2, f"total {total}, pages {pages}")
    check(len({p.id for p in seen}) == 6, "every playbook once")
    check(all(isinstance(p.enabled, bool) and p.version_id for p in seen), "PlaybookInfo fields")
    r = SDK.list_playbooks(ListPlaybooksRequest(workspace_id=WORKSPACE_PROD, offset=0, limit=10, enabled=False))
    check(r.total == 1 and r.data[0].name == "Notify the on-call analyst", [p.name for p in r.data])
    STATE["playbooks"] = {p.name: p for p in seen}


def t_list_playbook_versions():
    sweep = STATE["playbooks"]["Close stale false positives"]
    r = SDK.list_playbook_versions(ListPlaybookVersionsRequest(
        workspace_id=WORKSPACE, playbook_id=sweep.id, offset=0, limit=10))
    check(r.total == 2 and len(r.data) == 2, f"total {r.total}")
    check(all(isinstance(v.version_type, int) for v in r.data), "version_type is a number")
    drafts = SDK.list_playbook_versions(ListPlaybookVersionsRequest(
        workspace_id=WORKSPACE, playbook_id=sweep.id, offset=0, limit=10, version_type=0))
    check(drafts.total == 1 and drafts.data[0].status == "EDITING", drafts.data)
    check(any(v.id == sweep.version_id and v.enabled for v in r.data), "the active version is listed")


def t_show_playbook_version():
    triage = STATE["playbooks"]["Triage suspicious logins"]
    r = SDK.show_playbook_version(ShowPlaybookVersionRequest(workspace_id=WORKSPACE, version_id=triage.version_id))
    v = r.data
    check(v.id == triage.version_id and v.playbook_id == triage.id, v.id)
    condition = json.loads(v.rules.rule)
    check(condition["conditions"][0]["data"][0] == "alert.category", condition)
    check(v.actions and v.actions[0].action_type == "AOP_WORKFLOW", v.actions)
    workflows = {w.id: w.name for w in SDK.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=100)).data}
    check(workflows.get(v.actions[0].action_id) == "Isolate compromised host", "the action binds a workflow by id")
    STATE["playbook_version"] = v


def t_show_playbook_rule_deprecated():
    v = STATE["playbook_version"]
    r = SDK.show_playbook_rule(ShowPlaybookRuleRequest(workspace_id=WORKSPACE, version_id=v.id, rule_id=v.rule_id))
    check(r.data.id == v.rule_id and r.data.rule == v.rules.rule, "the rule equals the inline one")
    check(r.x_api_deprecation_info and r.x_api_deprecation_date, "deprecation headers")


def t_list_playbook_actions_deprecated():
    v = STATE["playbook_version"]
    r = SDK.list_playbook_actions(ListPlaybookActionsRequest(workspace_id=WORKSPACE, version_id=v.id, offset=0, limit=10))
    check(r.total == 1 and r.data[0].action_id == v.actions[0].action_id, "the actions equal the inline ones")
    check(r.x_api_deprecation_info and r.x_api_deprecation_date, "deprecation headers")


def t_playbook_errors_400():
    v = STATE["playbook_version"]
    expect_error(lambda: SDK.show_playbook_version(ShowPlaybookVersionRequest(workspace_id=WORKSPACE, version_id="nope")),
                 400, "SecMaster.20048004")
    expect_error(lambda: SDK.show_playbook_rule(ShowPlaybookRuleRequest(workspace_id=WORKSPACE, version_id=v.id, rule_id="nope")),
                 400, "SecMaster.20048004")
    expect_error(lambda: SDK.list_playbook_actions(ListPlaybookActionsRequest(workspace_id=WORKSPACE, version_id="nope", offset=0, limit=10)),
                 400, "SecMaster.20030005")


def t_wrong_sk_401():
    bad = client(sk="not-the-secret")
    expect_error(lambda: bad.list_workflows(ListWorkflowsRequest(workspace_id=WORKSPACE, limit=2)), 401, "APIGW.0301")


def raw_signed(flip):
    url = urllib.parse.urlparse(ENDPOINT)
    req = SdkRequest(method="GET", schema=url.scheme, host=url.netloc,
                     resource_path=f"/v1/{PROJECT}/workspaces/{WORKSPACE}/soc/workflows",
                     query_params=[("limit", 2), ("offset", 0)],
                     header_params={"Content-Type": "application/json"}, body="")
    Signer(BasicCredentials(AK, SK, PROJECT)).sign(req)
    headers = dict(req.header_params)
    if flip:
        auth = headers["Authorization"]
        last = auth[-1]
        headers["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")
    return requests.get(f"{ENDPOINT}{req.uri}", headers=headers, timeout=10)


def t_raw_signed_request_ok():
    r = raw_signed(flip=False)
    check(r.status_code == 200, f"{r.status_code} {r.text}")
    check(r.headers.get("X-Request-Id"), "X-Request-Id header")


def t_flipped_signature_401():
    r = raw_signed(flip=True)
    check(r.status_code == 401, r.status_code)
    check(r.json()["error_code"] == "APIGW.0301", r.text)


CHECKS = [t_list_workspaces, t_list_workflows_paged, t_list_filter_and_order, t_project_id_from_iam,
          t_temporary_key_with_security_token, t_show_workflow,
          t_list_versions, t_show_version, t_export_one, t_export_batch, t_unknown_workflow_400,
          t_unknown_workspace_403, t_limit_101_400, t_list_playbooks_paged, t_list_playbook_versions,
          t_show_playbook_version, t_show_playbook_rule_deprecated, t_list_playbook_actions_deprecated,
          t_playbook_errors_400, t_import_into_production, t_wrong_sk_401,
          t_raw_signed_request_ok, t_flipped_signature_401]


def main():
    passed = failed = 0
    for fn in CHECKS:
        name = fn.__name__[2:]
        try:
            fn()
            passed += 1
            print(f"ok   {name}")
        except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            if os.environ.get("SOC_SIM_VERBOSE"):
                traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
