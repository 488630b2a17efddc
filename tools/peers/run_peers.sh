#!/usr/bin/env bash
# Runs the issue-6 workloads against the systems people compare Detente with,
# from Debian 12's packages, on loopback, and prints one table with each
# system's durability beside its figure (and Detente's own figures, from
# detente-bench, when its TSV is given or the binary is built).
#
#   tools/peers/run_peers.sh                 # 200k events per workload
#   EVENTS=1000000 tools/peers/run_peers.sh
#   DETENTE_TSV=/tmp/full.tsv tools/peers/run_peers.sh   # reuse a bench run
#
# Servers are installed with apt-get when missing (needs root or sudo),
# started by this script on free loopback ports with temporary data
# directories, and stopped by their process ids. Nothing else is touched.
#
# Workloads (events of ~250 bytes, the same JSON shape for every system):
#   Redis Streams 7.0: pipelined XADD (appendfsync always, then everysec),
#     XRANGE full scan (COUNT 1000 pages); client: python3 + raw RESP.
#   NATS JetStream 2.9: async publish with 1000 in flight, publish waiting for
#     each ack, ordered-consumer replay; client: tools/peers/nats_bench.py
#     (raw NATS protocol over a socket: Debian ships no NATS client for
#     python and no `nats` CLI).
#   PostgreSQL 15 (synchronous_commit on): COPY in 1000-row transactions, one
#     INSERT per transaction; client: psql / python3 over psql.
set -euo pipefail

EVENTS=${EVENTS:-200000}
SINGLE=${SINGLE:-3000}        # events for the one-per-commit workloads
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${DETENTE_BUILD_DIR:-$ROOT/build}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/detente-peers-XXXXXX")
PIDS=()
RESULTS="$WORK/results.tsv"
: > "$RESULTS"

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
need() {  # need <command> <debian package>
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
    echo "# installing $2" >&2
    $SUDO apt-get install -y -q "$2" >/dev/null
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
record() {  # system durability scenario rate unit
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$RESULTS"
  printf '  %-24s %-34s %-40s %10s %s\n' "$1" "$2" "$3" "$4" "$5" >&2
}

# The events: JSON lines of ~250 bytes, deterministic.
python3 "$HERE/gen_events.py" "$EVENTS" > "$WORK/events.jsonl"
echo "# $EVENTS events, $(( $(wc -c < "$WORK/events.jsonl") / EVENTS )) bytes each on average" >&2

# --- Redis Streams ---------------------------------------------------------
run_redis() {  # appendfsync label
  need redis-server redis-server
  local port dir
  port=$(free_port); dir="$WORK/redis-$1"; mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
    --appendfsync "$1" --save "" --daemonize no --logfile "$dir/log" &
  PIDS+=($!)
  local pid=$!
  python3 "$HERE/redis_bench.py" "$port" "$WORK/events.jsonl" "$1" "$2" >> "$RESULTS"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
run_redis always "fsync every write (appendfsync always)"
run_redis everysec "NOT durable (fsync every second)"

# --- NATS JetStream --------------------------------------------------------
need nats-server nats-server
NPORT=$(free_port)
mkdir -p "$WORK/nats"
nats-server -js -a 127.0.0.1 -p "$NPORT" -sd "$WORK/nats" >"$WORK/nats/log" 2>&1 &
PIDS+=($!)
NPID=$!
sleep 1
python3 "$HERE/nats_bench.py" "$NPORT" "$WORK/events.jsonl" "$SINGLE" >> "$RESULTS"
kill "$NPID"; wait "$NPID" 2>/dev/null || true

# --- PostgreSQL 15 ---------------------------------------------------------
PGBIN=/usr/lib/postgresql/15/bin
need "$PGBIN/initdb" postgresql-15
PGPORT=$(free_port)
PGDATA="$WORK/pg"
PGUSER_OPT=()
if [ "$(id -u)" -eq 0 ]; then
  # initdb refuses to run as root: run the cluster as the postgres user.
  chown -R postgres "$WORK"; chmod 755 "$WORK"
  AS="runuser -u postgres --"
else
  AS=""
fi
$AS "$PGBIN/initdb" -D "$PGDATA" -A trust -U bench >/dev/null
$AS "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/log" -w \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c fsync=on" start >/dev/null
PGPID=$(head -1 "$PGDATA/postmaster.pid")
PIDS+=("$PGPID")
python3 "$HERE/pg_bench.py" "$PGPORT" "$WORK/events.jsonl" "$SINGLE" >> "$RESULTS"
$AS "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || kill "$PGPID"

# --- Detente (detente-bench) ----------------------------------------------
DTSV=${DETENTE_TSV:-}
if [ -z "$DTSV" ] && [ -x "$BUILD/tools/bench/detente-bench" ]; then
  DTSV="$WORK/detente.tsv"
  "$BUILD/tools/bench/detente-bench" --events "$EVENTS" --scenarios 0,1,2,3 \
    --seconds 3 --tsv "$DTSV" >&2
fi
if [ -n "$DTSV" ] && [ -f "$DTSV" ]; then
  awk -F'\t' '$1 ~ /^(0a|0b|0d|0e|1 |2a|2b|3 )/ {
      d = ($3 == "fsync") ? "fsync before ack" : ($3 == "no fsync" ? "NOT durable (no fsync)" : "-");
      printf "%s\t%s\t%s\t%s\t%s\n", ($2 == "detente" ? "Detente" : "raw RocksDB 7.8"), d, $1, $4, $5 }' \
    "$DTSV" >> "$RESULTS"
fi

echo
printf '%-18s %-40s %-44s %12s %s\n' system durability workload rate unit
sort -s -t$'\t' -k1,1 "$RESULTS" | awk -F'\t' '{ printf "%-18s %-40s %-44s %12s %s\n", $1, $2, $3, $4, $5 }'
