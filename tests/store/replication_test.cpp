#include <string>
#include <vector>

#include "cluster.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/metrics/prometheus.hpp>
#include <store/replication/wire.hpp>
#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

namespace converge::store {
namespace {

using testing::Cluster;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RecordingTransport;

TEST(Replication, APutReachesEveryPeer) {
    Cluster c(3);
    c[0].put("k", "v");
    c.round();
    EXPECT_EQ(c[1].get("k"), "v");
    EXPECT_EQ(c[2].get("k"), "v");
    EXPECT_TRUE(c.converged());
}

TEST(Replication, CountersAndSetsMergeConcurrentChanges) {
    Cluster c(2);
    c[0].counter("likes").increment(3);
    c[1].counter("likes").increment(4);
    c[1].counter("likes").decrement(2);
    c[0].set("cart").add("apple");
    c[1].set("cart").add("pear");
    EXPECT_LE(c.settle(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(c[i].counter("likes").value(), 5);
        EXPECT_THAT(c[i].set("cart").elements(), ElementsAre("apple", "pear"));
    }
}

TEST(Replication, AConcurrentPutSurvivesADelete) {
    Cluster c(2);
    c[0].put("k", "old");
    c.settle();
    EXPECT_TRUE(c[0].del("k"));  // removes "old" only: c[0] has not seen "new"
    c[1].put("k", "new");
    c.settle();
    EXPECT_EQ(c[0].get("k"), "new");
    EXPECT_EQ(c[1].get("k"), "new");
}

TEST(Replication, ConcurrentAddWinsOverRemove) {
    Cluster c(2);
    c[0].set("s").add("x");
    c.settle();
    EXPECT_TRUE(c[0].set("s").remove("x"));
    c[1].set("s").add("x");  // concurrent with the remove: survives it
    c.settle();
    EXPECT_TRUE(c[0].set("s").contains("x"));
    EXPECT_TRUE(c[1].set("s").contains("x"));
}

TEST(Replication, ConcurrentPutsAgreeOnTheGreatestTimestamp) {
    Cluster c(3);
    c[0].put("k", "a");
    c.clock->advance(5);
    c[2].put("k", "c");
    c[1].put("k", "b");
    c.settle();
    // "b" and "c" carry the same hybrid time: the greater replica id breaks the tie.
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(c[i].get("k"), "c") << "replica " << i;
}

// Found by the convergence property: a merge that only takes one of an element's dots (its count
// and the context unchanged) must still refresh the digest, or the replicas never agree.
TEST(Replication, AMergeThatOnlyDropsADotKeepsTheDigestTrue) {
    Cluster c(3);
    c.net.set_link(ReplicaId{1}, ReplicaId{3}, false);
    c[0].set("s").add("x");  // dot (1, 1): replica 3 does not get it yet
    c[1].set("s").add("x");  // dot (2, 1)
    c.round();
    c.round();
    EXPECT_FALSE(c.converged());             // also brings every digest up to date
    EXPECT_TRUE(c[2].set("s").remove("x"));  // removes (2, 1) only
    c.round();  // replicas 1 and 2 drop (2, 1) from x: same size, same context
    c.net.set_link(ReplicaId{1}, ReplicaId{3}, true);
    EXPECT_LE(c.settle(), 5u);
    EXPECT_TRUE(c[2].set("s").contains("x"));
}

TEST(Replication, ConvergesAfterLossDuplicationAndReordering) {
    Cluster c(4, /*seed=*/7,
              {.link = {.loss = 0.3, .duplicate = 0.2, .reorder = 0.3}, .max_delay_steps = 3});
    for (int i = 0; i < 200; ++i) {
        Store& r = c[static_cast<std::size_t>(i) % 4];
        const std::string key = "k" + std::to_string(i % 17);
        switch (i % 4) {
            case 0:
                r.put(key, "v" + std::to_string(i));
                break;
            case 1:
                r.counter("n" + std::to_string(i % 5)).increment(1);
                break;
            case 2:
                r.set("s" + std::to_string(i % 3)).add(std::to_string(i));
                break;
            default:
                r.set("s" + std::to_string(i % 3)).remove(std::to_string(i - 4));
                break;
        }
        if (i % 10 == 0) c.round();
    }
    EXPECT_LE(c.settle(), 10u);
    std::int64_t total = 0;
    for (int n = 0; n < 5; ++n)
        total += c[0].counter("n" + std::to_string(n)).value();
    EXPECT_EQ(total, 50);  // every increment counted exactly once
    EXPECT_GT(c.net.stats().dropped, 0u);
    EXPECT_GT(c.net.stats().duplicated, 0u);
}

TEST(Replication, ASilentPeerIsResentToLessAndLessOften) {
    Cluster c(2);
    c.net.detach(ReplicaId{2});
    for (int i = 0; i < 100; ++i)
        c[0].put("k" + std::to_string(i), "v");
    c[0].sync();
    const std::uint64_t one_send = c[0].metrics().bytes_out;
    for (int i = 0; i < 200; ++i)
        c[0].sync();
    // Resends after 3, 6, 12, 24, 48, 96 rounds, and a few backed-off digest requests (2 KiB
    // each): about 9 sends' worth in 200 rounds, where resending every 3 rounds would be 66.
    EXPECT_LE(c[0].metrics().bytes_out, 12 * one_send);
    c.net.attach(ReplicaId{2}, c[1]);
    EXPECT_LE(c.settle(200), 200u);  // the peer comes back: it catches up
    EXPECT_EQ(c[1].keys().size(), 100u);
}

TEST(Replication, APeerAddedLaterIsRepairedByDigest) {
    Cluster c(1);
    for (int i = 0; i < 500; ++i)
        c[0].put("k" + std::to_string(i), "v");
    LoopbackNetwork& net = c.net;
    Store late(Options{.replica = ReplicaId{9},
                       .clock = c.clock,
                       .rng = std::make_shared<SeededRng>(9),
                       .transport = net.transport(ReplicaId{9})});
    net.attach(ReplicaId{9}, late);
    c[0].add_peer(ReplicaId{9});
    late.add_peer(ReplicaId{1});
    for (int i = 0; i < 10 && late.state_hash() != c[0].state_hash(); ++i) {
        c[0].sync();
        late.sync();
        net.run_until_idle();
    }
    EXPECT_EQ(late.state_hash(), c[0].state_hash());
    EXPECT_EQ(late.keys().size(), 500u);
    EXPECT_EQ(c[0].metrics().repairs_completed, 1u);
    EXPECT_EQ(c[0].metrics().repair_keys_sent, 500u);
}

TEST(Replication, APeerBehindTheBoundedLogIsRepaired) {
    Cluster c(2, 3, {}, Options{.stripes = 1, .delta_buffer_entries = 8});
    c.settle();
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, false);
    for (int i = 0; i < 100; ++i)
        c[0].put("k" + std::to_string(i), "v");
    c.round();
    EXPECT_LE(c[0].metrics().log_entries, 8u);
    EXPECT_GT(c[0].metrics().log_dropped, 0u);
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, true);
    EXPECT_LE(c.settle(), 10u);
    EXPECT_EQ(c[1].keys().size(), 100u);
    EXPECT_GE(c[0].metrics().repairs_completed, 1u);
}

TEST(Replication, RepairSendsOnlyTheDifferingKeys) {
    Cluster c(2);
    for (int i = 0; i < 20'000; ++i)
        c[0].put("key" + std::to_string(i), "value");
    c.settle();
    // Replica 2 misses one write; replica 1's log forgets it (its peer is removed and re-added).
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, false);
    c[0].put("key7", "changed");
    c[0].remove_peer(ReplicaId{2});
    c[0].sync();
    c[0].add_peer(ReplicaId{2});
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, true);
    const std::uint64_t before = c[0].metrics().bytes_out + c[1].metrics().bytes_out;
    EXPECT_LE(c.settle(), 5u);
    const std::uint64_t bytes = c[0].metrics().bytes_out + c[1].metrics().bytes_out - before;
    EXPECT_EQ(c[1].get("key7"), "changed");
    EXPECT_LT(c[0].metrics().repair_keys_sent, 20u);  // the differing leaf's keys only
    EXPECT_LT(bytes, 16u * 1024);
}

