#!/usr/bin/env bash
# Cluster mode on one machine, for development and tests (docs/cluster.md):
# a NATS JetStream cluster of 3 servers on loopback (Debian's nats-server),
# two detente-ingest nodes on it (--log=jetstream) and two detente-query
# nodes, each following one ingest node and failing over to the other.
# Everything lives under one folder: configuration, JetStream storage, the
# ingest nodes' local copies, the read models, logs and pid files.
#
#   deploy/cluster/start.sh [start]        start everything, wait until it answers
#   deploy/cluster/start.sh start NODE...  start only these (after a stop NODE)
#   deploy/cluster/start.sh stop [NODE...] SIGTERM by pid (all, or these), keep the data
#   deploy/cluster/start.sh kill NODE...   SIGKILL by pid: a crash, for failure drills
#   deploy/cluster/start.sh status         which nodes run, with their pids and addresses
#   deploy/cluster/start.sh clean          stop everything, delete the folder
#
# NODE is nats-1..nats-3, ingest-1, ingest-2, query-1, query-2, or a group:
# nats, ingest, query. `start nats` starts only the NATS cluster (works
# without a build). deploy/cluster/stop.sh is `start.sh stop`.
#
# Settings (environment; defaults in brackets):
#   DETENTE_CLUSTER_DIR            the folder [.detente/cluster in the repository]
#   DETENTE_BUILD_DIR              where the binaries are [build]
#   DETENTE_CLUSTER_NATS_SERVER    the nats-server binary [nats-server]
#   DETENTE_CLUSTER_NATS_PORTS     client ports, one per server ["4222 4223 4224"]
#   DETENTE_CLUSTER_ROUTE_PORTS    cluster route ports ["6222 6223 6224"]
#   DETENTE_CLUSTER_MONITOR_PORTS  HTTP monitoring ports ["8222 8223 8224"]
#   DETENTE_CLUSTER_INGEST_PORTS   gRPC ports, one per ingest node ["7601 7611"]
#   DETENTE_CLUSTER_QUERY_PORTS    gRPC ports, one per query node ["7602 7612"]
#   DETENTE_CLUSTER_HTTP_PORTS     HTTP ports of the query nodes ["7680 7690"]
#   DETENTE_CLUSTER_STREAM         the JetStream stream (--nats-stream) [DETENTE]
#   DETENTE_CLUSTER_REPLICAS       its replicas (--nats-replicas) [3]
#   DETENTE_CLUSTER_INGEST_ARGS    extra arguments for every detente-ingest []
#   DETENTE_CLUSTER_QUERY_ARGS     extra arguments for every detente-query []
#   DETENTE_CLUSTER_TIMEOUT        seconds to wait for each node to answer [60]
#
# After a start, $DETENTE_CLUSTER_DIR/cluster.env holds the addresses
# (NATS_URLS, INGEST_ADDRS, QUERY_ADDRS, HTTP_ADDRS) for scripts to source.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$ROOT/$1" ;; esac; }

DIR="$(abs "${DETENTE_CLUSTER_DIR:-.detente/cluster}")"
BUILD="$(abs "${DETENTE_BUILD_DIR:-build}")"
NATS_SERVER="${DETENTE_CLUSTER_NATS_SERVER:-nats-server}"
read -r -a NATS_PORTS <<<"${DETENTE_CLUSTER_NATS_PORTS:-4222 4223 4224}"
read -r -a ROUTE_PORTS <<<"${DETENTE_CLUSTER_ROUTE_PORTS:-6222 6223 6224}"
read -r -a MONITOR_PORTS <<<"${DETENTE_CLUSTER_MONITOR_PORTS:-8222 8223 8224}"
read -r -a INGEST_PORTS <<<"${DETENTE_CLUSTER_INGEST_PORTS:-7601 7611}"
read -r -a QUERY_PORTS <<<"${DETENTE_CLUSTER_QUERY_PORTS:-7602 7612}"
read -r -a HTTP_PORTS <<<"${DETENTE_CLUSTER_HTTP_PORTS:-7680 7690}"
STREAM="${DETENTE_CLUSTER_STREAM:-DETENTE}"
REPLICAS="${DETENTE_CLUSTER_REPLICAS:-3}"
read -r -a INGEST_ARGS <<<"${DETENTE_CLUSTER_INGEST_ARGS:-}"
read -r -a QUERY_ARGS <<<"${DETENTE_CLUSTER_QUERY_ARGS:-}"
TIMEOUT="${DETENTE_CLUSTER_TIMEOUT:-60}"

