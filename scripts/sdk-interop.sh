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
# shellcheck source=scripts/lib/emulator.sh
. "$ROOT/scripts/lib/emulator.sh"

# A temporary key too, so the SDK's X-Security-Token signing is checked.
export SOC_SIM_TEMP_AK=SIMTEMPORARYKEY0000 SOC_SIM_TEMP_SK=sim-temporary-secret SOC_SIM_TEMP_TOKEN=sim-security-token
start_emulator 10 env SOC_SIM_TEMPORARY_KEY="$SOC_SIM_TEMP_AK:$SOC_SIM_TEMP_SK:$SOC_SIM_TEMP_TOKEN" \
    "$TARGET/debug/examples/serve"

SOC_SIM_ENDPOINT=$(banner_field listening)
SOC_SIM_PROJECT=$(banner_field project)
SOC_SIM_WORKSPACE=$(banner_field workspace soc-staging)
SOC_SIM_WORKSPACE_PROD=$(banner_field workspace soc-production)
if [ -z "$SOC_SIM_ENDPOINT" ] || [ -z "$SOC_SIM_WORKSPACE" ] || [ -z "$SOC_SIM_WORKSPACE_PROD" ]; then
    echo "could not read the soc-sim banner:" >&2
    cat "$WORK/banner" "$WORK/emulator.log" >&2
    exit 1
fi
export SOC_SIM_ENDPOINT SOC_SIM_PROJECT SOC_SIM_WORKSPACE SOC_SIM_WORKSPACE_PROD
echo "soc-sim at $SOC_SIM_ENDPOINT (pid $EMULATOR_PID)" >&2

"$VENV/bin/python" "$ROOT/scripts/sdk_interop.py"
