#!/usr/bin/env bash
# Replication against redis-server, side by side, same machine, same data:
#
# 1. Full sync: a master holding the 1,000,000-key mixed dataset of
#    benches/dataset.py (loaded from one dump.rdb both kinds read) and an
#    empty replica of the same kind; the time from REPLICAOF to the replica
#    being in sync (link up, no sync in progress, offsets equal), disk-backed
#    (repl-diskless-sync no) and diskless (yes, no delay). vitrine → vitrine
#    against redis → redis, median of ROUNDS, ratio redis / vitrine (above
#    1.0 = vitrine faster).
# 2. Master throughput with two replicas attached: redis-benchmark -P 16
#    against each master, ratio vitrine / redis of requests per second.
# 3. Replication lag under that load: while redis-benchmark -P 16 writes,
#    examples/repl_lag.rs writes a fresh value to the master and polls a
#    replica until it sees it: p50, p99 and max milliseconds.
#
# Usage: benches/replication.sh [ROUNDS] [REQUESTS]   (defaults 3, 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
REQUESTS=${2:-1000000}

cargo build --release -p vitrine-server --bin vitrine-server --example repl_lag >/dev/null 2>&1 ||
    cargo build --release -p vitrine-server --bin vitrine-server --example repl_lag
VITRINE=target/release/vitrine-server
LAG=target/release/examples/repl_lag
. benches/lib.sh

echo "Generating the dataset..." >&2
python3 benches/dataset.py >"$WORK/load.resp"
mkdir -p "$WORK/seed"
port=$(free_port)
read -r pid _ < <(start redis "$WORK/seed" "$port")
redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
redis-cli -p "$port" save >/dev/null
KEYS=$(redis-cli -p "$port" dbsize)
stop "$port" "$pid"
size=$(stat -c %s "$WORK/seed/dump.rdb")
echo "Dataset: $KEYS keys, dump.rdb of $size bytes" >&2

# in_sync MASTER_PORT REPLICA_PORT -> true once the replica's link is up,
# no sync runs, and it applied everything the master sent
in_sync() {
    local info
    info=$(redis-cli -p "$2" info replication | tr -d '\r')
    grep -q '^master_link_status:up' <<<"$info" || return 1
    grep -q '^master_sync_in_progress:0' <<<"$info" || return 1
    [ "$(sed -n 's/^slave_repl_offset://p' <<<"$info")" = "$(info_field "$1" replication master_repl_offset)" ]
}

# full_sync KIND DISKLESS -> milliseconds from REPLICAOF to in sync
full_sync() {
    local kind=$1 diskless=$2 dir mport rport mpid rpid began ms
    dir=$(mktemp -d -p "$WORK")
    mkdir -p "$dir/master" "$dir/replica"
    cp "$WORK/seed/dump.rdb" "$dir/master/dump.rdb"
    mport=$(free_port)
    read -r mpid _ < <(start "$kind" "$dir/master" "$mport" --repl-diskless-sync "$diskless" --repl-diskless-sync-delay 0)
    rport=$(free_port)
    read -r rpid _ < <(start "$kind" "$dir/replica" "$rport")
    began=$(now_ms)
    redis-cli -p "$rport" replicaof 127.0.0.1 "$mport" >/dev/null
    until in_sync "$mport" "$rport"; do sleep 0.005; done
    ms=$(( $(now_ms) - began ))
    [ "$(redis-cli -p "$rport" dbsize)" = "$KEYS" ] || { echo "$kind replica has a different key count" >&2; exit 1; }
    stop "$rport" "$rpid"
    stop "$mport" "$mpid"
    rm -rf "$dir"
    echo "$ms"
}

declare -A sync_ms
for mode in no yes; do
    for kind in redis vitrine; do
        runs=()
        for _ in $(seq "$ROUNDS"); do runs+=("$(full_sync "$kind" "$mode")"); done
        sync_ms[$kind-$mode]=$(printf '%s\n' "${runs[@]}" | median)
    done
