#!/usr/bin/env python3
"""converge-node's Redis front through redis-py (Debian's python3-redis): every type, pipelining,
errors as redis-py raises them, AUTH, and a write on one node read on the other.
Usage: redis_py_check.py PORT1 PORT2 PASSWORD (node 2 needs the password)."""
import sys
import time

import redis


def until(what, check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def expect_error(fn, text):
    try:
        fn()
    except redis.ResponseError as e:
        assert text in str(e), f"expected {text!r} in {e!r}"
        return
    raise AssertionError(f"expected an error with {text!r}")


def main():
    port1, port2, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    one = redis.Redis(port=port1, decode_responses=True)
    two = redis.Redis(port=port2, password=password, decode_responses=True)

    assert one.ping() is True
    assert one.set("py:name", "ada") is True
    assert one.get("py:name") == "ada"
    assert one.set("py:name", "grace", nx=True) is None
    assert one.set("py:tmp", "x", px=60000) is True
    assert 0 < one.pttl("py:tmp") <= 60000
    assert one.incr("py:hits", 3) == 3
    assert one.decr("py:hits") == 2
    assert one.sadd("py:tags", "a", "b") == 2
    assert one.smembers("py:tags") == {"a", "b"}
    assert one.hset("py:user", mapping={"name": "ada", "lang": "en"}) == 2
    assert one.hgetall("py:user") == {"name": "ada", "lang": "en"}
    assert one.hincrby("py:user", "logins", 2) == 2
    assert one.zadd("py:board", {"ada": 10, "grace": 7.5}) == 2
    assert one.zrange("py:board", 0, -1, withscores=True) == [("grace", 7.5), ("ada", 10.0)]
    assert one.zincrby("py:board", 5, "grace") == 12.5
    assert one.zrank("py:board", "grace") == 1
    assert one.pfadd("py:seen", *[f"v{i}" for i in range(100)]) == 1
    assert 98 <= one.pfcount("py:seen") <= 102
    assert one.type("py:board") == "zset"
    assert one.exists("py:name", "py:none") == 1
    assert sorted(k for k in one.scan_iter(match="py:*", count=2)) == sorted(one.keys("py:*"))

    pipe = one.pipeline(transaction=False)
    for i in range(50):
        pipe.incr("py:piped")
    pipe.get("py:piped")
    results = pipe.execute()
    assert results[:50] == list(range(1, 51)) and results[50] == "50", results

    expect_error(lambda: one.get("py:tags"), "WRONGTYPE")
    expect_error(lambda: one.execute_command("NOSUCH"), "unknown command")
    expect_error(lambda: one.incrby("py:hits", "x"), "not an integer")
    assert one.get("py:name") == "ada"

    try:
        redis.Redis(port=port2).get("py:name")
        raise AssertionError("node 2 answered without AUTH")
    except redis.AuthenticationError:
        pass
    until("node 2 to hold node 1's hash",
          lambda: two.hgetall("py:user") == {"name": "ada", "lang": "en", "logins": "2"})
    two.hset("py:user", "name", "grace")
    until("node 1 to see node 2's write", lambda: one.hget("py:user", "name") == "grace")
    until("the piped counter on node 2", lambda: two.get("py:piped") == "50")
    print("redis_py_check: OK")


if __name__ == "__main__":
    main()
