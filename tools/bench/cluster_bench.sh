#!/usr/bin/env bash
# Cluster mode beside one node (issue 8, docs/benchmarks.md "Cluster mode"):
# detente-bench scenarios 1 (bulk load over AppendStream) and 2 (unary
# appends: 1 client, 64 clients) through the two ingest nodes of a cluster
# started with deploy/cluster/start.sh (3 nats-server, JetStream stream with
# 3 replicas, 2 detente-ingest --log=jetstream; no query nodes), then in the
# same run the same scenarios against one embedded node (RocksDB,
# --durability sync) that detente-bench starts itself, and one table of both.
#
#   tools/bench/cluster_bench.sh                      # EVENTS=200000, SECONDS=10
#   EVENTS=1000000 SECONDS=20 tools/bench/cluster_bench.sh
#   tools/bench/cluster_bench.sh --smoke              # seconds (ctest bench_cluster_smoke)
#
# Settings (environment; defaults in brackets):
#   EVENTS             events bulk loaded in each run [200000; --smoke: 5000]
#   SECONDS            seconds of each unary scenario, 2a and 2b [10; --smoke: 1]
#                      (BENCH_SECONDS is the same; it wins over SECONDS)
#   DETENTE_BUILD_DIR  the build with detente-bench, -ingest, -query, detente [build]
#   KEEP=1             keep the scratch folder (cluster logs, both runs' output)
#   DETENTE_CLUSTER_NATS_PORTS, _ROUTE_PORTS, _MONITOR_PORTS, _INGEST_PORTS,
#   _QUERY_PORTS, _HTTP_PORTS (deploy/cluster/start.sh): free loopback ports
#                      are picked for those not given, so a running demo or
#                      cluster is never touched
# The cluster lives in a scratch DETENTE_CLUSTER_DIR; everything the script
# started is stopped by its pid on exit (start.sh stop; detente-bench stops
# its own node). Exit code: 0; 1 on errors; 77 (skipped) without nats-server.

# SECONDS is bash's clock: read a value given in the environment before the
# script has run for a second, and do not pass it on.
ENV_SECONDS="$(printenv SECONDS || true)"
export -n SECONDS
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SMOKE=0
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    -h | --help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster_bench.sh: unknown argument $a (--smoke, --help)" >&2; exit 2 ;;
  esac
done

if [ "$SMOKE" -eq 1 ]; then EVENTS="${EVENTS:-5000}"; DEFAULT_SECONDS=1; else EVENTS="${EVENTS:-200000}"; DEFAULT_SECONDS=10; fi
BENCH_SECONDS="${BENCH_SECONDS:-${ENV_SECONDS:-$DEFAULT_SECONDS}}"
case "$BENCH_SECONDS" in '' | *[!0-9.]*) echo "cluster_bench.sh: bad SECONDS=$BENCH_SECONDS" >&2; exit 2 ;; esac

BUILD="${DETENTE_BUILD_DIR:-build}"
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export DETENTE_BUILD_DIR="$BUILD"
BENCH="$BUILD/tools/bench/detente-bench"
START="$ROOT/deploy/cluster/start.sh"
NATS_SERVER="${DETENTE_CLUSTER_NATS_SERVER:-nats-server}"

if ! command -v "$NATS_SERVER" >/dev/null 2>&1; then
  echo "cluster_bench.sh: SKIPPED: $NATS_SERVER not found (Debian: apt-get install nats-server)"
  exit 77
