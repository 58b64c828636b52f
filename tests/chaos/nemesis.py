"""The nemesis of a chaos round: draws faults from its seed, injects them into the cluster and
heals them, at most three at a time, and logs each with its start and end."""

import json
import random
import threading
import time

KINDS = ["partition", "cut", "pause", "kill", "clock", "disk"]
CLOCK_JUMP_S_MAX = 20
ACTIVE_MAX = 3
DRIFT_S_MAX = 10


class Fault:
    def __init__(self, kind, description, heal, node=None, clock_ahead_s=0, tick=None):
        self.kind = kind
        self.description = description
        self.heal = heal
        self.node = node
        self.clock_ahead_s = clock_ahead_s  # how far ahead of real time it set a clock, at most
        self.tick = tick  # called on every turn of the nemesis while the fault is on
        self.started = time.time()
        self.ended = None

    def as_json(self):
        return {"kind": self.kind, "what": self.description, "started": self.started,
                "ended": self.ended}


class Nemesis(threading.Thread):
    """Injects or heals a fault of `kinds` every 0.2 to 1.2 s until stopped; heal_all() then
    ends every fault still on. Holds the cluster alone while it runs."""

    def __init__(self, cluster, kinds, seed, log_path):
        super().__init__(name="nemesis", daemon=True)
        self.cluster = cluster
        self.kinds = kinds
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.active = []
        self.done = []
        self.log = open(log_path, "w")
        self.error = None
        self.restarts = []  # (node, time) of every kill, for the checker

    def run(self):
        try:
            while not self.stop.wait(self.rng.uniform(0.2, 1.2)):
                for fault in list(self.active):
                    if fault.tick is not None:
                        fault.tick()
                if self.active and (len(self.active) >= ACTIVE_MAX or self.rng.random() < 0.45):
                    self._end(self.active[self.rng.randrange(len(self.active))])
                else:
                    self._begin(self.rng.choice(self.kinds))
        except Exception as e:  # reported by the round, which then fails
            self.error = e

    def heal_all(self):
        """Ends every fault, oldest first; returns when every node runs, unpaused and connected."""
        while self.active:
            self._end(self.active[0])
        self.cluster.heal_network()

    def clock_ahead_s_max(self):
        return max([f.clock_ahead_s for f in self.done + self.active] + [0])

    def _end(self, fault):
        fault.heal()
        fault.ended = time.time()
        self.active.remove(fault)
        self.done.append(fault)
        self.log.write(json.dumps(fault.as_json()) + "\n")
        self.log.flush()

    def _busy(self, node):
        return any(f.node is node for f in self.active)

    def _begin(self, kind):
        free = [n for n in self.cluster.nodes if not self._busy(n)]
        if kind in ("pause", "kill", "clock", "disk") and not free:
            return
        fault = getattr(self, "_" + kind)(free)
        if fault is not None:
            self.active.append(fault)

    def _partition(self, _free):
        nodes = list(self.cluster.nodes)
        self.rng.shuffle(nodes)
        split = self.rng.randint(1, len(nodes) - 1)
        pairs = [(a, b) for a in nodes[:split] for b in nodes[split:]]
        for a, b in pairs:
            self.cluster.cut(a, b, True)
            self.cluster.cut(b, a, True)

        def heal():
            for a, b in pairs:
                self.cluster.cut(a, b, False)
                self.cluster.cut(b, a, False)
        groups = [sorted(x.n for x in nodes[:split]), sorted(x.n for x in nodes[split:])]
        return Fault("partition", "partition %s | %s" % tuple(groups), heal)

    def _cut(self, _free):
        src, dst = self.rng.sample(self.cluster.nodes, 2)
        self.cluster.cut(src, dst, True)
        return Fault("cut", "one-way cut %d -> %d" % (src.n, dst.n),
                     lambda: self.cluster.cut(src, dst, False))

    def _pause(self, free):
        node = self.rng.choice(free)
        process = node.process
        self.cluster.pause(node, True)

        def heal():
            if node.process is process:
                self.cluster.pause(node, False)
        return Fault("pause", "SIGSTOP node %d" % node.n, heal, node)

    def _kill(self, free):
        node = self.rng.choice(free)
        self.cluster.kill(node)
        self.restarts.append((node.n, time.time()))
        return Fault("kill", "SIGKILL node %d, restarted when healed" % node.n,
                     lambda: self.cluster.start(node), node)

    def _clock(self, free):
        node = self.rng.choice(free)
        roll = self.rng.random()
        if roll < 0.4:
            ahead = self.rng.randint(2, CLOCK_JUMP_S_MAX)
            self.cluster.set_clock(node, "+%ds" % ahead)
            what = "clock of node %d jumps %d s ahead" % (node.n, ahead)
        elif roll < 0.8:
            ahead, back = 0, self.rng.randint(2, CLOCK_JUMP_S_MAX)
            self.cluster.set_clock(node, "-%ds" % back)
            what = "clock of node %d jumps %d s back" % (node.n, back)
        else:
            return self._drift(node)
        return Fault("clock", what, lambda: self.cluster.set_clock(node, "+0"), node, ahead)

    def _drift(self, node):
        """The node's clock runs fast or slow: its offset moves on every turn of the nemesis
        (libfaketime reads it again each second), by up to DRIFT_S_MAX in all."""
        rate = self.rng.choice([0.5, -0.5])
        began = time.monotonic()
        fault = Fault("clock", "clock of node %d drifts at %.1f times real time" % (
            node.n, 1 + rate), lambda: self.cluster.set_clock(node, "+0"), node,
            DRIFT_S_MAX if rate > 0 else 0)

        def tick():
            offset = max(-DRIFT_S_MAX, min(DRIFT_S_MAX, rate * (time.monotonic() - began)))
            self.cluster.set_clock(node, "%+.1fs" % offset)
        fault.tick = tick
        return fault

    def _disk(self, free):
        node = self.rng.choice(free)
        self.cluster.fill_disk(node)
        return Fault("disk", "disk of node %d full" % node.n,
                     lambda: self.cluster.free_disk(node), node)
