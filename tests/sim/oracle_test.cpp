// Each check of the oracle catches the fault it is for (and a faithful history passes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sim/oracle.hpp>

namespace converge::sim {
namespace {

using store::KeyInspection;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr ReplicaId kA{1}, kB{2};

Op op(OpType type, std::string_view action, std::string value, std::string key = "k") {
    Op o;
    o.type = type;
    o.key = std::move(key);
    o.action = op_action_named(type, action).value();
    o.value = std::move(value);
    return o;
}

KeyInspection set_state(std::vector<std::pair<Dot, std::string>> live, std::vector<Dot> seen) {
    KeyInspection s;
    s.type = KeyInspection::Type::set;
    for (auto& [dot, member] : live) {
        s.live.push_back({dot, member});
        s.context.insert(dot);
    }
    for (const Dot& d : seen)
        s.context.insert(d);
    std::sort(s.live.begin(), s.live.end(),
              [](const auto& a, const auto& b) { return a.dot < b.dot; });
    return s;
}

KeyInspection value_state(std::vector<std::tuple<Dot, std::string, std::uint64_t>> live) {
    KeyInspection s;
    s.type = KeyInspection::Type::value;
    for (auto& [dot, bytes, time] : live) {
        s.live.push_back({dot, bytes, Timestamp{time, 0, dot.replica}});
        s.context.insert(dot);
    }
    return s;
}

const auto everyone_durable = [](ReplicaId) { return true; };

TEST(Oracle, AFaithfulHistoryHasNoViolation) {
    Oracle o(7);
    const auto a1 = set_state({{Dot{kA, 1}, "x"}}, {});
    o.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt, a1);
    const auto b1 = set_state({{Dot{kB, 1}, "y"}}, {});
    o.operation(2, "b", kB, op(OpType::set, "add", "y"), std::nullopt, b1);
    const auto both = set_state({{Dot{kA, 1}, "x"}, {Dot{kB, 1}, "y"}}, {});
    o.check(3, 0, "a", {{"k", both}});
    o.check_final(4, "a", "k", both, std::vector<std::string>{"x", "y"}, everyone_durable);
    EXPECT_THAT(o.violations(), IsEmpty());
}

TEST(Oracle, ARemovedAddThatComesBackIsCaughtWhileTheRunGoes) {
    Oracle o(7);
    const auto added = set_state({{Dot{kA, 1}, "x"}}, {});
    o.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt, added);
    const auto removed = set_state({}, {Dot{kA, 1}});
    o.operation(2, "a", kA, op(OpType::set, "remove", "x"), added, removed);
    o.check(3, 0, "a", {{"k", removed}});
    o.check(4, 0, "a", {{"k", added}});
    EXPECT_THAT(o.violations(),
                ElementsAre(HasSubstr("seed 7, at 4 us: a brought back dot (1, 1) (\"x\")")));
}

TEST(Oracle, AnAddThatADurableRemoveObservedMustBeGoneAtTheEnd) {
    Oracle o(7);
    const auto added = set_state({{Dot{kA, 1}, "x"}}, {});
    o.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt, added);
    o.operation(2, "b", kB, op(OpType::set, "remove", "x"), added, set_state({}, {Dot{kA, 1}}));
    o.check_final(3, "a", "k", added, std::vector<std::string>{"x"}, everyone_durable);
    EXPECT_THAT(o.violations(), ElementsAre(HasSubstr("a, key \"k\" still shows \"x\"")));
    // A remove by a replica that lost its storage may never have left it.
    Oracle lenient(7);
    lenient.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt, added);
    lenient.operation(2, "b", kB, op(OpType::set, "remove", "x"), added,
                      set_state({}, {Dot{kA, 1}}));
    lenient.check_final(3, "a", "k", added, std::vector<std::string>{"x"},
                        [](ReplicaId id) { return id == kA; });
    EXPECT_THAT(lenient.violations(), IsEmpty());
}

TEST(Oracle, AnAcknowledgedAddMissingAtTheEndIsALostWrite) {
    Oracle o(7);
    o.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt,
                set_state({{Dot{kA, 1}, "x"}}, {}));
    o.check_final(2, "b", "k", std::nullopt, std::vector<std::string>{}, everyone_durable);
    EXPECT_THAT(o.violations(), ElementsAre(HasSubstr("b, key \"k\" lost \"x\", written by a")));
}

TEST(Oracle, ADotIssuedTwiceIsReuse) {
    Oracle o(7);
    o.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt,
                set_state({{Dot{kA, 1}, "x"}}, {}));
    o.operation(2, "a", kA, op(OpType::set, "add", "y"), std::nullopt,
                set_state({{Dot{kA, 1}, "y"}}, {}));
    EXPECT_THAT(o.violations(), ElementsAre(HasSubstr("dot (1, 1) reused on a")));
}

