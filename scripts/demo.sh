#!/usr/bin/env bash
# Installs the dependencies, builds the release preset and runs the main job. Until the simulator
# lands, the main job is the quickstart example: two offline replicas converging.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target converge_quickstart
echo
./build/release/examples/converge_quickstart
