// Recovery of a replica from its Storage: state, pending changes, peers' marks, and refusals.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

namespace converge::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Replicas on one loopback network, each over its own MemoryStorage; restart() rebuilds one from
// its storage as a new process would.
struct DurableCluster {
    explicit DurableCluster(std::size_t n) : net(7) {
        for (std::size_t i = 0; i < n; ++i) {
            storages.push_back(std::make_shared<MemoryStorage>());
            replicas.emplace_back();
            start(i);
        }
        for (std::size_t i = 0; i < n; ++i)
            connect(i);
    }

    void start(std::size_t i) {
        Options o;
        o.replica = ReplicaId{i + 1};
        o.clock = clock;
        o.rng = std::make_shared<SeededRng>(++starts);
        o.transport = net.transport(o.replica);
        o.storage = storages[i];
        replicas[i] = std::make_unique<Store>(o);
        net.attach(o.replica, *replicas[i]);
    }
    void connect(std::size_t i) {
        for (std::size_t j = 0; j < replicas.size(); ++j)
            if (j != i) replicas[i]->add_peer(ReplicaId{j + 1});
    }
    // Stops replica i (frames in flight to it are lost) and starts it again from its storage.
    void restart(std::size_t i) {
        net.detach(ReplicaId{i + 1});
        replicas[i].reset();
        start(i);
        connect(i);
    }
    Store& operator[](std::size_t i) { return *replicas[i]; }
    void round() {
        for (auto& r : replicas)
            r->sync();
        net.run_until_idle();
    }
    bool settle(std::size_t max_rounds = 50) {
        for (std::size_t i = 0; i < max_rounds; ++i) {
            round();
            bool same = true;
            for (auto& r : replicas)
                same = same && r->state_hash() == replicas.front()->state_hash();
            if (same) return true;
        }
        return false;
    }

    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1'700'000'000'000);
    LoopbackNetwork net;
    std::vector<std::shared_ptr<MemoryStorage>> storages;
    std::vector<std::unique_ptr<Store>> replicas;
    std::uint64_t starts = 0;
};

TEST(Durability, ARestartedReplicaHoldsEveryKeyItHeld) {
    DurableCluster c(1);
    c[0].put("k", "v");
    c[0].put("gone", "x");
    c[0].del("gone");
    c[0].counter("n").increment(5);
    c[0].counter("n").decrement(2);
    c[0].set("s").add("a");
    c[0].set("s").add("b");
    c[0].set("s").remove("a");
    const std::uint64_t before = c[0].state_hash();
    c.restart(0);
    EXPECT_EQ(c[0].state_hash(), before);
    EXPECT_EQ(c[0].get("k"), "v");
    EXPECT_EQ(c[0].get("gone"), std::nullopt);
    EXPECT_EQ(c[0].counter("n").value(), 3);
    EXPECT_THAT(c[0].set("s").elements(), ElementsAre("b"));
    EXPECT_EQ(c[0].metrics().keys, 4u);
}

TEST(Durability, KeysMergedFromAPeerSurviveARestart) {
    DurableCluster c(2);
    c[1].put("theirs", "v");
    c[1].set("s").add("m");
    ASSERT_TRUE(c.settle());
    c.restart(0);
    EXPECT_EQ(c[0].get("theirs"), "v");
    EXPECT_THAT(c[0].set("s").elements(), ElementsAre("m"));
}

// Every collection type grown well past Durability::append_above_bytes, then changed a little
// at a time, on replica 0 (local deltas) and merged by replica 1 (received deltas, synced every
// fifth change).
void grow_and_change_every_collection(DurableCluster& c) {
    Store& s = c[0];
    for (int i = 0; i < 1000; ++i) {
        const std::string m = "member-" + std::to_string(i);
        s.set("set").add(m);
        s.hash("hash").set(m, "value");
        s.sorted_set("zset").add(m, i);
        s.hyperloglog("hll").add(m);
    }
    ASSERT_TRUE(c.settle());
    for (int i = 0; i < 300; ++i) {
        if (i % 5 == 0) c.round();
        const std::string m = "member-" + std::to_string(i);
        if (i % 3 == 0) {
            s.set("set").remove(m);
            s.hash("hash").del(m);
        } else {
            s.set("set").add(m + "-again");
            s.hash("hash").increment("hits-" + std::to_string(i % 7), 1);
        }
        s.sorted_set("zset").increment(m, 0.5);
        s.hyperloglog("hll").add(m + "-again");
    }
    ASSERT_TRUE(c.settle());
}

