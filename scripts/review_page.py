"""The review page in a real browser, and the Markdown's Mermaid graphs through Mermaid itself.

Run by scripts/review-page.sh, which installs Chromium, fetches Mermaid's browser bundle and builds
socdrift; it passes SOCDRIFT, GENERATE (soc-sim's workspace generator), CHROMIUM, MERMAID_JS and
OUT (where screenshots go).

Chromium runs headless and is driven over the DevTools protocol (a WebSocket, with the
`websockets` package): the test opens each page as a user would (file://), listens to every
network request, console message, log entry and uncaught exception while it loads, reads the DOM
with JavaScript, clicks, and takes screenshots. Chosen over `--dump-dom`/`--screenshot` because
those cannot tell which requests a page made or what it logged, and over a browser driver
(Selenium, Playwright) because those download browsers of their own.

Prints one line per check and `N passed, M failed` last; exits 1 on any failure.
"""

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
SOCDRIFT = Path(os.environ["SOCDRIFT"])
GENERATE = Path(os.environ["GENERATE"])
CHROMIUM = os.environ["CHROMIUM"]
MERMAID_JS = Path(os.environ["MERMAID_JS"])
OUT = Path(os.environ["OUT"])
DOCS_SCREENSHOT = os.environ.get("REVIEW_PAGE_SCREENSHOT")
GITHUB_COMMENT_LIMIT = 65_536

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL  {name}: {detail}", flush=True)


