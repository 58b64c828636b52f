#!/usr/bin/env bash
# Builds the release preset and runs the benchmarks: 3 repetitions, medians reported, full JSON
# written to build/bench/<name>.json. Extra arguments go to Google Benchmark (e.g. a filter).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target converge_bench_crdt converge_bench_records converge_bench_store \
    converge_bench_sim
mkdir -p build/bench
for name in crdt records store sim; do
    out=build/bench/$name.json
    ./build/release/bench/converge_bench_$name --benchmark_repetitions=3 \
        --benchmark_report_aggregates_only=true --benchmark_out="$out" \
        --benchmark_out_format=json "$@" | { grep -E "^(Benchmark|-|BM_.*_median)" || true; }
    echo "JSON: $out"
done
