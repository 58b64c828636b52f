#!/usr/bin/env bash
# Installs every build and test dependency of converge from Debian 12 packages (redis-tools and
# python3-redis: the Redis front's tests drive converge-node with redis-cli, redis-benchmark and
# redis-py; iproute2, nftables and faketime: scripts/chaos.sh's namespace, partitions and clocks;
# GNU parallel: the test of sharded simulator sweeps).
# Idempotent and non-interactive; run as root or as a user with sudo.
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config
    libboost-serialization-dev libcereal-dev
    libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
    libspdlog-dev prometheus-cpp-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
    libsqlite3-dev libsodium-dev libasio-dev libabsl-dev
    clang-14 libclang-rt-14-dev clang-tidy-14
    redis-tools python3-redis
    iproute2 nftables faketime parallel
)
# ./scripts/install-deps.sh --bench: also what the benchmarks compare against (redis-server, TBB)
# and jq, which scripts/bench-fast-paths.sh reads their JSON with.
if [ "${1:-}" = "--bench" ]; then packages+=(redis-server libtbb-dev jq); fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
