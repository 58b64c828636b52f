// The concurrent outcomes of hashes, sorted sets and HyperLogLog (docs/semantics.md), each between
// two replicas that act without seeing each other and then exchange their deltas.
#include <cmath>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <crdt/crdt.hpp>

namespace converge {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr ReplicaId a{1};
constexpr ReplicaId b{2};

Timestamp at(std::uint64_t ms, ReplicaId r) {
    return Timestamp{ms, 0, r};
}

template <class T>
void exchange(T& x, const T& dx, T& y, const T& dy) {
    x.merge(dy);
    y.merge(dx);
    ASSERT_EQ(x, y);
}

TEST(ORHash, ConcurrentSetsOfOneFieldTheGreaterTimestampWins) {
    ORHash x, y;
    const ORHash dx = x.set(a, at(20, a), "name", "ada");
    const ORHash dy = y.set(b, at(10, b), "name", "grace");
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.get("name"), "ada");
}

// The store tells a merge that changed what a hash or sorted set shows from one that did not by
// this mark (a replayed delta must not count as a change, nor a real one pass unnoticed).
TEST(ORHash, TheChangeMarkMovesWithEveryChangeShownAndNotWithAReplay) {
    ORHash x, y;
    const auto mark = [&] { return y.members_store().change_mark(); };
    std::uint64_t before = mark();
    const auto merged_changes = [&](const ORHash& d) {
        y.merge(d);
        const bool changed = mark() != before;
        before = mark();
        return changed;
    };
    const ORHash put = x.set(a, at(1, a), "name", "ada");
    EXPECT_TRUE(merged_changes(put));
    EXPECT_FALSE(merged_changes(put));  // a replay
    EXPECT_TRUE(merged_changes(x.set(a, at(2, a), "name", "grace")));  // an overwrite
    EXPECT_TRUE(merged_changes(x.increment(a, "visits", 1)));
    EXPECT_TRUE(merged_changes(x.increment(a, "visits", 1)));  // only a total grows
    EXPECT_TRUE(merged_changes(x.del("name")));                 // only an entry is lost
    EXPECT_EQ(y.get("name"), std::nullopt);
    SortedSet z, w;
    const std::uint64_t empty = w.members_store().change_mark();
    w.merge(z.add(a, at(1, a), "m", 1.0));
    const std::uint64_t added = w.members_store().change_mark();
    EXPECT_NE(added, empty);
    w.merge(z.increment(a, "m", 1e-9));  // a tiny change of a score
    EXPECT_NE(w.members_store().change_mark(), added);
}

TEST(ORHash, DeleteOfAFieldKeepsASetItHadNotSeen) {
    ORHash x, y;
    y.merge(x.set(a, at(1, a), "title", "draft"));
    const ORHash dx = x.del("title");
    const ORHash dy = y.set(b, at(2, b), "title", "final");
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.get("title"), "final");
}

TEST(ORHash, IncrementsOfACounterFieldAddUp) {
    ORHash x, y;
    const ORHash dx = x.increment(a, "visits", 3);
    const ORHash dy = y.increment(b, "visits", -1);
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.counter("visits"), 2);
    EXPECT_EQ(x.get("visits"), "2");
}

TEST(ORHash, DeleteOfACounterFieldKeepsOnlyTheIncrementsItHadNotSeen) {
    ORHash x, y;
    y.merge(x.increment(a, "visits", 10));
    const ORHash dx = x.del("visits");
    const ORHash dy = y.increment(b, "visits", 3);
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.counter("visits"), 3);
    x.increment(a, "visits", 1);
    EXPECT_EQ(x.counter("visits"), 4);
}

TEST(ORHash, MixingAValueAndACounterInOneFieldIsRefusedAndChangesNothing) {
    ORHash h;
    h.set(a, at(1, a), "name", "ada");
    h.increment(a, "visits", 1);
    const ORHash before = h;
    EXPECT_THROW(h.increment(a, "name", 1), TypeMismatch);
    EXPECT_THROW(h.set(a, at(2, a), "visits", "x"), TypeMismatch);
    EXPECT_EQ(h, before);
}

