#!/usr/bin/env bash
# Issue 18's table, every row beside its baseline measured in the same run: gets, puts and the
# 90/10 mix against a std::unordered_map behind one mutex and tbb::concurrent_hash_map (Google
# Benchmark, medians of 3), memory per key (1,000,000 keys of 16 bytes with 16-byte values)
# against the mutex map and a redis-server this script starts (its used_memory growth over the
# same SETs), and the simulator's main job and a 100-seed sweep (no baseline runs here: TigerBeetle's
# VOPR is quoted in docs/benchmarks.md). Prints a table with each goal; writes the figures to
# build/bench/fast-paths.json. Needs ./scripts/install-deps.sh --bench. Not part of CI.
#   ./scripts/bench-fast-paths.sh [--repetitions N]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=3
while [ $# -gt 0 ]; do
    case $1 in
        --repetitions) reps=$2; shift 2 ;;
        *) echo "usage: bench-fast-paths.sh [--repetitions N]"; exit 2 ;;
    esac
done
for tool in redis-server redis-cli jq; do
    command -v "$tool" >/dev/null || { echo "bench-fast-paths: needs $tool (./scripts/install-deps.sh --bench)"; exit 2; }
done
cmake --preset release >/dev/null
cmake --build --preset release --target converge_bench_store converge-sim >/dev/null
mkdir -p build/bench
json=build/bench/fast-paths-store.json
work=$(mktemp -d)
redis_pid=
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "bench-fast-paths: store benchmarks ($reps repetitions each, medians) ..."
./build/release/bench/converge_bench_store --benchmark_repetitions="$reps" \
    --benchmark_report_aggregates_only=true --benchmark_out="$json" --benchmark_out_format=json \
    --benchmark_filter='^(BM_StoreGet|BM_StorePut|BM_StorePutReplicated|BM_Baseline(Get|Put)<.*>|BM_Mixed90Get10Put<.*>/real_time/threads:[12]|BM_MemoryPerKey<.*>)(/iterations:1)?$' \
    >/dev/null
# rate NAME: items per second of NAME's median (M/s, two decimals); counter NAME FIELD: its value.
rate() { jq -r --arg n "$1_median" '.benchmarks[] | select(.name == $n) | .items_per_second / 1e6 | .*100 | round / 100' "$json"; }
counter() { jq -r --arg n "$1_median" --arg f "$2" '.benchmarks[] | select(.name == $n) | .[$f] | round' "$json"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "" || b == "") print "-"; else printf "%.2f", a / b }'; }
have_tbb=$(jq -r '[.benchmarks[] | select(.name | test("TbbMap"))] | length > 0' "$json")
tbb() { if [ "$have_tbb" = true ]; then rate "$1"; else echo ""; fi; }

echo "bench-fast-paths: redis-server's memory for the same 1,000,000 SETs ..."
port=$(( 31000 + ($$ % 500) ))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 100); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
used() { redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }
before=$(used)
# The store benchmark's keys and value: key-000000000042 -> value-0123456789.
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "SET key-%012d value-0123456789\r\n", i }' |
    redis-cli -p "$port" --pipe >/dev/null
redis_per_key=$(( ($(used) - before) / 1000000 ))

echo "bench-fast-paths: the simulator's main job and a sweep of 100 seeds (2 jobs) ..."
sim=build/release/tools/converge-sim
speed=$("$sim" run examples/scenarios/three-regions.toml | sed -n 's/.*s wall (\([0-9]*\)x).*/\1/p')
start=$(date +%s.%N)
"$sim" sweep examples/scenarios/three-regions.toml --seeds 1..100 --jobs 2 >/dev/null 2>&1
sweep_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