def socdrift(cwd, *args):
    """Runs socdrift; returns (exit code, stdout). Exit 0 and 1 are both answers; 2 is not."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "NO_COLOR": "1"}
    run = subprocess.run([str(SOCDRIFT), *args], cwd=cwd, env=env, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        raise RuntimeError(f"socdrift {' '.join(args)} exited {run.returncode}:\n{run.stderr}")
    return run.returncode, run.stdout


# --- Workspaces to draw -------------------------------------------------------------------------


def element(tag, attributes, children=()):
    return {"type": "element", "name": tag, "attributes": attributes, "elements": list(children)}


def taskflow(nodes, flows, canvas=True):
    """An xml-js taskflow as the console writes it. nodes: (tag, id, name, x, y, params);
    flows: (id, from, to, name)."""
    process, plane = [], []
    where = {}
    for tag, node_id, name, x, y, params in nodes:
        attributes = {"id": node_id, "soar:params": json.dumps(params)}
        if name is not None:
            attributes["name"] = name
        process.append(element(f"bpmn2:{tag}", attributes))
        size = (36, 36) if tag.endswith("Event") else (50, 50) if tag.endswith("Gateway") else (100, 80)
        where[node_id] = (x, y, *size)
        plane.append(element("bpmndi:BPMNShape", {"id": f"{node_id}_di", "bpmnElement": node_id}, [
            element("dc:Bounds", {"x": str(x), "y": str(y), "width": str(size[0]), "height": str(size[1])})]))
    for flow_id, source, target, name in flows:
        attributes = {"id": flow_id, "sourceRef": source, "targetRef": target}
        if name is not None:
            attributes["name"] = name
        process.append(element("bpmn2:sequenceFlow", attributes))
        (sx, sy, sw, sh), (tx, ty, tw, th) = where[source], where[target]
        plane.append(element("bpmndi:BPMNEdge", {"id": f"{flow_id}_di", "bpmnElement": flow_id}, [
            element("di:waypoint", {"x": str(sx + sw), "y": str(sy + sh // 2)}),
            element("di:waypoint", {"x": str(tx), "y": str(ty + th // 2)})]))
    definitions = [element("bpmn2:process", {"id": "Process_1712000000000", "isExecutable": "true"}, process)]
    if canvas:
        definitions.append(element("bpmndi:BPMNDiagram", {"id": "BPMNDiagram_1"}, [
            element("bpmndi:BPMNPlane", {"id": "BPMNPlane_1", "bpmnElement": "Process_1712000000000"}, plane)]))
    return {"elementType": "{}", "workflow": {"elements": [
        element("bpmn2:definitions", {"id": "diagram_Process_1712000000000"}, definitions)]}}


def export(name, flow):
    encoded = base64.b64encode(json.dumps(flow).encode()).decode()
    return {"name": name, "version": "v1.0.0", "versions": [
        {"version": "v1.0.0", "status": "activated", "taskflow": encoded, "taskconfig": "{}"}]}


def write_workspace(folder, workflows):
    folder.mkdir(parents=True)
    for i, workflow in enumerate(workflows):
        (folder / f"{i:02}.json").write_text(json.dumps(workflow, ensure_ascii=False, indent=1))


HOSTILE_WORKFLOW = 'Hostile <script>window.__pwned=1</script> "q" \u202egpj.exe'
HOSTILE_NAMES = [
    '<img src=x onerror="window.__pwned=2">',
    "</text></svg><script>window.__pwned=3</script>",
    "\"quotes\" & 'apostrophes' ]] --> n9{evil} #35; `tick` |pipe|",
    "bidi \u202egpj.exe \u2066isolate\u2069 line\nbreak",
    "x" * 300,
]


def hostile(sides_dir, canvas=True):
    """Two sides of a workflow named and built to break out of every context a name lands in."""
    def nodes(timeout, extra):
        listed = [("startEvent", "Event_start001", HOSTILE_NAMES[0], 0, 22, {})]
        listed += [("serviceTask", f"Activity_{i}aaaaaa", name, 150 + 200 * i, 0, {"timeout": timeout if i == 1 else 60})
                   for i, name in enumerate(HOSTILE_NAMES[1:], start=1)]
        listed.append(("endEvent", "Event_end0001", None, 1100, 22, {}))
        return listed + extra
    chain = ["Event_start001"] + [f"Activity_{i}aaaaaa" for i in range(1, 5)] + ["Event_end0001"]
    flows = [(f"Flow_{i}", a, b, HOSTILE_NAMES[i % len(HOSTILE_NAMES)]) for i, (a, b) in enumerate(zip(chain, chain[1:]))]
    added = [("userTask", "Activity_added0", HOSTILE_NAMES[1], 350, 200, {})]
    write_workspace(sides_dir / "left", [export(HOSTILE_WORKFLOW, taskflow(nodes(60, []), flows, canvas))])
    write_workspace(sides_dir / "right", [export(HOSTILE_WORKFLOW, taskflow(
        nodes(90, added), flows + [("Flow_added", "Activity_1aaaaaa", "Activity_added0", None)], canvas))])


# --- The DevTools protocol ------------------------------------------------------------------


class Browser:
    """Headless Chromium on a loopback DevTools port, one WebSocket, sessions per page."""

    def __init__(self):
        self.profile = Path(tempfile.mkdtemp(prefix="socdrift-chromium-"))
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.next_id = 0
        self.pending = {}
        self.events = []
        self.waiters = []

    async def connect(self):
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port")
            await asyncio.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self.socket = await websockets.connect(f"ws://127.0.0.1:{port}{path}", max_size=None)
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        async for text in self.socket:
            message = json.loads(text)
            if "id" in message:
                future = self.pending.pop(message["id"], None)
                if future and not future.done():
                    future.set_result(message)
            else:
                self.events.append(message)
                for waiter in list(self.waiters):
                    method, session, future = waiter
                    if message.get("method") == method and message.get("sessionId") == session and not future.done():
                        future.set_result(message)
                        self.waiters.remove(waiter)

    async def send(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.socket.send(json.dumps(message))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method, session):
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((method, session, future))
        return future

    async def close(self):
        try:
            await self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, with what it requested and logged since it was opened."""

    def __init__(self, browser, session, url):
        self.browser, self.session, self.url = browser, session, url

    @classmethod
    async def open(cls, browser, url, width=1280, height=900):
        target = await browser.send("Target.createTarget", {"url": "about:blank"})
        session = (await browser.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}))["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            await browser.send(f"{domain}.enable", session=session)
        await browser.send("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        page = cls(browser, session, url)
        page.first_event = len(browser.events)
        loaded = browser.wait_for("Page.loadEventFired", session)
        await browser.send("Page.navigate", {"url": url}, session=session)
        await asyncio.wait_for(loaded, 60)
        await asyncio.sleep(0.3)  # late console messages and requests
        return page

    def events(self, method):
        return [e["params"] for e in self.browser.events[self.first_event:]
                if e.get("sessionId") == self.session and e.get("method") == method]

    def requests(self):
        return [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]

    def problems(self):
        found = [f"exception: {e['exceptionDetails'].get('exception', {}).get('description') or e['exceptionDetails'].get('text')}"
                 for e in self.events("Runtime.exceptionThrown")]
        found += [f"console.{e['type']}: {[a.get('value', a.get('description')) for a in e['args']]}"
                  for e in self.events("Runtime.consoleAPICalled") if e["type"] in ("error", "assert", "warning")]
        found += [f"log {e['entry']['level']} ({e['entry']['source']}): {e['entry']['text']}"
                  for e in self.events("Log.entryAdded") if e["entry"]["level"] in ("error", "warning")]
        return found

    async def eval(self, expression):
        result = await self.browser.send("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}…: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self, path, full_height=None):
        if full_height:
            await self.browser.send("Emulation.setDeviceMetricsOverride", {
                "width": 1280, "height": full_height, "deviceScaleFactor": 1, "mobile": False}, session=self.session)
            await asyncio.sleep(0.3)
        shot = await self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        data = base64.b64decode(shot["data"])
        Path(path).write_bytes(data)
        return data

    async def close(self):
        await self.browser.send("Target.closeTarget", {"targetId": await self.target_id()})

    async def target_id(self):
        info = await self.browser.send("Target.getTargetInfo", session=self.session)
        return info["targetInfo"]["targetId"]


NODES_JS = """[...document.querySelectorAll('[data-node-id]')].map(n => ({
  id: n.dataset.nodeId, name: n.dataset.name, change: n.dataset.change || null,
  moved: n.dataset.moved === 'true', side: n.closest('figure').dataset.side,
  workflow: n.closest('section.workflow').dataset.workflow,
  box: (r => [r.width, r.height])(n.getBoundingClientRect())}))"""


def self_contained(name, page):
    others = [url for url in page.requests() if url != page.url]
    check(f"{name}: requests nothing but itself", not others, others)
    problems = page.problems()
    check(f"{name}: no console error, warning or exception", not problems, problems)


def printable(text):
    """What socdrift shows of a name (soc_text::printable): control, bidirectional and separator
    characters spelled out as Rust escapes."""
    def unsafe(c):
        o = ord(c)
        return (unicodedata.category(c) == "Cc" or c in "\u061c\u200e\u200f\u2028\u2029\ufeff"
                or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069)
    escapes = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return "".join(escapes.get(c, f"\\u{{{ord(c):x}}}") if unsafe(c) else c for c in text)


def expected_marks(report):
    """{(workflow, side): {node id: change}} from the JSON report's graph summaries."""
    marks = {}
    for pair in report["pairs"]:
        for wf in pair.get("workflows", []):
            wf = dict(wf, name=printable(wf["name"]))
            graph = wf.get("graph") or {}
            for node in graph.get("nodes", []):
                change = node["change"]
                if change == "added":
                    marks.setdefault((wf["name"], "right"), {})[node["id"]] = "added"
                elif change == "removed":
                    marks.setdefault((wf["name"], "left"), {})[node["id"]] = "removed"
                else:
                    marks.setdefault((wf["name"], "right"), {})[node["id"]] = "changed"
                    left = node.get("previous_id", node["id"])
                    marks.setdefault((wf["name"], "left"), {})[left] = "changed"
    return marks


def check_marks(name, report, nodes):
    expected = expected_marks(report)
    drawn = {}
    for node in nodes:
        if node["change"]:
            drawn.setdefault((node["workflow"], node["side"]), {})[node["id"]] = node["change"]
    statuses = {printable(wf["name"]): wf["status"] for pair in report["pairs"] for wf in pair.get("workflows", [])}
    for key, marks in drawn.items():
        status = statuses.get(key[0])
        if status in ("added", "removed"):
            whole = [n for n in nodes if (n["workflow"], n["side"]) == key]
            check(f"{name}: every node of {status} {key[0]!r} is marked {status}",
                  all(n["change"] == status for n in whole) and len(whole) == len(marks), whole)
        else:
            check(f"{name}: {key[0]!r} on the {key[1]} canvas marks what the report says changed",
                  marks == expected.get(key, {}), f"drawn {marks}, report {expected.get(key, {})}")
    missing = [key for key in expected if key not in drawn]
    check(f"{name}: every changed node of the report is drawn", not missing, missing)


async def review_pages(browser, work):
    # The demo: the page README.md shows.
    code, demo_json = socdrift(work, "demo", "-o", "json")
    _, demo_html = socdrift(work, "demo", "-o", "html")
    (work / "demo.html").write_text(demo_html)
    page = await Page.open(browser, (work / "demo.html").as_uri(), height=1700)
    self_contained("demo page", page)
    nodes = await page.eval(NODES_JS)
    check("demo page: draws every node with an id and a name attribute",
          len(nodes) > 30 and all(n["id"] and n["name"] is not None for n in nodes), len(nodes))
    check_marks("demo page", json.loads(demo_json), nodes)
    check("demo page: Block on WAF is marked changed on both canvases",
          sorted((n["side"], n["change"]) for n in nodes if n["name"] == "Block on WAF")
          == [("left", "changed"), ("right", "changed")])
    check("demo page: every node is drawn with a size", all(n["box"][0] > 5 and n["box"][1] > 5 for n in nodes))
    # As a reader first sees it (before the clicks below).
    shot = await page.screenshot(OUT / "demo.png")
    check("demo page: screenshot", shot.startswith(b"\x89PNG") and len(shot) > 50_000, len(shot))
    if DOCS_SCREENSHOT:
        shutil.copy(OUT / "demo.png", DOCS_SCREENSHOT)
        print(f"wrote {DOCS_SCREENSHOT}", flush=True)
    zoomed = await page.eval("""(() => { const f = document.querySelector('figure.canvas');
        f.querySelector('button[data-zoom=in]').click(); f.querySelector('button[data-zoom=in]').click();
        return [f.querySelector('svg').style.width, f.querySelector('output').textContent]; })()""")
    check("demo page: zoom buttons scale a canvas", zoomed[0].endswith("px") and zoomed[1].endswith("%"), zoomed)
    fit = await page.eval("""(() => { const f = document.querySelector('figure.canvas');
        f.querySelector('button[data-zoom=fit]').click();
        return [f.querySelector('svg').style.width, f.querySelector('output').textContent]; })()""")
    check("demo page: fit returns to the column's width", fit == ["", "fit"], fit)
    lit = await page.eval("""(() => { const a = document.querySelector('a[data-targets]'); a.click();
        return a.dataset.targets.split(' ').map(id => document.getElementById(id).classList.contains('focus')); })()""")
    check("demo page: a change's link lights up its node on both canvases", lit == [True, True], lit)

    # Hostile names: text everywhere, nothing runs.
    hostile(work / "hostile")
    code, hostile_html = socdrift(work, "diff", "hostile/left", "hostile/right", "-o", "html")
    _, hostile_json = socdrift(work, "diff", "hostile/left", "hostile/right", "-o", "json")
    (work / "hostile.html").write_text(hostile_html)
    page = await Page.open(browser, (work / "hostile.html").as_uri())
    self_contained("hostile page", page)
    state = await page.eval("""({pwned: typeof window.__pwned, scripts: document.scripts.length,
        images: document.images.length, title: document.querySelector('section.workflow h3').textContent,
        names: [...document.querySelectorAll('[data-node-id]')].map(n => n.dataset.name)})""")
    check("hostile page: no injected script ran", state["pwned"] == "undefined", state["pwned"])
    check("hostile page: one script (ours), no image", state["scripts"] == 1 and state["images"] == 0, state)
    check("hostile page: the workflow's name reads as text, its bidi control spelled out",
          "<script>window.__pwned=1</script>" in state["title"] and "\\u{202e}" in state["title"]
          and "\u202e" not in state["title"], state["title"])
    check("hostile page: node names are data, control characters spelled out",
          HOSTILE_NAMES[1] in state["names"] and any("\\u{202e}gpj.exe" in n and "\\n" in n for n in state["names"])
          and not any("\u202e" in n or "\n" in n for n in state["names"]), state["names"])
    check_marks("hostile page", json.loads(hostile_json), await page.eval(NODES_JS))
    await page.screenshot(OUT / "hostile.png")

    # A large generated workspace: 200-node workflows, every one drifted.
    subprocess.run([str(GENERATE), str(work / "large"), "6", "200", "11", "1.0"], check=True, capture_output=True)
    sides = ("large/staging/workflows", "large/production/workflows")
    _, large_html = socdrift(work, "diff", *sides, "-o", "html")
    _, large_json = socdrift(work, "diff", *sides, "-o", "json")
    (work / "large.html").write_text(large_html)
    page = await Page.open(browser, (work / "large.html").as_uri())
    self_contained("large page", page)
    nodes = await page.eval(NODES_JS)
    check("large page: every node of 200-node workflows is drawn", len(nodes) > 190 * 8, len(nodes))
    check_marks("large page", json.loads(large_json), nodes)
    seen = await page.eval("""[...document.querySelectorAll('figure.canvas')].filter(f => f.querySelector('[data-change]')).map(f => {
        const v = f.querySelector('.viewport').getBoundingClientRect(), n = f.querySelector('[data-change]').getBoundingClientRect();
        return {scale: f.querySelector('output').textContent, inView: n.left < v.right && n.right > v.left && n.top < v.bottom && n.bottom > v.top,
                fontPx: parseFloat(getComputedStyle(f.querySelector('.name') || f).fontSize) *
                        (f.querySelector('svg').getBoundingClientRect().width / parseFloat(f.querySelector('svg').getAttribute('width')))}; })""")
    check("large page: long canvases start legible and scrolled to their first change",
          seen and all(s["inView"] and s["fontPx"] >= 8 for s in seen), seen)
    await page.screenshot(OUT / "large.png")

    # No diagram coordinates: an automatic layout, said so, with no two nodes on top of each other.
    hostile(work / "nocanvas", canvas=False)
    _, auto_html = socdrift(work, "diff", "nocanvas/left", "nocanvas/right", "-o", "html")
    (work / "auto.html").write_text(auto_html)
    page = await Page.open(browser, (work / "auto.html").as_uri())
    self_contained("automatic layout page", page)
    layout = await page.eval("""(() => {
        const notes = [...document.querySelectorAll('.auto-layout')].map(p => p.textContent);
        const overlaps = [...document.querySelectorAll('figure.canvas')].map(f => {
            const boxes = [...f.querySelectorAll('[data-node-id] .shape')].map(s => s.getBoundingClientRect());
            let n = 0;
            boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
                if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) n++; }));
            return n; });
        return {notes, overlaps}; })()""")
    check("automatic layout page: each canvas says it has no coordinates",
          len(layout["notes"]) == 2 and all("No diagram coordinates" in n for n in layout["notes"]), layout)
    check("automatic layout page: no two nodes overlap", layout["overlaps"] == [0, 0], layout)
    await page.screenshot(OUT / "auto.png")
    return {
        "demo": socdrift(work, "demo", "-o", "markdown")[1],
        "hostile": socdrift(work, "diff", "hostile/left", "hostile/right", "-o", "markdown")[1],
        "large": socdrift(work, "diff", *sides, "-o", "markdown")[1],
    }


def mermaid_blocks(markdown):
    """The text of each ```mermaid fence (Markdown's fences, read line by line)."""
    blocks, current = [], None
    for line in markdown.splitlines():
        if current is None and line.strip() == "```mermaid":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


async def mermaid_graphs(browser, work, markdowns):
    shutil.copy(MERMAID_JS, work / "mermaid.min.js")
    (work / "mermaid.html").write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                                       '<script src="mermaid.min.js"></script></body></html>')
    page = await Page.open(browser, (work / "mermaid.html").as_uri())
    await page.eval("mermaid.initialize({startOnLoad: false, securityLevel: 'strict'}); true")
    # The checker can fail: Mermaid's parser refuses a broken graph.
    refused = await page.eval("""mermaid.parse('flowchart LR\\n  n0("unterminated --> n1').then(() => false, () => true)""")
    check("mermaid: its parser refuses a broken graph", refused is True, refused)
    for name, markdown in markdowns.items():
        blocks = mermaid_blocks(markdown)
        check(f"mermaid {name}: the Markdown has graphs", len(blocks) > 0, markdown[:300])
        check(f"mermaid {name}: the Markdown is under GitHub's comment limit",
              len(markdown) < GITHUB_COMMENT_LIMIT, len(markdown))
        for i, text in enumerate(blocks):
            result = await page.eval(f"""(async () => {{
                const text = {json.dumps(text)};
                try {{ await mermaid.parse(text); }} catch (e) {{ return {{error: 'parse: ' + e.message}}; }}
                try {{
                    const {{svg}} = await mermaid.render('graph{name}{i}', text);
                    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
                    const styled = c => doc.querySelectorAll('.node.' + c).length;
                    return {{nodes: doc.querySelectorAll('.node').length, changed: styled('changed'),
                             added: styled('added'), removed: styled('removed'), scripts: doc.querySelectorAll('script').length}};
                }} catch (e) {{ return {{error: 'render: ' + e.message}}; }}
            }})()""")
            wants = {"changed": 0, "added": 0, "removed": 0}
            for line in text.splitlines():
                words = line.split()
                if len(words) == 3 and words[0] == "class" and words[2] in wants:
                    wants[words[2]] += len(words[1].split(","))
            ok = "error" not in result and result["nodes"] > 0 and result["scripts"] == 0 and all(
                result[c] == wants[c] for c in wants)
            check(f"mermaid {name} graph {i + 1}: parses, renders, styles its changed nodes", ok,
                  f"{result}, expected {wants}\n{text[:2000]}")
    problems = page.problems()
    check("mermaid: no console error while rendering", not problems, problems)


async def main():
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="socdrift-review-page-"))
    browser = Browser()
    started = time.monotonic()
    try:
        await browser.connect()
        markdowns = await review_pages(browser, work)
        await mermaid_graphs(browser, work, markdowns)
    except Exception as err:  # a broken harness is a failure, not a pass
        check("the browser test ran to the end", False, repr(err))
    finally:
        await browser.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"review page test took {time.monotonic() - started:.1f}s; screenshots in {OUT}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
