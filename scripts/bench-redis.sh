#!/usr/bin/env bash
# converge-node's Redis front beside redis-server, in one run: builds the release preset, starts
# redis-server three ways (no persistence; AOF with appendfsync everysec, the counterpart of
# commit = "group"; AOF with appendfsync always, that of commit = "every_write") and two
# replicating converge-nodes on 127.0.0.1 (group commit, then every_write), runs
# `redis-benchmark -q -P 16 -t ping,set,get,incr,sadd,hset` against each, and prints each test's
# requests per second with the ratios. Then the memory per key after `redis-benchmark -t set -r
# KEYS`: the node's resident memory growth against redis-server's used_memory growth, per key.
# Usage: bench-redis.sh [--requests N] [--keys N] [--clients N] [--bin DIR] (DIR: another build's
# tools, such as the build before a change, built in a git worktree). Needs redis-server,
# redis-benchmark and redis-cli (./scripts/install-deps.sh --bench). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=200000 keys=1000000 clients=50 bin=build/release/tools
while [ $# -gt 0 ]; do
    case $1 in
        --requests) requests=$2; shift 2 ;;
        --keys) keys=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        *) echo "usage: bench-redis.sh [--requests N] [--keys N] [--clients N] [--bin DIR]"; exit 2 ;;
    esac
