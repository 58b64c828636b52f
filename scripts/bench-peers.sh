#!/usr/bin/env bash
# The hash benchmarks side by side with Yjs's and Loro's maps, in one run: builds the release
# preset, runs bench/bench_records.cpp's hash benchmarks (3 repetitions, medians) and
# bench/peers/maps.mjs on Node, and prints each figure with its ratio. Needs node and npm (Debian's
# nodejs and npm); the first run installs yjs and loro-crdt from the npm registry into build/peers
# (a comparison only: converge itself uses neither). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "bench-peers: needs node and npm (apt-get install nodejs npm)"; exit 2; }
cmake --preset release >/dev/null
cmake --build --preset release --target converge_bench_records >/dev/null
mkdir -p build/peers build/bench
if [ ! -d build/peers/node_modules/yjs ] || [ ! -d build/peers/node_modules/loro-crdt ]; then
    echo "bench-peers: installing yjs and loro-crdt into build/peers"
    (cd build/peers && npm install --silent --no-audit --no-fund yjs loro-crdt)
fi
cp bench/peers/maps.mjs build/peers/maps.mjs
echo "bench-peers: converge (3 repetitions) ..."
./build/release/bench/converge_bench_records --benchmark_filter='ORHash|UnorderedMap' \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out=build/bench/records-hash.json --benchmark_out_format=json >/dev/null 2>&1
echo "bench-peers: Yjs and Loro (3 repetitions) ..."
node build/peers/maps.mjs > build/bench/peers-maps.json
node - build/bench/records-hash.json build/bench/peers-maps.json <<'JS'
const fs = require('fs');
const ours = JSON.parse(fs.readFileSync(process.argv[2])).benchmarks.filter(b => b.aggregate_name === 'median');
const peers = JSON.parse(fs.readFileSync(process.argv[3]));
const get = (name) => ours.find(b => b.run_name === name);
const sets = get('BM_ORHashSetFields'), map = get('BM_UnorderedMapSetFields'), ex = get('BM_ORHashMergeTwoReplicas');
const c = {
  sets_per_second: sets.items_per_second, encoded_bytes_per_field: sets.encoded_bytes_per_field,
  exchange_ms: ex.real_time, delta_bytes_per_field: ex.delta_bytes_per_field,
};
const f = (x) => x >= 1e6 ? (x / 1e6).toFixed(2) + ' M' : x >= 1e4 ? (x / 1e3).toFixed(0) + ' K' : x.toFixed(1);
const rows = [
  ['100,000 sets of 10,000 fields (sets/s)', 'sets_per_second', true],
  ['encoded bytes per field after them', 'encoded_bytes_per_field', false],
  ['two replicas, 50,000 fields each, exchange (ms)', 'exchange_ms', false],
  ['delta bytes per field in that exchange', 'delta_bytes_per_field', false],
];
console.log('| workload | converge ORHash | Yjs Y.Map | Loro LoroMap | converge vs Yjs | converge vs Loro |');
console.log('|---|---|---|---|---|---|');
for (const [label, key, higherBetter] of rows) {
  const r = (p) => {
    const better = higherBetter ? c[key] / p[key] : p[key] / c[key];  // > 1: converge ahead
    const word = higherBetter ? ['faster', 'slower'] : key.startsWith('exchange') ? ['faster', 'slower'] : ['smaller', 'larger'];
    return better >= 1 ? `${better.toFixed(1)}x ${word[0]}` : `${(1 / better).toFixed(1)}x ${word[1]}`;
  };
  console.log(`| ${label} | ${f(c[key])} | ${f(peers.yjs[key])} | ${f(peers.loro[key])} | ${r(peers.yjs)} | ${r(peers.loro)} |`);
}
console.log(`| unreplicated std::unordered_map, the same sets (sets/s) | ${f(map.items_per_second)} | | | converge ${(c.sets_per_second / map.items_per_second).toFixed(2)}x of it | |`);
JS