TEST(Durability, LargeKeysAreStoredAsDeltasAndRecoverExactly) {
    DurableCluster c(2);
    grow_and_change_every_collection(c);
    // The changes went to the storage as deltas (on replica 1 as they arrived, five changes a
    // delta, where a delta was small beside its key), whole states rewritten now and then.
    EXPECT_GT(c.storages[0]->delta_count(), 300u);
    EXPECT_GT(c.storages[1]->delta_count(), 0u);
    for (std::size_t i : {0, 1}) {
        const std::uint64_t before = c[i].state_hash();
        c.restart(i);
        EXPECT_EQ(c[i].state_hash(), before) << "replica " << i;
    }
    EXPECT_EQ(c[1].set("set").elements().size(), 1000u - 100u + 200u);
    EXPECT_EQ(c[1].hash("hash").get("member-1"), "value");
    EXPECT_EQ(c[1].hash("hash").get("member-0"), std::nullopt);
    EXPECT_EQ(c[1].hash("hash").get("hits-1"), "29");
    EXPECT_EQ(c[1].sorted_set("zset").score("member-3"), 3.5);
    // Writes after the restart continue from the recovered state, deltas and all.
    c[1].set("set").add("after");
    c[0].set("set").remove("member-1");
    ASSERT_TRUE(c.settle());
    c.restart(0);
    EXPECT_TRUE(c[0].set("set").contains("after"));
    EXPECT_FALSE(c[0].set("set").contains("member-1"));
    EXPECT_EQ(c[0].state_hash(), c[1].state_hash());
}

TEST(Durability, ChangesAPeerHadNotAcknowledgedAreSentAfterARestartWithoutARepair) {
    DurableCluster c(2);
    c[0].put("synced", "1");
    ASSERT_TRUE(c.settle());
    c.round();                 // the round after the acknowledgement records the peer's mark
    c[0].put("pending", "2");  // never sent: the replica stops before its next round
    c[0].set("cart").add("apple");
    c.restart(0);
    const Metrics m = c[0].metrics();
    EXPECT_EQ(m.log_entries, 2u);  // only what the peer lacks
    c.round();
    EXPECT_EQ(c[1].get("pending"), "2");
    EXPECT_THAT(c[1].set("cart").elements(), ElementsAre("apple"));
    EXPECT_EQ(c[0].metrics().repairs_started, 0u);
    EXPECT_TRUE(c.settle());
}

// A key the restart put back in the log travels whole, even when it changes again before the
// next round: its next change alone would not carry what the peer lacks.
TEST(Durability, AKeyRecoveredIntoTheLogAndChangedAgainTravelsWhole) {
    DurableCluster c(2);
    c[0].put("synced", "1");
    ASSERT_TRUE(c.settle());
    c.round();
    c[0].set("cart").add("apple");  // never sent
    c.restart(0);
    c[0].set("cart").add("pear");
    c.round();
    EXPECT_THAT(c[1].set("cart").elements(), ElementsAre("apple", "pear"));
    EXPECT_EQ(c[0].metrics().repairs_started, 0u);
}

// A key changed so often between rounds that its joined deltas pass 16 KiB travels whole, and
// the peer still gets every change, removes included, in the next round.
TEST(Durability, AKeyWhoseDeltasGrowLargeTravelsWholeAndLosesNothing) {
    DurableCluster c(2);
    c[0].set("big").add("seen-by-both");
    ASSERT_TRUE(c.settle());
    for (int i = 0; i < 3000; ++i) {
        c[0].set("big").add("member-" + std::to_string(i));
        if (i % 10 == 0) c[0].set("big").remove("member-" + std::to_string(i / 2));
    }
    c[0].set("big").remove("seen-by-both");
    c.round();
    EXPECT_EQ(c[1].set("big").elements(), c[0].set("big").elements());
    EXPECT_FALSE(c[1].set("big").contains("seen-by-both"));
    EXPECT_EQ(c[0].metrics().repairs_started, 0u);
    EXPECT_TRUE(c.settle());
}