done
for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "bench-redis: needs $tool (./scripts/install-deps.sh --bench)"; exit 2; }
done
if [ "$bin" = build/release/tools ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target converge-node >/dev/null
fi
[ -x "$bin/converge-node" ] || { echo "bench-redis: no converge-node in $bin"; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
base=$(( 30000 + ($$ % 270) * 10 ))  # below the ephemeral ports (32768 and up)
redis_port=$(( base + 9 ))
wait_ping() { for _ in $(seq 200); do [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.05; done
    echo "bench-redis: nothing answers on port $1"; exit 1; }
stop_all() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; pids=(); }
tests=ping,set,get,incr,sadd,hset
# bench PORT LABEL: one redis-benchmark run; writes LABEL.csv (test,requests per second).
bench() {
    echo "bench-redis: $2 ($requests requests a test, $clients clients, pipeline 16) ..."
    redis-benchmark -p "$1" -n "$requests" -c "$clients" -P 16 -r 100000 -t "$tests" --csv 2>/dev/null |
        tr -d '"' | awk -F, 'NR > 1 { print $1 "," $2 }' > "$work/$2.csv"
}
start_redis() {  # start_redis EXTRA_ARGS...
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --dir "$work" --daemonize no \
        --logfile "$work/redis.log" "$@" &
    pids+=($!)
    wait_ping "$redis_port"
}
start_nodes() {  # start_nodes COMMIT: nodes 1 and 2, peered; node 1's RESP port is base + 7
    for n in 1 2; do [ -f "$work/node$n.key" ] || "$bin/converge-node" keygen --secret-file "$work/node$n.key" > "$work/node$n.pub"; done
    for n in 1 2; do
        rm -f "$work/node$n.db"*
        m=$(( 3 - n ))
        {
            printf '[node]\nid = %d\ndata = "node%d.db"\nlisten = "127.0.0.1:%d"\n' "$n" "$n" $(( base + n ))
            printf 'client = "127.0.0.1:%d"\nresp = "127.0.0.1:%d"\n' $(( base + 3 + n )) $(( base + 6 + n ))
            printf 'secret_key_file = "node%d.key"\ncommit = "%s"\n' "$n" "$1"
            printf '\n[[peer]]\nid = %d\naddress = "127.0.0.1:%d"\npublic_key = "%s"\n' \
                "$m" $(( base + m )) "$(cat "$work/node$m.pub")"
        } > "$work/node$n.toml"
        "$bin/converge-node" run "$work/node$n.toml" >> "$work/node$n.log" 2>&1 &
        pids+=($!)
    done
    wait_ping $(( base + 7 )); wait_ping $(( base + 8 ))
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

start_redis
bench "$redis_port" redis
stop_all
start_redis --appendonly yes --appendfsync everysec
bench "$redis_port" redis-aof
stop_all
start_redis --appendonly yes --appendfsync always
bench "$redis_port" redis-always
stop_all
start_nodes group
bench $(( base + 7 )) converge-group
stop_all
start_nodes every_write
bench $(( base + 7 )) converge-every-write
stop_all

echo
echo "| test | redis-server | redis-server, AOF everysec | converge-node, group commit | vs redis | vs AOF everysec | redis-server, AOF always | converge-node, every_write | vs AOF always |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F, '
    FILENAME ~ /redis.csv$/ { r[$1] = $2; order[++n] = $1 }
    FILENAME ~ /redis-aof.csv$/ { a[$1] = $2 }
    FILENAME ~ /redis-always.csv$/ { y[$1] = $2 }
    FILENAME ~ /converge-group.csv$/ { g[$1] = $2 }
    FILENAME ~ /converge-every-write.csv$/ { w[$1] = $2 }
    END {
        for (i = 1; i <= n; ++i) {
            t = order[i]
            printf "| %s | %.0f | %.0f | %.0f | %.2f | %.2f | %.0f | %.0f | %.2f |\n", t, r[t], a[t], g[t], g[t] / r[t], g[t] / a[t], y[t], w[t], w[t] / y[t]
        }
    }' "$work/redis.csv" "$work/redis-aof.csv" "$work/redis-always.csv" "$work/converge-group.csv" "$work/converge-every-write.csv"

echo
echo "bench-redis: memory, redis-benchmark -t set -r $keys -n $keys (16-byte values) ..."
start_redis
before=$(redis-cli -p "$redis_port" info memory | tr -d '\r' | awk -F: '/^used_memory:/ { print $2 }')
redis_rss_before=$(rss_kib "${pids[0]}")
redis-benchmark -p "$redis_port" -n "$keys" -c "$clients" -P 16 -r "$keys" -d 16 -t set -q > /dev/null 2>&1
after=$(redis-cli -p "$redis_port" info memory | tr -d '\r' | awk -F: '/^used_memory:/ { print $2 }')
redis_keys=$(redis-cli -p "$redis_port" dbsize)
redis_rss_after=$(rss_kib "${pids[0]}")
stop_all
start_nodes group
node_before=$(rss_kib "${pids[0]}")
redis-benchmark -p $(( base + 7 )) -n "$keys" -c "$clients" -P 16 -r "$keys" -d 16 -t set -q > /dev/null 2>&1
node_keys=$(redis-cli -p $(( base + 7 )) dbsize)
node_after=$(rss_kib "${pids[0]}")
db_bytes=$(du -b "$work/node1.db" | awk '{ print $1 }')
stop_all
awk -v rb="$before" -v ra="$after" -v rk="$redis_keys" -v rrb="$redis_rss_before" -v rra="$redis_rss_after" \
    -v nb="$node_before" -v na="$node_after" -v nk="$node_keys" -v db="$db_bytes" 'BEGIN {
    printf "| per key | redis-server | converge-node | ratio |\n|---|---|---|---|\n"
    printf "| keys held | %d | %d | |\n", rk, nk
    printf "| used_memory growth (Redis) / resident growth (converge) | %.0f B | %.0f B | %.2f |\n", (ra - rb) / rk, (na - nb) * 1024 / nk, ((na - nb) * 1024 / nk) / ((ra - rb) / rk)
    printf "| resident growth, both | %.0f B | %.0f B | %.2f |\n", (rra - rrb) * 1024 / rk, (na - nb) * 1024 / nk, ((na - nb) * 1024 / nk) / ((rra - rrb) * 1024 / rk)
    printf "| SQLite file (converge) | | %.0f B | |\n", db / nk
}'