get=$(rate BM_StoreGet) get_m=$(rate "BM_BaselineGet<GlobalLockMap>") get_t=$(tbb "BM_BaselineGet<TbbMap>")
put=$(rate BM_StorePut) put_m=$(rate "BM_BaselinePut<GlobalLockMap>") put_t=$(tbb "BM_BaselinePut<TbbMap>")
mix1=$(rate "BM_Mixed90Get10Put<Store>/real_time/threads:1")
mix1_m=$(rate "BM_Mixed90Get10Put<GlobalLockMap>/real_time/threads:1")
mix1_t=$(tbb "BM_Mixed90Get10Put<TbbMap>/real_time/threads:1")
mix2=$(rate "BM_Mixed90Get10Put<Store>/real_time/threads:2")
mix2_m=$(rate "BM_Mixed90Get10Put<GlobalLockMap>/real_time/threads:2")
mix2_t=$(tbb "BM_Mixed90Get10Put<TbbMap>/real_time/threads:2")
repl=$(rate BM_StorePutReplicated)
mem=$(counter "BM_MemoryPerKey<Store>/iterations:1" bytes_per_key)
mem_m=$(counter "BM_MemoryPerKey<GlobalLockMap>/iterations:1" bytes_per_key)

echo
echo "| workload | converge | mutex map | tbb map | converge / mutex map | converge / tbb map | goal |"
echo "|---|---|---|---|---|---|---|"
echo "| get, 1 thread, 100,000 keys (M/s) | $get | $get_m | ${get_t:--} | $(ratio "$get" "$get_m") | $(ratio "$get" "$get_t") | >= 20 M/s |"
echo "| 90 % get / 10 % put, 1 thread (M/s) | $mix1 | $mix1_m | ${mix1_t:--} | $(ratio "$mix1" "$mix1_m") | $(ratio "$mix1" "$mix1_t") | >= 1.5x the mutex map |"
echo "| the same, 2 threads (M/s) | $mix2 | $mix2_m | ${mix2_t:--} | $(ratio "$mix2" "$mix2_m") | $(ratio "$mix2" "$mix2_t") | >= 3x the mutex map |"
echo "| put, 1 thread (M/s) | $put | $put_m | ${put_t:--} | $(ratio "$put" "$put_m") | $(ratio "$put" "$put_t") | >= 5 M/s |"
echo "| replicated put, both replicas on 1 thread (M/s) | $repl | | | | | >= 1 M/s |"
echo
echo "| memory per key, 1,000,000 keys, 16-byte keys and values | converge | mutex map | redis-server used_memory | converge / redis | goal |"
echo "|---|---|---|---|---|---|"
echo "| bytes | $mem | $mem_m | $redis_per_key | $(ratio "$mem" "$redis_per_key") | <= redis |"
echo
echo "| simulator | converge | goal |"
echo "|---|---|---|"
echo "| main job (three-regions.toml, oracle on), x real time | ${speed}x | >= 1,000x |"
echo "| sweep of the main job, 100 seeds, 2 jobs | $sweep_s s | <= 2.5 s |"
jq -n --argjson get "$get" --argjson get_mutex "$get_m" --argjson put "$put" --argjson put_mutex "$put_m" \
    --argjson mix1 "$mix1" --argjson mix1_mutex "$mix1_m" --argjson mix2 "$mix2" --argjson mix2_mutex "$mix2_m" \
    --argjson replicated_put "$repl" --argjson bytes_per_key "$mem" --argjson bytes_per_key_mutex "$mem_m" \
    --argjson bytes_per_key_redis "$redis_per_key" --argjson sim_speed "${speed:-0}" --argjson sweep_s "$sweep_s" \
    --arg tbb "$have_tbb" \
    '{get_mps: $get, get_mutex_mps: $get_mutex, put_mps: $put, put_mutex_mps: $put_mutex,
      mixed_1_mps: $mix1, mixed_1_mutex_mps: $mix1_mutex, mixed_2_mps: $mix2, mixed_2_mutex_mps: $mix2_mutex,
      replicated_put_mps: $replicated_put, bytes_per_key: $bytes_per_key,
      bytes_per_key_mutex_map: $bytes_per_key_mutex, bytes_per_key_redis: $bytes_per_key_redis,
      sim_times_real_time: $sim_speed, sweep_100_seeds_s: $sweep_s, tbb_baseline: ($tbb == "true")}' \
    > build/bench/fast-paths.json
echo "JSON: build/bench/fast-paths.json (Google Benchmark's: $json)"
