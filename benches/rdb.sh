#!/usr/bin/env bash
# RDB load and save speed, decoder memory, and client latency during
# BGSAVE: vitrine-server against redis-server, side by side, same machine,
# same file.
#
# 1. A 1,000,000-key mixed dataset (small and large strings, hashes, lists,
#    sets, sorted sets) is loaded into redis-server with `redis-cli --pipe`
#    and saved: that dump.rdb is the file both servers then load.
# 2. Load: each server starts on the file; the time from start to the first
#    PONG, median of ROUNDS, ratio redis / vitrine (above 1.0 = vitrine
#    faster).
# 3. Save: `SAVE` on each server holding the same data, median of ROUNDS,
#    ratio redis / vitrine.
# 4. Decoder memory: the streaming decoder alone (examples/rdb_decode.rs)
#    reads the file in 64 KiB chunks; its peak RSS is compared with the
#    file size.
# 5. Latency during BGSAVE: redis-benchmark GETs from 20 clients while the
#    server writes the snapshot in the background; p50/p99/max latency of
#    each server (ratio redis / vitrine for p99).
#
# Usage: benches/rdb.sh [ROUNDS]     (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}

cargo build --release -p vitrine-server --bin vitrine-server --example rdb_decode >/dev/null 2>&1 ||
    cargo build --release -p vitrine-server --bin vitrine-server --example rdb_decode
VITRINE=target/release/vitrine-server
DECODE=target/release/examples/rdb_decode
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
COMMON=(--bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no)
now_ms() { date +%s%3N; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# start KIND DIR PORT -> starts a server on DIR/dump.rdb, waits for PONG,
# prints "PID MILLISECONDS-TO-PONG"
start() {
    local binary=redis-server
    [ "$1" = vitrine ] && binary=$VITRINE
    local began
    began=$(now_ms)
    "$binary" --port "$3" --dir "$2" --dbfilename dump.rdb "${COMMON[@]}" >"$2/$1.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    until [ "$(redis-cli -p "$3" ping 2>/dev/null)" = PONG ]; do
        kill -0 "$pid" 2>/dev/null || { echo "$1 failed to start:" >&2; cat "$2/$1.log" >&2; exit 1; }
        sleep 0.01
    done
    echo "$pid $(( $(now_ms) - began ))"
}
stop() { redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true; wait "$2" 2>/dev/null || true; }

echo "Generating the dataset..." >&2
python3 - >"$WORK/load.resp" <<'EOF'
import sys, random
random.seed(7)
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
words = [("word%d" % i).encode() for i in range(5000)]
for i in range(600000):
    cmd("SET", "str:%d" % i, "value-%d" % i)
for i in range(50000):
    cmd("SET", "big:%d" % i, b" ".join(random.choice(words) for _ in range(120)))
for i in range(100000):
    cmd("HSET", "hash:%d" % i, *[x for j in range(5) for x in ("f%d" % j, "v%d" % (i + j))])
for i in range(1000):
    cmd("HSET", "bighash:%d" % i, *[x for j in range(200) for x in ("field%d" % j, "value%d" % j)])
for i in range(100000):
    cmd("RPUSH", "list:%d" % i, *["e%d" % j for j in range(5)])
for i in range(1000):
    cmd("RPUSH", "biglist:%d" % i, *["element-%d" % j for j in range(1000)])
for i in range(75000):
    cmd("SADD", "intset:%d" % i, *[i + j for j in range(5)])
for i in range(22000):
    cmd("SADD", "set:%d" % i, *["m%d" % j for j in range(5)])
for i in range(1000):
    cmd("SADD", "bigset:%d" % i, *["member%d" % j for j in range(600)])
for i in range(50000):
    cmd("ZADD", "zset:%d" % i, *[x for j in range(5) for x in (j * 1.5, "z%d" % j)])
for i in range(1000):
    cmd("ZADD", "bigzset:%d" % i, *[x for j in range(200) for x in (j * 0.25, "zm%d" % j)])
EOF

mkdir -p "$WORK/redis" "$WORK/vitrine" "$WORK/seed"
port=$(free_port)
read -r pid _ < <(start redis "$WORK/seed" "$port")
redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
redis-cli -p "$port" save >/dev/null
keys=$(redis-cli -p "$port" dbsize)
stop "$port" "$pid"
FILE=$WORK/seed/dump.rdb
size=$(stat -c %s "$FILE")
echo "Dataset: $keys keys, dump.rdb of $size bytes" >&2

declare -A load_ms save_ms
for kind in redis vitrine; do
    loads=(); saves=()
    for _ in $(seq "$ROUNDS"); do
        cp "$FILE" "$WORK/$kind/dump.rdb"
        port=$(free_port)
        read -r pid ms < <(start "$kind" "$WORK/$kind" "$port")
        loads+=("$ms")
        [ "$(redis-cli -p "$port" dbsize)" = "$keys" ] || { echo "$kind loaded a different key count" >&2; exit 1; }
        began=$(now_ms)
        redis-cli -p "$port" save >/dev/null
        saves+=("$(( $(now_ms) - began ))")
        stop "$port" "$pid"
    done
    load_ms[$kind]=$(printf '%s\n' "${loads[@]}" | median)
    save_ms[$kind]=$(printf '%s\n' "${saves[@]}" | median)
done

echo "| $keys keys, $size-byte RDB | redis-server | vitrine | ratio (redis / vitrine) |"
echo "|---|---|---|---|"
echo "| load (start to first PONG), ms | ${load_ms[redis]} | ${load_ms[vitrine]} | $(ratio "${load_ms[redis]}" "${load_ms[vitrine]}") |"
echo "| SAVE, ms | ${save_ms[redis]} | ${save_ms[vitrine]} | $(ratio "${save_ms[redis]}" "${save_ms[vitrine]}") |"

read -r peak decoded < <("$DECODE" "$FILE")
echo
echo "| decoder alone on the same file | file bytes | peak RSS bytes | peak RSS / file |"
echo "|---|---|---|---|"
echo "| $decoded keys decoded in 64 KiB chunks | $size | $peak | $(ratio "$peak" "$size") |"

# latency KIND -> "p50 p99 max" of GETs from 20 clients during a BGSAVE
latency() {
    cp "$FILE" "$WORK/$1/dump.rdb"
    local port pid summary
    port=$(free_port)
    read -r pid _ < <(start "$1" "$WORK/$1" "$port")
    redis-cli -p "$port" bgsave >/dev/null
    summary=$(redis-benchmark -p "$port" -t get -n 300000 -c 20 -r 600000 2>/dev/null | tr '\r' '\n' |
        awk '/latency summary/ {getline; getline; print $3, $5, $6}')
    while [ "$(redis-cli -p "$port" info persistence | tr -d '\r' | sed -n 's/^rdb_bgsave_in_progress://p')" = 1 ]; do
        sleep 0.05
    done
    stop "$port" "$pid"
    echo "$summary"
}
read -r r50 r99 rmax < <(latency redis)
read -r v50 v99 vmax < <(latency vitrine)
echo
echo "| GET latency during BGSAVE (ms) | redis-server | vitrine | ratio (redis / vitrine) |"
echo "|---|---|---|---|"
echo "| p50 | $r50 | $v50 | $(ratio "$r50" "$v50") |"
echo "| p99 | $r99 | $v99 | $(ratio "$r99" "$v99") |"
echo "| max | $rmax | $vmax | $(ratio "$rmax" "$vmax") |"
