#!/usr/bin/env bash
# The append-only file side by side: vitrine-server and redis-server 7.0
# with `appendonly yes`, each in its own directory on the same disk.
#
# For each fsync policy (always, everysec) both servers are started fresh
# and redis-benchmark runs SET and INCR at -P 1 and -P 16 (-c 50) against
# one then the other, ROUNDS times; the median requests/second of each and
# the ratio vitrine / redis (above 1.0 = vitrine faster) are printed, and
# the median CPU time each server spent per request (all its threads,
# from /proc/PID/task/*/schedstat) with the ratio redis / vitrine (above
# 1.0 = vitrine cheaper): under `always` the disk's fsync latency, shared
# with whatever else runs on the machine, sets the request rate of both,
# so the CPU figure is the steadier measure of the server. Then
# 1,000,000 `SET key:N value` keys are loaded into each and BGREWRITEAOF
# is timed from the command to the end of the rewrite (INFO polled every
# 10 ms), ratio vitrine / redis (below 1.0 = vitrine faster).
#
# Usage: benches/aof.sh [ROUNDS] [REQUESTS]     (defaults 3 and 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
REQUESTS=${2:-100000}

cargo build --release -p vitrine-server >/dev/null 2>&1 || cargo build --release -p vitrine-server
VITRINE=target/release/vitrine-server
. benches/lib.sh

# aof_server KIND POLICY -> "port pid" of a fresh server with appendonly
# yes in its own directory under $WORK
aof_server() {
    local port dir pid
    port=$(free_port)
    dir=$(mktemp -d -p "$WORK")
    read -r pid _ < <(start "$1" "$dir" "$port" --appendonly yes --appendfsync "$2")
    echo "$port $pid"
}

echo "| appendfsync | test | pipeline | redis-server rps | vitrine rps | rps ratio | redis-server CPU ns/request | vitrine CPU ns/request | CPU ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for policy in always everysec; do
    read -r RPORT RPID < <(aof_server redis "$policy")
    read -r VPORT VPID < <(aof_server vitrine "$policy")
    for pipeline in 1 16; do
        requests=$REQUESTS
        [ "$pipeline" -gt 1 ] && requests=$((REQUESTS * 5))
        for test in set incr; do
            r_all=(); v_all=(); r_cpu=(); v_cpu=()
            for _ in $(seq "$ROUNDS"); do
                read -r rps cpu < <(bench "$RPORT" "$RPID" "$test" "$pipeline" "$requests")
                r_all+=("$rps"); r_cpu+=("$cpu")
                read -r rps cpu < <(bench "$VPORT" "$VPID" "$test" "$pipeline" "$requests")
                v_all+=("$rps"); v_cpu+=("$cpu")
            done
            r=$(printf '%s\n' "${r_all[@]}" | median); v=$(printf '%s\n' "${v_all[@]}" | median)
            rc=$(printf '%s\n' "${r_cpu[@]}" | median); vc=$(printf '%s\n' "${v_cpu[@]}" | median)
            printf '| %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s |\n' "$policy" "${test^^}" "$pipeline" "$r" "$v" \
                "$(ratio "$v" "$r")" "$rc" "$vc" "$(ratio "$rc" "$vc")"
        done
    done
    stop "$RPORT" "$RPID"
    stop "$VPORT" "$VPID"
done

echo
echo "| BGREWRITEAOF, 1,000,000 keys (aof-use-rdb-preamble yes) | redis-server | vitrine | ratio |"
echo "|---|---|---|---|"
set_keys 1000000 >"$WORK/load.resp"
# rewrite_ms PORT -> milliseconds from BGREWRITEAOF to the end of the rewrite
rewrite_ms() {
    local start end
    start=$(date +%s%N)
    redis-cli -p "$1" bgrewriteaof >/dev/null
    sleep 0.01
    while redis-cli -p "$1" info persistence | tr -d '\r' | grep -q '^aof_rewrite_in_progress:1'; do sleep 0.01; done
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
read -r RPORT RPID < <(aof_server redis everysec)
read -r VPORT VPID < <(aof_server vitrine everysec)
for port in "$RPORT" "$VPORT"; do redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null; done
r_all=(); v_all=()
for _ in $(seq "$ROUNDS"); do
    r_all+=("$(rewrite_ms "$RPORT")")
    v_all+=("$(rewrite_ms "$VPORT")")
done
r=$(printf '%s\n' "${r_all[@]}" | median); v=$(printf '%s\n' "${v_all[@]}" | median)
printf '| milliseconds (median of %s) | %s | %s | %s |\n' "$ROUNDS" "$r" "$v" "$(ratio "$v" "$r")"
