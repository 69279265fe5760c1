# Shared by the benchmark scripts: scratch space, servers started and
# stopped by PID, and the arithmetic of the result tables.
# Needs VITRINE (the vitrine-server binary) set before use.
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
COMMON=(--bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode no)
now_ms() { date +%s%3N; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# start KIND DIR PORT [DIRECTIVE...] -> starts a server in DIR (loading
# DIR/dump.rdb if there is one), waits for PONG, prints
# "PID MILLISECONDS-TO-PONG"
start() {
    local kind=$1 dir=$2 port=$3
    shift 3
    local binary=redis-server
    [ "$kind" = vitrine ] && binary=$VITRINE
    local began
    began=$(now_ms)
    "$binary" --port "$port" --dir "$dir" --dbfilename dump.rdb "${COMMON[@]}" "$@" >"$dir/$kind-$port.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
        kill -0 "$pid" 2>/dev/null || { echo "$kind failed to start:" >&2; cat "$dir/$kind-$port.log" >&2; exit 1; }
        sleep 0.01
    done
    echo "$pid $(( $(now_ms) - began ))"
}
stop() { redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true; wait "$2" 2>/dev/null || true; }

# info_field PORT SECTION FIELD
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }
