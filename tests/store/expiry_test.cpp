// A TTL on a whole set, hash, sorted set or HyperLogLog (Store::expire, persist, time_to_live): the
// key shows nothing once the hybrid clock passes its deadline, every replica expires it on its
// own as a logged change, and the concurrent cases of docs/semantics.md.
#include <filesystem>

#include "cluster.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <store/storage/sqlite_storage.hpp>

namespace converge::store {
namespace {

using std::chrono::milliseconds;
using testing::Cluster;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

void connect(Cluster& c, bool up) {
    c.net.set_link(ReplicaId{1}, ReplicaId{2}, up);
    c.net.set_link(ReplicaId{2}, ReplicaId{1}, up);
}

struct Single {
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1'700'000'000'000);
    Store store{Options{.clock = clock}};
};

TEST(WholeKeyExpiry, EachTypeExpiresAsAWholeAndComesBackWithoutADeadline) {
    Single t;
    Store& s = t.store;
    s.hash("h").set("name", "ada");
    s.hash("h").increment("visits", 3);
    s.sorted_set("z").add("ada", 1.5);
    s.hyperloglog("v").add("x");
    s.set("s").add("m");
    for (const char* key : {"h", "z", "v", "s"}) {
        EXPECT_EQ(s.time_to_live(key), std::nullopt);
        EXPECT_TRUE(s.expire(key, milliseconds(1000)));
        EXPECT_EQ(s.time_to_live(key), milliseconds(1000)) << key;
    }
    t.clock->advance(999);
    EXPECT_EQ(s.hash("h").size(), 2u);
    EXPECT_EQ(s.time_to_live("z"), milliseconds(1));
    t.clock->advance(1);
    EXPECT_THAT(s.hash("h").fields(), IsEmpty());
    EXPECT_EQ(s.hash("h").get("name"), std::nullopt);
    EXPECT_THAT(s.sorted_set("z").range(0, -1), IsEmpty());
    EXPECT_EQ(s.hyperloglog("v").count(), 0u);
    EXPECT_THAT(s.set("s").elements(), IsEmpty());
    EXPECT_FALSE(s.set("s").contains("m"));
    EXPECT_THAT(s.keys(), IsEmpty());
    for (const char* key : {"h", "z", "v", "s"}) {
        EXPECT_EQ(s.type(key), std::nullopt) << key;
        EXPECT_EQ(s.time_to_live(key), std::nullopt) << key;
        EXPECT_FALSE(s.expire(key, milliseconds(5))) << key;
    }
    // Written again, the key starts empty and never expires.
    EXPECT_EQ(s.hash("h").increment("visits", 1), 1);
    EXPECT_THAT(s.hash("h").fields(), ElementsAre(Pair("visits", "1")));
    EXPECT_TRUE(s.sorted_set("z").add("grace", 2.0));
    EXPECT_EQ(s.hyperloglog("v").count(), 0u);
    s.set("s").add("n");
    t.clock->advance(100'000);
    EXPECT_THAT(s.set("s").elements(), ElementsAre("n"));
    EXPECT_EQ(s.hash("h").size(), 1u);
    EXPECT_EQ(s.sorted_set("z").size(), 1u);
    EXPECT_EQ(s.time_to_live("h"), std::nullopt);
}

TEST(WholeKeyExpiry, WritesKeepTheDeadlineAndPersistRemovesIt) {
    Single t;
    Store& s = t.store;
    s.hash("h").set("a", "1");
    EXPECT_FALSE(s.persist("h"));  // no deadline to remove
    EXPECT_TRUE(s.expire("h", milliseconds(1000)));
    t.clock->advance(500);
    s.hash("h").set("b", "2");
    EXPECT_EQ(s.time_to_live("h"), milliseconds(500));
    EXPECT_TRUE(s.persist("h"));
    EXPECT_FALSE(s.persist("h"));
    EXPECT_EQ(s.time_to_live("h"), std::nullopt);
    t.clock->advance(10'000);
    EXPECT_EQ(s.hash("h").size(), 2u);
    // A deleted key's deadline goes with it.
    EXPECT_TRUE(s.expire("h", milliseconds(1000)));
    EXPECT_TRUE(s.hash("h").clear());
    s.hash("h").set("c", "3");
    EXPECT_EQ(s.time_to_live("h"), std::nullopt);
}

// As in Redis: a key whose last member goes no longer exists, nor does its TTL, so what is written
// to it next lives on.
TEST(WholeKeyExpiry, RemovingTheLastMemberDropsTheDeadline) {
    Single t;
    Store& s = t.store;
    s.set("s").add("a");
    s.set("s").add("b");
    s.hash("h").set("f", "1");
    s.sorted_set("z").add("m", 1.0);
    for (const char* key : {"s", "h", "z"})
        EXPECT_TRUE(s.expire(key, milliseconds(1000)));
    EXPECT_TRUE(s.set("s").remove("a"));
    EXPECT_EQ(s.time_to_live("s"), milliseconds(1000));  // not the last: the deadline stays
    EXPECT_TRUE(s.set("s").remove("b"));
    EXPECT_TRUE(s.hash("h").del("f"));
    EXPECT_TRUE(s.sorted_set("z").remove("m"));
    s.set("s").add("c");
    s.hash("h").set("g", "2");
    s.sorted_set("z").add("n", 2.0);
    t.clock->advance(5000);
    EXPECT_THAT(s.set("s").elements(), ElementsAre("c"));
    EXPECT_THAT(s.hash("h").fields(), ElementsAre(Pair("g", "2")));
    EXPECT_EQ(s.sorted_set("z").size(), 1u);
    for (const char* key : {"s", "h", "z"})
        EXPECT_EQ(s.time_to_live(key), std::nullopt) << key;
}

TEST(WholeKeyExpiry, ValuesExpireThroughTheSameCalls) {
    Single t;
    Store& s = t.store;
    s.put("k", "v");
    EXPECT_TRUE(s.expire("k", milliseconds(1000)));
    EXPECT_EQ(s.time_to_live("k"), milliseconds(1000));
    EXPECT_EQ(s.get("k"), "v");
    EXPECT_TRUE(s.persist("k"));
    EXPECT_EQ(s.time_to_live("k"), std::nullopt);
    EXPECT_TRUE(s.expire("k", milliseconds(10)));
    t.clock->advance(10);
    EXPECT_EQ(s.get("k"), std::nullopt);
    EXPECT_FALSE(s.expire("k", milliseconds(10)));
    EXPECT_FALSE(s.expire("absent", milliseconds(10)));
    EXPECT_THROW(s.expire("k", milliseconds(0)), InvalidOperation);
}

// A counter expires as Redis's does (INCR then EXPIRE: a rate limiter's window): at the deadline
// it shows nothing, and the next increment counts from 0 without a TTL.
TEST(WholeKeyExpiry, ACounterExpiresAndCountsAgainFromZero) {
    Single t;
    Store& s = t.store;
    s.counter("c").increment(3);
    EXPECT_FALSE(s.persist("c"));  // no TTL to remove
    EXPECT_TRUE(s.expire("c", milliseconds(100)));
    EXPECT_EQ(s.time_to_live("c"), milliseconds(100));
    EXPECT_EQ(s.counter("c").increment(), 4);  // an increment keeps the TTL
    EXPECT_EQ(s.time_to_live("c"), milliseconds(100));
    t.clock->advance(100);
    EXPECT_EQ(s.type("c"), std::nullopt);
    EXPECT_EQ(s.counter("c").value(), 0);
    EXPECT_EQ(s.counter("c").increment(), 1);
    EXPECT_EQ(s.time_to_live("c"), std::nullopt);
    EXPECT_EQ(s.type("c"), KeyInspection::Type::counter);
    EXPECT_TRUE(s.expire("c", milliseconds(10)));
    EXPECT_TRUE(s.persist("c"));
    t.clock->advance(10);
    EXPECT_EQ(s.counter("c").value(), 1);
}

// DEL of a counter (Counter::clear) takes back what this replica has seen and its TTL; the key
// shows nothing until its next change, and a string, as Redis allows, still cannot take it.
TEST(WholeKeyExpiry, ADeletedCounterShowsNothingAndCountsAgainFromZero) {
    Single t;
    Store& s = t.store;
    EXPECT_FALSE(s.counter("c").clear());
    s.counter("c").decrement(2);
    s.expire("c", milliseconds(1000));
    EXPECT_TRUE(s.counter("c").clear());
    EXPECT_FALSE(s.counter("c").clear());
    EXPECT_EQ(s.type("c"), std::nullopt);
    EXPECT_EQ(s.time_to_live("c"), std::nullopt);
    std::string text;
    EXPECT_FALSE(s.get_text("c", text));
    EXPECT_EQ(s.keys(""), std::vector<std::string>{});
    EXPECT_EQ(s.counter("c").increment(5), 5);
    EXPECT_TRUE(s.get_text("c", text));
    EXPECT_EQ(text, "5");
}

TEST(WholeKeyExpiry, TheSweepExpiresDueKeysAsChangesAndSubscribersHearOfIt) {
    Single t;
    Store& s = t.store;
    std::vector<Change> heard;
    auto sub = s.subscribe("", [&](const Change& c) { heard.push_back(c); });
    s.hash("h").set("a", "1");
    s.hyperloglog("v").add("x");
    s.expire("h", milliseconds(100));
    s.expire("v", milliseconds(100));
    heard.clear();
    t.clock->advance(100);
    EXPECT_EQ(s.sweep_expired(), 2u);
    EXPECT_EQ(s.sweep_expired(), 0u);
    ASSERT_EQ(heard.size(), 2u);
    EXPECT_EQ(heard[0].kind, ChangeKind::expire);
    EXPECT_EQ(s.metrics().expired_keys, 2u);
    // Expired, the key's members are gone from its state, not only hidden.
    const auto h = s.inspect("h");
    ASSERT_TRUE(h);
    EXPECT_THAT(h->live, IsEmpty());
    EXPECT_EQ(h->deadline.expires_ms, 0u);
}

TEST(WholeKeyExpiry, EveryReplicaExpiresTheKeyAndWhatIsWrittenAfterLives) {
    Cluster c(2);
    c[0].hash("h").set("a", "1");
    c[0].sorted_set("z").add("m", 1.0);
    c[0].expire("h", milliseconds(1000));
    c[0].expire("z", milliseconds(1000));
    c.round();
    EXPECT_EQ(c[1].time_to_live("h"), milliseconds(1000));
    c.clock->advance(1500);
    c[1].hash("h").set("b", "2");  // replica 2 expires the key first, then writes
    c[1].sorted_set("z").increment("m", 0.5);
    c[0].sweep_expired();
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_THAT(c[i].hash("h").fields(), ElementsAre(Pair("b", "2"))) << i;
        EXPECT_THAT(c[i].sorted_set("z").range(0, -1), ElementsAre(Pair("m", 0.5))) << i;
        EXPECT_EQ(c[i].time_to_live("h"), std::nullopt) << i;
    }
}

// Redis Active-Active's counter under DEL and EXPIRE: what the deleting or expiring replica had
// seen goes, an increment it had not seen survives, on every replica.
TEST(WholeKeyExpiry, ACounterIncrementTheDeletingOrExpiringReplicaHadNotSeenSurvives) {
    Cluster c(2);
    c[0].counter("deleted").increment(5);
    c[0].counter("expired").increment(5);
    c.round();
    connect(c, false);
    EXPECT_TRUE(c[0].counter("deleted").clear());
    c[0].expire("expired", milliseconds(1000));
    c[1].counter("deleted").increment(2);  // concurrent: never sees the DEL or the EXPIRE
    c[1].counter("expired").decrement(1);
    c.clock->advance(1000);
    c[0].sweep_expired();
    EXPECT_EQ(c[0].type("expired"), std::nullopt);
    connect(c, true);
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(c[i].counter("deleted").value(), 2) << i;
        EXPECT_EQ(c[i].counter("expired").value(), -1) << i;
        EXPECT_EQ(c[i].time_to_live("expired"), std::nullopt) << i;
    }
    // Once both have seen everything, a DEL anywhere empties the key everywhere.
    EXPECT_TRUE(c[1].counter("deleted").clear());
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i)
        EXPECT_EQ(c[i].type("deleted"), std::nullopt) << i;
}

