"""Real consumers of socdrift's reports, and the commands of docs/ci.md, run for real.

Run by scripts/ci-recipes.sh (which makes the venv and builds socdrift; SOCDRIFT names the binary).

1. Reports: `socdrift check` over the bundled fixtures with one, two and three pairs, the pair that
   cannot be compared first, in the middle and last (and `socdrift diff`, with and without
   `--base`, and a run whose config is broken). Every JSON report (stdout and --report-file) is validated against
   docs/report.schema.json with `jsonschema`; every JUnit report is read with `junitparser` and its
   declared counts checked against its test cases.
2. docs/ci.md: every `run:` of the GitHub Actions workflows, every command of the GitLab jobs, every
   `sh` block, run with bash. The drift-check recipes run in a scratch folder whose socdrift.toml
   compares the fixtures, and every file the workflow uploads and the job keeps as an artifact (the
   review page included) is written; the recipes that share the store between runners run in clones
   of a bare git repository on loopback (file://) against `socdrift sim`, with real git: two runners
   push (the second one behind, so it must rebase), and a third clone verifies the shared store and
   checks the live workspaces against it.

Prints one line per check and `N passed, M failed` last; exits 1 on any failure. With
CI_RECIPES_DEBUG=1 it also prints what each runner of the store-sharing recipes printed.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import jsonschema
import junitparser
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOCDRIFT = Path(os.environ["SOCDRIFT"])
STAGING = str(ROOT / "testdata/workspaces/staging/workflows")
PRODUCTION = str(ROOT / "testdata/workspaces/production/workflows")
MISSING = "./missing-export-folder"

SCHEMA = json.loads((ROOT / "docs/report.schema.json").read_text())
jsonschema.validators.validator_for(SCHEMA).check_schema(SCHEMA)
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {name}")
    else:
        failed += 1
        print(f"FAIL  {name}: {detail}")


def env_for(tmp, **extra):
    env = {
        "PATH": f"{SOCDRIFT.parent}:{os.environ.get('PATH', '')}",
        "HOME": str(tmp),
        "NO_COLOR": "1",
    }
    env.update(extra)
    return env


def socdrift(tmp, *args, **extra):
    return subprocess.run(
        [str(SOCDRIFT), *args],
        cwd=tmp,
        env=env_for(tmp, **extra),
        capture_output=True,
        text=True,
    )


def valid_json(name, text):
    """Parses one JSON document and validates it against the schema; returns it or None."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        check(f"{name}: one JSON document", False, f"{e}\n{text[:500]}")
        return None
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    check(
        f"{name}: valid against docs/report.schema.json",
        not errors,
        "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]),
    )
    return doc


def junit_counts(name, path):
    """Reads a JUnit file with junitparser; checks each suite's declared counts against its cases
    and that suite names are unique. Returns (suite names, total errors, total failures)."""
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    names, errors, failures = [], 0, 0
    for suite in suites:
        cases = list(suite)
        case_errors = sum(
            1 for c in cases for r in c.result if isinstance(r, junitparser.Error)
        )
        case_failures = sum(
            1 for c in cases for r in c.result if isinstance(r, junitparser.Failure)
        )
        declared = (suite.tests, suite.errors, suite.failures)
        check(
            f"{name}: suite {suite.name!r} declares what it holds",
            declared == (len(cases), case_errors, case_failures),
            f"declared {declared}, holds {(len(cases), case_errors, case_failures)}",
        )
        check(
            f"{name}: suite {suite.name!r} has time and timestamp",
            suite.time is not None and bool(suite.timestamp),
            f"time={suite.time} timestamp={suite.timestamp}",
        )
        names.append(suite.name)
        errors += case_errors
        failures += case_failures
    check(f"{name}: suite names are unique", len(set(names)) == len(names), str(names))
    return names, errors, failures


PAIRS = {
    "E": (MISSING, STAGING),
    "D": (STAGING, PRODUCTION),
    "Q": (STAGING, STAGING),
}
RUNS = ["E", "D", "ED", "QE", "EDQ", "DEQ", "QDE", "QDQ"]


