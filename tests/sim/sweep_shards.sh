#!/usr/bin/env bash
# converge-sim sweep --shard and converge-sim merge: a sweep cut into shards that run on two
# "machines" (GNU parallel job slots, each in a folder of its own) merges into the same summary as
# the sweep in one piece; overlapping shards, another scenario's report and a missing shard are
# caught. Usage: sweep_shards.sh BIN_DIR SCENARIO
set -euo pipefail
bin=$(cd "$1" && pwd)
scenario=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "sweep_shards: FAILED: $*"; exit 1; }
sim() { "$bin/converge-sim" "$@"; }
command -v parallel >/dev/null || { echo "sweep_shards: needs GNU parallel (./scripts/install-deps.sh)"; exit 2; }
# The summary without its first line (seeds count, wall time and jobs differ by design).
body() { grep -v -e '^[0-9]* seeds in' -e '^merged' -e '^report:' "$1"; }

sim sweep "$scenario" --seeds 1..7 --jobs 2 --json "$work/whole.json" > "$work/whole.txt" 2>/dev/null ||
    fail "the whole sweep: $(cat "$work/whole.txt")"

# Three shards over two machines: each job runs in its machine's folder, as on another host.
mkdir -p "$work/machine1" "$work/machine2"
for i in 1 2 3; do
    machine="$work/machine$(( (i - 1) % 2 + 1 ))"
    echo "cd '$machine' && '$bin/converge-sim' sweep '$scenario' --seeds 1..7 --shard $i/3 --jobs 1 --json '$work/shard$i.json' > '$work/shard$i.txt' 2>/dev/null"
done > "$work/jobs"
parallel --will-cite --jobs 2 --halt now,fail=1 < "$work/jobs" || fail "a shard failed: $(cat "$work"/shard*.txt)"
grep -q "shard 1/3" "$work/shard1.txt" || fail "shard 1's summary does not name its shard"
grep -q "seeds 1..2 (2 seeds)" "$work/shard1.txt" || fail "shard 1/3 of 1..7 is not 1..2: $(cat "$work/shard1.txt")"
grep -q "seeds 5..7 (3 seeds)" "$work/shard3.txt" || fail "shard 3/3 of 1..7 is not 5..7: $(cat "$work/shard3.txt")"
# More shards than seeds: some are empty, even where the range starts at seed 0.
timeout 60 "$bin/converge-sim" sweep "$scenario" --seeds 0..0 --shard 1/2 > "$work/empty.txt" 2>/dev/null ||
    fail "an empty shard: $(cat "$work/empty.txt")"
grep -q "^0 seeds in" "$work/empty.txt" && grep -q "seeds none (0 seeds)" "$work/empty.txt" ||
    fail "shard 1/2 of 0..0 is not empty: $(cat "$work/empty.txt")"

sim merge "$work/shard3.json" "$work/shard1.json" "$work/shard2.json" --seeds 1..7 \
    --json "$work/merged.json" > "$work/merged.txt" || fail "merge: $(cat "$work/merged.txt")"
diff <(body "$work/whole.txt") <(body "$work/merged.txt") ||
    fail "the merged shards' summary differs from the whole sweep's"
sim merge "$work/merged.json" > "$work/again.txt" || fail "a merged report does not read back"
diff <(body "$work/whole.txt") <(body "$work/again.txt") || fail "the merged report read back differs"

rc=0; sim merge "$work/shard1.json" "$work/shard3.json" --seeds 1..7 > "$work/gap.txt" || rc=$?
[ "$rc" = 1 ] && grep -q "MISSING seeds 3..4" "$work/gap.txt" && grep -q "result: INCOMPLETE" "$work/gap.txt" ||
    fail "a missing shard: exit $rc, $(cat "$work/gap.txt")"
rc=0; sim merge "$work/shard1.json" "$work/whole.json" > "$work/overlap.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "both hold seed 1" "$work/overlap.txt" ||
    fail "overlapping shards: exit $rc, $(cat "$work/overlap.txt")"
other="$(dirname "$scenario")/clock-skew.toml"
sim sweep "$other" --seeds 8..8 --jobs 1 --json "$work/other.json" > /dev/null 2>&1 || fail "sweep of $other"
rc=0; sim merge "$work/shard1.json" "$work/other.json" > "$work/other.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "other.json is a sweep of another scenario" "$work/other.txt" ||
    fail "another scenario's report: exit $rc, $(cat "$work/other.txt")"
echo '{"converge_sim_sweep": 1}' > "$work/broken.json"
rc=0; sim merge "$work/broken.json" > "$work/broken.txt" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q 'broken.json: not a converge-sim sweep report (no "scenario_file")' "$work/broken.txt" ||
    fail "a broken report: exit $rc, $(cat "$work/broken.txt")"
echo "sweep_shards: OK: 3 shards on 2 machines merged into the whole sweep's summary"
