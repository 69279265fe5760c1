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
. benches/lib.sh
mkdir -p "$WORK/redis" "$WORK/vitrine"
REDIS_PORT=$(free_port)
read -r REDIS_PID _ < <(start redis "$WORK/redis" "$REDIS_PORT")
VITRINE_PORT=$(free_port)
read -r VITRINE_PID _ < <(start vitrine "$WORK/vitrine" "$VITRINE_PORT")

echo "| test | pipeline | redis-server rps | vitrine rps | rps ratio | redis-server CPU ns/request | vitrine CPU ns/request | CPU ratio |"
echo "|---|---|---|---|---|---|---|---|"
for pipeline in 1 16; do
    # Pipelined runs are ~15x faster: more requests keep them long enough to measure.
    requests=$REQUESTS
    [ "$pipeline" -gt 1 ] && requests=$((REQUESTS * 5))
    for test in $TESTS; do
        r_rps=(); v_rps=(); r_cpu=(); v_cpu=()
        for _ in $(seq "$ROUNDS"); do
            read -r rps cpu < <(bench "$REDIS_PORT" "$REDIS_PID" "$test" "$pipeline" "$requests")
            r_rps+=("$rps"); r_cpu+=("$cpu")
            read -r rps cpu < <(bench "$VITRINE_PORT" "$VITRINE_PID" "$test" "$pipeline" "$requests")
            v_rps+=("$rps"); v_cpu+=("$cpu")
        done
        r=$(printf '%s\n' "${r_rps[@]}" | median); v=$(printf '%s\n' "${v_rps[@]}" | median)
        rc=$(printf '%s\n' "${r_cpu[@]}" | median); vc=$(printf '%s\n' "${v_cpu[@]}" | median)
        printf '| %s | %s | %.0f | %.0f | %s | %s | %s | %s |\n' "${test^^}" "$pipeline" "$r" "$v" \
            "$(ratio "$v" "$r")" "$rc" "$vc" "$(ratio "$rc" "$vc")"
    done
done
echo
echo "| memory (1,000,000 SET key:N value) | redis-server | vitrine | ratio |"
echo "|---|---|---|---|"
set_keys 1000000 >"$WORK/load.resp"
rss() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory_rss://p'; }
for port in "$REDIS_PORT" "$VITRINE_PORT"; do
    redis-cli -p "$port" flushall >/dev/null
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
done
r=$(rss "$REDIS_PORT"); v=$(rss "$VITRINE_PORT")
printf '| used_memory_rss | %s | %s | %s |\n' "$r" "$v" "$(ratio "$v" "$r")"
