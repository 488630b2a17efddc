#!/usr/bin/env bash
# Sets everything up (tools/setup.sh) and runs the whole test suite with
# ctest: unit tests, integration tests with the real binaries, buf lint.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
BUILD_DIR="${DETENTE_BUILD_DIR:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
