#include <gtest/gtest.h>

#include <crdt/gcounter.hpp>
#include <crdt/pn_counter.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};

TEST(GCounter, ValueIsTheSumOfEveryReplicasIncrements) {
    GCounter g;
    g.increment(a, 5);
    g.increment(b, 2);
    g.increment(a);
    EXPECT_EQ(g.value(), 8u);
    EXPECT_EQ(g.contribution(a), 6u);
}

TEST(GCounter, ConcurrentIncrementsAllCount) {
    GCounter x, y;
    x.increment(a, 3);
    y.increment(b, 4);
    x.merge(y);
    y.merge(x);
    EXPECT_EQ(x.value(), 7u);
    EXPECT_EQ(x, y);
}

TEST(GCounter, DeltaHoldsOnlyTheIncrementedSlot) {
    GCounter g;
    g.increment(b, 9);
    const GCounter delta = g.increment(a, 2);
    EXPECT_EQ(delta.value(), 2u);
    EXPECT_EQ(delta.contribution(b), 0u);
}

TEST(GCounter, OverflowThrowsAndChangesNothing) {
    GCounter g;
    g.increment(a, UINT64_MAX);
    EXPECT_THROW(g.increment(a, 1), InvalidOperation);
    EXPECT_EQ(g.contribution(a), UINT64_MAX);
}

TEST(PNCounter, IncrementsMinusDecrements) {
    PNCounter p;
    p.increment(a, 3);
    p.decrement(b, 1);
    EXPECT_EQ(p.value(), 2);
    p.decrement(a, 10);
    EXPECT_EQ(p.value(), -8);
}

TEST(PNCounter, ConcurrentUpdatesConverge) {
    PNCounter x, y;
    const auto dx = x.increment(a, 5);
    const auto dy = y.decrement(b, 7);
    x.merge(dy);
    y.merge(dx);
    EXPECT_EQ(x, y);
    EXPECT_EQ(x.value(), -2);
}

TEST(PNCounter, ValueOutsideInt64Throws) {
    PNCounter p;
    p.increment(a, UINT64_MAX);
    EXPECT_THROW(static_cast<void>(p.value()), InvalidOperation);
    PNCounter q;
    q.decrement(a, std::uint64_t{1} << 63);
    EXPECT_EQ(q.value(), INT64_MIN);
}

}  // namespace
}  // namespace converge