TEST(Oracle, ADotShowingAnotherMemberThanItsAddIsCaught) {
    Oracle o(7);
    o.operation(1, "a", kA, op(OpType::set, "add", "x"), std::nullopt,
                set_state({{Dot{kA, 1}, "x"}}, {}));
    o.check(2, 1, "b", {{"k", set_state({{Dot{kA, 1}, "z"}}, {})}});
    EXPECT_THAT(o.violations(), ElementsAre(HasSubstr("for \"z\", but its operation")));
}

TEST(Oracle, TheValueIsTheLiveWriteWithTheGreatestTimestamp) {
    Oracle o(7);
    const auto a = value_state({{Dot{kA, 1}, "early", 100}});
    const auto b = value_state({{Dot{kB, 1}, "late", 200}});
    o.operation(1, "a", kA, op(OpType::kv, "put", "early"), std::nullopt, a);
    o.operation(1, "b", kB, op(OpType::kv, "put", "late"), std::nullopt, b);
    const auto both = value_state({{Dot{kA, 1}, "early", 100}, {Dot{kB, 1}, "late", 200}});
    o.check_final(2, "a", "k", both, std::string("late"), everyone_durable);
    EXPECT_THAT(o.violations(), IsEmpty());
    o.check_final(2, "b", "k", both, std::string("early"), everyone_durable);
    EXPECT_THAT(o.violations(),
                ElementsAre(HasSubstr("greatest (timestamp, replica) is \"late\"")));
}

TEST(Oracle, ReplicasWithTheSameCausalStateMustShowTheSameValue) {
    Oracle o(7);
    const auto both = value_state({{Dot{kA, 1}, "p", 100}, {Dot{kB, 1}, "q", 100}});
    o.operation(1, "a", kA, op(OpType::kv, "put", "p"), std::nullopt,
                value_state({{Dot{kA, 1}, "p", 100}}));
    o.operation(1, "b", kB, op(OpType::kv, "put", "q"), std::nullopt,
                value_state({{Dot{kB, 1}, "q", 100}}));
    o.check(2, 0, "a", {{"k", both}});
    o.check(2, 1, "b", {{"k", both}});
    o.check_same_state_same_value(2, {0, 1}, {"a", "b"},
                                  [](std::size_t slot, const std::string&, KeyInspection::Type) {
                                      return FinalValue(std::string(slot == 0 ? "p" : "q"));
                                  });
    EXPECT_THAT(o.violations(),
                ElementsAre(HasSubstr("a and b hold the same causal state of key \"k\"")));
}

TEST(Oracle, EveryReplicaWithTheSameCausalStateIsCompared) {
    Oracle o(7);
    const auto state = value_state({{Dot{kA, 1}, "p", 100}});
    o.operation(1, "a", kA, op(OpType::kv, "put", "p"), std::nullopt, state);
    for (std::size_t slot = 0; slot < 3; ++slot)
        o.check(2, slot, std::string(1, static_cast<char>('a' + slot)), {{"k", state}});
    o.check_same_state_same_value(2, {0, 1, 2}, {"a", "b", "c"},
                                  [](std::size_t slot, const std::string&, KeyInspection::Type) {
                                      return FinalValue(std::string(slot == 2 ? "stale" : "p"));
                                  });
    EXPECT_THAT(o.violations(),
                ElementsAre(HasSubstr("a and c hold the same causal state of key \"k\"")));
}

TEST(Oracle, CounterSlotsArePrefixSumsThatNeverGoDownAndSumToTheOperations) {
    Oracle o(7);
    KeyInspection c;
    c.type = KeyInspection::Type::counter;
    c.increments.set(kA, 3);
    o.operation(1, "a", kA, op(OpType::counter, "increment", "3"), std::nullopt, c);
    KeyInspection c2 = c;
    c2.increments.set(kA, 5);
    o.operation(2, "a", kA, op(OpType::counter, "increment", "2"), c, c2);
    EXPECT_THAT(o.violations(), IsEmpty());

    KeyInspection odd = c;
    odd.increments.set(kA, 4);
    o.check(3, 1, "b", {{"k", c2}});
    o.check(4, 1, "b", {{"k", c}});
    o.check(5, 2, "c", {{"k", odd}});
    o.check_final(6, "a", "k", c2, std::int64_t{4}, everyone_durable);
    EXPECT_THAT(
        o.violations(),
        ElementsAre(HasSubstr("counter \"k\" on b went down: 5 -> 3 increments"),
                    HasSubstr("holds 4 increments from replica 1, which is no prefix"),
                    HasSubstr("counter on a, key \"k\" is 4, the sum of its operations is 5")));
}

TEST(Oracle, KeepsTwentyViolationsAndCountsTheRest) {
    Oracle o(7);
    for (int i = 0; i < 25; ++i)
        o.check(i, 0, "a", {{"stray" + std::to_string(i), set_state({}, {})}});
    o.check(25, 0, "a", {{"stray0", set_state({}, {})}});  // unchanged: not reported again
    const auto v = o.violations();
    ASSERT_EQ(v.size(), 21u);
    EXPECT_EQ(v.back(), "... and 5 more violations");
}

}  // namespace
}  // namespace converge::sim
