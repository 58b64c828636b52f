#!/usr/bin/env bash
# Runs the libFuzzer targets (docs/fuzzing.md): builds the `fuzz` preset (Clang 14, ASan + UBSan)
# and runs each target from its seed corpus for a bounded time, with a 2 GiB RSS limit and a 10 s
# per-input timeout. Exits non-zero if any target finds a crash, a leak, a timeout or runs out of
# memory; the input that did it is kept under build/fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh                      every target for 30 s each (CI)
#   scripts/fuzz.sh --seconds 600 wire_frames
#   scripts/fuzz.sh --runs 10000000      every target for ten million inputs
#   scripts/fuzz.sh --seed 0             a random seed (the default, 1, repeats the same run)
#   scripts/fuzz.sh --corpus             rewrite the seed-* files of fuzz/corpus/ from real encodings
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(crdt_decode crdt_cereal crdt_boost wire_frames scenario_toml stored_records secure_channel
             resp_requests)
limit=(-max_total_time=30)
seed=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) limit=(-max_total_time="$2"); shift 2 ;;
        --runs) limit=(-runs="$2"); shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --corpus)
            cmake --preset release >/dev/null
            cmake --build --preset release --target converge_fuzz_corpus
            find fuzz/corpus -name 'seed-*' -delete  # found inputs (crash-*) stay
            ./build/release/fuzz/converge_fuzz_corpus fuzz/corpus examples/scenarios
            exit 0 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        -*) echo "fuzz: unknown option $1 (see --help)" >&2; exit 2 ;;
        *)
            if [[ ! " ${targets_all[*]} " == *" $1 "* ]]; then
                echo "fuzz: no target '$1'; the targets are: ${targets_all[*]}" >&2; exit 2
            fi
            targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -eq 0 ] && targets=("${targets_all[@]}")

./scripts/install-deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_targets

failed=()
printf '%-16s %14s %12s %10s  %s\n' target executions execs/s peak_rss result
for t in "${targets[@]}"; do
    work=build/fuzz/corpus/$t artifacts=build/fuzz/artifacts/$t log=build/fuzz/logs/$t.log
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    echo "fuzz: running $t (${limit[*]}); log in $log" >&2
    status=passed
    if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "./build/fuzz/fuzz/fuzz_$t" "${limit[@]}" -seed="$seed" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
        status="FAILED: see $log and $artifacts/"
        failed+=("$t")
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    printf '%-16s %14s %12s %8s MB  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${rss:-?}" "$status"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}. Reproduce with" \
         "./build/fuzz/fuzz/fuzz_<target> <artifact>; once fixed, copy the artifact into" \
         "fuzz/corpus/<target>/ so ctest replays it." >&2
    exit 1
fi
