"""The chaos checker finds each violation it exists for, on small made-up histories, and passes
the histories that only look suspicious (unknown outcomes, removes that saw nothing)."""

import unittest

from checker import Checker

FULL_DISK = "storage failing, write refused and nothing changed (database or disk is full)"


def op(f, outcome="ok", node=1, at=0.0, **fields):
    fields.update(f=f, outcome=outcome, node=node, invoked=at, completed=at + 0.01)
    return fields


class CounterTest(unittest.TestCase):
    def check(self, ops, value):
        return Checker(ops, []).check({"counter:0": str(value)})

    def test_every_acknowledged_increment_counted_once(self):
        ops = [op("incr", key="counter:0", by=2), op("incr", key="counter:0", by=3)]
        self.assertEqual(self.check(ops, 5), [])
        self.assertIn("2 lost", self.check(ops, 3)[0])
        self.assertIn("counted twice", self.check(ops, 7)[0])

    def test_an_unknown_increment_counts_at_most_once_and_a_refused_one_never(self):
        ops = [op("incr", key="counter:0", by=2),
               op("incr", "unknown", key="counter:0", by=3),
               op("incr", "refused", key="counter:0", by=4,
                  error="cannot connect: TimeoutError")]
        self.assertEqual(self.check(ops, 2), [])
        self.assertEqual(self.check(ops, 5), [])
        self.assertEqual(len(self.check(ops, 9)), 1)


class SetTest(unittest.TestCase):
    def test_an_acknowledged_add_never_removed_is_present(self):
        ops = [op("sadd", key="set:0", member="a"), op("sadd", key="set:0", member="b")]
        self.assertEqual(Checker(ops, []).check({"set:0": ["a", "b"]}), [])
        self.assertIn("lost b", Checker(ops, []).check({"set:0": ["a"]})[0])

    def test_a_remove_that_saw_nothing_removes_nothing(self):
        ops = [op("sadd", key="set:0", member="a"),
               op("srem", key="set:0", member="a", reply=0)]
        self.assertIn("lost a", Checker(ops, []).check({"set:0": None})[0])

    def test_a_remove_that_observed_the_add_keeps_it_out(self):
        ops = [op("sadd", key="set:0", member="a"),
               op("srem", key="set:0", member="a", reply=1)]
        self.assertEqual(Checker(ops, []).check({"set:0": None}), [])
        self.assertIn("after an acknowledged SREM",
                      Checker(ops, []).check({"set:0": ["a"]})[0])

    def test_members_nobody_added_or_refused_are_violations(self):
        ops = [op("sadd", "refused", key="set:0", member="a", error=FULL_DISK)]
        self.assertIn("was refused", Checker(ops, []).check({"set:0": ["a"]})[0])
        self.assertIn("no client added", Checker(ops, []).check({"set:0": ["a", "z"]})[1])

    def test_an_unknown_add_or_remove_may_go_either_way(self):
        ops = [op("sadd", "unknown", key="set:0", member="a"),
               op("sadd", key="set:0", member="b"),
               op("srem", "unknown", key="set:0", member="b")]
        for members in (None, ["a"], ["b"], ["a", "b"]):
            self.assertEqual(Checker(ops, []).check({"set:0": members}), [])


class ValueTest(unittest.TestCase):
    def test_a_later_write_on_the_node_that_acknowledged_the_earlier_one_wins(self):
        ops = [op("set", key="value:0", value="x", node=1, at=1.0),
               op("set", key="value:0", value="y", node=1, at=2.0)]
        self.assertEqual(Checker(ops, []).check({"value:0": "y"}), [])
        self.assertIn("should have won", Checker(ops, []).check({"value:0": "x"})[0])

    def test_concurrent_writes_on_two_nodes_may_end_either_way(self):
        ops = [op("set", key="value:0", value="x", node=1, at=1.0),
               op("set", key="value:0", value="y", node=2, at=2.0)]
        self.assertEqual(Checker(ops, []).check({"value:0": "x"}), [])
        self.assertEqual(Checker(ops, []).check({"value:0": "y"}), [])

    def test_a_write_after_a_read_of_another_must_win_unless_the_node_was_killed_between(self):
        ops = [op("set", key="value:0", value="x", node=1, at=1.0),
               op("get", key="value:0", node=2, at=1.5, reply="x"),
               op("set", key="value:0", value="y", node=2, at=2.0)]
        self.assertIn("had returned it", Checker(ops, []).check({"value:0": "x"})[0])
        self.assertEqual(Checker(ops, [(2, 1.8)]).check({"value:0": "x"}), [])

    def test_values_nobody_wrote_refused_or_absent_are_violations(self):
        ops = [op("set", key="value:0", value="x"),
               op("set", "refused", key="value:0", value="r", error=FULL_DISK),
               op("get", key="value:0", reply="ghost")]
        self.assertIn("returned 'ghost'", Checker(ops, []).check({"value:0": "x"})[0])
        self.assertIn("was refused", Checker(ops, []).check({"value:0": "r"})[1])
        self.assertIn("nobody wrote", Checker(ops, []).check({"value:0": "zz"})[1])
        self.assertIn("is absent", Checker(ops, []).check({"value:0": None})[1])


class ErrorTest(unittest.TestCase):
    def test_a_node_refuses_only_when_down_or_its_storage_fails(self):
        ops = [op("get", "refused", key="value:0", error="cannot connect: ConnectionError"),
               op("get", "refused", key="value:0", error=FULL_DISK)]
        self.assertEqual(Checker(ops, []).check({}), [])
        ops.append(op("get", "refused", key="value:0", node=3,
                      error="WRONGTYPE Operation against a key holding the wrong kind of value"))
        self.assertIn("get value:0 on node 3 was refused: WRONGTYPE",
                      Checker(ops, []).check({})[0])


class ExpiryTest(unittest.TestCase):
    def test_a_key_still_there_after_its_deadline_is_a_violation(self):
        self.assertEqual(Checker([], []).check_expired({"ttl:0": None}), [])
        self.assertIn("after every deadline",
                      Checker([], []).check_expired({"ttl:0": "c1-1"})[0])


if __name__ == "__main__":
    unittest.main()