fi
for b in "$BENCH" "$BUILD/services/ingest/detente-ingest" "$BUILD/services/query/detente-query" \
         "$BUILD/tools/cli/detente"; do
  [ -x "$b" ] || { echo "cluster_bench.sh: $b is missing: build it first" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/detente-cluster-bench-XXXXXX")"
export DETENTE_CLUSTER_DIR="$WORK/cluster"
BENCH_PID=""
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$BENCH_PID" ] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    wait "$BENCH_PID" 2>/dev/null || true
  fi
  if [ -d "$DETENTE_CLUSTER_DIR/run" ]; then
    "$START" stop >>"$WORK/start.log" 2>&1 || echo "cluster_bench.sh: start.sh stop failed (see $WORK/start.log)" >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept $WORK"
  else
    rm -rf -- "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free loopback ports (outside Linux's ephemeral range), none picked twice.
PICKED=" "
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_ports() {  # count
  local ports=() p
  while [ "${#ports[@]}" -lt "$1" ]; do
    p=$((20000 + RANDOM % 12000))
    case "$PICKED" in *" $p "*) continue ;; esac
    port_free "$p" || continue
    PICKED+="$p "
    ports+=("$p")
  done
  echo "${ports[*]}"
}
: "${DETENTE_CLUSTER_NATS_PORTS:=$(free_ports 3)}"
: "${DETENTE_CLUSTER_ROUTE_PORTS:=$(free_ports 3)}"
: "${DETENTE_CLUSTER_MONITOR_PORTS:=$(free_ports 3)}"
: "${DETENTE_CLUSTER_INGEST_PORTS:=$(free_ports 2)}"
: "${DETENTE_CLUSTER_QUERY_PORTS:=$(free_ports 2)}"
: "${DETENTE_CLUSTER_HTTP_PORTS:=$(free_ports 2)}"
export DETENTE_CLUSTER_NATS_PORTS DETENTE_CLUSTER_ROUTE_PORTS DETENTE_CLUSTER_MONITOR_PORTS \
  DETENTE_CLUSTER_INGEST_PORTS DETENTE_CLUSTER_QUERY_PORTS DETENTE_CLUSTER_HTTP_PORTS

SMOKE_FLAG=()
[ "$SMOKE" -eq 1 ] && SMOKE_FLAG=(--smoke)
echo "# cluster_bench.sh: EVENTS=$EVENTS SECONDS=$BENCH_SECONDS$([ "$SMOKE" -eq 1 ] && echo ' (smoke)'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date '+%F %T %Z')"
echo "# scratch folder $WORK"

# Runs detente-bench in the background (so that the trap can stop it by its
# pid), its output into a file, shown as it grows.
# (`wait`, unlike a foreground command, lets the INT/TERM traps run at once.)
run_bench() {  # output file, then arguments
  local out=$1 rc=0 tail_pid
  shift
  : >"$out"
  "$BENCH" "$@" >"$out" 2>&1 &
  BENCH_PID=$!
  tail -s 0.2 -n +1 -f --pid="$BENCH_PID" "$out" &
  tail_pid=$!
  wait "$BENCH_PID" || rc=$?
  wait "$tail_pid" || true
  BENCH_PID=""
  return "$rc"
}

# --- cluster mode --------------------------------------------------------
T0=$SECONDS
echo "== $(date +%T) starting the cluster: 3 nats-server, 2 detente-ingest --log=jetstream"
if ! "$START" start nats ingest >"$WORK/start.log" 2>&1; then
  cat "$WORK/start.log" >&2
  echo "cluster_bench.sh: the cluster did not start" >&2
  exit 1
fi
# shellcheck disable=SC1091
. "$DETENTE_CLUSTER_DIR/cluster.env"
pids() { local n list=(); for n in "$@"; do list+=("$(cat "$DETENTE_CLUSTER_DIR/run/$n.pid")"); done; (IFS=,; echo "${list[*]}"); }
INGEST_LIST="$(tr ' ' ',' <<<"$INGEST_ADDRS")"
INGEST_PIDS="$(pids ingest-1 ingest-2)"
NATS_PIDS="$(pids nats-1 nats-2 nats-3)"
echo "   up in $((SECONDS - T0)) s: ingest $INGEST_LIST (pids $INGEST_PIDS), NATS $NATS_URLS (pids $NATS_PIDS)"

