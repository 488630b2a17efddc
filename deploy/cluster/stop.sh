#!/usr/bin/env bash
# Stops what deploy/cluster/start.sh started (SIGTERM by pid, query nodes
# first, NATS last) and keeps the data: `start.sh` starts it again where it
# was. `stop.sh NODE...` stops only these (e.g. stop.sh nats-2 ingest-1).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/start.sh" stop "$@"
