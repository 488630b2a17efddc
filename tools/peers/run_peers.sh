#!/usr/bin/env bash
# Runs the issue-6 workloads against the systems people compare Detente with,
# from Debian 12's packages, on loopback, and prints one table with each
# system's durability beside its figure (and Detente's own figures, from
# detente-bench, when its TSV is given or the binary is built).
#
#   tools/peers/run_peers.sh                         # 200k events per bulk workload
#   EVENTS=1000000 tools/peers/run_peers.sh
#   DETENTE_TSV=/tmp/full.tsv tools/peers/run_peers.sh   # reuse a detente-bench --tsv run
#   DETENTE_TSV=none tools/peers/run_peers.sh            # peers only
#   KEEP=1 tools/peers/run_peers.sh                      # keep the work dir (client logs)
#
# Servers and clients are installed with apt-get when missing (needs root or
# sudo; on a host running systemd, Debian's packages also start their own
# system service, which this script neither uses nor stops). The servers are
# started by this script on free loopback ports with data in a temporary
# directory, and stopped by their process ids. Nothing else is touched.
#
# Clients are native, so that the client is not what limits a figure:
# redis-benchmark (arbitrary command, -P pipelining) and a small hiredis
# program for the scan; a small libnats (NATS C client) program for
# JetStream (Debian ships no `nats` CLI nor a bench tool); psql and pgbench
# for PostgreSQL. Each figure comes with the CPU seconds of the client and of
# the server during it: on 2 cores, client and server compete for the CPU.
#
# Workloads (events of ~250 bytes):
#   Redis Streams 7.0 (AOF on): XADD pipelined 1000 deep, with appendfsync
#     always and everysec; XADD one per round trip and from 64 connections
#     (always); XRANGE full scan, pages of 1000.
#   NATS JetStream 2.9: stream with file storage, R1; async publish with 1000
#     and 64 acks outstanding; publish waiting for each ack; ordered-consumer
#     replay of the whole stream.
#   PostgreSQL 15 (synchronous_commit on, fsync on): COPY in 1000-row
#     transactions; one INSERT per transaction from 1 and 64 clients
#     (pgbench); full scan in position order (COPY TO STDOUT).
# Rates are as the client timed its own loop (redis-benchmark, pgbench,
# nats_bench, redis_scan), else events / wall seconds of the client process
# (psql); the table's "timed" column says which. The disk's fsync latency is
# probed before each system: on a shared machine it moves, and every
# fsync-bound figure moves with it.
set -euo pipefail

EVENTS=${EVENTS:-200000}        # bulk workloads (pipelined, COPY, async)
SINGLE=${SINGLE:-3000}          # one event per round trip / per commit
CONC=${CONC:-64}                # concurrent one-event writers
CONC_EVENTS=${CONC_EVENTS:-19200}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${DETENTE_BUILD_DIR:-$ROOT/build}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/detente-peers-XXXXXX")
chmod 755 "$WORK"
PIDS=()
RESULTS="$WORK/results.tsv"     # the peers, in run order
DRESULTS="$WORK/detente.tsv.out"  # the disk probe and Detente's rows
LOG="$WORK/clients.log"
: > "$RESULTS"; : > "$DRESULTS"; : > "$LOG"

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "# work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
APT_UPDATED=0
need() {  # need <command or file> <debian package>
  if command -v "$1" >/dev/null 2>&1 || [ -e "$1" ]; then return 0; fi
  echo "# installing $2" >&2
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$2" >/dev/null; then
    [ "$APT_UPDATED" = 1 ] && return 1
    $SUDO apt-get update -q >/dev/null; APT_UPDATED=1
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$2" >/dev/null
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port <port>: up to 10 s
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2; return 1
}

