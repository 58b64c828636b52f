// Hashes, sorted sets and HyperLogLogs through the store: the API of each, type checks against
// the other types, replication with the concurrent outcomes of docs/semantics.md, retirement,
// durability in SQLite, and subscriptions.
#include <filesystem>
#include <functional>

#include "cluster.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <store/storage/sqlite_storage.hpp>

namespace converge::store {
namespace {

using testing::Cluster;

// Cuts (false) or restores (true) both links between the two replicas of c.
void connect(Cluster& c, bool up) {
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, up);
    c.net.set_link(ReplicaId{2}, ReplicaId{1}, up);
}
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(StoreHash, FieldsHoldValuesAndCounters) {
    Store s;
    auto h = s.hash("user:1");
    h.set("name", "ada");
    EXPECT_EQ(h.get("name"), "ada");
    EXPECT_EQ(h.increment("visits", 3), 3);
    EXPECT_EQ(h.increment("visits", -1), 2);
    EXPECT_THAT(h.fields(), ElementsAre(Pair("name", "ada"), Pair("visits", "2")));
    EXPECT_EQ(h.size(), 2u);
    EXPECT_TRUE(h.del("name"));
    EXPECT_FALSE(h.del("name"));
    EXPECT_EQ(h.get("name"), std::nullopt);
    h.set("name", "grace");
    EXPECT_THROW(h.set("visits", "x"), TypeMismatch);
    EXPECT_THROW(h.increment("name", 1), TypeMismatch);
    EXPECT_EQ(h.get("visits"), "2");
    EXPECT_EQ(h.get("name"), "grace");
}

TEST(StoreHash, SetSaysWhetherItAddedTheField) {
    Store s;
    auto h = s.hash("user:1");
    EXPECT_TRUE(h.set("name", "ada"));     // a new key's first field
    EXPECT_FALSE(h.set("name", "grace"));  // overwritten
    EXPECT_TRUE(h.set("city", "london"));
    EXPECT_TRUE(h.del("name"));
    EXPECT_TRUE(h.set("name", "ada"));  // deleted, then set again
    EXPECT_EQ(h.get("name"), "ada");
    EXPECT_EQ(h.size(), 2u);
}

TEST(StoreSortedSet, ScoresRanksAndRanges) {
    Store s;
    auto z = s.sorted_set("board");
    EXPECT_TRUE(z.add("ada", 10.0));
    EXPECT_FALSE(z.add("ada", 11.0));
    EXPECT_TRUE(z.add("grace", 5.0));
    EXPECT_EQ(z.increment("ada", 2.5), 13.5);
    EXPECT_EQ(z.increment("linus", -1.0), -1.0);
    EXPECT_THAT(z.range(0, -1),
                ElementsAre(Pair("linus", -1.0), Pair("grace", 5.0), Pair("ada", 13.5)));
    EXPECT_EQ(z.rank("ada"), 2u);
    EXPECT_TRUE(z.remove("linus"));
    EXPECT_EQ(z.score("linus"), std::nullopt);
    EXPECT_EQ(z.size(), 2u);
    EXPECT_THROW(z.add("x", std::nan("")), InvalidOperation);
    EXPECT_EQ(z.size(), 2u);
}

TEST(StoreHyperLogLog, CountsDistinctElements) {
    Store s;
    auto v = s.hyperloglog("visitors");
    EXPECT_EQ(v.count(), 0u);
    EXPECT_TRUE(v.add("203.0.113.7"));
    EXPECT_FALSE(v.add("203.0.113.7"));
    for (int i = 0; i < 1000; ++i)
        v.add("item-" + std::to_string(i));
    EXPECT_EQ(v.count(), 997u);  // Redis 7.0 counts 996 for these 1,000, plus the first address
}

TEST(StoreRecords, EachTypeRefusesAKeyOfAnotherTypeAndChangesNothing) {
    Store s;
    s.put("plain", "v");
    s.hash("h").set("f", "v");
    try {
        s.hash("plain").set("f", "v");
        FAIL();
    } catch (const TypeMismatch& e) {
        EXPECT_THAT(e.what(), HasSubstr("holds a value, not a hash"));
    }
    EXPECT_THROW(s.sorted_set("h").add("m", 1), TypeMismatch);
    EXPECT_THROW(s.hyperloglog("h").count(), TypeMismatch);
    EXPECT_THROW(s.get("h"), TypeMismatch);
    EXPECT_THROW(s.set("h").add("m"), TypeMismatch);
    EXPECT_EQ(s.get("plain"), "v");
    EXPECT_THAT(s.hash("h").fields(), ElementsAre(Pair("f", "v")));
    EXPECT_EQ(s.metrics().type_mismatches, 5u);
}

TEST(StoreRecords, ReplicasConvergeOnTheConcurrentOutcomes) {
    Cluster c(2);
    c[0].hash("h").set("title", "draft");
    c[0].hash("h").increment("visits", 10);
    c[0].sorted_set("z").add("ada", 10.0);
    c[0].hyperloglog("v").add("x");
    c.round();
    connect(c, false);
    // Replica 1 deletes what it saw; replica 2 changes the same things meanwhile.
    EXPECT_TRUE(c[0].hash("h").del("title"));
    EXPECT_TRUE(c[0].hash("h").del("visits"));
    EXPECT_TRUE(c[0].sorted_set("z").remove("ada"));
    c[1].hash("h").set("title", "final");
    c[1].hash("h").increment("visits", 3);
    c[1].sorted_set("z").increment("ada", 2.0);
    c[1].hyperloglog("v").add("y");
    connect(c, true);
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_THAT(c[i].hash("h").fields(),
                    ElementsAre(Pair("title", "final"), Pair("visits", "3")));
        EXPECT_EQ(c[i].sorted_set("z").score("ada"), 2.0);
        EXPECT_EQ(c[i].hyperloglog("v").count(), 2u);
    }
}

