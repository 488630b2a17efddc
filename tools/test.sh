#!/usr/bin/env bash
# Sets everything up and runs every test. Exits non-zero on any failure.
#
#   1. The whole suite (ctest: unit tests, integration tests with the real
#      binaries, the dashboard in Chromium, buf lint, deploy checks, the
#      benchmark smoke) on the plain build (build/).
#   2. Every libFuzzer target for DETENTE_FUZZ_SECONDS (default 30) with
#      clang (build-fuzz/).
#
# DETENTE_TEST_SANITIZERS=1 also runs the whole suite under AddressSanitizer
# and UndefinedBehaviorSanitizer (build-asan/) and the concurrency tests under
# ThreadSanitizer (build-tsan/). DETENTE_TEST_QUICK=1 runs only step 1.
# Extra arguments go to step 1's ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="$(nproc)"

echo "== the whole suite"
tools/setup.sh
ctest --test-dir build --output-on-failure -j "$JOBS" "$@"
[ "${DETENTE_TEST_QUICK:-0}" = "1" ] && exit 0

echo "== fuzzing, ${DETENTE_FUZZ_SECONDS:-30} s per target"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDETENTE_FUZZ=ON \
  -DDETENTE_FUZZ_SECONDS="${DETENTE_FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-fuzz -j "$JOBS" --target fuzz_all
ctest --test-dir build-fuzz --output-on-failure -L fuzz

if [ "${DETENTE_TEST_SANITIZERS:-0}" = "1" ]; then
  echo "== the whole suite under ASan+UBSan"
  DETENTE_BUILD_DIR=build-asan DETENTE_CMAKE_ARGS="-DDETENTE_SANITIZE=ON" tools/setup.sh
  # RocksDB, gRPC and protobuf come from Debian uninstrumented: container
  # annotations across that boundary would be false alarms.
  ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=0:abort_on_error=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS"

  echo "== concurrency tests under TSan"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDETENTE_TSAN=ON >/dev/null
  cmake --build build-tsan -j "$JOBS" --target eventlog_test projections_test
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
    ctest --test-dir build-tsan --output-on-failure -R "^(eventlog_test|projections_test)$"
fi
