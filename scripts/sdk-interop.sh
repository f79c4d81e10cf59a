#!/usr/bin/env bash
# SDK interop test: the official Huawei Cloud Python SDK against a local soc-sim.
#
# Creates (once) a venv with huaweicloudsdksecmaster + huaweicloudsdkcore, builds and starts the
# simulator example on an ephemeral loopback port, runs scripts/sdk_interop.py against it, and
# stops the simulator on exit. Idempotent; prints `N passed, M failed` last and exits non-zero on
# any failure.
#
# Environment:
#   SOC_SIM_SDK_VENV  venv path (default: <repo>/target/sdk-venv)
#   CARGO_TARGET_DIR  honoured as usual by cargo
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${SOC_SIM_SDK_VENV:-$ROOT/target/sdk-venv}
cd "$ROOT"

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv $VENV" >&2
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import huaweicloudsdksecmaster, huaweicloudsdkcore" 2>/dev/null; then
    echo "installing the Huawei Cloud Python SDK into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check huaweicloudsdksecmaster huaweicloudsdkcore
fi

cargo build --quiet -p soc-sim --example serve
TARGET=$(cargo metadata --format-version 1 --no-deps \
    | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

WORK=$(mktemp -d)
SIM_PID=""
cleanup() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# A temporary key too, so the SDK's X-Security-Token signing is checked.
export SOC_SIM_TEMP_AK=SIMTEMPORARYKEY0000 SOC_SIM_TEMP_SK=sim-temporary-secret SOC_SIM_TEMP_TOKEN=sim-security-token
SOC_SIM_TEMPORARY_KEY="$SOC_SIM_TEMP_AK:$SOC_SIM_TEMP_SK:$SOC_SIM_TEMP_TOKEN" \
    "$TARGET/debug/examples/serve" >"$WORK/banner" 2>"$WORK/stderr" &
SIM_PID=$!

# The banner is complete once both bundled workspaces are listed.
for _ in $(seq 1 100); do
    if [ "$(grep -c '^workspace ' "$WORK/banner" || true)" -ge 2 ]; then break; fi
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
        echo "soc-sim exited early:" >&2
        cat "$WORK/stderr" >&2
        exit 1
    fi
    sleep 0.1
done

field() { awk -v k="$1" -v n="$2" '$1 == k && (n == "" || $2 == n) { print $NF; exit }' "$WORK/banner"; }
SOC_SIM_ENDPOINT=$(field listening "")
SOC_SIM_PROJECT=$(field project "")
SOC_SIM_WORKSPACE=$(field workspace soc-staging)
SOC_SIM_WORKSPACE_PROD=$(field workspace soc-production)
if [ -z "$SOC_SIM_ENDPOINT" ] || [ -z "$SOC_SIM_WORKSPACE" ] || [ -z "$SOC_SIM_WORKSPACE_PROD" ]; then
    echo "could not read the soc-sim banner:" >&2
    cat "$WORK/banner" "$WORK/stderr" >&2
    exit 1
fi
export SOC_SIM_ENDPOINT SOC_SIM_PROJECT SOC_SIM_WORKSPACE SOC_SIM_WORKSPACE_PROD
echo "soc-sim at $SOC_SIM_ENDPOINT (pid $SIM_PID)" >&2

"$VENV/bin/python" "$ROOT/scripts/sdk_interop.py"