RC=0
CLUSTER_CMD=("$BENCH" "${SMOKE_FLAG[@]}" --scenarios "1,2" --events "$EVENTS" --seconds "$BENCH_SECONDS"
  --ingest "$INGEST_LIST" --ingest-pid "$INGEST_PIDS" --nats-pid "$NATS_PIDS"
  --work-dir "$WORK/bench-cluster" --tsv "$WORK/cluster.tsv")
echo "== $(date +%T) ${CLUSTER_CMD[*]#$ROOT/}"
BENCH_START="$(date +%T)"
run_bench "$WORK/cluster.out" "${CLUSTER_CMD[@]:1}" || { RC=1; echo "cluster_bench.sh: the cluster run reported errors" >&2; }

BENCH_END="$(date +%T)"
# Group commit across the cluster: one stream message is one committed group.
MON1="${DETENTE_CLUSTER_MONITOR_PORTS%% *}"
if JSZ="$(curl -fsS "http://127.0.0.1:$MON1/jsz" 2>/dev/null)"; then
  GROUPS_N="$(grep -Eo '"messages": *[0-9]+' <<<"$JSZ" | head -n 1 | grep -Eo '[0-9]+$' || true)"
  STREAM_BYTES="$(grep -Eo '"bytes": *[0-9]+' <<<"$JSZ" | head -n 1 | grep -Eo '[0-9]+$' || true)"
  EVENTS_N="$(grep -Eo '[0-9]+ events$' "$WORK/cluster.out" | tail -n 1 | cut -d' ' -f1 || true)"
  if [ -n "$GROUPS_N" ] && [ "${GROUPS_N:-0}" -gt 0 ] && [ -n "$EVENTS_N" ]; then
    echo "   stream $NATS_STREAM: $GROUPS_N messages (committed groups) for $EVENTS_N events" \
      "($((EVENTS_N / GROUPS_N)) per group), $STREAM_BYTES bytes per replica"
  fi
fi
echo "== $BENCH_END stopping the cluster"
"$START" stop >>"$WORK/start.log" 2>&1

