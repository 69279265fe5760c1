#!/usr/bin/env bash
# Fan-out: N replicas (core's ReplicaLink + RDB Loader, in one process)
# attached to redis-server over TCP, to vitrine over TCP, and to vitrine
# over WebSocket, each master then taking REQUESTS pipelined SETs from
# redis-benchmark. See native/benches/fanout.rs.
#
# Usage: benches/fanout.sh [N] [REQUESTS]     (defaults 1000 and 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((${1:-1000} * 2 + 2100)) ]; then
    ulimit -n $((${1:-1000} * 2 + 2100)) 2>/dev/null || echo "warning: ulimit -n is $(ulimit -n): raise it for ${1:-1000} replicas" >&2
fi
cargo bench -q -p vitrine-server --bench fanout -- "$@"
