#!/usr/bin/env bash
# Sets everything up, starts the services on loopback with their data under
# ./var/demo, loads the bundled sample history and prints what the log holds
# for South Korea and Japan.
#
#   tools/demo.sh                 # stops the services at the end
#   tools/demo.sh --keep-running  # leaves them running (ports 7601, 7602)
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP=0
[ "${1:-}" = "--keep-running" ] && KEEP=1

tools/setup.sh
BIN=build
DATA=var/demo
mkdir -p "$DATA"
export DETENTE_INGEST=127.0.0.1:7601

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

for _ in $(seq 1 100); do
  "$BIN/tools/cli/detente" info >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== Loading the sample history (data/sample/korea-japan-triad.jsonl)"
"$BIN/tools/cli/detente" ingest data/sample/korea-japan-triad.jsonl
echo
echo "== The log"
"$BIN/tools/cli/detente" info
echo
echo "== KOR-JPN events in date order"
"$BIN/tools/cli/detente" read --pair KOR-JPN --by-date

if [ "$KEEP" -eq 1 ]; then
  echo
  echo "Services keep running (ingest $DETENTE_INGEST, pid ${pids[*]}); logs in $DATA/."
  echo "Try: $BIN/tools/cli/detente read --pair KOR-USA    Stop: kill ${pids[*]}"
fi
