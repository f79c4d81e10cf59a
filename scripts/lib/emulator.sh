# Sourced by the scripts that serve the emulator to a client (sdk-interop.sh, bench-store.sh).
# Needs WORK (a scratch folder, removed on exit with the emulator stopped).
#
#   start_emulator SECONDS COMMAND...
#                               runs COMMAND in the background, its banner in $WORK/banner and its
#                               stderr in $WORK/emulator.log; returns once the banner lists two
#                               workspaces, exits 1 (showing the log) if the emulator stops first or
#                               SECONDS pass
#   banner_field KEY [NAME]     the last word of the banner line starting with KEY (and NAME)

EMULATOR_PID=""

stop_emulator() {
    if [ -n "$EMULATOR_PID" ]; then
        kill "$EMULATOR_PID" 2>/dev/null || true
        wait "$EMULATOR_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap stop_emulator EXIT INT TERM

start_emulator() {
    local seconds=$1
    shift
    "$@" >"$WORK/banner" 2>"$WORK/emulator.log" &
    EMULATOR_PID=$!
    for _ in $(seq 1 $((seconds * 10))); do
        if [ "$(grep -c '^workspace ' "$WORK/banner" || true)" -ge 2 ]; then return 0; fi
        if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
            echo "the emulator exited early:" >&2
            cat "$WORK/emulator.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "the emulator listed no two workspaces within $seconds s:" >&2
    cat "$WORK/banner" "$WORK/emulator.log" >&2
    exit 1
}

banner_field() {
    awk -v k="$1" -v n="${2:-}" '$1 == k && (n == "" || $2 == n) { print $NF; exit }' "$WORK/banner"
}