TEST(WholeKeyExpiry, AChangeTheExpiringReplicaHadNotSeenSurvives) {
    Cluster c(2);
    c[0].hash("h").set("a", "1");
    c[0].set("s").add("a");
    c.round();
    connect(c, false);
    c[0].expire("h", milliseconds(1000));
    c[0].expire("s", milliseconds(1000));
    c[1].hash("h").set("b", "2");  // concurrent with the EXPIRE: never sees it
    c[1].set("s").add("b");
    c.clock->advance(1000);
    c[0].sweep_expired();
    EXPECT_THAT(c[0].hash("h").fields(), IsEmpty());
    EXPECT_THAT(c[0].set("s").elements(), IsEmpty());
    connect(c, true);
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_THAT(c[i].hash("h").fields(), ElementsAre(Pair("b", "2"))) << i;
        EXPECT_THAT(c[i].set("s").elements(), ElementsAre("b")) << i;
    }
}

// Replica 2 saw the deadline, wrote before it, and has not swept when replica 1's write made after
// the deadline arrives: it expires its own copy first, so its earlier write goes, as it had shown.
TEST(WholeKeyExpiry, AReplicaExpiresItsCopyBeforeTakingAChangeMadeAfterTheDeadline) {
    Cluster c(2);
    c[0].hash("h").set("a", "1");
    c[0].expire("h", milliseconds(1000));
    c.round();
    connect(c, false);
    c[1].hash("h").set("early", "x");
    c.clock->advance(1000);
    EXPECT_THAT(c[1].hash("h").fields(), IsEmpty());
    c[0].hash("h").set("late", "y");
    connect(c, true);
    c[0].sync();
    c.net.run_until_idle();
    EXPECT_THAT(c[1].hash("h").fields(), ElementsAre(Pair("late", "y")));
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i)
        EXPECT_THAT(c[i].hash("h").fields(), ElementsAre(Pair("late", "y"))) << i;
}