TEST(Replication, ARestartedEmptyPeerIsNoticedAndRepaired) {
    Cluster c(2);
    for (int i = 0; i < 50; ++i)
        c[0].put("k" + std::to_string(i), "v");
    c.settle();
    // Replica 2 restarts with nothing: a new Store, a new incarnation.
    c.net.detach(ReplicaId{2});
    c.replicas[1] = std::make_unique<Store>(Options{.replica = ReplicaId{2},
                                                    .clock = c.clock,
                                                    .rng = std::make_shared<SeededRng>(77),
                                                    .transport = c.net.transport(ReplicaId{2})});
    c.net.attach(ReplicaId{2}, c[1]);
    c[1].add_peer(ReplicaId{1});
    EXPECT_LE(c.settle(), 5u);
    EXPECT_EQ(c[1].keys().size(), 50u);
}

// Replicas a and b, peers on one network, with every frame a sends kept (to replay).
struct RecordedPair {
    LoopbackNetwork net{1};
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1000);
    std::shared_ptr<RecordingTransport> recorder =
        std::make_shared<RecordingTransport>(net.transport(ReplicaId{1}));
    Store a{Options{.replica = ReplicaId{1},
                    .clock = clock,
                    .rng = std::make_shared<SeededRng>(1),
                    .transport = recorder}};
    Store b{Options{.replica = ReplicaId{2},
                    .clock = clock,
                    .rng = std::make_shared<SeededRng>(2),
                    .transport = net.transport(ReplicaId{2})}};
    RecordedPair() {
        net.attach(ReplicaId{1}, a);
        net.attach(ReplicaId{2}, b);
        a.add_peer(ReplicaId{2});
        b.add_peer(ReplicaId{1});
    }
};

