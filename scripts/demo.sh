#!/usr/bin/env bash
# The main job: installs the dependencies, builds the release preset and runs a partition
# simulation of five replicas in three regions (examples/scenarios/three-regions.toml), printing
# whether and how fast they converged. Extra arguments go to converge-sim run (e.g. --seed 7).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target converge-sim
./build/release/tools/converge-sim run examples/scenarios/three-regions.toml "$@"
