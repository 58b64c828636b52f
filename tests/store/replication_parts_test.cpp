// The replication's parts on their own: a peer's acknowledged positions, the digest tree and the
// network model the loopback network and the simulator share.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/replication/digest_tree.hpp>
#include <store/replication/peer_progress.hpp>
#include <store/testing/network_model.hpp>

namespace converge::store {
namespace {

using detail::AckedPositions;
using detail::DigestTree;
using detail::PeerProgress;
using detail::PeerStripes;
using detail::StripeProgress;

TEST(AckedPositions, RangesThatOvertookTheFirstJoinThePrefixWhenItArrives) {
    AckedPositions acked;
    acked.add(5, 8);
    acked.add(10, 12);
    EXPECT_EQ(acked.prefix(), 0u);
    EXPECT_TRUE(acked.contains(6));
    EXPECT_FALSE(acked.contains(5));  // (from, to]: 5 itself is not in (5, 8]
    EXPECT_FALSE(acked.contains(9));
    acked.add(0, 5);  // the first message's ack arrives last
    EXPECT_EQ(acked.prefix(), 8u);
    acked.add(8, 10);
    EXPECT_EQ(acked.prefix(), 12u);
    acked.add(0, 3);  // a stale ack moves nothing back
    EXPECT_EQ(acked.prefix(), 12u);
}

// A peer with nothing in flight keeps only its prefixes, shared with the peers at the same
// positions; one with something in flight keeps all of its progress.
// A range's hash is kept as leaves change; it must be a function of the leaves alone (equal
// leaves, equal hashes, whatever the order of the changes) and tell apart leaves that differ,
// including the same values in other places.
TEST(DigestTree, ARangeHashDependsOnItsLeavesAloneAndTellsDifferentLeavesApart) {
    const std::uint16_t a = 3 * detail::leaves_per_range + 7;  // range 3
    const std::uint16_t b = 3 * detail::leaves_per_range + 8;
    DigestTree one, two, swapped, cleared;
    EXPECT_EQ(one.range_hash(3), 0u);
    one.toggle(a, 0x1111);
    one.toggle(b, 0x2222);
    one.toggle(a, 0x4444);
    two.toggle(a, 0x4444);
    two.toggle(b, 0x2222);
    two.toggle(a, 0x1111);
    EXPECT_EQ(one.range_hash(3), two.range_hash(3));
    EXPECT_NE(one.range_hash(3), 0u);
    EXPECT_EQ(one.range_hash(2), 0u);
    EXPECT_EQ(one.range_hash(4), 0u);

    swapped.toggle(a, 0x2222);  // b's value at a, a's at b
    swapped.toggle(b, 0x1111 ^ 0x4444);
    EXPECT_NE(swapped.range_hash(3), one.range_hash(3));

    two.toggle(b, 0x1);  // one leaf differs by one bit
    EXPECT_NE(two.range_hash(3), one.range_hash(3));
    two.toggle(b, 0x1);
    EXPECT_EQ(two.range_hash(3), one.range_hash(3));

    cleared.toggle(a, 0x1111);
    cleared.toggle(a, 0x1111);  // back to zero: as if never added
    EXPECT_EQ(cleared.range_hash(3), 0u);
    EXPECT_EQ(cleared.range(3)[7], 0u);
}

TEST(PeerStripes, CompactOnlyWhenNothingIsInFlightAndShareEqualPrefixes) {
    PeerStripes::Prefixes shared;
    PeerStripes a(3), b(3), c(3);
    for (PeerStripes* p : {&a, &b, &c}) {
        p->at(1).sent_to = 7;
        p->at(2).sent_to = 4;
    }
    a.at(1).acked.add(0, 7);
    a.compact(shared);  // stripe 2 is in flight
    EXPECT_EQ(shared, nullptr);
    EXPECT_EQ(a.at(2).sent_to, 4u);
    for (PeerStripes* p : {&a, &b}) {
        p->at(1).acked.add(0, 7);
        p->at(2).acked.add(0, 4);
        p->compact(shared);
        EXPECT_EQ(p->prefix(0), 0u);
        EXPECT_EQ(p->prefix(1), 7u);
        EXPECT_EQ(p->prefix(2), 4u);
    }
    ASSERT_NE(shared, nullptr);
    EXPECT_EQ(shared.use_count(), 3);  // a, b and shared itself: one vector
    c.at(1).acked.add(0, 7);
    c.at(2).acked.add(0, 2);
    c.at(2).acked.add(3, 4);  // a gap: position 3 is in flight
    c.compact(shared);
    EXPECT_EQ(shared.use_count(), 3);
    EXPECT_FALSE(c.at(2).acked.contains(3));
    // Expanding gives back what was compacted: nothing in flight, resent from the prefix.
    StripeProgress& s = a.at(1);
    EXPECT_EQ(s.acked.prefix(), 7u);
    EXPECT_EQ(s.sent_to, 7u);
    EXPECT_EQ(a.prefix(2), 4u);
    a.clear();
    EXPECT_EQ(a.prefix(1), 0u);
}

TEST(PeerProgress, BacksOffToItsLimitAndResetsOnARestart) {
    PeerProgress peer(2);
    for (int i = 0; i < 20; ++i)
        peer.back_off();
    EXPECT_EQ(peer.backoff, PeerProgress::backoff_max);
    peer.stripes.at(0).acked.add(0, 4);
    peer.stripes.at(1).acked.add(0, 7);
    EXPECT_TRUE(peer.has_all({4, 7}));
    EXPECT_FALSE(peer.has_all({5, 7}));
    peer.reset();
    EXPECT_EQ(peer.backoff, 1u);
    EXPECT_FALSE(peer.has_all({1, 0}));
}

TEST(NetworkModel, ACutIsOneWayAndAHealRestoresEveryLink) {
    NetworkModel model;
    Random random(1);
    model.cut(1, 2);
    model.cut(3, 3);  // a node's link to itself is never cut
    EXPECT_EQ(model.route(1, 2, random).fate, NetworkModel::Fate::cut);
    EXPECT_EQ(model.route(2, 1, random).fate, NetworkModel::Fate::delivered);
    EXPECT_EQ(model.route(3, 3, random).fate, NetworkModel::Fate::delivered);
    model.heal();
    EXPECT_EQ(model.route(1, 2, random).fate, NetworkModel::Fate::delivered);
}

TEST(NetworkModel, LossDuplicationAndDelayFollowTheirSettings) {
    Random random(7);
    NetworkModel lossy({.loss = 1});
    EXPECT_EQ(lossy.route(1, 2, random).fate, NetworkModel::Fate::lost);
    NetworkModel twice({.duplicate = 1});
    EXPECT_EQ(twice.route(1, 2, random).copies, 2u);
    NetworkModel plain;
    int copies = 0;
    for (int i = 0; i < 100; ++i) {
        copies += static_cast<int>(plain.route(1, 2, random).copies);
        const auto d = plain.delay(/*base=*/100, /*jitter=*/10, random);
        EXPECT_GE(d, 100);
        EXPECT_LE(d, 110);
    }
    EXPECT_EQ(copies, 100);
    NetworkModel reordering({.reorder = 1});
    EXPECT_EQ(reordering.delay(100, 0, random), 151);  // held back by half again, and one
}

TEST(NetworkModel, TheSameSeedDecidesTheSameFates) {
    NetworkModel model({.loss = 0.3, .duplicate = 0.2, .reorder = 0.4});
    Random a(42), b(42);
    for (int i = 0; i < 1000; ++i) {
        const auto ra = model.route(1, 2, a);
        const auto rb = model.route(1, 2, b);
        ASSERT_EQ(ra.fate, rb.fate);
        ASSERT_EQ(ra.copies, rb.copies);
        ASSERT_EQ(model.delay(50, 20, a), model.delay(50, 20, b));
    }
}

}  // namespace
}  // namespace converge::store