TEST(Replication, AReplayedOldDeltaNeverBringsBackARemovedElement) {
    RecordedPair p;
    auto& [net, clock, recorder, a, b] = p;
    a.set("s").add("x");
    a.put("k", "old");
    a.sync();
    net.run_until_idle();
    ASSERT_TRUE(b.set("s").contains("x"));
    const std::vector<std::string> old_frames = recorder->frames;

    EXPECT_TRUE(b.set("s").remove("x"));
    EXPECT_TRUE(b.del("k"));
    for (const std::string& frame : old_frames)
        b.receive(frame);  // a late replay of the add and the put
    EXPECT_FALSE(b.set("s").contains("x"));
    EXPECT_EQ(b.get("k"), std::nullopt);
}

// A resent or duplicated frame holds changes the receiver has: they are not merged again, so the
// key is not marked changed (no digest refresh, no storage write, no inspection).
TEST(Replication, AChangeReceivedAgainLeavesItsKeyUntouched) {
    RecordedPair p;
    auto& [net, clock, recorder, a, b] = p;
    a.set("s").add("x");
    a.put("k", "v");
    a.counter("c").increment(2);
    a.hash("h").set("f", "v");
    a.hash("h").increment("n", 3);
    a.sorted_set("z").add("m", 1.5);
    a.hyperloglog("p").add("e");
    a.expire("h", std::chrono::seconds(100));
    a.sync();
    net.run_until_idle();
    ChangeCursor cursor;
    std::vector<std::string> changed;
    b.inspect_changed(
        cursor, [&](std::string_view key, const KeyInspection&) { changed.emplace_back(key); });
    ASSERT_EQ(changed.size(), 6u);
    const std::uint64_t unchanged_before = b.metrics().merges_unchanged;

    changed.clear();
    for (const std::string& frame : recorder->frames)
        b.receive(frame);
    b.inspect_changed(
        cursor, [&](std::string_view key, const KeyInspection&) { changed.emplace_back(key); });
    EXPECT_THAT(changed, ::testing::IsEmpty());
    EXPECT_EQ(b.metrics().merges_unchanged, unchanged_before + 6);
    EXPECT_TRUE(b.set("s").contains("x"));
    EXPECT_EQ(b.get("k"), "v");
    EXPECT_EQ(b.counter("c").value(), 2);
    EXPECT_EQ(b.hash("h").get("f"), "v");
    EXPECT_EQ(b.sorted_set("z").score("m"), 1.5);
    EXPECT_EQ(b.hyperloglog("p").count(), 1u);
}

