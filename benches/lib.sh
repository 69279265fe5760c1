# Shared by the benchmark scripts: scratch space, servers started and
# stopped by PID, and the arithmetic of the result tables.
# Needs VITRINE (the vitrine-server binary) set before use.
WORK=$(mktemp -d)
# Every server `start` launched, one PID per line: `start` runs in a
# process substitution (a subshell), so a shell array would not see them.
PID_FILE=$WORK/pids
touch "$PID_FILE"
cleanup() {
    local pid
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$PID_FILE"
    rm -rf "$WORK"
}
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
    echo "$pid" >>"$PID_FILE"
    until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
        kill -0 "$pid" 2>/dev/null || { echo "$kind failed to start:" >&2; cat "$dir/$kind-$port.log" >&2; exit 1; }
        sleep 0.01
    done
    echo "$pid $(( $(now_ms) - began ))"
}
stop() { redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true; wait "$2" 2>/dev/null || true; }

# info_field PORT SECTION FIELD
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }

# cpu_ns PID -> CPU time the process has used so far, in nanoseconds (all threads)
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

# bench PORT PID TEST PIPELINE REQUESTS -> "rps cpu_ns_per_request" of one
# redis-benchmark run with 50 clients
bench() {
    local before after rps
    before=$(cpu_ns "$2")
    rps=$(redis-benchmark -p "$1" -q -t "$3" -n "$5" -c 50 -P "$4" 2>/dev/null |
        tr '\r' '\n' | { grep "requests per second" || echo ": 0 requests per second"; } | tail -1 |
        sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
    after=$(cpu_ns "$2")
    echo "$rps $(((after - before) / $5))"
}

# set_keys N -> N `SET key:I value` commands as RESP, for `redis-cli --pipe`
set_keys() {
    python3 -c '
import sys
out = sys.stdout
for i in range(int(sys.argv[1])):
    out.write("*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$5\r\nvalue\r\n" % (len("key:%d" % i), i))
' "$1"
}