TEST(WholeKeyExpiry, OfTwoConcurrentSettingsTheLaterCommandWins) {
    Cluster c(2);
    c[0].hash("h").set("a", "1");
    c[0].hyperloglog("v").add("x");
    c.round();
    connect(c, false);
    c[0].expire("h", milliseconds(5000));
    c[0].expire("v", milliseconds(5000));
    c.clock->advance(10);
    c[1].expire("h", milliseconds(20'000));  // later: wins
    c[1].expire("v", milliseconds(20'000));
    c[1].persist("v");  // later still: v never expires
    connect(c, true);
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(c[i].time_to_live("h"), milliseconds(20'000)) << i;
        EXPECT_EQ(c[i].time_to_live("v"), std::nullopt) << i;
    }
    c.clock->advance(20'000);
    c[0].sweep_expired();
    c[1].sweep_expired();
    ASSERT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(c[i].hash("h").size(), 0u) << i;
        EXPECT_EQ(c[i].hyperloglog("v").count(), 1u) << i;
    }
}

TEST(WholeKeyExpiry, SqliteKeepsTheDeadlineAcrossARestart) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("converge-expiry-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto clock = std::make_shared<ManualClock>(1'700'000'000'000);
    const auto open = [&] {
        return std::make_unique<Store>(
            Options{.replica = ReplicaId{1},
                    .clock = clock,
                    .storage = std::make_shared<SqliteStorage>(dir / "r.db")});
    };
    {
        auto s = open();
        s->sorted_set("z").add("ada", 2.5);
        s->expire("z", milliseconds(1000));
    }
    auto s = open();
    EXPECT_EQ(s->time_to_live("z"), milliseconds(1000));
    clock->advance(1000);
    EXPECT_EQ(s->sorted_set("z").size(), 0u);
    s.reset();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace converge::store