// A counter sends the slots of the writers that changed it, not the counter: an increment costs
// the same bytes however many writers the counter has seen.
TEST(Replication, AnIncrementSendsItsSlotNotTheWholeCounter) {
    Cluster c(12);
    for (std::size_t i = 0; i < 12; ++i)
        c[i].counter("likes").increment(i + 1);
    c.settle();
    ASSERT_EQ(c[3].counter("likes").value(), 78);
    ASSERT_EQ(c[0].inspect("likes")->increments.size(), 12u);

    const Metrics before = c[0].metrics();
    c[0].counter("likes").increment(100);
    c[0].sync();
    const Metrics after = c[0].metrics();
    ASSERT_EQ(after.messages_out - before.messages_out, 11u);  // one deltas message a peer
    // Frame, state header, chunk and key: about 20 bytes; the slot: a 9-byte writer id and its
    // count. The whole counter would carry 12 such slots.
    EXPECT_LE((after.bytes_out - before.bytes_out) / 11, 40u);
    c.settle();
    EXPECT_EQ(c[5].counter("likes").value(), 178);
}

TEST(Replication, RemoteChangesNotifySubscribersAsRemote) {
    Cluster c(2);
    std::vector<Change> seen;
    auto sub = c[1].subscribe("cart", [&](const Change& ch) { seen.push_back(ch); });
    c[0].set("cart").add("apple");
    c[0].put("other", "v");
    c.settle();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].key, "cart");
    EXPECT_EQ(seen[0].kind, ChangeKind::set);
    EXPECT_TRUE(seen[0].remote);
    c.round();  // nothing new: no second notice
    EXPECT_EQ(seen.size(), 1u);
}

TEST(Replication, ATypeConflictResolvesTheSameWayEverywhere) {
    std::vector<std::string> warnings;
    Cluster c(2, 1, {}, Options{.log = [&](std::string_view m) { warnings.emplace_back(m); }});
    c[0].put("x", "a value");
    c[1].counter("x").increment(2);
    c.settle();
    EXPECT_EQ(c[0].counter("x").value(), 2);  // the counter outranks the value
    EXPECT_THROW(c[0].get("x"), TypeMismatch);
    EXPECT_EQ(c[0].metrics().type_conflicts + c[1].metrics().type_conflicts, 2u);
    ASSERT_FALSE(warnings.empty());
    EXPECT_THAT(warnings[0], HasSubstr("key \"x\""));
}

TEST(Replication, ATimestampFarAheadIsCountedAndDoesNotDragTheClock) {
    Cluster c(2, 1, {}, Options{.max_clock_drift_ms = 1000});
    auto fast = std::make_shared<ManualClock>(c.clock->now_ms() + 3'600'000);
    Store skewed(Options{.replica = ReplicaId{5},
                         .clock = fast,
                         .rng = std::make_shared<SeededRng>(5),
                         .transport = c.net.transport(ReplicaId{5})});
    c.net.attach(ReplicaId{5}, skewed);
    skewed.add_peer(ReplicaId{1});
    skewed.put("k", "from the future");
    skewed.sync();
    c.net.run_until_idle();
    EXPECT_EQ(c[0].get("k"), "from the future");  // the data is kept
    EXPECT_EQ(c[0].metrics().clock_drift_exceeded, 1u);
    c[0].put("mine", "v", std::chrono::milliseconds(10));
    c.clock->advance(20);
    EXPECT_EQ(c[0].get("mine"), std::nullopt);  // the local clock was not dragged an hour ahead
}

