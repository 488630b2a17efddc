#!/usr/bin/env bash
# Sets everything up and runs every test. Exits non-zero on any failure.
#
#   1. The whole suite (ctest: unit tests, integration tests with the real
#      binaries, the dashboard in Chromium, buf lint, deploy checks, the
#      benchmark smoke) on the plain build (build/).
#   2. The whole suite again under AddressSanitizer, UndefinedBehaviorSanitizer
#      and LeakSanitizer (build-asan/, clang; the binaries the integration
#      tests start are sanitized too). Any sanitizer report of any process
#      fails the step, also one from a server that a test then killed.
#   3. Every libFuzzer target for DETENTE_FUZZ_SECONDS (default 30), built in
#      the same build-asan/.
#   4. The multi-threaded unit tests (eventlog_test with the cluster-mode
#      replication tests, projections_test, answer_cache_test,
#      domain_test) under ThreadSanitizer (build-tsan/).
#
# About 40 minutes on 2 cores from a clean clone (docs/reliability.md,
# "Sanitizers"). DETENTE_TEST_SANITIZERS=0 skips 2 and 4 (build-asan/ then
# builds only the fuzz targets). DETENTE_TEST_QUICK=1 runs only step 1.
# Extra arguments go to step 1's ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="$(nproc)"
SANITIZERS="${DETENTE_TEST_SANITIZERS:-1}"

echo "== the whole suite"
tools/setup.sh
ctest --test-dir build --output-on-failure -j "$JOBS" "$@"
[ "${DETENTE_TEST_QUICK:-0}" = "1" ] && exit 0

# One clang build for the sanitized suite and the fuzz targets: everything
# is compiled with -fsanitize=fuzzer-no-link,address,undefined at -O1.
# A build-asan/ of another compiler (g++, before) starts afresh: CMake would
# drop the options below while it resets the cache for the new compiler.
if [ -f build-asan/CMakeCache.txt ] &&
   ! grep -Eq '^CMAKE_CXX_COMPILER:[A-Z]+=(.*/)?clang\+\+$' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DDETENTE_SANITIZE=ON -DDETENTE_FUZZ=ON \
  -DDETENTE_FUZZ_SECONDS="${DETENTE_FUZZ_SECONDS:-30}" >/dev/null
if [ "$SANITIZERS" != "0" ]; then
  echo "== the whole suite under ASan+UBSan+LSan"
  cmake --build build-asan -j "$JOBS"
  # Reports go to files (the servers' stderr is in scratch directories that
  # the tests delete): asan.<pid>, one per process that reported.
  reports="$PWD/build-asan/sanitizer-reports"
  rm -rf "$reports"
  mkdir -p "$reports"
  # RocksDB, gRPC and protobuf come from Debian uninstrumented: container
  # annotations across that boundary would be false alarms.
  failed=0
  ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=1:abort_on_error=1:log_path=$reports/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1" \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -LE fuzz || failed=1
  for r in "$reports"/*; do
    [ -e "$r" ] || continue
    echo "== sanitizer report $r"
    cat "$r"
    failed=1
  done
  [ "$failed" = "0" ] || { echo "the suite failed under ASan+UBSan+LSan"; exit 1; }
else
  cmake --build build-asan -j "$JOBS" --target fuzz_all
fi

echo "== fuzzing, ${DETENTE_FUZZ_SECONDS:-30} s per target"
ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L fuzz --no-tests=error

if [ "$SANITIZERS" != "0" ]; then
  echo "== concurrency tests under TSan"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDETENTE_TSAN=ON >/dev/null
  cmake --build build-tsan -j "$JOBS" --target eventlog_test projections_test domain_test \
    answer_cache_test
  # history_size=7: enough history to restore the stack of a race's earlier
  # access, which tools/sanitizers/tsan.supp may need to match.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=7:suppressions=$PWD/tools/sanitizers/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j "$JOBS" --no-tests=error \
      -R "^(eventlog_test|projections_test|domain_test|answer_cache_test)$"
fi
