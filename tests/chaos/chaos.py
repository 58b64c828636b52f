"""One chaos round against real converge-node processes (run by scripts/chaos.sh, inside the
network namespace it made): clients write, the nemesis injects faults, then everything heals, the
nodes must converge, and the checker reads the history. Exit 0, or 1 with the first violation."""

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import threading
import time

import redis

from checker import Checker, refusal_reason
from cluster import Cluster
from nemesis import KINDS, Nemesis
from workload import COUNTERS, SETS, TTL_KEYS, TTL_SECONDS_MAX, VALUES, Client, History

CONVERGE_S_MAX = 60


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", required=True, help="the folder holding converge-node")
    p.add_argument("--out", required=True, help="where the history and the logs go")
    p.add_argument("--nodes", type=int, default=5)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--clients", type=int, default=0, help="default: two per node")
    p.add_argument("--faults", default=",".join(KINDS))
    p.add_argument("--sync-interval-ms", type=int, default=100)
    p.add_argument("--commit", choices=["every_write", "group"], default="every_write",
                   help="the nodes' commit policy (group acknowledges before the disk has it: "
                        "a kill loses what the checker then reports)")
    args = p.parse_args()
    args.faults = [f for f in args.faults.split(",") if f]
    unknown = [f for f in args.faults if f not in KINDS]
    if unknown:
        p.error("unknown fault %s; the faults are %s" % (", ".join(unknown), ",".join(KINDS)))
    if args.nodes < 2:
        p.error("--nodes must be at least 2")
    return args


def read_state(node, keys):
    """Every key's state on one node (a counter or value as text, a set as a sorted list)."""
    r = redis.Redis(port=node.resp_port, socket_timeout=2, socket_connect_timeout=2,
                    decode_responses=True)
    state = {}
    try:
        for key in keys:
            if key in SETS:
                state[key] = sorted(r.smembers(key)) or None
            else:
                state[key] = r.get(key)
    finally:
        r.close()
    return state


def check_cuts(cluster):
    """The nemesis's cuts must cut, and only what they name: with every node's frames to node 2
    dropped, a write on node 1 reaches node 3 but not node 2, and reaches node 2 once healed.
    Guards every round against a nemesis that silently does nothing."""
    a, b, c = cluster.nodes[0], cluster.nodes[1], cluster.nodes[2 % len(cluster.nodes)]
    clients = {n.n: redis.Redis(port=n.resp_port, socket_timeout=2, decode_responses=True)
               for n in (a, b, c)}
    others = [n for n in cluster.nodes if n is not b]
    for n in others:
        cluster.cut(n, b, True)
    try:
        clients[a.n].set("chaos:probe", "cut")
        wait_for(lambda: clients[c.n].get("chaos:probe") == "cut", 10,
                 "a write on node %d did not reach node %d in 10 s" % (a.n, c.n))
        time.sleep(1)  # ten sync intervals
        if clients[b.n].get("chaos:probe") is not None:
            raise RuntimeError("node %d received a write through the cuts: the nemesis's "
                               "nftables rules do not work here" % b.n)
    finally:
        for n in others:
            cluster.cut(n, b, False)
    wait_for(lambda: clients[b.n].get("chaos:probe") == "cut", 20,
             "node %d did not receive the write 20 s after the cuts healed" % b.n)
    clients[a.n].delete("chaos:probe")
    for client in clients.values():
        client.close()


def wait_for(condition, seconds, failure):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.05)


def converge(cluster, keys):
    """Polls every node until all hold the same state; returns it and the seconds it took."""
    start = time.monotonic()
    states = []
    while time.monotonic() - start < CONVERGE_S_MAX:
        try:
            states = [read_state(node, keys) for node in cluster.nodes]
        except redis.exceptions.RedisError:
            states = []
        if states and all(s == states[0] for s in states):
            return states[0], time.monotonic() - start
        time.sleep(0.1)
    return None, states


def progress(elapsed, seconds, history, nemesis):
    counts = collections.Counter(op["outcome"] for op in list(history.ops))
    active = ", ".join(f.description for f in list(nemesis.active)) or "none"
    print("chaos: %3.0f/%.0f s: %d operations (%d ok, %d refused, %d unknown), %d faults; "
          "active: %s" % (elapsed, seconds, sum(counts.values()), counts["ok"],
                          counts["refused"], counts["unknown"],
                          len(nemesis.done) + len(nemesis.active), active), flush=True)


def drive(args, cluster, history, nemesis):
    stop = threading.Event()
    rng = random.Random(args.seed)
    clients = [Client(i, rng.getrandbits(64), cluster.nodes, history, stop)
               for i in range(args.clients or 2 * args.nodes)]
    for c in clients:
        c.start()
    nemesis.start()
    start = time.monotonic()
    while time.monotonic() - start < args.seconds and nemesis.is_alive():
        time.sleep(min(10, args.seconds - (time.monotonic() - start)) if args.seconds > 0 else 0)
        progress(time.monotonic() - start, args.seconds, history, nemesis)
    nemesis.stop.set()
    nemesis.join()
    stop.set()
    for c in clients:
        c.join()
    for error in [nemesis.error] + [c.error for c in clients]:
        if error is not None:
            raise error