TEST(ORHash, AConcurrentSetAndIncrementOfOneFieldShowTheCounter) {
    ORHash x, y;
    const ORHash dx = x.set(a, at(5, a), "f", "text");
    const ORHash dy = y.increment(b, "f", 7);
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.get("f"), "7");
    EXPECT_TRUE(x.is_counter("f"));
}

TEST(ORHash, ClearKeepsOnlyTheFieldSetItHadNotSeen) {
    ORHash x, y;
    y.merge(x.set(a, at(1, a), "name", "ada"));
    y.merge(x.increment(a, "visits", 4));
    const ORHash dx = x.clear();
    const ORHash dy = y.set(b, at(2, b), "email", "ada@example.org");
    exchange(x, dx, y, dy);
    EXPECT_THAT(x.fields(), ElementsAre(Pair("email", "ada@example.org")));
}

TEST(ORHash, OverflowingACountersTotalIsRefused) {
    ORHash h;
    h.increment(a, "n", INT64_MAX);
    h.increment(a, "n", INT64_MAX);
    const ORHash before = h;
    EXPECT_THROW(h.increment(a, "n", 3), InvalidOperation);
    EXPECT_EQ(h, before);
}

TEST(SortedSet, ConcurrentAddsTheGreaterTimestampsScoreWins) {
    SortedSet x, y;
    const SortedSet dx = x.add(a, at(10, a), "ada", 1.0);
    const SortedSet dy = y.add(b, at(20, b), "ada", 7.0);
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.score("ada"), 7.0);
}

TEST(SortedSet, IncrementsAddUpOnTopOfTheWinningAddedScore) {
    SortedSet x, y;
    const SortedSet dx = x.add(a, at(10, a), "ada", 10.0);
    SortedSet dy = y.increment(b, "ada", 2.5);
    dy.merge(y.increment(b, "ada", 1.0));
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.score("ada"), 13.5);
}

TEST(SortedSet, AnAddResetsTheIncrementsItObserved) {
    SortedSet z;
    z.increment(a, "ada", 4.0);
    z.add(a, at(3, a), "ada", 1.0);
    EXPECT_EQ(z.score("ada"), 1.0);
    EXPECT_EQ(z.increment(b, "ada", 2.0).score("ada"), 2.0);  // the delta holds b's part only
    EXPECT_EQ(z.score("ada"), 3.0);
}

TEST(SortedSet, RemoveKeepsOnlyTheIncrementItHadNotSeen) {
    SortedSet x, y;
    y.merge(x.add(a, at(1, a), "ada", 10.0));
    y.merge(x.increment(a, "ada", 5.0));
    const SortedSet dx = x.remove("ada");
    const SortedSet dy = y.increment(b, "ada", 2.0);
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.score("ada"), 2.0);
}

TEST(SortedSet, RangeOrdersByScoreThenMemberAndCountsNegativeRanksFromTheEnd) {
    SortedSet z;
    z.add(a, at(1, a), "c", 2.0);
    z.add(a, at(2, a), "b", 2.0);
    z.add(a, at(3, a), "a", 5.0);
    z.add(a, at(4, a), "d", -1.0);
    EXPECT_THAT(z.range(0, -1),
                ElementsAre(Pair("d", -1.0), Pair("b", 2.0), Pair("c", 2.0), Pair("a", 5.0)));
    EXPECT_THAT(z.range(-2, 10), ElementsAre(Pair("c", 2.0), Pair("a", 5.0)));
    EXPECT_TRUE(z.range(3, 1).empty());
    EXPECT_EQ(z.rank("c"), 2u);
}

