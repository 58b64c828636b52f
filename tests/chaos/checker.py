"""Checks a chaos round's history against the converged state every node agrees on.

- counters: every acknowledged increment counted exactly once, an unknown one at most once, a
  refused one never;
- sets: every acknowledged add present unless a remove that observed it (SREM answered 1) or a
  remove of unknown outcome was issued; no member nobody added, none whose add was refused;
- values: the final value was written (acknowledged or unknown; never refused), and no
  acknowledged write lost to one its node had already acknowledged or shown a client before it
  began (a node's hybrid clock only moves forward, across restarts too);
- reads: every value a GET returned was written by someone;
- keys written only with a TTL: gone on every node once the last deadline has passed;
- refusals: only from a node that is down or whose storage fails (a full disk).
"""

import collections


def refusal_reason(op):
    """Why a refused operation was refused, when it is one of the two expected reasons: "node
    down" (no connection) or "storage failing (full disk)"; otherwise None."""
    error = op.get("error", "")
    if error.startswith("cannot connect"):
        return "node down"
    if error.startswith("storage failing"):
        return "storage failing (full disk)"
    return None


class Checker:
    def __init__(self, ops, restarts):
        self.ops = ops
        self.restarts = restarts  # (node, time) of each kill: what a node received may be lost
        self.violations = []

    def fail(self, message):
        self.violations.append(message)

    def check(self, state):
        """`state`: key -> its value on every node (None: absent; a set: a sorted list)."""
        self._errors()
        self._counters(state)
        self._sets(state)
        self._values(state)
        return self.violations

    def check_expired(self, ttl_state):
        for key, value in sorted(ttl_state.items()):
            if value is not None:
                self.fail("%s holds %r after every deadline of its TTL writes passed"
                          % (key, value))
        return self.violations

    def _errors(self):
        """A node may refuse only when it is down or its storage fails; any other error is a bug."""
        for op in self.ops:
            if op["outcome"] == "refused" and refusal_reason(op) is None:
                self.fail("%s %s on node %d was refused: %s"
                          % (op["f"], op["key"], op["node"], op.get("error", "")))

    def _of(self, f):
        return [op for op in self.ops if op["f"] == f]

    def _counters(self, state):
        sums = collections.defaultdict(lambda: {"ok": 0, "unknown": 0, "refused": 0})
        for op in self._of("incr"):
            sums[op["key"]][op["outcome"]] += op["by"]
        for key, s in sorted(sums.items()):
            value = int(state.get(key) or 0)
            if value < s["ok"]:
                self.fail("%s is %d, but %d was acknowledged in increments: %d lost"
                          % (key, value, s["ok"], s["ok"] - value))
            elif value > s["ok"] + s["unknown"]:
                self.fail("%s is %d, above the %d acknowledged plus %d of unknown outcome: "
                          "counted twice, or a refused increment (%d) applied"
                          % (key, value, s["ok"], s["unknown"], s["refused"]))

    def _sets(self, state):
        adds = {}
        removes = collections.defaultdict(list)
        for op in self._of("sadd"):
            adds[(op["key"], op["member"])] = op
        for op in self._of("srem"):
            removes[(op["key"], op["member"])].append(op)
        present = {(key, m) for key in {k for k, _ in adds} for m in (state.get(key) or [])}
        for key, member in sorted(present):
            add = adds.get((key, member))
            if add is None:
                self.fail("%s holds %s, which no client added" % (key, member))
            elif add["outcome"] == "refused":
                self.fail("%s holds %s, whose add was refused (%s)"
                          % (key, member, add.get("error")))
            elif any(r["outcome"] == "ok" and r["reply"] == 1
                     for r in removes[(key, member)]):
                self.fail("%s holds %s after an acknowledged SREM removed it" % (key, member))
        for (key, member), add in sorted(adds.items()):
            if add["outcome"] != "ok" or (key, member) in present:
                continue
            if all(r["outcome"] == "refused" or (r["outcome"] == "ok" and r["reply"] == 0)
                   for r in removes[(key, member)]):
                self.fail("%s lost %s: added and acknowledged by node %d at %.3f, never removed"
                          % (key, member, add["node"], add["completed"]))

    def _restarted(self, node, after, before):
        return any(n == node and after <= t <= before for n, t in self.restarts)

    def _values(self, state):
        writes = collections.defaultdict(dict)  # key -> value -> SET op
        for op in self._of("set"):
            writes[op["key"]][op["value"]] = op
        for op in self._of("get"):
            if op["outcome"] == "ok" and op["reply"] is not None and \
                    op["reply"] not in writes[op["key"]]:
                self.fail("GET %s on node %d returned %r, which nobody wrote"
                          % (op["key"], op["node"], op["reply"]))
        for key, by_value in sorted(writes.items()):
            final = state.get(key)
            if final is None:
                self.fail("%s is absent, but values were written to it and none deleted" % key)
                continue
            chosen = by_value.get(final)
            if chosen is None:
                self.fail("%s holds %r, which nobody wrote" % (key, final))
                continue
            if chosen["outcome"] == "refused":
                self.fail("%s holds %r, whose SET was refused (%s)"
                          % (key, final, chosen.get("error")))
                continue
            later = self._overwritten_by(key, chosen, by_value)
            if later is not None:
                self.fail("%s holds %r (written to node %d), but %r was acknowledged by node %d "
                          "after that node had %s it, so it should have won"
                          % (key, final, chosen["node"], later[0]["value"], later[0]["node"],
                             later[1]))

    def _overwritten_by(self, key, chosen, by_value):
        """An acknowledged SET that began after its node acknowledged or returned `chosen`."""
        seen = []  # (node, time): when a node acknowledged or returned the chosen value
        if chosen["outcome"] == "ok":
            seen.append((chosen["node"], chosen["completed"], "acknowledged"))
        for op in self._of("get"):
            if op["key"] == key and op["outcome"] == "ok" and op["reply"] == chosen["value"]:
                seen.append((op["node"], op["completed"], "returned"))
        for write in by_value.values():
            if write is chosen or write["outcome"] != "ok":
                continue
            for node, t, how in seen:
                if node != write["node"] or t >= write["invoked"]:
                    continue
                if how == "returned" and self._restarted(node, t, write["invoked"]):
                    continue  # a value received, then lost in a kill, may come back older
                return write, how
        return None
