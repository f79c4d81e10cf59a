#!/usr/bin/env bash
# Store benchmark: `socdrift snapshot`, `check` and `diff` against the local emulator serving two
# generated workspaces (2,000 workflows each by default), measured with /usr/bin/time: wall time and
# peak resident memory (max RSS) of the socdrift process, and what each step adds to the store.
#
#   scripts/bench-store.sh                 # builds the release binary, generates the workspaces once
#   SOCDRIFT=/path/to/socdrift scripts/bench-store.sh   # measure another build (e.g. an older one)
#
# Environment (all optional):
#   SOCDRIFT   the binary to measure (default: target/release/socdrift, built here)
#   SIM        the binary that serves the emulator (default: the same as SOCDRIFT; `socdrift sim`)
#   RUNS       runs per measurement; the median is printed (default 3)
#   WORKFLOWS  workflows per workspace (default 2000)
#   NODES      BPMN nodes per workflow (default 40: about 73 KB per compact export)
#   GEN        where the generated workspaces are kept between runs
#              (default target/bench-store/gen-$WORKFLOWS-$NODES)
#   COMPARE    instead of the full run, "LABEL=BINARY LABEL=BINARY ...": first snapshots of those
#              builds, interleaved for RUNS rounds against one emulator (the machine's speed drifts
#              between minutes, so builds are compared within the same minutes), e.g.
#              COMPARE="old=/tmp/socdrift-old new=target/release/socdrift" RUNS=5 scripts/bench-store.sh
#
# Prints one line per measurement: what, median wall seconds, median CPU seconds (user + system, and
# system alone) of the socdrift process, median peak RSS in MB, and the runs; then what each step
# added to the store.
#
# Don't start a run within a few minutes of deleting many files (a previous run's cleanup, `rm -rf
# target`) on ext4 without a journal, as on our VMs: creating a file then looks past every inode freed
# in the last minute or more (the kernel's `recently_deleted`), and the 2,000 view files of a first
# snapshot cost up to 1.2 s more system time. The system figure shows it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Binaries given by a relative path are found from where the script was called: each measured
# command runs in its own folder.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
if [ -n "${SOCDRIFT:-}" ]; then SOCDRIFT=$(absolute "$SOCDRIFT"); fi
if [ -n "${SIM:-}" ]; then SIM=$(absolute "$SIM"); fi
if [ -n "${COMPARE:-}" ]; then
    builds=""
    for build in $COMPARE; do builds="$builds ${build%%=*}=$(absolute "${build#*=}")"; done
    COMPARE=$builds
fi
cd "$ROOT"
RUNS=${RUNS:-3}
WORKFLOWS=${WORKFLOWS:-2000}
NODES=${NODES:-40}
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
GEN=${GEN:-$TARGET/bench-store/gen-$WORKFLOWS-$NODES}

if [ -z "${SOCDRIFT:-}" ]; then
    cargo build --quiet --release -p soc-cli
    SOCDRIFT=$TARGET/release/socdrift
fi
SIM=${SIM:-$SOCDRIFT}
if [ ! -f "$GEN/production/workspace.json" ]; then
    echo "generating $WORKFLOWS workflows x $NODES nodes per workspace into $GEN" >&2
    cargo run --quiet --release -p soc-sim --example generate -- "$GEN.tmp" "$WORKFLOWS" "$NODES" >/dev/null
    rm -rf "$GEN" && mv "$GEN.tmp" "$GEN"
fi

WORK=$(mktemp -d)
# shellcheck source=scripts/lib/emulator.sh
. "$ROOT/scripts/lib/emulator.sh"
# Loading thousands of generated workflows takes a while: up to a minute.
start_emulator 60 "$SIM" sim --fixtures "$GEN"
ENDPOINT=$(banner_field listening)
PROJECT=$(banner_field project)
echo "emulator at $ENDPOINT, socdrift $SOCDRIFT" >&2

export HUAWEICLOUD_SDK_AK=SIMACCESSKEY0000000 HUAWEICLOUD_SDK_SK=sim-secret-key NO_COLOR=1
config() {
    mkdir -p "$1"
    cat >"$1/socdrift.toml" <<EOF
[env.staging]
endpoint = "$ENDPOINT"
project_id = "$PROJECT"
workspace = "gen-staging"

[env.production]
endpoint = "$ENDPOINT"
project_id = "$PROJECT"
workspace = "gen-production"
EOF
}

# measure NAME DIR COMMAND...: runs the command in DIR under /usr/bin/time; appends "seconds kb" to
# $WORK/NAME. Exit codes 0 and 1 (drift) are success.
measure() {
    local name=$1 dir=$2
    shift 2
    local code=0
    (cd "$dir" && /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$SOCDRIFT" "$@" >"$WORK/out" 2>"$WORK/err") || code=$?
    if [ "$code" -gt 1 ]; then
        echo "$name: socdrift $* exited $code" >&2
        cat "$WORK/err" >&2
        exit 1
    fi
    tail -1 "$WORK/time" >>"$WORK/$name"
}

# bytes DIR: bytes used on disk under DIR (0 when it does not exist).
bytes() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }

report() {
    python3 - "$1" "$WORK/$1" <<'EOF'
import statistics, sys
name, path = sys.argv[1], sys.argv[2]
runs = [tuple(map(float, line.split())) for line in open(path) if line.strip()]
secs = [r[0] for r in runs]
mbs = [r[1] / 1024 for r in runs]
cpus = [r[2] + r[3] for r in runs]
syss = [r[3] for r in runs]
print(f"{name:<22} {statistics.median(secs):6.2f} s  cpu {statistics.median(cpus):5.2f} s "
      f"(system {statistics.median(syss):4.2f} s)  "
      f"{statistics.median(mbs):6.1f} MB   runs: "
      + ", ".join(f"{s:.2f} s/{c:.2f} s/{m:.0f} MB" for s, c, m in zip(secs, cpus, mbs)))
EOF
}

growth() { printf '%-34s %s\n' "$1" "$(python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6:.2f} MB')" "$2")"; }

# folders DIR STEP: bytes per store folder (the layout's second level, e.g. store-v2/packs) after
# STEP, appended to $WORK/folders.
folders() {
    for folder in "$1"/.socdrift/*/ "$1"/.socdrift/*/*/; do
        [ -d "$folder" ] || continue
        printf '%s\t%s\t%s\n' "$2" "${folder#"$1"/.socdrift/}" "$(bytes "$folder")" >>"$WORK/folders"
    done
}

if [ -n "${COMPARE:-}" ]; then
    for run in $(seq 1 "$RUNS"); do
        for build in $COMPARE; do
            SOCDRIFT=${build#*=}
            config "$WORK/${build%%=*}-$run"
            measure "first-${build%%=*}" "$WORK/${build%%=*}-$run" snapshot --env staging
        done
    done
    echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for build in $COMPARE; do
        echo "$(report "first-${build%%=*}")   ${build#*=}"
    done
    exit 0
fi

for run in $(seq 1 "$RUNS"); do
    dir=$WORK/run$run
    config "$dir"
    : >"$WORK/folders"
    measure snapshot-first "$dir" snapshot --env staging
    size_first=$(bytes "$dir/.socdrift")
    folders "$dir" "first snapshot"
    measure snapshot-again "$dir" snapshot --env staging
    size_again=$(bytes "$dir/.socdrift")
    folders "$dir" "unchanged re-snapshot"
    measure snapshot-production "$dir" snapshot --env production
    size_both=$(bytes "$dir/.socdrift")
    folders "$dir" "other environment"
    measure check-both "$dir" check
    measure diff-snapshots "$dir" diff staging production
    echo "$size_first $size_again $size_both" >>"$WORK/sizes"
    raw=$(python3 - "$GEN/staging/workflows" <<'EOF'
import json, os, sys
d = sys.argv[1]
print(sum(len(json.dumps(json.load(open(os.path.join(d, f))), separators=(",", ":"), ensure_ascii=False).encode()) for f in os.listdir(d)))
EOF
)
    # Earlier runs' folders stay until the end: deleting their thousands of files just before the
    # next run made creating its view files slower (ext4 without a journal: see the top of this
    # script), which measured this script's cleanup, not socdrift.
done

echo
echo "socdrift: $SOCDRIFT ($("$SOCDRIFT" --version))"
echo "workspaces: $WORKFLOWS workflows x $NODES nodes; staging export about $(python3 -c "print(f'{$raw / 1e6:.1f}')") MB (compact JSON)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
for name in snapshot-first snapshot-again snapshot-production check-both diff-snapshots; do
    report "$name"
done
read -r first again both < <(tail -1 "$WORK/sizes")
echo
growth "store after the first snapshot" "$first"
growth "added by an unchanged re-snapshot" "$((again - first))"
growth "added by the other environment" "$((both - again))"
echo
echo "store folders (MB) after each step of the last run:"
python3 - "$WORK/folders" <<'EOF'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
steps = list(dict.fromkeys(r[0] for r in rows))
folders = list(dict.fromkeys(r[1] for r in rows))
size = {(r[0], r[1]): int(r[2]) for r in rows}
print(f"{'folder':<28}" + "".join(f"{s:>24}" for s in steps))
for folder in folders:
    print(f"{folder:<28}" + "".join(f"{size.get((s, folder), 0) / 1e6:>24.2f}" for s in steps))
EOF