# measured <server pid> <system> <durability> <workload> <events> -- <command...>
# Runs the client command, then records its rate (as the client timed it, or
# events / wall seconds when it does not time itself) with the CPU seconds of
# the client and the server. The command's output goes to the log.
measured() {
  local spid=$1 sys=$2 dur=$3 wl=$4 n=$5; shift 6
  echo "## $sys / $wl: $*" >> "$LOG"
  if ! python3 "$HERE/measure.py" "$WORK/m" "$spid" -- "$@" >> "$LOG" 2>&1; then
    echo "FAILED: $sys / $wl:" >&2; tail -5 "$LOG" >&2
    printf '%s\t%s\t%s\tFAILED\t-\t-\t-\t-\t-\t-\n' "$sys" "$dur" "$wl" >> "$RESULTS"
    note "FAILED: $sys / $wl (client exit code non-zero; see the log with KEEP=1)"
    return 0
  fi
  local wall ccpu scpu rc crate ccount rate timed
  read -r wall ccpu scpu rc crate ccount < "$WORK/m"
  if [ "$crate" != "-" ]; then
    rate=$crate; timed=client
  else
    rate=$(python3 -c "print('%.0f' % ($n / $wall))"); timed=wall
  fi
  if [ "$ccount" != "-" ] && [ "$ccount" != "$n" ]; then
    note "NOTE: $sys / $wl: the client reports $ccount events, $n were asked for"
  fi
  local per_event  # server CPU per event, microseconds ("-" when unknown)
  per_event=$(awk -v c="$scpu" -v n="$n" \
    'BEGIN { if (n > 0 && c != "-") printf "%.1f", c * 1e6 / n; else print "-" }')
  printf '%s\t%s\t%s\t%s\tevents/s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$dur" "$wl" "$rate" "$timed" "$ccpu" "$scpu" "$wall" "$per_event" >> "$RESULTS"
  printf '  %-18s %-44s %9s ev/s (%s)  client %5ss cpu, server %5ss cpu, wall %6ss\n' \
    "$sys" "$wl" "$rate" "$timed" "$ccpu" "$scpu" "$wall" >&2
}
note() { echo "$*" >&2; echo "$*" >> "$WORK/notes"; }
: > "$WORK/notes"

# Everything this script uses, up front (so no install happens mid-measurement).
need redis-server redis-server
need redis-benchmark redis-tools
need /usr/include/hiredis/hiredis.h libhiredis-dev
need nats-server nats-server
need /usr/include/nats/nats.h libnats-dev
PGBIN=/usr/lib/postgresql/15/bin
need "$PGBIN/initdb" postgresql-15
need cc gcc

cc -O2 -o "$WORK/redis_scan" "$HERE/redis_scan.c" -lhiredis
cc -O2 -o "$WORK/nats_bench" "$HERE/nats_bench.c" -lnats

# The events: JSON lines of ~250 bytes, deterministic.
python3 "$HERE/gen_events.py" "$EVENTS" > "$WORK/events.jsonl"
EVBYTES=$(( $(wc -c < "$WORK/events.jsonl") / EVENTS ))
echo "# $EVENTS events, $EVBYTES bytes each on average (JSON line); $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

fsync_probe() {  # label
  local p50 p99
  read -r p50 p99 < <(python3 "$HERE/fsync_probe.py" "$WORK" 200)
  printf 'disk (this script)\t-\tfsync probe %s: p50 %s us, p99 %s us\t%s\tsyncs/s\tp50\t-\t-\t-\t-\n' \
    "$1" "$p50" "$p99" "$(( 1000000 / (p50 > 0 ? p50 : 1) ))" >> "$DRESULTS"
  echo "# fsync probe $1 (4 KiB pwrite + fdatasync x200): p50 $p50 us, p99 $p99 us" >&2
}

# --- Redis Streams ---------------------------------------------------------
# One real event as the value, its id's first 8 hex digits replaced by a
# random 12-digit number per command (redis-benchmark -r).
RVAL=$(head -1 "$WORK/events.jsonl" | sed 's/"eventId":"[0-9a-f]\{8\}-/"eventId":"__rand_int__-/')
R=(-r 1000000000000 --csv XADD events '*' e "$RVAL")
RS="Redis Streams 7.0"
start_redis() {  # appendfsync
  RPORT=$(free_port); local dir="$WORK/redis-$1"; mkdir -p "$dir"
  redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$dir" --appendonly yes \
    --appendfsync "$1" --save "" --daemonize no --logfile "$dir/log" &
  RPID=$!; PIDS+=("$RPID")
  wait_port "$RPORT"
}
stop_redis() { kill "$RPID"; wait "$RPID" 2>/dev/null || true; }
xlen() { redis-cli -p "$RPORT" XLEN events; }