def main():
    args = parse()
    os.makedirs(args.out, exist_ok=True)
    print("chaos: seed %d, %d nodes, %.0f s, faults %s; history and logs in %s"
          % (args.seed, args.nodes, args.seconds, ",".join(args.faults), args.out), flush=True)
    cluster = Cluster(args.bin, args.out, args.nodes, args.sync_interval_ms, args.commit)
    history = History(os.path.join(args.out, "history.jsonl"))
    nemesis = Nemesis(cluster, args.faults, args.seed, os.path.join(args.out, "faults.jsonl"))
    try:
        try:
            cluster.setup()
            for node in cluster.nodes:
                cluster.start(node)
            check_cuts(cluster)
        except (RuntimeError, OSError, subprocess.CalledProcessError,
                redis.exceptions.RedisError) as e:
            print("chaos: cannot run: %s" % e, flush=True)
            return 2
        try:
            drive(args, cluster, history, nemesis)
            nemesis.heal_all()
        except Exception as e:  # a node that would not restart, say
            return report(args, summarize(args, history, nemesis, None),
                          ["the round stopped: %s: %s" % (type(e).__name__, e)])
        healed = time.time()
        print("chaos: healed every fault; waiting for the nodes to converge", flush=True)
        state, took = converge(cluster, COUNTERS + SETS + VALUES)
        summary = summarize(args, history, nemesis, took if state is not None else None)
        checker = Checker(history.ops, nemesis.restarts)
        if state is None:
            checker.fail("the nodes did not converge within %d s of the last heal: %s"
                         % (CONVERGE_S_MAX, describe_disagreement(took)))
        else:
            checker.check(state)
            wait_for_ttls(history, nemesis, healed)
            ttl_state, _ = converge(cluster, TTL_KEYS)
            checker.check_expired(ttl_state or {k: "(the nodes disagree)" for k in TTL_KEYS})
        return report(args, summary, checker.violations)
    finally:
        history.close()
        cluster.teardown()


def wait_for_ttls(history, nemesis, healed):
    setex = [op for op in history.ops if op["f"] == "setex"]
    if not setex:
        return
    deadline = max(max(op["invoked"] for op in setex) + TTL_SECONDS_MAX,
                   healed) + nemesis.clock_ahead_s_max() + 1.5
    wait = deadline - time.time()
    if wait > 0:
        print("chaos: waiting %.1f s for the last TTL to pass" % wait, flush=True)
        time.sleep(wait)


def describe_disagreement(states):
    if not states:
        return "a node did not answer"
    keys = [k for k in states[0] if any(s.get(k) != states[0].get(k) for s in states)]
    return "; ".join("%s: %s" % (k, " / ".join(repr(s.get(k)) for s in states)) for k in keys[:3])


def summarize(args, history, nemesis, converge_s):
    by = collections.defaultdict(collections.Counter)
    for op in history.ops:
        by[op["f"]][op["outcome"]] += 1
    faults = collections.Counter(f.kind for f in nemesis.done)
    refusals = collections.Counter(refusal_reason(op) or op.get("error", "") for op in history.ops
                                   if op["outcome"] == "refused")
    return {"seed": args.seed, "nodes": args.nodes, "seconds": args.seconds,
            "operations": {f: dict(c) for f, c in sorted(by.items())},
            "refusals": dict(refusals.most_common()),
            "faults": dict(sorted(faults.items())),
            "convergence_s_after_last_heal": converge_s}


def report(args, summary, violations):
    summary["violations"] = violations
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print("chaos: operations by outcome:")
    for f, c in summary["operations"].items():
        print("  %-6s %6d ok %6d refused %6d unknown"
              % (f, c.get("ok", 0), c.get("refused", 0), c.get("unknown", 0)))
    if summary["refusals"]:
        print("chaos: refused because: " +
              ", ".join("%s %d" % kv for kv in summary["refusals"].items()))
    print("chaos: faults injected: %d (%s)" % (
        sum(summary["faults"].values()),
        ", ".join("%s %d" % kv for kv in summary["faults"].items()) or "none"))
    if summary["convergence_s_after_last_heal"] is not None:
        print("chaos: converged %.1f s after the last heal" %
              summary["convergence_s_after_last_heal"])
    if violations:
        print("chaos: FAILED: %d violations; the first: %s" % (len(violations), violations[0]))
        for v in violations[1:10]:
            print("  also: " + v)
        print("chaos: history, faults and node logs in %s; rerun with --seed %d"
              % (args.out, args.seed))
        return 1
    print("chaos: OK: nothing acknowledged was lost; every node agrees (seed %d)" % args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