def report_runs():
    for run in RUNS:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            pairs = ", ".join(
                f"[{json.dumps(PAIRS[p][0])}, {json.dumps(PAIRS[p][1])}]" for p in run
            )
            (tmp / "socdrift.toml").write_text(f"[check]\npairs = [{pairs}]\n")
            res = socdrift(
                tmp, "check", "-o", "json",
                "--report-file", "out/r.json", "--junit", "out/r.xml", "--markdown", "out/r.md",
            )
            name = f"check {run}"
            want = 2 if "E" in run else 1 if "D" in run else 0
            check(f"{name}: exit {want}", res.returncode == want, f"{res.returncode}\n{res.stderr}")
            doc = valid_json(f"{name} stdout", res.stdout)
            file = valid_json(f"{name} --report-file", (tmp / "out/r.json").read_text())
            if doc is None or file is None:
                continue
            check(f"{name}: the file is the stdout document", doc == file)
            status = {2: "error", 1: "drift", 0: "no_drift"}[want]
            check(f"{name}: status {status}", doc["status"] == status, doc["status"])
            statuses = [p["status"] for p in doc["pairs"]]
            expected = [{"E": "error", "D": "drift", "Q": "no_drift"}[p] for p in run]
            check(f"{name}: every pair in order", statuses == expected, str(statuses))
            suites, errors, _ = junit_counts(f"{name} junit", tmp / "out/r.xml")
            titles = [f"{PAIRS[p][0]} vs {PAIRS[p][1]}" for p in run]
            check(
                f"{name} junit: one suite per pair, named LEFT vs RIGHT, in order",
                len(suites) == len(run) and all(s.startswith(t) for s, t in zip(suites, titles)),
                str(suites),
            )
            check(f"{name} junit: errors = failed pairs", errors == run.count("E"), str(errors))
            md = (tmp / "out/r.md").read_text()
            if "E" in run and len(run) > 1:
                first_error = md.find("**Error**: could not be compared")
                first_other = min(
                    i for i in (md.find("**Drift**:"), md.find("**No drift**:")) if i >= 0
                )
                check(f"{name} markdown: errors first", 0 <= first_error < first_other)


def single_runs():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = socdrift(tmp, "diff", STAGING, PRODUCTION, "-o", "json")
        check("diff: exit 1", res.returncode == 1, res.stderr)
        doc = valid_json("diff", res.stdout)
        check("diff: one pair", doc is not None and len(doc["pairs"]) == 1)
        res = socdrift(tmp, "diff", MISSING, STAGING, "-o", "json")
        check("diff of a missing side: exit 2", res.returncode == 2, res.stderr)
        doc = valid_json("diff of a missing side", res.stdout)
        check(
            "diff of a missing side: an error pair",
            doc is not None and doc["pairs"][0]["status"] == "error",
        )
        res = socdrift(tmp, "diff", STAGING, PRODUCTION, "-o", "junit", "--output-file", "d.xml")
        junit_counts("diff junit", tmp / "d.xml")
        # The three-way view: production is the base, so staging's differences are promotions
        # (exit 0); staging as the base makes them production's drift (exit 1).
        for base, want in [(PRODUCTION, 0), (STAGING, 1)]:
            res = socdrift(tmp, "diff", STAGING, PRODUCTION, "--base", base, "-o", "json")
            name = f"diff --base {'production' if base == PRODUCTION else 'staging'}"
            check(f"{name}: exit {want}", res.returncode == want, res.stderr)
            doc = valid_json(name, res.stdout)
            classes = doc["pairs"][0]["summary"].get("classes") if doc else None
            check(f"{name}: class counts", classes is not None, str(classes))
            res = socdrift(tmp, "diff", STAGING, PRODUCTION, "--base", base, "-o", "junit",
                           "--output-file", "three.xml")
            junit_counts(f"{name} junit", tmp / "three.xml")
        (tmp / "socdrift.toml").write_text("[check]\npairz = 1\n")
        res = socdrift(tmp, "check", "-o", "json", "--junit", "bad.xml")
        check("broken config: exit 2", res.returncode == 2, res.stderr)
        doc = valid_json("broken config", res.stdout)
        check("broken config: run error", doc is not None and "pairz" in doc["error"]["message"])
        _, errors, _ = junit_counts("broken config junit", tmp / "bad.xml")
        check("broken config junit: an error", errors == 1, str(errors))


def blocks(markdown):
    """(language, text) of every fenced code block."""
    found = re.findall(r"^([ \t]*)```(\w*)\n(.*?)^\1```$", markdown, flags=re.S | re.M)
    return [(lang, textwrap.dedent(body)) for _, lang, body in found]


def run_commands(name, commands, tmp, env):
    """Runs each command with bash -e (as GitHub does); returns [(command, CompletedProcess)]."""
    results = []
    for command in commands:
        if command.strip().startswith("cargo install"):
            # The recipes install socdrift from its repository; here PATH has the binary just built.
            print(f"skip  {name}: `{command.strip()}` (the built socdrift is on PATH)")
            continue
        res = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", command],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        results.append((command, res))
    return results


