#!/usr/bin/env bash
# Three converge-node processes on 127.0.0.1: writes to each; node 3 is stopped (a partition)
# while the others keep writing, then restarted; all three must converge to the same values,
# read through converge-cli. Usage: three_nodes.sh BIN_DIR
set -euo pipefail
bin=$1
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
# Below the kernel's ephemeral ports (32768 and up), where an outgoing connection could hold
# one, and apart from redis_clients.sh's range (25000-29999).
base=$(( 20000 + ($$ % 500) * 10 ))
peer_port() { echo $(( base + $1 )); }
client_port() { echo $(( base + 5 + $1 )); }
cli() { local n=$1; shift; "$bin/converge-cli" --node "127.0.0.1:$(client_port "$n")" "$@"; }

for n in 1 2 3; do
    "$bin/converge-node" keygen --secret-file "$work/node$n.key" > "$work/node$n.pub"
done
for n in 1 2 3; do
    {
        printf '[node]\nid = %d\ndata = "node%d.db"\nlisten = "127.0.0.1:%d"\nclient = "127.0.0.1:%d"\n' \
            "$n" "$n" "$(peer_port "$n")" "$(client_port "$n")"
        printf 'secret_key_file = "node%d.key"\nsync_interval_ms = 50\n' "$n"
        for m in 1 2 3; do
            [ "$m" = "$n" ] && continue
            printf '\n[[peer]]\nid = %d\naddress = "127.0.0.1:%d"\npublic_key = "%s"\n' \
                "$m" "$(peer_port "$m")" "$(cat "$work/node$m.pub")"
        done
    } > "$work/node$n.toml"
done

ready() { local rc=0; cli "$1" get __ready__ >/dev/null 2>&1 || rc=$?; [ "$rc" -eq 1 ]; }
start_node() {
    "$bin/converge-node" run "$work/node$1.toml" >> "$work/node$1.log" 2>&1 &
    pids[$1]=$!
    for _ in $(seq 100); do ready "$1" && return 0; sleep 0.1; done
    echo "node $1 did not start:"; cat "$work/node$1.log"; exit 1
}

for n in 1 2 3; do start_node "$n"; done
cli 1 put greeting hello
cli 2 incr visits 2 >/dev/null
cli 3 incr visits 3 >/dev/null
cli 1 sadd cart apple pear
cli 3 sadd cart plum
cli 2 put session token --ttl 1h
cli 1 hset note title draft
cli 2 hincrby note edits 2 >/dev/null
cli 1 zadd board 10 ada
cli 3 pfadd visitors a b c

writer3=$(cli 3 writer)
echo "three_nodes: stopping node 3 (SIGTERM), which writes under $writer3"
kill -TERM "${pids[3]}"; wait "${pids[3]}"
grep -q "stopped cleanly" "$work/node3.log" || { echo "node 3 did not stop cleanly"; cat "$work/node3.log"; exit 1; }
cli 1 put greeting "hello again"
cli 2 incr visits 10 >/dev/null
cli 1 srem cart pear
cli 2 sadd cart fig
cli 1 hset note title final
# zincrby prints the score node 2 holds: wait until node 1's zadd has reached it.
for _ in $(seq 150); do [ "$(cli 2 zscore board ada 2>/dev/null)" = 10 ] && break; sleep 0.1; done
[ "$(cli 2 zincrby board 2.5 ada)" = 12.5 ] || { echo "zincrby did not print the new score"; exit 1; }
cli 2 pfadd visitors d
# The delete is observed-remove: it removes the put only once node 1 has received it.
for _ in $(seq 150); do [ "$(cli 1 get session 2>/dev/null)" = token ] && break; sleep 0.1; done
cli 1 del session

echo "three_nodes: restarting node 3"
start_node 3
cli 3 sadd cart kiwi
cli 3 decr visits 1 >/dev/null

