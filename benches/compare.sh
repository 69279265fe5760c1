#!/usr/bin/env bash
# Side-by-side throughput and memory of vitrine-server and redis-server.
#
# Both servers run on free loopback ports with the same settings;
# redis-benchmark runs each test against one then the other, ROUNDS times,
# and the median requests/second of each goes into a table with the ratio
# vitrine / redis (above 1.0 = vitrine faster). Then 1,000,000
# `SET key:N value` keys are loaded into each with `redis-cli --pipe` and
# used_memory_rss is compared (below 1.0 = vitrine smaller).
#
# Usage: benches/compare.sh [ROUNDS] [REQUESTS]     (defaults 3 and 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
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

# rps TEST PORT PIPELINE -> requests per second of one redis-benchmark run
rps() {
    redis-benchmark -p "$2" -q -t "$1" -n "$REQUESTS" -c 50 -P "$3" 2>/dev/null |
        tr '\r' '\n' | { grep "requests per second" || echo ": 0 requests per second"; } | tail -1 |
        sed 's/.*: \([0-9.]*\) requests per second.*/\1/'
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "| test | pipeline | redis-server rps | vitrine rps | ratio |"
echo "|---|---|---|---|---|"
for pipeline in 1 16; do
    for test in $TESTS; do
        redis_runs=(); vitrine_runs=()
        for _ in $(seq "$ROUNDS"); do
            redis_runs+=("$(rps "$test" "$REDIS_PORT" "$pipeline")")
            vitrine_runs+=("$(rps "$test" "$VITRINE_PORT" "$pipeline")")
        done
        r=$(printf '%s\n' "${redis_runs[@]}" | median)
        v=$(printf '%s\n' "${vitrine_runs[@]}" | median)
        ratio=$(awk -v v="$v" -v r="$r" 'BEGIN {if (r > 0) printf "%.2f", v / r; else print "n/a"}')
        printf '| %s | %s | %.0f | %.0f | %s |\n' "${test^^}" "$pipeline" "$r" "$v" "$ratio"
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
