#!/usr/bin/env bash
# converge-node's Redis front against real Redis clients: two nodes replicating, a redis-cli
# session (a write on one node read on the other, for every type), redis-py (tests/node/
# redis_py_check.py), a short redis-benchmark run, AUTH with client_password, hostile bytes that
# get an error and a closed connection while the node goes on, and node 1 (commit = "every_write",
# its clients' commands committed together) keeping every write it answered across a kill -9.
# Every step waits for the state it needs; none sleeps a fixed time. Usage: redis_clients.sh BIN_DIR
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
# Debian's python3 (where python3-redis lives), even when another python3 comes first in PATH.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
for tool in redis-cli redis-benchmark "$python"; do
    command -v "$tool" >/dev/null || { echo "redis_clients: needs $tool (./scripts/install-deps.sh)"; exit 2; }
done
# Below the kernel's ephemeral ports (32768 and up), where an outgoing connection could hold
# one, and apart from three_nodes.sh's range (20000-24999).
base=$(( 25000 + ($$ % 500) * 10 ))
peer_port() { echo $(( base + $1 )); }
client_port() { echo $(( base + 3 + $1 )); }
resp_port() { echo $(( base + 6 + $1 )); }
rc() { local n=$1; shift; redis-cli -p "$(resp_port "$n")" "$@"; }
fail() { echo "redis_clients: FAILED: $*"; for n in 1 2; do echo "--- node$n.log"; cat "$work/node$n.log"; done; exit 1; }
# until_equal WHAT EXPECTED COMMAND...: polls COMMAND (50 ms apart, 10 s at most) until it prints EXPECTED.
until_equal() {
    local what=$1 expected=$2 got=""; shift 2
    for _ in $(seq 200); do
        got=$("$@" 2>&1 || true)
        [ "$got" = "$expected" ] && return 0
        sleep 0.05
    done
    fail "$what: expected [$expected], got [$got]"
}

for n in 1 2; do "$bin/converge-node" keygen --secret-file "$work/node$n.key" > "$work/node$n.pub"; done
for n in 1 2; do
    {
        printf '[node]\nid = %d\ndata = "node%d.db"\nlisten = "127.0.0.1:%d"\n' "$n" "$n" "$(peer_port "$n")"
        printf 'client = "127.0.0.1:%d"\nresp = "127.0.0.1:%d"\n' "$(client_port "$n")" "$(resp_port "$n")"
        commit=group; [ "$n" = 1 ] && commit=every_write
        printf 'secret_key_file = "node%d.key"\nsync_interval_ms = 50\ncommit = "%s"\n' "$n" "$commit"
        [ "$n" = 2 ] && printf 'client_password = "s3cret"\n'
        m=$(( 3 - n ))
        printf '\n[[peer]]\nid = %d\naddress = "127.0.0.1:%d"\npublic_key = "%s"\n' \
            "$m" "$(peer_port "$m")" "$(cat "$work/node$m.pub")"
    } > "$work/node$n.toml"
done
for n in 1 2; do
    "$bin/converge-node" run "$work/node$n.toml" >> "$work/node$n.log" 2>&1 &
    pids[$n]=$!
done
until_equal "node 1 answers PING" PONG rc 1 ping
until_equal "node 2 answers PING after AUTH" PONG rc 2 --no-auth-warning -a s3cret ping

echo "redis_clients: a password gates node 2"
[ "$(rc 2 get x 2>&1)" = "NOAUTH Authentication required." ] || fail "node 2 served a client without AUTH"
[ "$(rc 2 --no-auth-warning -a wrong get x 2>&1 | head -1)" != "" ] || fail "a wrong password got no answer"
"$bin/converge-cli" --node "127.0.0.1:$(client_port 2)" get x >/dev/null 2>&1 && fail "converge-cli needed no password"
set +e; "$bin/converge-cli" --node "127.0.0.1:$(client_port 2)" --password s3cret get x; status=$?; set -e
[ "$status" = 1 ] || fail "converge-cli --password: exit $status, expected 1 (nothing there)"
rc2() { rc 2 --no-auth-warning -a s3cret "$@"; }