done
echo "| full sync of $KEYS keys ($size-byte RDB), ms | redis → redis | vitrine → vitrine | ratio (redis / vitrine) |"
echo "|---|---|---|---|"
echo "| disk-backed | ${sync_ms[redis-no]} | ${sync_ms[vitrine-no]} | $(ratio "${sync_ms[redis-no]}" "${sync_ms[vitrine-no]}") |"
echo "| diskless | ${sync_ms[redis-yes]} | ${sync_ms[vitrine-yes]} | $(ratio "${sync_ms[redis-yes]}" "${sync_ms[vitrine-yes]}") |"

# A master of KIND with two replicas, in sync: sets MPORT, RPORTS, SPIDS.
with_replicas() {
    local kind=$1 dir port pid
    dir=$(mktemp -d -p "$WORK")
    MPORT=$(free_port)
    read -r pid _ < <(start "$kind" "$dir" "$MPORT")
    SPIDS=("$pid")
    RPORTS=()
    for _ in 1 2; do
        port=$(free_port)
        mkdir -p "$dir/$port"
        read -r pid _ < <(start "$kind" "$dir/$port" "$port" --replicaof 127.0.0.1 "$MPORT")
        RPORTS+=("$port")
        SPIDS+=("$pid")
    done
    for port in "${RPORTS[@]}"; do until in_sync "$MPORT" "$port"; do sleep 0.01; done; done
}
stop_all() {
    for port in "${RPORTS[@]}" "$MPORT"; do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
    for pid in "${SPIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

TESTS=set,get,incr,lpush,hset
# throughput KIND -> "test rps" lines, two replicas attached
throughput() {
    with_replicas "$1"
    redis-benchmark -p "$MPORT" -P 16 -t "$TESTS" -n "$REQUESTS" -r 100000 --csv 2>/dev/null |
        tr -d '"' | awk -F, 'NR > 1 {print tolower($1), $2}'
    for port in "${RPORTS[@]}"; do until in_sync "$MPORT" "$port"; do sleep 0.01; done; done
    stop_all
}
declare -A rps
for _ in $(seq "$ROUNDS"); do
    for kind in redis vitrine; do
        while read -r test value; do rps[$kind-$test]+="$value "; done < <(throughput "$kind")
    done
done
echo
echo "| -P 16, two replicas attached, requests/s | redis-server | vitrine | ratio (vitrine / redis) |"
echo "|---|---|---|---|"
for test in ${TESTS//,/ }; do
    r=$(tr ' ' '\n' <<<"${rps[redis-$test]}" | grep . | median)
    v=$(tr ' ' '\n' <<<"${rps[vitrine-$test]}" | grep . | median)
    echo "| ${test^^} | $r | $v | $(ratio "$v" "$r") |"
done

# lag KIND -> "p50 p99 max" ms for a write to reach a replica under load
lag() {
    with_replicas "$1"
    redis-benchmark -p "$MPORT" -P 16 -t set -n $((REQUESTS * 4)) -r 100000 -q >/dev/null 2>&1 &
    local bench=$!
    sleep 0.5
    "$LAG" "$MPORT" "${RPORTS[0]}" 300
    kill "$bench" 2>/dev/null || true
    wait "$bench" 2>/dev/null || true
    stop_all
}
read -r r50 r99 rmax < <(lag redis)
read -r v50 v99 vmax < <(lag vitrine)
echo
echo "| write → replica under -P 16 SET load, ms | redis → redis | vitrine → vitrine | ratio (redis / vitrine) |"
echo "|---|---|---|---|"
echo "| p50 | $r50 | $v50 | $(ratio "$r50" "$v50") |"
echo "| p99 | $r99 | $v99 | $(ratio "$r99" "$v99") |"
echo "| max | $rmax | $vmax | $(ratio "$rmax" "$vmax") |"
