#!/usr/bin/env bash
# Report and CI-recipe test: real consumers read what socdrift writes.
#
# Builds socdrift, then scripts/ci_recipes.py
#   - runs `check` and `diff` over the bundled fixtures with one, two and three pairs, the failing
#     pair first, in the middle and last, and validates every JSON report against
#     docs/report.schema.json (Python `jsonschema`) and every JUnit report with `junitparser`;
#   - runs every command of docs/ci.md (GitHub Actions `run:` steps, GitLab `script`s, `sh` blocks)
#     in a scratch folder and checks what they produce; the recipes that share the store between
#     runners run in clones of a bare git repository (file://) against `socdrift sim`.
# Makes (once) a venv with jsonschema, junitparser and PyYAML; installs jq with apt-get if missing.
# Prints `N passed, M failed` last and exits non-zero on any failure.
#
# Environment:
#   SOC_SIM_SDK_VENV  venv path, shared with scripts/sdk-interop.sh (default: <repo>/target/sdk-venv)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${SOC_SIM_SDK_VENV:-$ROOT/target/sdk-venv}
cd "$ROOT"

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv $VENV" >&2
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import jsonschema, junitparser, yaml" 2>/dev/null; then
    echo "installing jsonschema, junitparser and PyYAML into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check jsonschema junitparser pyyaml
fi
if ! command -v jq >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "installing jq (docs/ci.md uses it)" >&2
        apt-get update -qq && apt-get install -y -qq jq >/dev/null
    fi
fi

cargo build --quiet -p soc-cli
TARGET=$(cargo metadata --format-version 1 --no-deps \
    | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

SOCDRIFT="$TARGET/debug/socdrift" "$VENV/bin/python" "$ROOT/scripts/ci_recipes.py"
