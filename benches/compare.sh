#!/usr/bin/env bash
# Side-by-side throughput and memory of vitrine-server and redis-server.
#
# Both servers run on free loopback ports with the same settings;
# redis-benchmark runs each test against one then the other, ROUNDS times.
# The table gives the median requests/second of each with the ratio
# vitrine / redis (above 1.0 = vitrine faster), and the median CPU time
# each server spent per request (from /proc/PID/task/*/schedstat) with the
# ratio redis / vitrine (above 1.0 = vitrine cheaper). On a small machine
# redis-benchmark shares the cores with the server and often limits the
# request rate itself; the CPU cost per request is then the sharper
# measure of the server. Then 1,000,000
# `SET key:N value` keys are loaded into each with `redis-cli --pipe` and
# used_memory_rss is compared (below 1.0 = vitrine smaller).
#
# Usage: benches/compare.sh [ROUNDS] [REQUESTS]     (defaults 5 and 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
REQUESTS=${2:-200000}
TESTS="set get incr lpush lpop sadd hset zadd mset"

cargo build --release -p vitrine-server >/dev/null 2>&1 || cargo build --release -p vitrine-server
VITRINE=target/release/vitrine-server
WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REDIS_PORT=$(free_port)
VITRINE_PORT=$(free_port)
COMMON=(--bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no)
redis-server --port "$REDIS_PORT" --dir "$WORK" "${COMMON[@]}" >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
"$VITRINE" --port "$VITRINE_PORT" --dir "$WORK" "${COMMON[@]}" >"$WORK/vitrine.log" 2>&1 &
VITRINE_PID=$!
cleanup() { kill "$REDIS_PID" "$VITRINE_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
for port in "$REDIS_PORT" "$VITRINE_PORT"; do
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

# cpu_ns PID -> CPU time the process has used so far, in nanoseconds (all threads)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
# run TEST PORT PID PIPELINE REQUESTS -> "rps cpu_ns_per_request" of one redis-benchmark run
run() {
    local before after rps
    before=$(cpu_ns "$3")
    rps=$(redis-benchmark -p "$2" -q -t "$1" -n "$5" -c 50 -P "$4" 2>/dev/null |
        tr '\r' '\n' | { grep "requests per second" || echo ": 0 requests per second"; } | tail -1 |
        sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
    after=$(cpu_ns "$3")
    echo "$rps $(( (after - before) / $5 ))"
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "| test | pipeline | redis-server rps | vitrine rps | rps ratio | redis-server CPU ns/request | vitrine CPU ns/request | CPU ratio |"
echo "|---|---|---|---|---|---|---|---|"
for pipeline in 1 16; do
    # Pipelined runs are ~15x faster: more requests keep them long enough to measure.
    requests=$REQUESTS
    [ "$pipeline" -gt 1 ] && requests=$((REQUESTS * 5))
    for test in $TESTS; do
        r_rps=(); v_rps=(); r_cpu=(); v_cpu=()
        for _ in $(seq "$ROUNDS"); do
            read -r rps cpu < <(run "$test" "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$requests")
            r_rps+=("$rps"); r_cpu+=("$cpu")
            read -r rps cpu < <(run "$test" "$VITRINE_PORT" "$VITRINE_PID" "$pipeline" "$requests")
            v_rps+=("$rps"); v_cpu+=("$cpu")
        done
        r=$(printf '%s\n' "${r_rps[@]}" | median); v=$(printf '%s\n' "${v_rps[@]}" | median)
        rc=$(printf '%s\n' "${r_cpu[@]}" | median); vc=$(printf '%s\n' "${v_cpu[@]}" | median)
        printf '| %s | %s | %.0f | %.0f | %s | %s | %s | %s |\n' "${test^^}" "$pipeline" "$r" "$v" \
            "$(awk -v v="$v" -v r="$r" 'BEGIN {if (r > 0) printf "%.2f", v / r; else print "n/a"}')" \
            "$rc" "$vc" "$(awk -v v="$vc" -v r="$rc" 'BEGIN {if (v > 0) printf "%.2f", r / v; else print "n/a"}')"
    done
done
echo
echo "| memory (1,000,000 SET key:N value) | redis-server | vitrine | ratio |"
echo "|---|---|---|---|"
python3 -c '
import sys
out = sys.stdout
for i in range(1000000):
    out.write("*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$5\r\nvalue\r\n" % (len("key:%d" % i), i))
' >"$WORK/load.resp"
rss() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory_rss://p'; }
for port in "$REDIS_PORT" "$VITRINE_PORT"; do
    redis-cli -p "$port" flushall >/dev/null
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
done
r=$(rss "$REDIS_PORT"); v=$(rss "$VITRINE_PORT")
printf '| used_memory_rss | %s | %s | %s |\n' "$r" "$v" "$(awk -v v="$v" -v r="$r" 'BEGIN {printf "%.2f", v / r}')"
