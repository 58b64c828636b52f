// What the protocol promises beyond convergence: the hybrid clock orders a write after what its
// replica saw, expiry counts from the write's timestamp, the log keeps an entry until every peer
// has it, a lost delta is sent again, digest repair reaches every range of the tree, and digest
// comparisons that find differences are counted per peer.
#include <set>

#include "cluster.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/metrics/divergence_watch.hpp>
#include <store/replication/digest_tree.hpp>

namespace converge::store {
namespace {

using namespace std::chrono_literals;
using testing::Cluster;

// Replicas over one loopback network, each with a clock of its own.
struct SkewedReplicas {
    explicit SkewedReplicas(std::vector<std::uint64_t> clocks_ms) : net(1) {
        for (std::size_t i = 0; i < clocks_ms.size(); ++i) {
            const ReplicaId id{i + 1};
            clocks.push_back(std::make_shared<ManualClock>(clocks_ms[i]));
            stores.push_back(
                std::make_unique<Store>(Options{.replica = id,
                                                .clock = clocks.back(),
                                                .rng = std::make_shared<SeededRng>(i + 1),
                                                .transport = net.transport(id)}));
            net.attach(id, *stores.back());
        }
        for (auto& a : stores)
            for (auto& b : stores)
                if (a != b) a->add_peer(b->replica());
    }
    Store& operator[](std::size_t i) { return *stores[i]; }
    void cut(std::size_t from, std::size_t to, bool cut_it = true) {
        net.set_link(ReplicaId{from + 1}, ReplicaId{to + 1}, !cut_it);
    }
    void round() {
        for (auto& s : stores)
            s->sync();
        net.run_until_idle();
    }

    LoopbackNetwork net;
    std::vector<std::shared_ptr<ManualClock>> clocks;
    std::vector<std::unique_ptr<Store>> stores;
};

TEST(HybridClock, AWriteMadeAfterSeeingANewerOneWinsOverAConcurrentOlderOne) {
    // Replica 0's wall clock is 30 s behind replica 1's; replica 2's is 20 s behind 1's.
    SkewedReplicas r({1'000'000, 1'030'000, 1'010'000});
    for (std::size_t i = 0; i < 2; ++i) {  // replica 2 hears nothing until the end
        r.cut(i, 2);
        r.cut(2, i);
    }
    r[1].put("x", "seen");
    r.round();  // replica 0 receives x, stamped at 1,030,000
    ASSERT_EQ(r[0].get("x"), "seen");
    r[0].put("k", "after what replica 0 saw");  // stamped past 1,030,000, not at 1,000,000
    r[2].put("k", "concurrent, older");         // stamped at 1,010,000
    for (std::size_t i = 0; i < 2; ++i) {
        r.cut(i, 2, false);
        r.cut(2, i, false);
    }
    for (int i = 0; i < 3; ++i)
        r.round();
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(r[i].get("k"), "after what replica 0 saw") << "replica " << i;
}

TEST(HybridClock, ATtlCountsFromTheWritesHybridTimestamp) {
    SkewedReplicas r({1'000'000, 1'030'000});
    r[1].put("x", "seen");
    r.round();  // replica 0's hybrid clock moves to 1,030,000; its wall clock stays behind
    r[0].put("session", "token", 10s);  // expires at 1,040,000 on every replica
    r.round();
    EXPECT_EQ(r[0].get("session"), "token");
    EXPECT_EQ(r[1].get("session"), "token");
    r.clocks[1]->set(1'039'000);
    EXPECT_EQ(r[1].get("session"), "token");
    r.clocks[1]->set(1'040'001);
    EXPECT_EQ(r[1].get("session"), std::nullopt);
}

TEST(HybridClock, AValueExpiresWhereTheHybridClockPassedItsExpiryEvenIfTheWallClockDidNot) {
    SkewedReplicas r({1'000'000, 1'030'000});
    r[1].put("session", "token", 5s);  // expires at 1,035,000
    r.round();
    EXPECT_EQ(r[0].get("session"), "token");
    r.clocks[1]->set(1'036'000);
    r[1].put("later", "x");  // replica 0 sees a write stamped 1,036,000
    r.round();
    EXPECT_EQ(r[0].get("session"), std::nullopt);
    EXPECT_EQ(r[0].keys(), std::vector<std::string>{"later"});
}

TEST(ReplicationLog, AnEntryStaysUntilEveryPeerAcknowledgedIt) {
    Cluster c(3, 1, {}, Options{.anti_entropy_syncs = 0});
    c.net.set_link(ReplicaId{1}, ReplicaId{3}, false);
    c[0].put("k", "v");
    c.round();
    EXPECT_EQ(c[1].get("k"), "v");
    EXPECT_EQ(c[0].metrics().log_entries, 1u);  // replica 3 has not acknowledged it
    c.net.set_link(ReplicaId{1}, ReplicaId{3}, true);
    for (int i = 0; i < 6 && c[2].get("k") != "v"; ++i)
        c.round();
    EXPECT_EQ(c[2].get("k"), "v");
    EXPECT_EQ(c[0].metrics().repairs_started, 0u);  // it came as a delta, from the log
    c.round();
    EXPECT_EQ(c[0].metrics().log_entries, 0u);
    for (const PeerMetrics& p : c[0].metrics().peers)
        EXPECT_EQ(p.deltas_pending, 0u);
}

TEST(ReplicationLog, ALostDeltaIsSentAgainAfterResendAfterSyncsRounds) {
    Cluster c(2, 1, {}, Options{.resend_after_syncs = 3, .anti_entropy_syncs = 0});
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, false);
    c[0].put("k", "v");
    c.round();  // lost
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, true);
    std::size_t rounds = 0;
    while (c[1].get("k") != "v" && rounds < 10) {
        c.round();
        ++rounds;
    }
    EXPECT_EQ(c[1].get("k"), "v");
    EXPECT_LE(rounds, 3u);
}