TEST(SortedSet, NonFiniteScoresAreRefusedAndChangeNothing) {
    SortedSet z;
    z.add(a, at(1, a), "ada", 1e308);
    const SortedSet before = z;
    EXPECT_THROW(z.add(a, at(2, a), "x", NAN), InvalidOperation);
    EXPECT_THROW(z.add(a, at(2, a), "x", INFINITY), InvalidOperation);
    EXPECT_THROW(z.increment(a, "ada", 1e308), InvalidOperation);
    EXPECT_THROW(z.increment(a, "ada", -INFINITY), InvalidOperation);
    EXPECT_EQ(z, before);
}

TEST(HyperLogLog, CountsWhatRedisCountsForTheSameElements) {
    // Redis 7.0 (redis-cli, PFADD then PFCOUNT): 7 letters give 7; item-0..item-999 give 996;
    // user-0..user-99999 give 100165. The same hash, registers and estimator give the same counts.
    const auto count_of = [](const char* prefix, int n) {
        HyperLogLog v;
        for (int i = 0; i < n; ++i)
            v.add(a, prefix + std::to_string(i));
        return v.count();
    };
    HyperLogLog letters;
    for (const char* e : {"a", "b", "c", "d", "e", "f", "g"})
        letters.add(a, e);
    EXPECT_EQ(letters.count(), 7u);
    EXPECT_EQ(count_of("item-", 1000), 996u);
    EXPECT_EQ(count_of("user-", 100000), 100165u);
}

TEST(HyperLogLog, AConcurrentAddAndClearKeepExactlyTheUnseenAdd) {
    HyperLogLog x, y;
    for (int i = 0; i < 1000; ++i)
        y.merge(x.add(a, "before-" + std::to_string(i)));
    const HyperLogLog dx = x.clear();
    const HyperLogLog dy = y.add(b, "after");
    exchange(x, dx, y, dy);
    EXPECT_EQ(x.count(), 1u);
    HyperLogLog only;
    only.add(b, "after");
    EXPECT_EQ(x.registers(), only.registers());
}

TEST(HyperLogLog, UnionOfReplicasEstimatesTheDistinctElementsWithinThreeStandardErrors) {
    HyperLogLog x, y;
    for (int i = 0; i < 60000; ++i)
        x.add(a, "user-" + std::to_string(i));
    for (int i = 40000; i < 100000; ++i)
        y.add(b, "user-" + std::to_string(i));
    x.merge(y);
    const double error = std::abs(static_cast<double>(x.count()) - 100000.0) / 100000.0;
    EXPECT_LT(error, 3 * 0.0081);
}

TEST(HyperLogLog, RaisingToAnotherSketchGivesTheUnionAndItsDeltaCarriesIt) {
    HyperLogLog x, y, copy;
    for (int i = 0; i < 3000; ++i)
        copy.merge(x.add(a, "left-" + std::to_string(i)));
    for (int i = 0; i < 3000; ++i)
        y.add(b, "right-" + std::to_string(i));
    HyperLogLog expected = x;
    expected.merge(y);
    bool changed = false;
    const HyperLogLog delta = x.raise(a, y.registers(), &changed);
    EXPECT_TRUE(changed);
    EXPECT_EQ(x.registers(), expected.registers());
    EXPECT_LT(x.entry_count(), expected.entry_count());  // one entry per register raised
    copy.merge(delta);
    EXPECT_EQ(copy, x);
    x.raise(a, y.registers(), &changed);
    EXPECT_FALSE(changed);
    // A clear that saw the raise drops it; an add it did not see survives.
    HyperLogLog z = x;
    const HyperLogLog cleared = z.clear();
    const HyperLogLog unseen = x.add(b, "late");
    exchange(x, unseen, z, cleared);
    EXPECT_EQ(x.count(), 1u);
}

TEST(HyperLogLog, ReaddingAnElementChangesNoRegister) {
    HyperLogLog v;
    bool changed = false;
    v.add(a, "x", &changed);
    EXPECT_TRUE(changed);
    v.add(a, "x", &changed);
    EXPECT_FALSE(changed);
    EXPECT_EQ(v.entry_count(), 1u);
}

}  // namespace
}  // namespace converge