fsync_probe "before Redis"
start_redis always
D="fsync before reply (appendfsync always)"
measured "$RPID" "$RS" "$D" "XADD pipelined, 1000 in flight" "$EVENTS" -- \
  redis-benchmark -p "$RPORT" -c 1 -P 1000 -n "$EVENTS" "${R[@]}"
measured "$RPID" "$RS" "$D" "XADD one per round trip, 1 client" "$SINGLE" -- \
  redis-benchmark -p "$RPORT" -c 1 -P 1 -n "$SINGLE" "${R[@]}"
measured "$RPID" "$RS" "$D" "XADD one per round trip, $CONC clients" "$CONC_EVENTS" -- \
  redis-benchmark -p "$RPORT" -c "$CONC" -P 1 -n "$CONC_EVENTS" "${R[@]}"
RTOTAL=$(xlen)
[ "$RTOTAL" -eq $(( EVENTS + SINGLE + CONC_EVENTS )) ] || note "NOTE: Redis stream holds $RTOTAL entries, expected $(( EVENTS + SINGLE + CONC_EVENTS ))"
measured "$RPID" "$RS" "-" "XRANGE full scan, pages of 1000" "$RTOTAL" -- \
  "$WORK/redis_scan" "$RPORT" events 1000
grep -q 'Background append only file rewriting' "$WORK/redis-always/log" && \
  note "NOTE: Redis rewrote its AOF in the background during the appendfsync-always run (auto-aof-rewrite, the default 64 MB / 100%)."
stop_redis

start_redis everysec
measured "$RPID" "$RS" "NOT durable: fsync every 1 s (everysec)" "XADD pipelined, 1000 in flight" "$EVENTS" -- \
  redis-benchmark -p "$RPORT" -c 1 -P 1000 -n "$EVENTS" "${R[@]}"
[ "$(xlen)" -eq "$EVENTS" ] || note "NOTE: Redis (everysec) stream holds $(xlen) entries, expected $EVENTS"
stop_redis

# --- NATS JetStream --------------------------------------------------------
fsync_probe "before NATS"
NS="NATS JetStream 2.9"
NPORT=$(free_port)
mkdir -p "$WORK/nats"
nats-server -js -a 127.0.0.1 -p "$NPORT" -sd "$WORK/nats" >"$WORK/nats/log" 2>&1 &
NPID=$!; PIDS+=("$NPID")
wait_port "$NPORT"
NURL="nats://127.0.0.1:$NPORT"
NB=("$WORK/nats_bench" "$NURL" "$WORK/events.jsonl")
"${NB[@]}" create >> "$LOG" 2>&1
D="NOT durable: fsync every 2 min (2.9 fixed)"
measured "$NPID" "$NS" "$D" "async publish, 1000 in flight" "$EVENTS" -- "${NB[@]}" async "$EVENTS" 1000
measured "$NPID" "$NS" "$D" "publish waiting for each ack" "$SINGLE" -- "${NB[@]}" sync "$SINGLE"
measured "$NPID" "$NS" "$D" "async publish, $CONC in flight" "$CONC_EVENTS" -- "${NB[@]}" async "$CONC_EVENTS" "$CONC"
NTOTAL=$(( EVENTS + SINGLE + CONC_EVENTS ))
measured "$NPID" "$NS" "-" "ordered-consumer replay (push, no acks)" "$NTOTAL" -- "${NB[@]}" replay "$NTOTAL"
kill "$NPID"; wait "$NPID" 2>/dev/null || true