expect() {  # expect VALUE COMMAND...: every node answers VALUE within 15 s
    local want=$1; shift
    for _ in $(seq 150); do
        local all=1
        for n in 1 2 3; do
            [ "$(cli "$n" "$@" 2>/dev/null | tr '\n' ' ')" = "$want" ] || all=0
        done
        [ "$all" = 1 ] && return 0
        sleep 0.1
    done
    for n in 1 2 3; do echo "node $n: $* -> '$(cli "$n" "$@" 2>&1 | tr '\n' ' ')'"; done
    echo "three_nodes: FAILED: the nodes did not converge on '$want' for $*"
    for n in 1 2 3; do echo "--- node $n log"; cat "$work/node$n.log"; done
    exit 1
}
expect "hello again " get greeting
expect "14 " incr visits 0
expect "apple fig kiwi plum " smembers cart
expect "" get session
expect "edits 2 title final " hgetall note
expect "ada 12.5 " zrange board 0 -1 --withscores
expect "4 " pfcount visitors
rc=0; cli 1 hget note missing || rc=$?
[ "$rc" -eq 1 ] || { echo "hget of an absent field exited $rc, not 1"; exit 1; }
rc=0; err=$(cli 1 hincrby note title 1 2>&1) || rc=$?
[ "$rc" -eq 2 ] && grep -q "holds a value, not a counter" <<< "$err" ||
    { echo "hincrby of a value field: exit $rc, '$err'"; exit 1; }
rc=0; cli 3 get session || rc=$?
[ "$rc" -eq 1 ] || { echo "get of a deleted key exited $rc, not 1"; exit 1; }
# A TTL on a whole hash travels, and so does its removal.
[ "$(cli 1 expire note 1h)" = 1 ] || { echo "expire of a hash did not print 1"; exit 1; }
for _ in $(seq 150); do left=$(cli 3 ttl note 2>/dev/null || true); [ -n "$left" ] && break; sleep 0.1; done
[ -n "$left" ] && [ "$left" -gt 3500000 ] && [ "$left" -le 3600000 ] ||
    { echo "the hash's TTL did not reach node 3: '$left'"; exit 1; }
[ "$(cli 3 persist note)" = 1 ] || { echo "persist of a hash did not print 1"; exit 1; }
for _ in $(seq 150); do rc=0; cli 1 ttl note >/dev/null || rc=$?; [ "$rc" -eq 1 ] && break; sleep 0.1; done
[ "$rc" -eq 1 ] || { echo "the PERSIST did not reach node 1 (ttl exit $rc)"; exit 1; }

# Node 3's restart retired the writer id of its first run: once all three hold its changes, every
# node folds it out of every key.
[ "$(cli 3 writer)" != "$writer3" ] || { echo "node 3 writes under its old id after a restart"; exit 1; }
for _ in $(seq 150); do
    folded=0
    for n in 1 2 3; do
        curl -sf "http://127.0.0.1:$(client_port "$n")/metrics" |
            grep -q "^converge_retired_writers{replica=\"$n\"} 1$" && folded=$((folded + 1))
    done
    [ "$folded" = 3 ] && break
    sleep 0.1
done
[ "$folded" = 3 ] || { echo "three_nodes: node 3's first writer id was not retired everywhere"; exit 1; }
if cli 1 retire "$(cli 1 writer)" 2>/dev/null; then
    echo "a node retired its own writer id"; exit 1
fi

metrics=$(curl -sf "http://127.0.0.1:$(client_port 1)/metrics")
grep -q '^converge_keys{replica="1"}' <<< "$metrics" || { echo "no converge_keys in /metrics"; exit 1; }
grep -q 'converge_tcp_connections_total' <<< "$metrics" || { echo "no tcp metrics"; exit 1; }
for n in 1 2 3; do kill -TERM "${pids[$n]}"; wait "${pids[$n]}"; done
echo "three_nodes: OK: 3 nodes converged after node 3 was stopped and restarted, and retired its first run's writer id"