INGEST_BIN="$BUILD/services/ingest/detente-ingest"
QUERY_BIN="$BUILD/services/query/detente-query"
CLI_BIN="$BUILD/tools/cli/detente"
LOGS="$DIR/logs"
RUN="$DIR/run"
HOST=127.0.0.1

die() { echo "start.sh: $*" >&2; exit 1; }
# A folder other than the default must be named again to stop.
STOP_PREFIX=""
[ -z "${DETENTE_CLUSTER_DIR:-}" ] || STOP_PREFIX="DETENTE_CLUSTER_DIR=$DIR "

N_NATS=${#NATS_PORTS[@]}
N_INGEST=${#INGEST_PORTS[@]}
N_QUERY=${#QUERY_PORTS[@]}
[ "$N_NATS" -ge 1 ] || die "DETENTE_CLUSTER_NATS_PORTS is empty"
if [ "${#ROUTE_PORTS[@]}" -ne "$N_NATS" ] || [ "${#MONITOR_PORTS[@]}" -ne "$N_NATS" ]; then
  die "DETENTE_CLUSTER_NATS_PORTS, _ROUTE_PORTS and _MONITOR_PORTS must have as many ports each"
fi
[ "${#HTTP_PORTS[@]}" -eq "$N_QUERY" ] ||
  die "DETENTE_CLUSTER_QUERY_PORTS and DETENTE_CLUSTER_HTTP_PORTS must have as many ports each"
if [ "$REPLICAS" -lt 1 ] || [ "$REPLICAS" -gt "$N_NATS" ]; then
  die "DETENTE_CLUSTER_REPLICAS=$REPLICAS, but there are $N_NATS NATS servers"
fi

nats_urls() {
  local urls=() p
  for p in "${NATS_PORTS[@]}"; do urls+=("nats://$HOST:$p"); done
  (IFS=,; printf '%s\n' "${urls[*]}")
}
NATS_URLS="$(nats_urls)"

# The ingest nodes a query node follows: its own first, then the others
# (gRPC's ipv4: target with several addresses, pick_first = failover).
ingest_target_for() {
  local i=$1 n addrs=()
  addrs+=("$HOST:${INGEST_PORTS[$(( (i - 1) % N_INGEST ))]}")
  for ((n = 0; n < N_INGEST; n++)); do
    [ "$n" -eq $(( (i - 1) % N_INGEST )) ] || addrs+=("$HOST:${INGEST_PORTS[$n]}")
  done
  (IFS=,; printf 'ipv4:%s\n' "${addrs[*]}")
}

all_nodes() {
  local i
  for ((i = 1; i <= N_NATS; i++)); do echo "nats-$i"; done
  for ((i = 1; i <= N_INGEST; i++)); do echo "ingest-$i"; done
  for ((i = 1; i <= N_QUERY; i++)); do echo "query-$i"; done
}

# NODE arguments -> node names in start order (nats, ingest, query).
expand() {
  local want=" $* " node
  while read -r node; do
    case "$want" in
      *" $node "* | *" ${node%-*} "*) echo "$node" ;;
    esac
  done < <(all_nodes)
}

check_names() {
  local a known
  known=" $(all_nodes | tr '\n' ' ') nats ingest query "
  for a in "$@"; do
    case "$known" in *" $a "*) ;; *) die "unknown node '$a' (nodes: $(all_nodes | tr '\n' ' '))" ;; esac
  done
}

kind_of() { printf '%s\n' "${1%-*}"; }
index_of() { printf '%s\n' "${1##*-}"; }

binary_of() {
  case "$(kind_of "$1")" in
    nats) basename "$NATS_SERVER" ;; ingest) echo detente-ingest ;; query) echo detente-query ;;
  esac
}