// Keys covering the digest tree: one in each of its 256 ranges, and keys in the first and the last
// leaf of a range and of the whole tree (a key's leaf is the top 16 bits of its hash).
std::vector<std::string> keys_across_the_digest_tree() {
    std::vector<std::string> keys;
    std::set<std::uint64_t> ranges;
    std::set<std::string> edges;  // "first in range", ...
    for (int i = 0; ranges.size() < detail::digest_ranges || edges.size() < 4; ++i) {
        const std::string key = "k" + std::to_string(i);
        const std::uint16_t leaf = detail::leaf_of(detail::digest_key_hash(key));
        const std::size_t in_range = leaf % detail::leaves_per_range;
        bool wanted = ranges.insert(leaf / detail::leaves_per_range).second;
        if (in_range == 0) wanted = edges.insert("first in range").second || wanted;
        if (in_range == detail::leaves_per_range - 1)
            wanted = edges.insert("last in range").second || wanted;
        if (leaf == 0) wanted = edges.insert("first leaf").second || wanted;
        if (leaf == detail::digest_leaves - 1) wanted = edges.insert("last leaf").second || wanted;
        if (wanted) keys.push_back(key);
    }
    return keys;
}

void expect_repair_reaches(const std::vector<std::string>& keys, std::size_t message_bytes) {
    // A log of one entry: replica 2, cut off while they are written, is behind its floor.
    Cluster c(2, 1, {},
              Options{.stripes = 1,
                      .message_bytes = message_bytes,
                      .delta_buffer_entries = 1,
                      .anti_entropy_syncs = 0});
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, false);
    for (const std::string& key : keys)
        c[0].put(key, "v");
    c.round();
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, true);
    EXPECT_LE(c.settle(200), 200u);
    for (const std::string& key : keys)
        EXPECT_EQ(c[1].get(key), "v")
            << key << " in leaf " << detail::leaf_of(detail::digest_key_hash(key));
    EXPECT_GE(c[0].metrics().repairs_completed, 1u);
}

TEST(DigestRepair, ReachesEveryRangeAndTheEdgeLeavesOfTheTree) {
    expect_repair_reaches(keys_across_the_digest_tree(), 64 * 1024);
}

TEST(DigestRepair, ReachesEveryRangeWhenTheComparisonTakesManyMessages) {
    // About 1 KiB a message: the ranges are compared a few at a time, resuming at the cursor.
    expect_repair_reaches(keys_across_the_digest_tree(), 1024);
}

TEST(Divergence, ComparisonsThatFindDifferencesAreCountedPerPeerAndLogged) {
    Cluster c(2, 1, {}, Options{.anti_entropy_syncs = 2});
    DivergenceWatch watch;
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, false);
    c.net.set_link(ReplicaId{2}, ReplicaId{1}, false);
    c[0].put("a", "1");
    c[1].put("b", "2");
    c.round();
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, true);
    c.net.set_link(ReplicaId{2}, ReplicaId{1}, true);
    // The next periodic comparisons find what the cut kept apart; once agreed, they find nothing.
    for (int i = 0; i < 8; ++i)
        c.round();
    ASSERT_TRUE(c.converged());
    const PeerMetrics p = c[0].metrics().peers.at(0);
    EXPECT_GE(p.comparisons, 2u);
    EXPECT_GE(p.comparisons_differing, 1u);
    EXPECT_LT(p.comparisons_differing, p.comparisons);
    EXPECT_FALSE(p.last_comparison_differed);
    const auto lines = watch.check(c[0].metrics());
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_THAT(lines[0], ::testing::HasSubstr("with replica 2 found differing keys"));
    for (int i = 0; i < 6; ++i)
        c.round();
    EXPECT_TRUE(watch.check(c[0].metrics()).empty());  // agreed: nothing new to say
    EXPECT_EQ(c[0].metrics().peers.at(0).comparisons_differing, p.comparisons_differing);
}

}  // namespace
}  // namespace converge::store