// The frame: 7 bytes of envelope, the key, the value, and its stamp: the writer id (a 63-bit id
// minted for the run: 9 bytes), its counter, the time.
TEST(Replication, OnePutOfASixteenByteValueIsAtMost57BytesOnTheWire) {
    Cluster c(2);
    c.settle();
    const std::uint64_t before = c[0].metrics().bytes_out;
    c[0].put("user:42", "0123456789abcdef");
    c[0].sync();
    const std::uint64_t bytes = c[0].metrics().bytes_out - before;
    RecordProperty("wire_bytes", std::to_string(bytes));
    EXPECT_LE(bytes, 57u);
    c.net.run_until_idle();
    EXPECT_EQ(c[1].get("user:42"), "0123456789abcdef");
}

TEST(Replication, PrometheusTextNamesEveryFamily) {
    Cluster c(2);
    c[0].put("k", "v");
    c.settle();
    c[0].receive("garbage!!!");
    const std::string text = prometheus_text(c[0].metrics(), c[0].replica());
    EXPECT_THAT(text, HasSubstr("converge_operations_total{op=\"put\",replica=\"1\"} 1"));
    EXPECT_THAT(text,
                HasSubstr("converge_frames_rejected_total{reason=\"bad_magic\",replica=\"1\"} 1"));
    EXPECT_THAT(text, HasSubstr("converge_deltas_pending{peer=\"2\",replica=\"1\"} 0"));
    EXPECT_THAT(text, HasSubstr("# TYPE converge_bytes_total counter"));
    EXPECT_GT(c[0].metrics().metadata_bytes.values, 0u);
}

TEST(Replication, SyncWithoutATransportSaysWhatToDo) {
    Store s(Options{.rng = std::make_shared<SeededRng>(1)});
    try {
        s.sync();
        FAIL() << "sync without a transport must throw";
    } catch (const InvalidOperation& e) {
        EXPECT_THAT(e.what(), HasSubstr("Options::transport"));
    }
    EXPECT_THROW(s.add_peer(ReplicaId{2}), InvalidOperation);
}

}  // namespace
}  // namespace converge::store

namespace converge::store {
namespace {

// A peer unreachable for a long while makes the resends wait longer and longer (up to 64 times
// resend_after_syncs); once it answers again, even a heartbeat, the wait is back to normal. (Found
// by the simulator: a client behind a hub, isolated for a whole run, took over 30 s to deliver its
// writes after the heal.)
TEST(Replication, APeerBackFromALongPartitionGetsTheBacklogAtOnce) {
    testing::Cluster c(2, 3, {}, Options{.anti_entropy_syncs = 0});
    c.settle();
    c.net.set_link(c[0].replica(), c[1].replica(), false);
    c.net.set_link(c[1].replica(), c[0].replica(), false);
    for (int i = 0; i < 300; ++i) {
        c[0].counter("visits").increment(1);
        c.round();
    }
    c.net.set_link(c[0].replica(), c[1].replica(), true);
    c.net.set_link(c[1].replica(), c[0].replica(), true);
    std::size_t rounds = 0;
    while (c[1].counter("visits").value() != 300 && rounds < 200) {
        c.round();
        ++rounds;
    }
    EXPECT_LE(rounds, 15u);
    EXPECT_EQ(c[1].counter("visits").value(), 300);
}

}  // namespace
}  // namespace converge::store