# A process that exists and is not a zombie.
alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# The pid of a node that runs, and is the program we started there (a pid
# file left by a crash may name a recycled pid: never signal a stranger).
pid_of() {
  local node=$1 f="$RUN/$1.pid" pid exe
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && alive "$pid" || return 1
  exe="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ "$(basename "$exe")" = "$(binary_of "$node")" ] || return 1
  printf '%s\n' "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

ports_of() {
  local i
  i="$(index_of "$1")"
  case "$(kind_of "$1")" in
    nats) echo "${NATS_PORTS[$((i - 1))]} ${ROUTE_PORTS[$((i - 1))]} ${MONITOR_PORTS[$((i - 1))]}" ;;
    ingest) echo "${INGEST_PORTS[$((i - 1))]}" ;;
    query) echo "${QUERY_PORTS[$((i - 1))]} ${HTTP_PORTS[$((i - 1))]}" ;;
  esac
}

fail_with_log() {
  local node=$1
  echo "start.sh: $node did not come up; the end of $LOGS/$node.log:" >&2
  tail -n 30 "$LOGS/$node.log" >&2 || true
  echo "start.sh: stop what runs with: $0 stop" >&2
  exit 1
}

# Polls `cmd...` until it succeeds, while the node's process (just launched:
# it may not have exec'd its program yet) lives.
wait_for() {
  local node=$1 what=$2 pid
  shift 2
  pid="$(cat "$RUN/$node.pid")"
  local deadline=$((SECONDS + TIMEOUT))
  while ! "$@" >/dev/null 2>&1; do
    alive "$pid" || { echo "start.sh: $node exited" >&2; fail_with_log "$node"; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "start.sh: $node: no $what after ${TIMEOUT}s" >&2; fail_with_log "$node"; }
    sleep 0.2
  done
}

write_nats_conf() {
  local i=$1 n routes=""
  for ((n = 1; n <= N_NATS; n++)); do
    [ "$n" -eq "$i" ] || routes+="    nats-route://$HOST:${ROUTE_PORTS[$((n - 1))]}"$'\n'
  done
  mkdir -p "$DIR/nats-$i"
  cat >"$DIR/nats-$i/nats.conf" <<EOF
# Written by deploy/cluster/start.sh; rewritten at every start.
server_name: nats-$i
listen: $HOST:${NATS_PORTS[$((i - 1))]}
http: $HOST:${MONITOR_PORTS[$((i - 1))]}
# One message carries one committed batch (up to 10,000 events).
max_payload: 8MB
jetstream {
  store_dir: "$DIR/nats-$i"
}
cluster {
  name: detente
  listen: $HOST:${ROUTE_PORTS[$((i - 1))]}
  routes: [
$routes  ]
}
EOF
}

launch() {  # node, then the command line
  local node=$1
  shift
  nohup "$@" >>"$LOGS/$node.log" 2>&1 </dev/null &
  echo $! >"$RUN/$node.pid"
}

start_node() {
  local node=$1 i port
  i="$(index_of "$node")"
  if pid_of "$node" >/dev/null; then
    echo "$node already runs (pid $(pid_of "$node"))"
    return 0
  fi
  for port in $(ports_of "$node"); do
    port_in_use "$port" && die "$node: port $port is in use (another cluster, a demo? $0 status)"
  done
  echo "== $(date +%T) starting $node" >>"$LOGS/$node.log"
  case "$(kind_of "$node")" in
    nats)
      write_nats_conf "$i"
      launch "$node" "$NATS_SERVER" --config "$DIR/nats-$i/nats.conf"
      wait_for "$node" "monitoring endpoint" curl -fsS "http://$HOST:${MONITOR_PORTS[$((i - 1))]}/varz"
      ;;
    ingest)
      port="${INGEST_PORTS[$((i - 1))]}"
      launch "$node" "$INGEST_BIN" --log=jetstream --nats="$NATS_URLS" \
        --nats-stream="$STREAM" --nats-replicas="$REPLICAS" \
        --data-dir="$DIR/$node" --listen="$HOST:$port" "${INGEST_ARGS[@]}"
      wait_for "$node" "answer to \`detente info\`" "$CLI_BIN" --ingest "$HOST:$port" info
      ;;
    query)
      local web=()
      [ -d "$ROOT/web" ] && web=(--web-dir "$ROOT/web")
      launch "$node" "$QUERY_BIN" --listen="$HOST:${QUERY_PORTS[$((i - 1))]}" \
        --http-listen="$HOST:${HTTP_PORTS[$((i - 1))]}" --data-dir="$DIR/$node" \
        --ingest="$(ingest_target_for "$i")" "${web[@]}" "${QUERY_ARGS[@]}"
      wait_for "$node" "answer to \`detente status\`" "$CLI_BIN" --query "$HOST:${QUERY_PORTS[$((i - 1))]}" status
      ;;
  esac
  echo "started $node (pid $(pid_of "$node"))"
}

