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
WORK=$(mktemp -d)
PIDS=()
# stop PID...: SIGTERM, then wait until each is gone (they are not this
# shell's children: started in a process substitution)
stop() {
    kill "$@" 2>/dev/null || true
    for pid in "$@"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; done
}
cleanup() { stop "${PIDS[@]}"; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start BINARY NAME POLICY -> "port pid" of a fresh server in $WORK/NAME
start() {
    local port dir
    port=$(free_port)
    dir="$WORK/$2"
    rm -rf "$dir"; mkdir -p "$dir"
    "$1" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly yes --appendfsync "$3" \
        --daemonize no --protected-mode no --logfile "$dir/log" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "$port $pid"
}
# cpu_ns PID -> CPU time the process has used so far, in nanoseconds
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
# run PORT PID TEST PIPELINE REQUESTS -> "rps cpu_ns_per_request"
run() {
    local before after rps
    before=$(cpu_ns "$2")
    rps=$(redis-benchmark -p "$1" -q -t "$3" -n "$5" -c 50 -P "$4" 2>/dev/null |
        tr '\r' '\n' | { grep "requests per second" || echo ": 0 requests per second"; } | tail -1 |
        sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
    after=$(cpu_ns "$2")
    echo "$rps $(((after - before) / $5))"
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v v="$1" -v r="$2" 'BEGIN {if (r > 0) printf "%.2f", v / r; else print "n/a"}'; }

echo "| appendfsync | test | pipeline | redis-server rps | vitrine rps | rps ratio | redis-server CPU ns/request | vitrine CPU ns/request | CPU ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for policy in always everysec; do
    read -r RPORT RPID < <(start redis-server redis "$policy"); PIDS+=("$RPID")
    read -r VPORT VPID < <(start "$VITRINE" vitrine "$policy"); PIDS+=("$VPID")
    for pipeline in 1 16; do
        requests=$REQUESTS
        [ "$pipeline" -gt 1 ] && requests=$((REQUESTS * 5))
        for test in set incr; do
            r_all=(); v_all=(); r_cpu=(); v_cpu=()
            for _ in $(seq "$ROUNDS"); do
                read -r rps cpu < <(run "$RPORT" "$RPID" "$test" "$pipeline" "$requests")
                r_all+=("$rps"); r_cpu+=("$cpu")
                read -r rps cpu < <(run "$VPORT" "$VPID" "$test" "$pipeline" "$requests")
                v_all+=("$rps"); v_cpu+=("$cpu")
            done
            r=$(printf '%s\n' "${r_all[@]}" | median); v=$(printf '%s\n' "${v_all[@]}" | median)
            rc=$(printf '%s\n' "${r_cpu[@]}" | median); vc=$(printf '%s\n' "${v_cpu[@]}" | median)
            printf '| %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s |\n' "$policy" "${test^^}" "$pipeline" "$r" "$v" \
                "$(ratio "$v" "$r")" "$rc" "$vc" "$(ratio "$rc" "$vc")"
        done
    done
    stop "$RPID" "$VPID"
done

echo
echo "| BGREWRITEAOF, 1,000,000 keys (aof-use-rdb-preamble yes) | redis-server | vitrine | ratio |"
echo "|---|---|---|---|"
python3 -c '
import sys
out = sys.stdout
for i in range(1000000):
    out.write("*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$5\r\nvalue\r\n" % (len("key:%d" % i), i))
' >"$WORK/load.resp"
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
read -r RPORT RPID < <(start redis-server redis everysec); PIDS+=("$RPID")
read -r VPORT VPID < <(start "$VITRINE" vitrine everysec); PIDS+=("$VPID")
for port in "$RPORT" "$VPORT"; do redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null; done
r_all=(); v_all=()
for _ in $(seq "$ROUNDS"); do
    r_all+=("$(rewrite_ms "$RPORT")")
    v_all+=("$(rewrite_ms "$VPORT")")
done
r=$(printf '%s\n' "${r_all[@]}" | median); v=$(printf '%s\n' "${v_all[@]}" | median)
printf '| milliseconds (median of %s) | %s | %s | %s |\n' "$ROUNDS" "$r" "$v" "$(ratio "$v" "$r")"
