"""The clients of a chaos round: threads writing through the RESP front of random nodes, and the
history they record, one operation a line with its outcome.

Outcomes: `ok` (the node acknowledged it), `refused` (the node answered an error, or could not be
connected to: nothing may have changed), `unknown` (no answer: a timeout or a dropped connection;
it may take effect, once, even much later).
"""

import json
import random
import threading
import time

import redis

COUNTERS = ["counter:%d" % i for i in range(4)]
SETS = ["set:%d" % i for i in range(4)]
VALUES = ["value:%d" % i for i in range(6)]
TTL_KEYS = ["ttl:%d" % i for i in range(6)]
TTL_SECONDS_MAX = 3
TIMEOUT_S = 1.0


class History:
    """Every operation, appended as it completes (thread-safe), and written as JSON lines."""

    def __init__(self, path):
        self.ops = []
        self.lock = threading.Lock()
        self.file = open(path, "w")

    def record(self, op):
        with self.lock:
            op["index"] = len(self.ops)
            self.ops.append(op)
            self.file.write(json.dumps(op) + "\n")

    def close(self):
        self.file.close()


class Client(threading.Thread):
    """Draws operations from its own seed until told to stop; one connection per node, dropped
    after any error that leaves the connection's state unclear."""

    def __init__(self, number, seed, nodes, history, stop):
        super().__init__(name="client-%d" % number, daemon=True)
        self.number = number
        self.rng = random.Random(seed)
        self.nodes = nodes
        self.history = history
        self.stop = stop
        self.connections = {}
        self.sequence = 0
        self.added = []  # (set key, member) this client added and saw acknowledged
        self.error = None

    def _connection(self, node):
        if node.n not in self.connections:
            self.connections[node.n] = redis.Redis(
                port=node.resp_port, socket_timeout=TIMEOUT_S,
                socket_connect_timeout=TIMEOUT_S, single_connection_client=True)
        return self.connections[node.n]

    def _call(self, node, op, *command):
        """Runs one command and records it; returns the reply, or None unless acknowledged."""
        op.update(client=self.number, node=node.n, invoked=time.time())
        reply = None
        try:
            connection = self._connection(node)  # connects: nothing is sent to a node that is down
            connection.connection.connect()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
            op.update(outcome="refused", error="cannot connect: %s" % type(e).__name__)
            self._drop(node)
            op["completed"] = time.time()
            self.history.record(op)
            return None
        try:
            reply = connection.execute_command(*command)
            op["outcome"] = "ok"
        except redis.exceptions.ResponseError as e:
            op.update(outcome="refused", error=str(e))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
            op.update(outcome="unknown", error=type(e).__name__)
            self._drop(node)
        op["completed"] = time.time()
        if op["outcome"] == "ok":
            op["reply"] = reply.decode() if isinstance(reply, bytes) else reply
        self.history.record(op)
        return reply if op["outcome"] == "ok" else None

    def _drop(self, node):
        self._close(node.n)

    def _close(self, n):
        connection = self.connections.pop(n, None)
        if connection is not None:
            try:
                connection.close()
            except redis.exceptions.RedisError:
                pass

    def _unique(self):
        self.sequence += 1
        return "c%d-%d" % (self.number, self.sequence)

    def step(self):
        node = self.rng.choice(self.nodes)
        roll = self.rng.random()
        if roll < 0.30:
            key, by = self.rng.choice(COUNTERS), self.rng.randint(1, 5)
            self._call(node, {"f": "incr", "key": key, "by": by}, "INCRBY", key, by)
        elif roll < 0.50:
            key, member = self.rng.choice(SETS), self._unique()
            if self._call(node, {"f": "sadd", "key": key, "member": member},
                          "SADD", key, member) is not None:
                self.added.append((key, member))
        elif roll < 0.60 and self.added:
            key, member = self.added.pop(self.rng.randrange(len(self.added)))
            self._call(node, {"f": "srem", "key": key, "member": member}, "SREM", key, member)
        elif roll < 0.75:
            key, value = self.rng.choice(VALUES), self._unique()
            self._call(node, {"f": "set", "key": key, "value": value}, "SET", key, value)
        elif roll < 0.85:
            key = self.rng.choice(VALUES)
            self._call(node, {"f": "get", "key": key}, "GET", key)
        else:
            key, value = self.rng.choice(TTL_KEYS), self._unique()
            ttl = self.rng.randint(1, TTL_SECONDS_MAX)
            self._call(node, {"f": "setex", "key": key, "value": value, "ttl": ttl},
                       "SET", key, value, "EX", ttl)

    def run(self):
        try:
            while not self.stop.is_set():
                self.step()
                time.sleep(self.rng.uniform(0.005, 0.03))
        except Exception as e:  # reported by the round, which then fails
            self.error = e
        for n in list(self.connections):
            self._close(n)