# JetStream is usable once every server says it is healthy and the servers
# agree on a meta leader (its Raft group has a quorum).
jetstream_ready() {
  local m jsz
  for m in "${MONITOR_PORTS[@]}"; do
    curl -fsS "http://$HOST:$m/healthz" >/dev/null 2>&1 || return 1
  done
  jsz="$(curl -fsS "http://$HOST:${MONITOR_PORTS[0]}/jsz" 2>/dev/null)" || return 1
  grep -Eq '"leader": *"[^"]+"' <<<"$jsz" && grep -Eq "\"cluster_size\": *$N_NATS\\b" <<<"$jsz"
}

wait_jetstream() {
  local deadline=$((SECONDS + TIMEOUT)) i
  until jetstream_ready; do
    for ((i = 1; i <= N_NATS; i++)); do
      pid_of "nats-$i" >/dev/null || { echo "start.sh: nats-$i exited" >&2; fail_with_log "nats-$i"; }
    done
    [ "$SECONDS" -lt "$deadline" ] || {
      echo "start.sh: JetStream has no meta leader after ${TIMEOUT}s" >&2
      fail_with_log nats-1
    }
    sleep 0.5
  done
  local jsz leader
  jsz="$(curl -fsS "http://$HOST:${MONITOR_PORTS[0]}/jsz")"
  leader="$(grep -Eo '"leader": *"[^"]+"' <<<"$jsz" | sed -n '1s/.*"\([^"]*\)"$/\1/p')"
  echo "JetStream ready: $N_NATS servers, meta leader $leader"
}

need_binaries() {  # the kinds about to start
  local kinds=" $* "
  command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
  if [[ "$kinds" == *" nats "* ]]; then
    command -v "$NATS_SERVER" >/dev/null ||
      die "$NATS_SERVER not found (Debian: apt-get install nats-server; or set DETENTE_CLUSTER_NATS_SERVER)"
  fi
  if [[ "$kinds" == *" ingest "* || "$kinds" == *" query "* ]]; then
    local b
    for b in "$INGEST_BIN" "$QUERY_BIN" "$CLI_BIN"; do
      [ -x "$b" ] || die "$b is missing: build first (tools/setup.sh) or set DETENTE_BUILD_DIR"
    done
    local help
    help="$("$INGEST_BIN" --help 2>&1)" || true
    grep -Eq -- '(^|[ ,])--log([ =:]|$)' <<<"$help" ||
      die "$INGEST_BIN has no --log (built without cluster mode?); \`$0 start nats\` starts only NATS"
  fi
}

write_env() {
  local ingest=() query=() http=() i
  for ((i = 0; i < N_INGEST; i++)); do ingest+=("$HOST:${INGEST_PORTS[$i]}"); done
  for ((i = 0; i < N_QUERY; i++)); do query+=("$HOST:${QUERY_PORTS[$i]}"); http+=("$HOST:${HTTP_PORTS[$i]}"); done
  cat >"$DIR/cluster.env" <<EOF
# Written by deploy/cluster/start.sh
CLUSTER_DIR='$DIR'
NATS_URLS='$NATS_URLS'
NATS_STREAM='$STREAM'
INGEST_ADDRS='${ingest[*]}'
QUERY_ADDRS='${query[*]}'
HTTP_ADDRS='${http[*]}'
EOF
}

