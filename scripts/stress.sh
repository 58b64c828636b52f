#!/usr/bin/env bash
# The multi-process tests under load: the node tests (converge-node processes, redis clients),
# the crash test (SIGKILL of a writer) and the TCP transport's tests, run again and again beside
# CPU hogs (`yes > /dev/null`) that take the cores they would otherwise have to themselves.
# A test that waits on a fixed delay instead of the state it needs fails here first.
#   ./scripts/stress.sh [--runs 20] [--hogs 2] [--tests REGEX] [--preset release]
# Prints each run's result and a summary; exits 1 if any run failed (its output is kept under
# build/<preset>/stress/).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
hogs=2
tests='^node\.|TcpTransport|CrashTest'
preset=release
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --hogs) hogs=$2; shift 2 ;;
        --tests) tests=$2; shift 2 ;;
        --preset) preset=$2; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "stress: unknown argument $1 (see --help)"; exit 2 ;;
    esac
done
[ -d "build/$preset" ] || { echo "stress: build the $preset preset first (./scripts/test.sh $preset)"; exit 2; }
count=$(ctest --test-dir "build/$preset" -N -R "$tests" | sed -n 's/^Total Tests: //p')
[ "${count:-0}" -gt 0 ] || { echo "stress: no test matches $tests"; exit 2; }
out="build/$preset/stress"
rm -rf "$out"
mkdir -p "$out"

hog_pids=()
stop_hogs() { for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for _ in $(seq "$hogs"); do
    yes > /dev/null &
    hog_pids+=($!)
done
echo "stress: $count tests matching '$tests', $runs runs beside $hogs CPU hogs"

failed=0
start=$(date +%s)
for run in $(seq "$runs"); do
    t0=$(date +%s)
    if ctest --test-dir "build/$preset" -R "$tests" -j "$(nproc)" --output-on-failure \
        > "$out/run$run.log" 2>&1; then
        echo "stress: run $run/$runs passed in $(( $(date +%s) - t0 )) s"
        rm -f "$out/run$run.log"
    else
        failed=$((failed + 1))
        echo "stress: run $run/$runs FAILED in $(( $(date +%s) - t0 )) s:" \
            "$(grep -E '^\s*[0-9]+ - ' "$out/run$run.log" | sed 's/^ *//' | tr '\n' ';')" \
            "(output: $out/run$run.log)"
    fi
done
echo "stress: $(( runs - failed )) of $runs runs passed in $(( $(date +%s) - start )) s beside $hogs CPU hogs"
[ "$failed" -eq 0 ]
