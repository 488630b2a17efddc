#!/usr/bin/env bash
# Sets everything up, starts both services on loopback with their data under
# ./var/demo, loads the bundled sample history and prints the KOR-JPN
# relation temperature.
#
#   tools/demo.sh                 # stops the services at the end
#   tools/demo.sh --keep-running  # leaves them running (gRPC 7601 and 7602,
#                                 # HTTP and the dashboard on 7680)
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[ "${1:-}" = "--keep-running" ] && KEEP=1

tools/setup.sh
BIN=build
DATA=var/demo
mkdir -p "$DATA"
export DETENTE_INGEST=127.0.0.1:7601 DETENTE_QUERY=127.0.0.1:7602
HTTP=127.0.0.1:7680

if "$BIN/tools/cli/detente" info >/dev/null 2>&1; then
  echo "A detente-ingest already answers on $DETENTE_INGEST (a demo left running?);" >&2
  echo "stop it first (pkill detente-ingest detente-query)." >&2
  exit 1
fi

pids=()
cleanup() {
  if [ "$KEEP" -eq 0 ]; then
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT

"$BIN/services/ingest/detente-ingest" --listen "$DETENTE_INGEST" \
  --data-dir "$DATA/ingest" >"$DATA/ingest.log" 2>&1 &
pids+=($!)
"$BIN/services/query/detente-query" --listen "$DETENTE_QUERY" --ingest "$DETENTE_INGEST" \
  --http-listen "$HTTP" --web-dir web --data-dir "$DATA/query" >"$DATA/query.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  "$BIN/tools/cli/detente" info >/dev/null 2>&1 && "$BIN/tools/cli/detente" status >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== Loading the sample history (data/sample/korea-japan-triad.jsonl)"
"$BIN/tools/cli/detente" ingest data/sample/korea-japan-triad.jsonl
head=$("$BIN/tools/cli/detente" info | awk '/head position/ {print $3}')
# The query service follows the log; wait until it has everything.
for _ in $(seq 1 100); do
  pos=$("$BIN/tools/cli/detente" status | awk '/^position/ {print $2}')
  [ "$pos" = "$head" ] && break
  sleep 0.1
done
echo
echo "== The log"
"$BIN/tools/cli/detente" info
echo
echo "== The KOR-JPN relation temperature, yearly (half-life 90 days)"
"$BIN/tools/cli/detente" temperature KOR JPN --resolution year --from 1965 --to 2023

if [ "$KEEP" -eq 1 ]; then
  echo
  echo "Services keep running (ingest $DETENTE_INGEST, query $DETENTE_QUERY, pids ${pids[*]}); logs in $DATA/."
  echo "Dashboard: http://$HTTP/"
  echo "Try: $BIN/tools/cli/detente group USA KOR JPN --resolution year --from 2015"
  echo "     $BIN/tools/cli/detente timeline KOR JPN --from 2019 --to 2019-12"
  echo "Stop: kill ${pids[*]}"
fi