def scratch(tmp, pairs):
    (tmp / "socdrift.toml").write_text(
        "[check]\npairs = ["
        + ", ".join(f"[{json.dumps(l)}, {json.dumps(r)}]" for l, r in pairs)
        + "]\n"
    )


def shares(text):
    """Whether a recipe shares the store (takes snapshots) rather than checks for drift."""
    return "socdrift snapshot" in text or text.lstrip().startswith("git ")


def docs_ci():
    text = (ROOT / "docs/ci.md").read_text()
    found = blocks(text)
    yamls = [yaml.safe_load(body) for lang, body in found if lang == "yaml"]
    all_shells = [body for lang, body in found if lang in ("sh", "bash", "shell")]
    github_all = [y for y in yamls if "jobs" in y]
    gitlab_all = [y for y in yamls if "jobs" not in y]
    github = [y for y in github_all if not shares(yaml.dump(y))]
    gitlab = [y for y in gitlab_all if not shares(yaml.dump(y))]
    shells = [body for body in all_shells if not shares(body)]
    check(
        "docs/ci.md: a GitHub workflow, a GitLab job and sh blocks",
        bool(github and gitlab and shells),
        f"{len(github)} GitHub, {len(gitlab)} GitLab, {len(shells)} sh",
    )
    share_recipes(
        [y for y in github_all if shares(yaml.dump(y))],
        [y for y in gitlab_all if shares(yaml.dump(y))],
        [body for body in all_shells if shares(body)],
    )

    for scenario, pairs, status, code in [
        ("drift", [(STAGING, PRODUCTION)], "drift", 1),
        ("error", [(STAGING, STAGING), (MISSING, STAGING)], "error", 2),
    ]:
        for workflow in github:
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                scratch(tmp, pairs)
                summary = tmp / "step-summary.md"
                env = env_for(tmp, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
                steps = [s for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
                results = run_commands(f"github {scenario}", [s["run"] for s in steps], tmp, env)
                check_step, tell_step = results[0][1], results[1][1]
                check(f"github {scenario}: the check step exits {code}",
                      check_step.returncode == code, check_step.stderr)
                check(f"github {scenario}: annotations on stderr",
                      "::error title=" in check_step.stderr, check_step.stderr)
                check(f"github {scenario}: the next step reads the status",
                      tell_step.returncode == 0 and f"socdrift: {status}" in tell_step.stdout,
                      tell_step.stdout + tell_step.stderr)
                check(f"github {scenario}: the step summary is written",
                      summary.exists() and "### socdrift" in summary.read_text())
                valid_json(f"github {scenario} drift.json", (tmp / "drift.json").read_text())
                junit_counts(f"github {scenario} drift.xml", tmp / "drift.xml")
                uploads = [path for job in workflow["jobs"].values() for s in job["steps"]
                           if str(s.get("uses", "")).startswith("actions/upload-artifact")
                           for path in s["with"]["path"].split()]
                check(f"github {scenario}: every uploaded file is written",
                      uploads and all((tmp / p).is_file() for p in uploads), str(uploads))
                page = (tmp / "drift.html").read_text() if (tmp / "drift.html").is_file() else ""
                check(f"github {scenario}: drift.html is the review page",
                      page.startswith("<!DOCTYPE html>") and f'data-status="{status}"' in page,
                      page[:300])
                for command, res in results[2:]:
                    check(f"github {scenario}: `{command.strip()[:40]}` runs", res.returncode == 0,
                          res.stderr)
        for job in gitlab:
            for job_name, spec in job.items():
                with tempfile.TemporaryDirectory() as tmp:
                    tmp = Path(tmp)
                    scratch(tmp, pairs)
                    env = env_for(tmp, **{k: str(v) for k, v in spec.get("variables", {}).items()})
                    before = run_commands(f"gitlab {scenario}", spec.get("before_script", []), tmp, env)
                    script = run_commands(f"gitlab {scenario}", spec["script"], tmp, env)
                    after = run_commands(f"gitlab {scenario}", spec.get("after_script", []), tmp, env)
                    check(f"gitlab {scenario}: before_script runs",
                          all(r.returncode == 0 for _, r in before))
                    check(f"gitlab {scenario}: the script exits {code}",
                          script[0][1].returncode == code, script[0][1].stderr)
                    check(f"gitlab {scenario}: after_script runs",
                          all(r.returncode == 0 for _, r in after),
                          "; ".join(r.stderr for _, r in after))
                    for artifact in spec["artifacts"]["paths"] + [spec["artifacts"]["reports"]["junit"]]:
                        check(f"gitlab {scenario}: artifact {artifact} written",
                              (tmp / artifact).exists())
                    doc = valid_json(f"gitlab {scenario} drift.json", (tmp / "drift.json").read_text())
                    check(f"gitlab {scenario}: status {status}",
                          doc is not None and doc["status"] == status)
                    _, errors, _ = junit_counts(f"gitlab {scenario} junit", tmp / "drift.xml")
                    check(f"gitlab {scenario}: junit errors", errors == (1 if code == 2 else 0))
        for body in shells:
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                scratch(tmp, pairs)
                results = run_commands(f"sh {scenario}", [body], tmp, env_for(tmp))
                for command, res in results:
                    # `socdrift check || [ $? -eq 1 ]`: drift passes, errors fail.
                    want = 0 if code == 1 else 1
                    check(f"sh {scenario}: `{command.strip()}` exits {want}",
                          res.returncode == want, res.stderr)


# --- Sharing the store between runners: real git, a bare repository on file://, socdrift sim ---

AKSK = {
    "STAGING_AK": "SIMACCESSKEY0000000",
    "STAGING_SK": "sim-secret-key",
    "PRODUCTION_AK": "SIMACCESSKEY0000000",
    "PRODUCTION_SK": "sim-secret-key",
}


def git(cwd, *args, check_ok=True):
    res = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True,
        env={
            "PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "seed", "GIT_AUTHOR_EMAIL": "seed@example.invalid",
            "GIT_COMMITTER_NAME": "seed", "GIT_COMMITTER_EMAIL": "seed@example.invalid",
        },
    )
    if check_ok and res.returncode != 0:
        raise RuntimeError(f"git {args} in {cwd}: {res.stdout}{res.stderr}")
    return res


class Emulator:
    """`socdrift sim` with the bundled workspaces, on an ephemeral loopback port."""

    def __enter__(self):
        self.proc = subprocess.Popen(
            [str(SOCDRIFT), "sim"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        lines = [self.proc.stdout.readline() for _ in range(4)]
        self.endpoint = lines[0].split()[-1]
        self.project = lines[1].split()[1]
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def config(self):
        out = ""
        for env, workspace in [("staging", "soc-staging"), ("production", "soc-production")]:
            upper = env.upper()
            out += (
                f"[env.{env}]\nendpoint = \"{self.endpoint}\"\nproject_id = \"{self.project}\"\n"
                f"workspace = \"{workspace}\"\nak_env = \"{upper}_AK\"\nsk_env = \"{upper}_SK\"\n\n"
            )
        return out


def shared_repo(tmp, sim):
    """A bare repository holding a socdrift.toml for the emulator; returns its file:// URL."""
    remote = tmp / "remote.git"
    git(tmp, "init", "--quiet", "--bare", "--initial-branch", "main", str(remote))
    seed = tmp / "seed"
    seed.mkdir()
    git(seed, "init", "--quiet", "--initial-branch", "main")
    (seed / "socdrift.toml").write_text(sim.config())
    git(seed, "add", "socdrift.toml")
    git(seed, "commit", "--quiet", "-m", "socdrift.toml")
    url = f"file://{remote}"
    git(seed, "push", "--quiet", url, "main")
    return url


def clone(tmp, url, name, detached=False):
    path = tmp / name
    git(tmp, "clone", "--quiet", url, str(path))
    if detached:
        git(path, "checkout", "--quiet", "--detach")
    return path


def substituted(env_block):
    """A step's `env:` with `${{ secrets.X }}` replaced by the emulator's test credentials."""
    out = {}
    for key, value in (env_block or {}).items():
        value = str(value)
        match = re.fullmatch(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", value)
        out[key] = AKSK.get(match.group(1), "") if match else value
    return out


def shared_ok(name, runners, url, tmp):
    """After the runners pushed: a fresh clone verifies, lists every snapshot, and checks the
    live workspaces against them without drift."""
    for runner_name, results in runners:
        for command, res in results:
            check(f"{name} ({runner_name}): `{command.strip()[:60]}` exits 0",
                  res.returncode == 0, res.stdout + res.stderr)
    if os.environ.get("CI_RECIPES_DEBUG"):
        for runner_name, results in runners:
            for command, res in results:
                print(f"--- {name} {runner_name}: {command}\n{res.stdout}{res.stderr}")
    reader = clone(tmp, url, f"reader-{len(list(tmp.iterdir()))}")
    env = env_for(reader, **AKSK)
    res = subprocess.run([str(SOCDRIFT), "verify"], cwd=reader, env=env, capture_output=True, text=True)
    check(f"{name}: the shared store verifies", res.returncode == 0, res.stdout + res.stderr)
    res = subprocess.run([str(SOCDRIFT), "log", "staging", "-o", "json"], cwd=reader, env=env,
                         capture_output=True, text=True)
    snapshots = json.loads(res.stdout)["snapshots"] if res.returncode == 0 else []
    check(f"{name}: both runners' snapshots are in the shared store", len(snapshots) >= 2,
          res.stdout + res.stderr)
    res = subprocess.run([str(SOCDRIFT), "check", "--stat"], cwd=reader, env=env,
                         capture_output=True, text=True)
    check(f"{name}: another runner checks live against the shared snapshots: no drift",
          res.returncode == 0, res.stdout + res.stderr)
    tracked = git(reader, "ls-files").stdout
    check(f"{name}: nothing private was pushed", "raw-v2" not in tracked and ".lock" not in tracked,
          tracked)


def share_recipes(github, gitlab, shells):
    check(
        "docs/ci.md: GitHub and GitLab recipes that share the store, and the git steps",
        bool(github and gitlab and shells),
        f"{len(github)} GitHub, {len(gitlab)} GitLab, {len(shells)} sh",
    )
    with Emulator() as sim:
        for workflow in github:
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                url = shared_repo(tmp, sim)
                behind = clone(tmp, url, "behind")
                first = clone(tmp, url, "first")
                runners = []
                for runner_name, path in [("first", first), ("behind", behind)]:
                    time.sleep(1.1)  # snapshot ids hold whole seconds: the runners' differ
                    results = []
                    for job in workflow["jobs"].values():
                        for step in job["steps"]:
                            if "run" in step:
                                env = env_for(path, GITHUB_ACTIONS="true", **substituted(step.get("env")))
                                results += run_commands("github share", [step["run"]], path, env)
                    runners.append((runner_name, results))
                shared_ok("github share", runners, url, tmp)
        for job in gitlab:
            for job_name, spec in job.items():
                with tempfile.TemporaryDirectory() as tmp:
                    tmp = Path(tmp)
                    url = shared_repo(tmp, sim)
                    # GitLab checks out a detached HEAD; the push URL (with a token on GitLab)
                    # becomes the bare repository here.
                    behind = clone(tmp, url, "behind", detached=True)
                    first = clone(tmp, url, "first", detached=True)
                    variables = {k: str(v) for k, v in spec.get("variables", {}).items()}
                    variables.update(SOCDRIFT_PUSH_URL=url, CI_COMMIT_REF_NAME="main", **AKSK)
                    runners = []
                    for runner_name, path in [("first", first), ("behind", behind)]:
                        time.sleep(1.1)
                        env = env_for(path, **variables)
                        results = run_commands("gitlab share", spec.get("before_script", []), path, env)
                        results += run_commands("gitlab share", spec["script"], path, env)
                        runners.append((runner_name, results))
                    shared_ok(f"gitlab share ({job_name})", runners, url, tmp)
        for body in shells:
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                url = shared_repo(tmp, sim)
                behind = clone(tmp, url, "behind")
                first = clone(tmp, url, "first")
                identity = {
                    "GIT_AUTHOR_NAME": "runner", "GIT_AUTHOR_EMAIL": "runner@example.invalid",
                    "GIT_COMMITTER_NAME": "runner", "GIT_COMMITTER_EMAIL": "runner@example.invalid",
                }
                runners = []
                for runner_name, path in [("first", first), ("behind", behind)]:
                    time.sleep(1.1)
                    env = env_for(path, **AKSK, **identity)
                    # The git steps follow a snapshot taken without --push. The first runner
                    # snapshots staging from another workspace, so the behind runner's view
                    # conflicts with what it fetches (and its newer snapshot is what is live).
                    if runner_name == "first":
                        toml = (path / "socdrift.toml").read_text()
                        (path / "socdrift.toml").write_text(
                            toml.replace('workspace = "soc-staging"', 'workspace = "soc-production"', 1)
                        )
                        git(path, "update-index", "--assume-unchanged", "socdrift.toml")
                    takes = re.search(r"^\s*socdrift snapshot", body, flags=re.M)
                    prep = [] if takes else ["socdrift snapshot --all"]
                    results = run_commands("sh share", prep + [body], path, env)
                    runners.append((runner_name, results))
                shared_ok("sh share", runners, url, tmp)


report_runs()
single_runs()
docs_ci()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