// Redis's INCR on a string: a value holding an integer becomes a counter on every replica, over
// a concurrent put, and stays one across a restart.
TEST(Durability, AValueTurnedIntoACounterIsACounterEverywhere) {
    DurableCluster c(2);
    c[0].put("k", "5");
    c[0].put("text", "five");
    ASSERT_TRUE(c.settle());
    EXPECT_EQ(c[0].counter("k").add_converting(1), 6);
    c[1].put("k", "concurrent");
    ASSERT_TRUE(c.settle());
    EXPECT_EQ(c[1].counter("k").value(), 6);
    EXPECT_THROW(c[1].get("k"), TypeMismatch);
    EXPECT_EQ(c[1].counter("k").add_converting(-10), -4);
    ASSERT_TRUE(c.settle());
    c.restart(0);
    EXPECT_EQ(c[0].counter("k").value(), -4);
    EXPECT_THROW(c[0].counter("text").add_converting(1), InvalidOperation);
    EXPECT_EQ(c[0].get("text"), "five");
    c[0].put("soon", "1", std::chrono::seconds(10));  // INCR keeps a value's TTL, as in Redis
    EXPECT_EQ(c[0].counter("soon").add_converting(1), 2);
    EXPECT_TRUE(c[0].time_to_live("soon").has_value());
    EXPECT_THROW(c[0].set("k").add("m"), TypeMismatch);
    // A counter's value that would overflow is refused, changing nothing, as Redis's INCR.
    EXPECT_EQ(c[0].counter("big").add_converting(INT64_MAX - 1), INT64_MAX - 1);
    EXPECT_THROW(c[0].counter("big").add_converting(2), InvalidOperation);
    EXPECT_EQ(c[0].counter("big").value(), INT64_MAX - 1);
    EXPECT_EQ(c[0].counter("k").add_converting(INT64_MIN + 4), INT64_MIN);
    EXPECT_THROW(c[0].counter("k").add_converting(-1), InvalidOperation);
    EXPECT_EQ(c[0].counter("k").value(), INT64_MIN);
}

TEST(Durability, APeerWithoutAMarkIsRepairedAfterARestart) {
    DurableCluster c(2);
    c[0].put("a", "1");
    c[0].put("b", "2");
    c.restart(0);  // never synced: no mark for the peer
    ASSERT_TRUE(c.settle());
    EXPECT_GE(c[0].metrics().repairs_started, 1u);
    EXPECT_EQ(c[1].get("a"), "1");
    EXPECT_EQ(c[1].get("b"), "2");
}

TEST(Durability, WritesAfterARestartContinueEveryKeysDotsAndConverge) {
    DurableCluster c(2);
    c[0].set("s").add("before");
    c[0].counter("n").increment(2);
    c[0].put("k", "old");
    ASSERT_TRUE(c.settle());
    c.restart(0);
    c[0].set("s").add("after");
    c[0].counter("n").increment(3);
    c[0].put("k", "new");
    c[1].set("s").add("theirs");
    ASSERT_TRUE(c.settle());
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_THAT(c[i].set("s").elements(), ElementsAre("after", "before", "theirs"));
        EXPECT_EQ(c[i].counter("n").value(), 5);
        EXPECT_EQ(c[i].get("k"), "new");
    }
    // A reused dot would leave the new add under the old add's dot: two distinct dots here.
    const auto s = c[0].inspect("s");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->live.size(), 3u);
}

TEST(Durability, TheHybridClockResumesPastEveryStoredWrite) {
    DurableCluster c(1);
    c[0].put("k", "v");
    const Timestamp first = c[0].inspect("k")->live.at(0).written;
    c.clock->set(1'000);  // the machine's clock went back across the restart
    c.restart(0);
    c[0].put("other", "w");
    EXPECT_LT(first, c[0].inspect("other")->live.at(0).written);
}

TEST(Durability, StorageOfAnotherReplicaIsRefused) {
    auto storage = std::make_shared<MemoryStorage>();
    { Store a(Options{.replica = ReplicaId{1}, .storage = storage}); }
    try {
        Store b(Options{.replica = ReplicaId{2}, .storage = storage});
        FAIL() << "a foreign storage was accepted";
    } catch (const StorageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("belongs to replica 1, not 2"));
    }
}