# What the nodes logged at warning level and above: detente-ingest's
# "TIMEZ warning|error|critical ..." (libs/common/logging.cc), nats-server's
# "[pid] date time [WRN|ERR|FTL] ...". The most frequent messages, with the
# times of their first and last occurrence (the NATS servers' route errors
# while their peers start are expected).
LEVELS='^[0-9T:.-]+Z (warning|error|critical) |\[(WRN|ERR|FTL)\] '
echo "== warnings and errors in the cluster's logs (bench ran $BENCH_START-$BENCH_END)"
for log in "$DETENTE_CLUSTER_DIR"/logs/*.log; do
  n="$(grep -Ec "$LEVELS" "$log" || true)"
  printf '   %-10s %s lines\n' "$(basename "$log" .log)" "$n"
  [ "$n" -eq 0 ] || grep -E "$LEVELS" "$log" |
    sed -E 's/^(\[[0-9]+\] [0-9/]+ )?[0-9T:-]*([0-9]{2}:[0-9]{2}:[0-9]{2})[.0-9]*Z? /\2 /' |
    awk '{ t = $1; $1 = ""; msg = substr($0, 2); gsub(/[0-9]+/, "N", msg)
           if (!(msg in count)) { first[msg] = t; order[++k] = msg }
           count[msg]++; last[msg] = t }
         END { for (i = 1; i <= k; i++) printf "%d\t%s..%s  %s\n", count[order[i]], first[order[i]], last[order[i]], order[i] }' |
    sort -t$'\t' -k1,1nr | head -n 6 | sed 's/^/      /'
done

# --- one embedded node ----------------------------------------------------
SINGLE_CMD=("$BENCH" "${SMOKE_FLAG[@]}" --scenarios "1,2" --events "$EVENTS" --seconds "$BENCH_SECONDS"
  --durability sync --work-dir "$WORK/bench-single" --tsv "$WORK/single.tsv")
echo "== $(date +%T) ${SINGLE_CMD[*]#$ROOT/}"
run_bench "$WORK/single.out" "${SINGLE_CMD[@]:1}" || { RC=1; echo "cluster_bench.sh: the single-node run reported errors" >&2; }

# --- side by side ---------------------------------------------------------
# The TSVs (tools/bench/report.cc): scenario, system, durability, rate, unit,
# p50, p99, p99.9 (µs), then CPU seconds (ingest summed over the nodes,
# query, client) and their wall seconds, unused here. CPU from the printed
# rows: "cpu in/q/cl I/Q/C s"
# (I summed over the nodes in cluster rows) and, in cluster rows, each
# process's "nats-N cpu/peak".
echo
echo "== $(date +%T) side by side (EVENTS=$EVENTS, SECONDS=$BENCH_SECONDS; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
awk -F'\t' '
  function lat(us) { return us >= 1000 ? sprintf("%.1f ms", us / 1000) : sprintf("%.0f µs", us) }
  function rate(v) { return v >= 10000 ? sprintf("%.1fk", v / 1000) : sprintf("%.0f", v) }
  function cpu(file, scen,   line, m, i, parts, s, n) {
    # "in" (ingest CPU s) and "nats" (sum of nats-N CPU s) of the row `scen`
    cpu_in = "-"; cpu_nats = "-"
    while ((getline line < file) > 0) {
      if (index(line, scen) != 1) continue
      if (match(line, /cpu in\/q\/cl [^\/]+\//)) {
        m = substr(line, RSTART + 12, RLENGTH - 13); cpu_in = m
      }
      s = 0; n = 0
      while (match(line, / nats-[0-9]+ [0-9.]+\//)) {
        m = substr(line, RSTART, RLENGTH - 1); split(m, parts, " ")
        s += parts[2]; n++; line = substr(line, RSTART + RLENGTH)
      }
      if (n > 0) cpu_nats = sprintf("%.1f", s)
    }
    close(file)
  }
  FNR == NR { single[$1] = $0; next }
  { cluster[$1] = $0; order[++k] = $1 }
  END {
    split(single["0 fsync (4 KiB pwrite + fdatasync)"], fs, "\t")
    split(cluster["0 fsync (4 KiB pwrite + fdatasync)"], fc, "\t")
    printf "disk fsync p50: %s before the single-node run, %s before the cluster run\n\n", lat(fs[6]), lat(fc[6])
    print "| scenario | single node, events/s | cluster, events/s | cluster / single | single p50 / p99 | cluster p50 / p99 | CPU s single: ingest | CPU s cluster: 2 ingest + 3 NATS |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= k; i++) {
      name = order[i]
      if (!(name ~ /^[12]/)) continue
      if (!(name in single)) continue
      split(single[name], s, "\t"); split(cluster[name], c, "\t")
      cpu(SOUT, name); si = cpu_in
      cpu(COUT, name); ci = cpu_in; cn = cpu_nats
      printf "| %s | %s | %s | %.2fx | %s / %s | %s / %s | %s | %s + %s |\n", name,
             rate(s[4]), rate(c[4]), (s[4] > 0 ? c[4] / s[4] : 0),
             lat(s[6]), lat(s[7]), lat(c[6]), lat(c[7]), si, ci, cn
    }
  }' SOUT="$WORK/single.out" COUT="$WORK/cluster.out" "$WORK/single.tsv" "$WORK/cluster.tsv"
echo
echo "Latencies: scenario 1 per batch of 1000 (2 streams, 4 batches in flight each), scenario 2 per call."
echo "Cluster: stream / client i on ingest node i mod 2 (2a: its one client on ingest-1); acknowledged"
echo "once a JetStream quorum (2 of 3) stored the group. Single node: acknowledged after fsync."
exit "$RC"