# --- PostgreSQL 15 ---------------------------------------------------------
fsync_probe "before PostgreSQL"
PS="PostgreSQL 15"
PGPORT=$(free_port)
PGDATA="$WORK/pg/data"
mkdir -p "$WORK/pg"
if [ "$(id -u)" -eq 0 ]; then
  # initdb and postgres refuse to run as root: run the cluster as postgres.
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  chown postgres "$WORK/pg"
  AS=(runuser -u postgres --)
  "${AS[@]}" test -w "$WORK/pg" || { echo "the postgres user cannot write $WORK/pg (set TMPDIR to a directory it can reach)" >&2; exit 1; }
else
  AS=()
fi
"${AS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U bench >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/pg/log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c max_connections=$(( CONC + 20 )) -c synchronous_commit=on -c fsync=on" start >/dev/null
PGPID=$(head -1 "$PGDATA/postmaster.pid")
PIDS+=("$PGPID")
export PGHOST=127.0.0.1 PGPORT PGUSER=bench PGDATABASE=postgres
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
python3 "$HERE/pg_prepare.py" "$WORK/events.jsonl" "$WORK/pg"
"${PSQL[@]}" -f "$WORK/pg/schema.sql"
note "PostgreSQL: $("${PSQL[@]}" -At -c "SELECT 'wal_sync_method=' || current_setting('wal_sync_method') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', fsync=' || current_setting('fsync') || ', full_page_writes=' || current_setting('full_page_writes')")"
D="fsync before commit (synchronous_commit on)"
measured "$PGPID" "$PS" "$D" "COPY, 1000 rows per transaction" "$EVENTS" -- "${PSQL[@]}" -f "$WORK/pg/copy.sql"
measured "$PGPID" "$PS" "$D" "one INSERT per transaction, 1 client" "$SINGLE" -- \
  "$PGBIN/pgbench" -n -c 1 -t "$SINGLE" -f "$WORK/pg/insert.sql"
PER=$(( CONC_EVENTS / CONC ))
measured "$PGPID" "$PS" "$D" "one INSERT per transaction, $CONC clients" "$(( PER * CONC ))" -- \
  "$PGBIN/pgbench" -n -c "$CONC" -j 2 -t "$PER" -f "$WORK/pg/insert.sql"
PTOTAL=$("${PSQL[@]}" -At -c "SELECT count(*) FROM events")
[ "$PTOTAL" -eq $(( EVENTS + SINGLE + PER * CONC )) ] || note "NOTE: PostgreSQL table holds $PTOTAL rows, expected $(( EVENTS + SINGLE + PER * CONC ))"
measured "$PGPID" "$PS" "-" "full scan in position order (COPY TO STDOUT)" "$PTOTAL" -- \
  bash -c '"$@" > /dev/null' _ "${PSQL[@]}" -c "COPY (SELECT data FROM events ORDER BY position) TO STDOUT"
"${AS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || kill "$PGPID"

fsync_probe "after PostgreSQL"

# --- Detente (detente-bench) ----------------------------------------------
DTSV=${DETENTE_TSV:-}
if [ -z "$DTSV" ] && [ -x "$BUILD/tools/bench/detente-bench" ]; then
  DTSV="$WORK/detente.tsv"
  echo "# running detente-bench (scenarios 0-3, $EVENTS events)" >&2
  "$BUILD/tools/bench/detente-bench" --events "$EVENTS" --scenarios 0,1,2,3 \
    --seconds 3 --tsv "$DTSV" >> "$LOG" 2>&1 || note "NOTE: detente-bench exited non-zero (see its output in the log)"
