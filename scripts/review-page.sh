#!/usr/bin/env bash
# Browser test of the review page (`-o html`) and of the Mermaid graphs of Markdown reports.
#
# Builds socdrift and soc-sim's workspace generator, then scripts/review_page.py
#   - makes pages: the demo's, one of hostile names, one of a large generated workspace
#     (200-node workflows), one whose taskflows have no diagram coordinates;
#   - opens each in headless Chromium over the DevTools protocol and checks through the DOM that
#     every node the JSON report says changed carries its `data-change` on the right canvas, that
#     the page requested nothing but itself, logged no error and ran no injected script, that
#     zoom and the links to nodes work; takes a screenshot of each (target/review-page/);
#   - parses and renders every Mermaid graph of the Markdown reports with Mermaid itself (the npm
#     package, in the same browser, strict security as GitHub uses) and checks the Markdown of
#     the large workspace stays under GitHub's 65,536-character comment limit.
# Installs what it needs when missing: Chromium (Debian package `chromium`), npm (to fetch the
# `mermaid` package with `npm pack`), and `websockets` into the shared venv.
# Prints `N passed, M failed` last and exits non-zero on any failure.
#
# Environment:
#   SOC_SIM_SDK_VENV         venv path, shared with scripts/sdk-interop.sh (default: <repo>/target/sdk-venv)
#   REVIEW_PAGE_SCREENSHOT   also write the demo page's screenshot to this file (e.g. docs/review-page.png)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${SOC_SIM_SDK_VENV:-$ROOT/target/sdk-venv}
# The Mermaid release GitHub's renderer follows (major 11); pinned so that CI is repeatable.
MERMAID_VERSION=11.17.2
cd "$ROOT"

apt_install() {
    if command -v apt-get >/dev/null 2>&1; then
        echo "installing $* with apt-get" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    fi
}

command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v npm >/dev/null 2>&1 || apt_install npm
for tool in chromium npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: $tool is missing and could not be installed (apt-get install $tool)" >&2
        exit 1
    fi
done

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv $VENV" >&2
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import websockets" 2>/dev/null; then
    echo "installing websockets into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check websockets
fi

TARGET=$(cargo metadata --format-version 1 --no-deps \
    | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT="$TARGET/review-page"
mkdir -p "$OUT"

# Mermaid's browser bundle, from the npm registry's tarball (no install, no scripts run).
MERMAID_JS="$OUT/mermaid-$MERMAID_VERSION.min.js"
if [ ! -s "$MERMAID_JS" ]; then
    echo "fetching mermaid@$MERMAID_VERSION with npm pack" >&2
    PACK=$(mktemp -d)
    (cd "$PACK" && npm pack --silent "mermaid@$MERMAID_VERSION" >/dev/null)
    tar -xzf "$PACK"/mermaid-*.tgz -C "$PACK" package/dist/mermaid.min.js
    mv "$PACK/package/dist/mermaid.min.js" "$MERMAID_JS"
    rm -rf "$PACK"
fi

cargo build --quiet -p soc-cli
cargo build --quiet -p soc-sim --example generate

SOCDRIFT="$TARGET/debug/socdrift" GENERATE="$TARGET/debug/examples/generate" \
    MERMAID_JS="$MERMAID_JS" OUT="$OUT" CHROMIUM="$(command -v chromium)" \
    "$VENV/bin/python" "$ROOT/scripts/review_page.py"