cmd_start() {
  local nodes=() kinds=() node
  if [ $# -eq 0 ]; then
    mapfile -t nodes < <(all_nodes)
  else
    check_names "$@"
    mapfile -t nodes < <(expand "$@")
  fi
  for node in "${nodes[@]}"; do kinds+=("$(kind_of "$node")"); done
  need_binaries "${kinds[@]}"
  mkdir -p "$LOGS" "$RUN"
  local port
  for node in "${nodes[@]}"; do
    pid_of "$node" >/dev/null && continue
    for port in $(ports_of "$node"); do
      port_in_use "$port" && die "$node: port $port is in use (another cluster, a demo? $0 status)"
    done
  done
  write_env
  local nats_started=0
  for node in "${nodes[@]}"; do
    if [ "$(kind_of "$node")" != nats ] && [ "$nats_started" -eq 1 ]; then
      wait_jetstream
      nats_started=0
    fi
    [ "$(kind_of "$node")" = nats ] && ! pid_of "$node" >/dev/null && nats_started=1
    start_node "$node"
  done
  [ "$nats_started" -eq 0 ] || wait_jetstream
  echo
  cmd_status
}

stop_node() {  # node, signal
  local node=$1 sig=$2 pid deadline
  if ! pid="$(pid_of "$node")"; then
    rm -f "$RUN/$node.pid"
    return 0
  fi
  kill "-$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 30))
  while pid_of "$node" >/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$node (pid $pid) still runs 30 s after SIG$sig: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 30))
    fi
    sleep 0.1
  done
  rm -f "$RUN/$node.pid"
  echo "stopped $node (pid $pid, SIG$sig)"
}

cmd_stop() {  # signal, nodes (none: all, in reverse start order)
  local sig=$1 nodes=() i
  shift
  if [ $# -eq 0 ]; then
    mapfile -t nodes < <(all_nodes)
  else
    check_names "$@"
    mapfile -t nodes < <(expand "$@")
  fi
  [ -d "$RUN" ] || { echo "nothing runs (no $RUN)"; return 0; }
  for ((i = ${#nodes[@]} - 1; i >= 0; i--)); do stop_node "${nodes[$i]}" "$sig"; done
}

cmd_status() {
  local node pid i what
  echo "Detente cluster under $DIR"
  while read -r node; do
    i="$(index_of "$node")"
    case "$(kind_of "$node")" in
      nats) what="nats://$HOST:${NATS_PORTS[$((i - 1))]}  routes $HOST:${ROUTE_PORTS[$((i - 1))]}  monitoring http://$HOST:${MONITOR_PORTS[$((i - 1))]}/jsz  storage $DIR/$node/jetstream" ;;
      ingest) what="gRPC $HOST:${INGEST_PORTS[$((i - 1))]}  local copy $DIR/$node" ;;
      query) what="gRPC $HOST:${QUERY_PORTS[$((i - 1))]}  HTTP http://$HOST:${HTTP_PORTS[$((i - 1))]}/  follows $(ingest_target_for "$i")" ;;
    esac
    if pid="$(pid_of "$node")"; then
      printf '  %-9s pid %-8s %s\n' "$node" "$pid" "$what"
    else
      printf '  %-9s %-12s %s\n' "$node" "not running" "$what"
    fi
  done < <(all_nodes)
  echo "  logs $LOGS/NODE.log, pid files $RUN/NODE.pid, addresses $DIR/cluster.env"
  echo "  stream $STREAM, $REPLICAS replicas, NATS $NATS_URLS"
  pid_of ingest-1 >/dev/null || { echo "Stop: ${STOP_PREFIX}deploy/cluster/stop.sh"; return 0; }
  echo "Try:  $CLI_BIN --ingest $HOST:${INGEST_PORTS[0]} ingest data/sample/korea-japan-triad.jsonl"
  echo "      $CLI_BIN --query $HOST:${QUERY_PORTS[$((N_QUERY - 1))]} temperature KOR JPN --resolution year"
  echo "Stop: ${STOP_PREFIX}deploy/cluster/stop.sh (keeps the data; \`${STOP_PREFIX}deploy/cluster/start.sh clean\` deletes it)"
}

cmd_clean() {
  cmd_stop TERM
  case "$DIR" in
    "" | / | "$ROOT" | "$HOME") die "refusing to delete $DIR" ;;
  esac
  rm -rf -- "$DIR"
  echo "deleted $DIR"
}

case "${1:-start}" in
  start) shift $(($# > 0 ? 1 : 0)); cmd_start "$@" ;;
  stop) shift; cmd_stop TERM "$@" ;;
  kill) shift; [ $# -gt 0 ] || die "kill needs node names (e.g. kill nats-2 ingest-1)"; cmd_stop KILL "$@" ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (start, stop, kill, status, clean; --help)" ;;
esac