TEST(Durability, AStoredStateThatDoesNotDecodeIsRefusedAndKept) {
    auto storage = std::make_shared<MemoryStorage>();
    storage->write("broken", std::string("\x07\x01", 2));
    try {
        Store a(Options{.replica = ReplicaId{1}, .storage = storage});
        FAIL() << "a corrupt state was accepted";
    } catch (const StorageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("key \"broken\" does not decode"));
    }
    EXPECT_EQ(storage->size(), 1u);
}

// A storage whose commits fail while `failing` is set; its writes stay queued meanwhile. It
// records every write number a caller waited for.
class FlakyStorage final : public Storage {
  public:
    std::vector<SyncMark> open(ReplicaId replica, const KeyVisitor& on_key) override {
        return inner.open(replica, on_key);
    }
    std::uint64_t write(std::string_view key, std::string_view state) override {
        queued = true;
        return inner.write(key, state);
    }
    void mark_synced(ReplicaId peer, std::uint64_t seq) override { inner.mark_synced(peer, seq); }
    void forget(ReplicaId peer) override { inner.forget(peer); }
    void wait(std::uint64_t seq) override {
        waits.push_back(seq);
        if (failing_waits) throw StorageError("disk full");
    }
    std::uint64_t flush() override {
        if (failing) throw StorageError("disk full");
        queued = false;
        return inner.flush();
    }
    bool dirty() const override { return queued; }

    MemoryStorage inner;
    bool failing = false;
    bool queued = false;
    bool failing_waits = false;  // a storage committing every write: wait() commits
    std::vector<std::uint64_t> waits;
};

TEST(Durability, ABatchWaitsOnceForTheLastOfItsChanges) {
    auto storage = std::make_shared<FlakyStorage>();
    Store s(Options{.replica = ReplicaId{1}, .storage = storage});
    s.put("before", "v");
    ASSERT_EQ(storage->waits.size(), 1u);
    storage->waits.clear();
    s.batch([&] {
        s.put("a", "1");
        s.counter("c").increment();
        s.batch([&] { s.set("s").add("m"); });  // joins the outer batch
        s.get("a");                             // a read writes nothing
    });
    ASSERT_EQ(storage->waits.size(), 1u);
    EXPECT_EQ(storage->waits[0], 4u);  // the last of the four writes (before, a, c, s)
    EXPECT_EQ(s.get("a"), "1");
    EXPECT_EQ(s.counter("c").value(), 1);
}

TEST(Durability, ABatchThatThrowsStillWaitsForWhatItChanged) {
    auto storage = std::make_shared<FlakyStorage>();
    Store s(Options{.replica = ReplicaId{1}, .storage = storage});
    EXPECT_THROW(s.batch([&] {
        s.put("a", "1");
        s.counter("a").increment();  // TypeMismatch
    }),
                 TypeMismatch);
    EXPECT_EQ(storage->waits, std::vector<std::uint64_t>{1});
    // Outside a batch, each change waits again; a failing commit reaches the batch's caller.
    s.put("b", "2");
    EXPECT_EQ(storage->waits.size(), 2u);
    storage->failing_waits = true;
    EXPECT_THROW(s.batch([&] { s.put("c", "3"); }), StorageError);
    EXPECT_EQ(s.get("c"), "3");  // applied, queued for the next commit
}

