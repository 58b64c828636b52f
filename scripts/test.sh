#!/usr/bin/env bash
# Installs the dependencies, builds a preset (default: release) and runs its whole test suite.
#   ./scripts/test.sh            # release: unit tests, properties (1,000 cases each), install check
#   ./scripts/test.sh asan       # the same under AddressSanitizer and UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
./scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)"