echo "redis_clients: writes on node 1 read on node 2, and back"
rc 1 set greeting hello >/dev/null
rc 1 set session token ex 3600 >/dev/null
rc 1 incrby visits 5 >/dev/null
rc2 incrby visits 7 >/dev/null
rc 1 sadd cart apple pear >/dev/null
rc2 sadd cart plum >/dev/null
rc 1 hset user:1 name ada lang en >/dev/null
rc2 hincrby user:1 logins 3 >/dev/null
rc 1 zadd board 10 ada 5 grace >/dev/null
rc2 zincrby board 2.5 grace >/dev/null
rc 1 pfadd visitors a b c >/dev/null
rc2 pfadd visitors c d >/dev/null
until_equal "GET on node 2" hello rc2 get greeting
until_equal "counter on node 2" 12 rc2 get visits
until_equal "counter on node 1" 12 rc 1 get visits
until_equal "set on node 1" "apple
pear
plum" rc 1 smembers cart
until_equal "hash on node 2" "lang
en
logins
3
name
ada" rc2 hgetall user:1
until_equal "sorted set on node 2" "grace
7.5
ada
10" rc2 zrange board 0 -1 withscores
until_equal "HyperLogLog on node 1" 4 rc 1 pfcount visitors
ttl=$(rc2 ttl session)
[ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ] || fail "the TTL did not travel: $ttl"
until_equal "TYPE on node 2" zset rc2 type board
rc2 del cart >/dev/null
until_equal "DEL on node 2 reaches node 1" 0 rc 1 exists cart
[ "$(rc 1 get cart)" = "" ] || fail "a deleted set came back"
[ "$(rc 1 set cart x 2>&1)" = "WRONGTYPE Operation against a key holding the wrong kind of value" ] ||
    fail "SET on a set key: $(rc 1 set cart x 2>&1)"

echo "redis_clients: redis-py"
"$python" "$here/redis_py_check.py" "$(resp_port 1)" "$(resp_port 2)" s3cret || fail "redis-py"

echo "redis_clients: redis-benchmark (node 1, replicating to node 2)"
redis-benchmark -p "$(resp_port 1)" -n 2000 -c 4 -P 16 -r 1000 -t ping,set,get,incr,sadd,hset -q \
    > "$work/bench.txt" 2>&1 || { cat "$work/bench.txt"; fail "redis-benchmark"; }
tr '\r' '\n' < "$work/bench.txt" | grep "requests per second" | sort -u
for t in PING_INLINE PING_MBULK SET GET INCR SADD HSET; do
    tr '\r' '\n' < "$work/bench.txt" | grep -q "^$t: .*requests per second" || fail "redis-benchmark did not finish $t"
done
# counters N: every counter the benchmark's INCRs made on node N, with its value.
counters() {
    local keys; keys=$("r$1" keys 'counter:*' | sort)
    [ -z "$keys" ] || paste -d= <(echo "$keys") <("r$1" mget $keys)
}
r1() { rc 1 "$@"; }
r2() { rc2 "$@"; }
[ -n "$(counters 1)" ] || fail "redis-benchmark's INCRs made no counter"
until_equal "the benchmark's counters reached node 2" "$(counters 1)" counters 2

echo "redis_clients: hostile input gets an error and a closed connection"
exec 3<>"/dev/tcp/127.0.0.1/$(resp_port 1)"
printf '*1\r\n$9999999999\r\n' >&3
read -r -t 5 line <&3 || true
exec 3<&-
[ "${line%$'\r'}" = "-ERR Protocol error: invalid bulk length" ] || fail "a forged bulk length got [$line]"
exec 3<>"/dev/tcp/127.0.0.1/$(resp_port 2)"
printf '*100\r\n' >&3
read -r -t 5 line <&3 || true
exec 3<&-
[ "${line%$'\r'}" = "-ERR Protocol error: unauthenticated multibulk length" ] ||
    fail "an unauthenticated client's long command got [$line]"
[ "$(rc 1 ping)" = PONG ] || fail "node 1 stopped answering"
[ "$(rc 1 dbsize)" -ge 8 ] || fail "node 1 lost keys"

echo "redis_clients: what node 1 answered survives kill -9 (every_write, shared commits)"
kill -9 "${pids[2]}"; wait "${pids[2]}" 2>/dev/null || true  # nothing can come back from it
[ "$(rc 1 set last-word spoken)" = OK ] || fail "SET on node 1 alone"
[ "$(rc 1 incr last-count)" = 1 ] || fail "INCR on node 1 alone"
kill -9 "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
"$bin/converge-node" run "$work/node1.toml" >> "$work/node1.log" 2>&1 &
pids[1]=$!
until_equal "node 1 answers PING after the restart" PONG rc 1 ping
[ "$(rc 1 get last-word)" = spoken ] || fail "node 1 lost an answered SET"
[ "$(rc 1 get last-count)" = 1 ] || fail "node 1 lost an answered INCR"
echo "redis_clients: OK"
