#include <gtest/gtest.h>

#include <crdt/causal_context.hpp>
#include <crdt/hybrid_clock.hpp>
#include <crdt/version_vector.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};

TEST(VersionVector, AbsentReplicaCountsZeroAndZeroIsNotStored) {
    VersionVector v;
    EXPECT_EQ(v.get(a), 0u);
    v.set(a, 3);
    v.set(b, 0);
    EXPECT_EQ(v.get(a), 3u);
    EXPECT_EQ(v.size(), 1u);
    v.set(a, 0);
    EXPECT_TRUE(v.empty());
}

TEST(VersionVector, MergeIsPointwiseMaximum) {
    VersionVector x, y;
    x.set(a, 5);
    x.set(b, 1);
    y.set(b, 7);
    y.set(ReplicaId{9}, 2);
    x.merge(y);
    EXPECT_EQ(x.get(a), 5u);
    EXPECT_EQ(x.get(b), 7u);
    EXPECT_EQ(x.get(ReplicaId{9}), 2u);
    EXPECT_TRUE(x.dominates(y));
    EXPECT_FALSE(y.dominates(x));
}

TEST(VersionVector, AddRefusesToOverflowAndChangesNothing) {
    VersionVector v;
    v.set(a, UINT64_MAX - 1);
    EXPECT_EQ(v.add(a, 1), UINT64_MAX);
    EXPECT_THROW(v.add(a, 1), InvalidOperation);
    EXPECT_EQ(v.get(a), UINT64_MAX);
}

TEST(CausalContext, OutOfOrderDotsCompactWhenTheGapFills) {
    CausalContext c;
    c.insert(Dot{a, 3});
    c.insert(Dot{a, 2});
    EXPECT_EQ(c.cloud_size(), 2u);
    EXPECT_FALSE(c.contains(Dot{a, 1}));
    c.insert(Dot{a, 1});
    EXPECT_EQ(c.cloud_size(), 0u);
    EXPECT_EQ(c.compact().get(a), 3u);
    EXPECT_TRUE(c.contains(Dot{a, 3}));
    EXPECT_FALSE(c.contains(Dot{a, 4}));
}

TEST(CausalContext, SameDotsGiveEqualContextsWhateverTheInsertionOrder) {
    CausalContext x, y;
    for (std::uint64_t n : {1, 4, 2, 6})
        x.insert(Dot{b, n});
    for (std::uint64_t n : {6, 2, 4, 1})
        y.insert(Dot{b, n});
    EXPECT_EQ(x, y);
}

TEST(CausalContext, MergeIsUnionAndCompacts) {
    CausalContext x, y;
    x.insert(Dot{a, 1});
    x.insert(Dot{a, 3});
    y.insert(Dot{a, 2});
    y.insert(Dot{b, 1});
    x.merge(y);
    EXPECT_EQ(x.compact().get(a), 3u);
    EXPECT_EQ(x.compact().get(b), 1u);
    EXPECT_EQ(x.cloud_size(), 0u);
}

TEST(CausalContext, NextDotIsOnePastTheHighestSeen) {
    CausalContext c;
    EXPECT_EQ(c.next_dot(a), (Dot{a, 1}));
    c.insert(Dot{a, 1});
    c.insert(Dot{a, 5});
    EXPECT_EQ(c.next_dot(a), (Dot{a, 6}));
}

TEST(HybridClock, MonotonicWhenTheWallClockStepsBackwards) {
    HybridClock clock(a);
    const Timestamp t1 = clock.now(1000);
    const Timestamp t2 = clock.now(400);  // the wall clock stepped back
    const Timestamp t3 = clock.now(400);
    EXPECT_LT(t1, t2);
    EXPECT_LT(t2, t3);
    EXPECT_EQ(t2.physical, 1000u);
    EXPECT_EQ(t3.logical, 2u);
    const Timestamp t4 = clock.now(2000);
    EXPECT_EQ(t4.physical, 2000u);
    EXPECT_EQ(t4.logical, 0u);
}

TEST(HybridClock, ObservingARemoteTimestampMovesPastIt) {
    HybridClock clock(a);
    clock.now(100);
    const auto seen = clock.observe(Timestamp{500, 7, b}, 120);
    EXPECT_FALSE(seen.drift_exceeded);
    EXPECT_EQ(seen.now.physical, 500u);
    EXPECT_EQ(seen.now.logical, 8u);
    EXPECT_EQ(seen.now.replica, a);
    EXPECT_GT(clock.now(130), (Timestamp{500, 7, b}));
}

TEST(HybridClock, RemoteFurtherAheadThanMaxDriftIsReportedAndIgnored) {
    HybridClock clock(a, /*max_drift=*/1000);
    clock.now(100);
    const auto seen = clock.observe(Timestamp{100 + 1001, 0, b}, 100);
    EXPECT_TRUE(seen.drift_exceeded);
    EXPECT_EQ(seen.now.physical, 100u);
    EXPECT_FALSE(clock.observe(Timestamp{100 + 1000, 0, b}, 100).drift_exceeded);
}

TEST(HybridClock, FullLogicalCounterBorrowsAPhysicalUnit) {
    HybridClock clock(a);
    clock.restore(Timestamp{50, UINT32_MAX, a});
    const Timestamp t = clock.now(10);
    EXPECT_EQ(t.physical, 51u);
    EXPECT_EQ(t.logical, 0u);
}

TEST(Timestamp, EqualPhysicalAndLogicalTimeIsBrokenByReplica) {
    EXPECT_LT((Timestamp{10, 0, a}), (Timestamp{10, 0, b}));
    EXPECT_LT((Timestamp{10, 0, b}), (Timestamp{10, 1, a}));
}

}  // namespace
}  // namespace converge
