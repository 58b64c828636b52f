#!/usr/bin/env bash
# Real faults on real processes: a cluster of converge-node processes inside a network namespace
# this script creates (and removes on exit), clients writing through the Redis front, a nemesis
# injecting partitions and one-way cuts (nftables), SIGSTOP pauses, SIGKILL and restart, clock
# jumps and drift (libfaketime) and full disks (a tmpfs per node), then a heal, a wait for
# convergence and a check of the whole history (tests/chaos/checker.py). Needs root.
#   ./scripts/chaos.sh [--nodes 5] [--seconds 60] [--seed N] [--faults partition,cut,pause,kill,clock,disk]
#                      [--clients N] [--rounds 1] [--commit every_write|group] [--out DIR]
#                      [--bin build/release/tools]
# Exit 0 when nothing acknowledged was lost and every node agrees; 1 with the first violation;
# 2 when it cannot run. The history, the faults and the nodes' logs go to --out/SEED (default
# chaos-out/SEED). --rounds N runs N rounds (seeds SEED, SEED+1, ...), stopping at the first
# that fails: the long target (./scripts/chaos.sh --rounds 60 --seconds 300 runs five hours).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/tools
seed=$(( $(od -An -N4 -tu4 /dev/urandom) ))
out=chaos-out
rounds=1
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) seed=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        --nodes|--seconds|--faults|--clients|--sync-interval-ms|--commit) args+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "chaos: unknown argument $1 (see --help)"; exit 2 ;;
    esac
done
python=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "chaos: needs root (network namespaces, nftables, tmpfs mounts)"; exit 2; }
for tool in ip nft setpriv mount "$python"; do
    command -v "$tool" >/dev/null || { echo "chaos: needs $tool (./scripts/install-deps.sh)"; exit 2; }
done
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] ||
    { echo "chaos: needs libfaketime (./scripts/install-deps.sh)"; exit 2; }
[ -x "$bin/converge-node" ] || { echo "chaos: no $bin/converge-node; build the release preset first"; exit 2; }
bin=$(cd "$bin" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

ns=converge-chaos-$$
cleanup() {
    # The nodes and their tmpfs mounts go with the driver; this catches an interrupted one.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    grep -o " $out/[0-9]*/node[0-9]*/data " /proc/mounts | xargs -r -n1 umount -l 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
}
trap cleanup EXIT
seeds=()
for round in $(seq "$rounds"); do
    [ "$rounds" -gt 1 ] && echo "chaos: round $round of $rounds"
    rm -rf "${out:?}/$seed"
    ip netns add "$ns"
    rc=0
    ip netns exec "$ns" "$python" -B tests/chaos/chaos.py --bin "$bin" --out "$out/$seed" \
        --seed "$seed" "${args[@]}" || rc=$?
    cleanup
    [ "$rc" -eq 0 ] || exit "$rc"
    seeds+=("$seed")
    seed=$((seed + 1))
done
if [ "$rounds" -gt 1 ]; then
    "$python" - "$out" "${seeds[@]}" <<'EOF'
import json, sys
rounds = [json.load(open("%s/%s/summary.json" % (sys.argv[1], seed))) for seed in sys.argv[2:]]
print("chaos: %d rounds passed: %d faults injected, %d operations, slowest convergence %.1f s"
      % (len(rounds), sum(sum(r["faults"].values()) for r in rounds),
         sum(sum(c.values()) for r in rounds for c in r["operations"].values()),
         max(r["convergence_s_after_last_heal"] for r in rounds)))
EOF
fi