// Found by scripts/chaos.sh's full disks: a node kept applying writes it could not make durable
// and left its clients without an answer. Once a commit fails, a change is refused before it is
// applied (the client gets an error and nothing changed) until a commit succeeds again.
TEST(Durability, WritesAreRefusedUnappliedWhileTheStorageFailsAndAcceptedOnceItRecovers) {
    auto storage = std::make_shared<FlakyStorage>();
    Store s(Options{.replica = ReplicaId{1}, .storage = storage});
    s.put("a", "1");
    s.set("cart").add("apple");
    storage->failing = true;
    storage->failing_waits = true;
    try {
        s.put("b", "2");  // the change that finds the disk full
        ADD_FAILURE() << "a failed commit did not throw";
    } catch (const StorageUnavailable&) {
        ADD_FAILURE() << "the change that found the storage failing was refused, yet applied";
    } catch (const StorageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("applied but not durable (disk full)"));
    }
    EXPECT_EQ(s.get("b"), "2");  // applied, not yet durable
    try {
        s.put("a", "changed");
        ADD_FAILURE() << "a change while the storage fails was accepted";
    } catch (const StorageUnavailable& e) {
        EXPECT_THAT(e.what(), HasSubstr("write refused and nothing changed (disk full)"));
    }
    EXPECT_THROW(s.counter("c").increment(), StorageUnavailable);
    EXPECT_THROW(s.set("cart").add("pear"), StorageUnavailable);
    EXPECT_THROW(s.counter("b").add_converting(1), StorageUnavailable);
    EXPECT_EQ(s.get("a"), "1");  // reads go on, and nothing refused was applied
    EXPECT_EQ(s.counter("c").value(), 0);
    EXPECT_EQ(s.set("cart").elements(), std::vector<std::string>{"apple"});
    EXPECT_EQ(s.metrics().writes_refused, 4u);
    storage->failing = false;
    storage->failing_waits = false;
    s.put("a", "2");  // no restart: the next change commits what waited, then itself
    EXPECT_EQ(s.get("a"), "2");
    s.set("cart").add("pear");
    EXPECT_EQ(s.set("cart").elements(), (std::vector<std::string>{"apple", "pear"}));
    EXPECT_EQ(s.metrics().writes_refused, 4u);
}

// Replica a over a FlakyStorage, replica b in memory, peers over a loopback network.
struct FlakyPair {
    FlakyPair()
        : net(5),
          storage(std::make_shared<FlakyStorage>()),
          a(Options{.replica = ReplicaId{1},
                    .rng = std::make_shared<SeededRng>(1),
                    .transport = net.transport(ReplicaId{1}),
                    .storage = storage,
                    .log = [this](std::string_view w) { warnings.emplace_back(w); }}),
          b(Options{.replica = ReplicaId{2},
                    .rng = std::make_shared<SeededRng>(2),
                    .transport = net.transport(ReplicaId{2})}) {
        net.attach(ReplicaId{1}, a);
        net.attach(ReplicaId{2}, b);
        a.add_peer(ReplicaId{2});
        b.add_peer(ReplicaId{1});
    }

    LoopbackNetwork net;
    std::shared_ptr<FlakyStorage> storage;
    std::vector<std::string> warnings;
    Store a, b;
};

TEST(Durability, NothingLeavesWhileTheStorageFailsAndEverythingDoesOnceItRecovers) {
    FlakyPair p;
    p.storage->failing = true;
    p.a.put("k", "v");
    p.a.sync();
    p.net.run_until_idle();
    EXPECT_EQ(p.b.get("k"), std::nullopt);
    EXPECT_EQ(p.net.stats().sent, 0u);
    EXPECT_GE(p.a.metrics().storage_failures, 1u);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_THAT(p.warnings[0], HasSubstr("disk full"));
    p.storage->failing = false;
    p.a.sync();
    p.net.run_until_idle();
    EXPECT_EQ(p.b.get("k"), "v");
}

// An acknowledgement is a frame like any other: it leaves only once what it acknowledges is
// durable here, or a crash would lose a change its sender has stopped resending.
TEST(Durability, AReceivedChangeIsAcknowledgedOnlyOnceItIsDurable) {
    FlakyPair p;
    p.storage->failing = true;
    p.b.put("k", "v");
    p.b.sync();
    p.net.run_until_idle();
    EXPECT_EQ(p.a.get("k"), "v");       // merged, in memory
    EXPECT_EQ(p.net.stats().sent, 1u);  // b's deltas, and no acknowledgement from a
    EXPECT_EQ(p.b.metrics().peers.at(0).deltas_pending, 1u);
    p.storage->failing = false;
    for (int i = 0; i < 10 && p.b.metrics().peers.at(0).deltas_pending != 0; ++i) {
        p.a.sync();
        p.b.sync();
        p.net.run_until_idle();
    }
    EXPECT_EQ(p.b.metrics().peers.at(0).deltas_pending, 0u);
}

}  // namespace
}  // namespace converge::store