TEST(StoreRecords, DeletingAWholeKeyKeepsOnlyWhatItHadNotSeen) {
    Cluster c(2);
    c[0].hash("h").set("name", "ada");
    c[0].hash("h").increment("visits", 5);
    c[0].sorted_set("z").add("ada", 1.0);
    c[0].hyperloglog("v").add("x");
    c.round();
    connect(c, false);
    EXPECT_TRUE(c[0].hash("h").clear());
    EXPECT_TRUE(c[0].sorted_set("z").clear());
    EXPECT_TRUE(c[0].hyperloglog("v").clear());
    EXPECT_FALSE(c[0].hash("h").clear());
    c[1].hash("h").set("email", "ada@example.org");
    c[1].hash("h").increment("visits", 2);
    c[1].sorted_set("z").add("grace", 3.0);
    c[1].hyperloglog("v").add("y");
    connect(c, true);
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_THAT(c[i].hash("h").fields(),
                    ElementsAre(Pair("email", "ada@example.org"), Pair("visits", "2")));
        EXPECT_THAT(c[i].sorted_set("z").range(0, -1), ElementsAre(Pair("grace", 3.0)));
        EXPECT_EQ(c[i].hyperloglog("v").count(), 1u);
    }
}

TEST(StoreRecords, AChangeTravelsAsItsDeltaNotTheWholeKey) {
    Cluster c(2);
    for (int i = 0; i < 1000; ++i) {
        c[0].hash("h").set("field-" + std::to_string(i), "value-" + std::to_string(i));
        c[0].sorted_set("z").add("member-" + std::to_string(i), i);
        c[0].hyperloglog("v").add("element-" + std::to_string(i));
    }
    ASSERT_LE(c.settle(), 10u);
    c.round();  // the last acknowledgements arrive: the log lets go of what every peer has
    c.round();
    const auto sent_for = [&](const std::function<void()>& change) {
        const std::uint64_t before = c[0].metrics().bytes_out;
        change();
        c.round();
        const std::uint64_t sent = c[0].metrics().bytes_out - before;
        c.round();
        return sent;
    };
    // The three keys whole are tens of kilobytes; each change is a few dozen bytes.
    EXPECT_LT(sent_for([&] { c[0].hash("h").set("field-7", "changed"); }), 300u);
    EXPECT_LT(sent_for([&] { c[0].hash("h").increment("count", 2); }), 300u);
    EXPECT_LT(sent_for([&] { c[0].sorted_set("z").increment("member-7", 1.5); }), 300u);
    EXPECT_LT(sent_for([&] { c[0].hyperloglog("v").add("one more"); }), 300u);
    EXPECT_LT(sent_for([&] { c[0].hash("h").del("field-8"); }), 300u);
    ASSERT_LE(c.settle(), 10u);
    EXPECT_EQ(c[1].hash("h").get("field-7"), "changed");
    EXPECT_EQ(c[1].hash("h").get("field-8"), std::nullopt);
    EXPECT_EQ(c[1].hash("h").get("count"), "2");
    EXPECT_EQ(c[1].sorted_set("z").score("member-7"), 8.5);
    EXPECT_EQ(c[1].hyperloglog("v").count(), c[0].hyperloglog("v").count());
}

// A key changed between every send and its acknowledgement never leaves the log: its changes
// must not pile up into one delta that is sent again whole each round. (No periodic digest
// comparison here: one that runs while a change is in flight still sends the keys it finds
// differing whole.)
TEST(StoreRecords, AKeyChangedEveryRoundSendsOnlyItsNewChanges) {
    Cluster c(2, 1, {}, Options{.anti_entropy_syncs = 0});
    for (int i = 0; i < 2000; ++i)
        c[0].set("s").add("member-" + std::to_string(i));
    ASSERT_LE(c.settle(), 10u);
    std::uint64_t most = 0;
    for (int i = 0; i < 60; ++i) {
        c[0].set("s").add("new-" + std::to_string(i));
        c[0].hash("h").set("field-" + std::to_string(i), "v");
        const std::uint64_t before = c[0].metrics().bytes_out;
        c.round();
        most = std::max(most, c[0].metrics().bytes_out - before);
    }
    EXPECT_LT(most, 400u);  // two changes and an acknowledgement; 60 rounds of joins were ~4 KB
    ASSERT_LE(c.settle(), 10u);
    EXPECT_EQ(c[1].set("s").elements().size(), 2060u);
    EXPECT_EQ(c[1].hash("h").size(), 60u);
}

