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
. benches/lib.sh

echo "Generating the dataset..." >&2
python3 benches/dataset.py >"$WORK/load.resp"

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
