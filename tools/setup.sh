#!/usr/bin/env bash
# Installs what Detente needs on Debian 12 (only what is missing), the npm
# tooling, and builds everything into ./build. Safe to run again.
#
#   tools/setup.sh            # Release-like build (RelWithDebInfo)
#   DETENTE_BUILD_DIR=build-asan DETENTE_CMAKE_ARGS=-DDETENTE_SANITIZE=ON tools/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libcli11-dev libcpp-httplib-dev libtomlplusplus-dev rapidjson-dev
  prometheus-cpp-dev openssl python3 zlib1g-dev libssl-dev libjemalloc-dev
  libnats-dev nats-server
  chromium clang libclang-rt-14-dev curl systemd
  python3-yaml python3-grpcio python3-protobuf python3-matplotlib
)
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x node_modules/.bin/buf ] || [ ! -f node_modules/uplot/package.json ] ||
   [ ! -f node_modules/playwright-core/package.json ]; then
  echo "setup: installing npm tooling"
  npm ci --no-audit --no-fund --loglevel=error
fi
# The dashboard's chart library, served by detente-query from web/vendor/
# (git-ignored).
mkdir -p web/vendor
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css web/vendor/

BUILD_DIR="${DETENTE_BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${DETENTE_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