fi
if [ -n "$DTSV" ] && [ "$DTSV" != none ]; then
  if [ -f "$DTSV" ]; then
    # detente-bench's TSV (tools/bench/report.cc): scenario, system,
    # durability ("fsync" / "no fsync" / "-"), rate, unit, p50, p99, p99.9
    # us, then CPU seconds of ingest, query and the bench client and the
    # wall seconds they cover ("-" when not measured; absent from a TSV of
    # a build before round 21). Server CPU per event = ingest (+ query) CPU
    # over rate x wall seconds.
    awk -F'\t' '$1 ~ /^(0 |0a|0b|0c|0d|0e|1 |2a|2b|3 |3c)/ {
        sys = ($2 == "detente") ? "Detente" : ($2 == "raw rocksdb" ? "raw RocksDB 7.8" : "disk (detente-bench)");
        d = ($3 == "fsync") ? "fsync before ack" : ($3 == "no fsync" ? "NOT durable: no fsync" : "-");
        wl = $1; timed = "client";
        if ($2 == "disk") { d = "-"; wl = wl ", p50 " $6 " us"; timed = "p50" }
        cli = "-"; srv = "-"; wall = "-"; per = "-"
        if ($12 != "" && $12 != "-" && $9 != "-") {
          srv = $9 + ($10 == "-" ? 0 : $10); cli = $11; wall = $12
          if ($4 > 0 && wall > 0) per = sprintf("%.1f", srv * 1e6 / ($4 * wall))
          srv = sprintf("%.2f", srv); cli = sprintf("%.2f", cli); wall = sprintf("%.3f", wall)
        }
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sys, d, wl, $4, $5, timed, cli, srv, wall, per }' \
      "$DTSV" >> "$DRESULTS"
    note "Detente rows: from $DTSV (detente-bench's own run: other time, other load, its own event count)."
  else
    note "NOTE: DETENTE_TSV=$DTSV does not exist; no Detente rows."
  fi
fi

echo
F='%-20s %-43s %-52s %9s %-8s %-6s %7s %7s %7s %9s\n'
printf "$F" system durability workload rate unit timed "cli cpu" "srv cpu" "wall s" "srv us/ev"
cat "$DRESULTS" "$RESULTS" | awk -F'\t' -v f="$F" '{ printf f, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
cat <<EOF

timed: "client" = the rate the client measured itself (redis-benchmark rps,
pgbench tps without connection time, nats_bench / redis_scan / detente-bench
timed loops); "wall" = events / wall seconds of the client process (psql).
cli cpu / srv cpu: CPU seconds (user+sys) of the client process and of the
server (all threads; PostgreSQL: postmaster and backends) during the workload;
wall s: the client process's wall time (Detente: the scenario's, as
detente-bench measured it); srv us/ev: the server's CPU microseconds per
event, the figure to compare on 2 cores where client and server share
them. A client whose CPU seconds come near its wall seconds is saturated (one thread does the work in every client here
but pgbench -j 2 and libnats, which reads on a thread of its own).
Machine: $(nproc) CPUs, shared with whatever else runs: on 2 CPUs client and
server compete for the CPU, so read srv cpu per event as well as the rate.

Durability, as configured here:
- Redis 7.0 appendfsync always: each event-loop pass appends the commands it
  ran to the AOF and fdatasyncs it before it writes any reply (seen with
  strace), so concurrent clients share one fsync; a deep pipeline shares it
  only as far as one pass reads (16 KiB per connection: strace counted ~60 of
  these XADDs per fdatasync with 1000 in flight). everysec: replies do not
  wait for the disk; a background thread fsyncs the AOF once a second, so an
  OS crash or power loss can lose the last second or two of acknowledged events.
- NATS JetStream 2.9.10 (Debian's): each message is written to the block file
  (the OS page cache) before the ack, so a nats-server crash loses nothing, but
  fsync happens only every 2 minutes (hard-coded for streams in 2.9; the
  sync_interval / sync_always settings came with 2.10: this server rejects
  them as unknown fields). An OS crash or power loss loses up to 2 min of
  acknowledged events. No setting of 2.9 makes it fsync before the ack.
- PostgreSQL 15, synchronous_commit on, fsync on: COMMIT returns after the
  WAL is flushed (fdatasync); concurrent commits share a flush.
- Detente: "fsync before ack" as detente-bench labels it (detente-ingest
  --durability sync, its default; detente-bench labels its scenarios "fsync"
  even when run with --durability async, so only use a TSV of a sync run).
EOF
if [ -s "$WORK/notes" ]; then echo; cat "$WORK/notes"; fi