// Sealed deltas lost on the way are sent again from the log, as any change is: with no periodic
// digest comparison to fall back on, the replicas still converge.
TEST(StoreRecords, SealedDeltasLostOnTheWayAreSentAgain) {
    Cluster c(3, /*seed=*/5, LoopbackFaults{.link = {.loss = 0.3, .duplicate = 0.1}},
              Options{.anti_entropy_syncs = 0});
    for (int i = 0; i < 300; ++i) {
        c[static_cast<std::size_t>(i % 2)].set("s").add("m-" + std::to_string(i));
        if (i % 3 == 0) c[0].set("s").remove("m-" + std::to_string(i / 2));
        c[2].hash("h").set("f-" + std::to_string(i % 40), std::to_string(i));
        c.round();
    }
    ASSERT_LE(c.settle(), 30u);
    for (std::size_t r = 0; r < 3; ++r)
        for (const PeerMetrics& p : c[r].metrics().peers)
            EXPECT_EQ(p.keys_repaired, 0u);  // the deltas did it, not a repair
    EXPECT_EQ(c[1].set("s").elements(), c[0].set("s").elements());
    EXPECT_EQ(c[0].hash("h").fields(), c[2].hash("h").fields());
    EXPECT_EQ(c[0].hash("h").size(), 40u);
}

TEST(StoreRecords, ConflictingTypesOnReplicasSettleOnTheLaterType) {
    Cluster c(2);
    c[0].set("k").add("m");
    c[1].sorted_set("k").add("m", 1.0);
    ASSERT_LE(c.settle(), 10u);
    EXPECT_EQ(c[0].sorted_set("k").score("m"), 1.0);
    EXPECT_EQ(c[0].metrics().type_conflicts, 1u);  // each side counts the conflict it met
    EXPECT_EQ(c[1].metrics().type_conflicts, 1u);
}

TEST(StoreRecords, ARetiredWritersMetadataLeavesEveryKey) {
    Cluster c(2);
    c[0].hash("h").set("f", "v");
    c[0].sorted_set("z").add("m", 1.0);
    c[0].hyperloglog("v").add("x");
    const ReplicaId old = c[0].writer();
    c[0].hash("h").del("f");
    ASSERT_LE(c.settle(), 10u);
    c[1].retire(old);
    for (int i = 0; i < 20 && c[0].retired().empty(); ++i)
        c.round();
    ASSERT_TRUE(c[0].retired().contains(old));  // c[0] re-keyed on hearing its id retire
    ASSERT_LE(c.settle(), 20u);
    const auto inspected = c[1].inspect("h");
    ASSERT_TRUE(inspected.has_value());
    EXPECT_EQ(inspected->context.max(old), 0u);  // the deleted field's dot is folded away
    EXPECT_EQ(c[1].sorted_set("z").score("m"), 1.0);
    EXPECT_EQ(c[1].hyperloglog("v").count(), 1u);
}

TEST(StoreRecords, SqliteKeepsEveryTypeAcrossARestart) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("converge-records-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto open = [&] {
        return std::make_unique<Store>(Options{
            .replica = ReplicaId{1}, .storage = std::make_shared<SqliteStorage>(dir / "r.db")});
    };
    {
        auto s = open();
        s->hash("h").set("name", "ada");
        s->hash("h").increment("n", 4);
        s->sorted_set("z").add("ada", 2.5);
        s->hyperloglog("v").add("x");
    }
    auto s = open();
    EXPECT_THAT(s->hash("h").fields(), ElementsAre(Pair("n", "4"), Pair("name", "ada")));
    EXPECT_EQ(s->sorted_set("z").score("ada"), 2.5);
    EXPECT_EQ(s->hyperloglog("v").count(), 1u);
    EXPECT_EQ(s->hash("h").increment("n", 1), 5);
    s.reset();
    std::filesystem::remove_all(dir);
}

TEST(StoreRecords, SubscribersHearOfEachTypesChanges) {
    Store s;
    std::vector<ChangeKind> kinds;
    auto sub = s.subscribe("", [&](const Change& c) { kinds.push_back(c.kind); });
    s.hash("h").set("f", "v");
    s.sorted_set("z").add("m", 1);
    s.hyperloglog("v").add("x");
    EXPECT_THAT(kinds,
                ElementsAre(ChangeKind::hash, ChangeKind::sorted_set, ChangeKind::hyperloglog));
}

}  // namespace
}  // namespace converge::store
