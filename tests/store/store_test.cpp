#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/keyspace/keyed_hash.hpp>
#include <store/keyspace/kv_value.hpp>
#include <store/store.hpp>

namespace converge::store {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

struct StoreTest : ::testing::Test {
    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1'000'000);
    Store store{
        Options{.replica = ReplicaId{1}, .clock = clock, .rng = std::make_shared<SeededRng>(1)}};
};

TEST_F(StoreTest, PutThenGetReturnsTheLastValue) {
    EXPECT_EQ(store.get("k"), std::nullopt);
    store.put("k", "v1");
    store.put("k", "v2");
    EXPECT_EQ(store.get("k"), "v2");
}

TEST_F(StoreTest, GetIntoReusesTheCallersBufferAndLeavesItAloneWhenAbsent) {
    std::string out = "untouched";
    EXPECT_FALSE(store.get("k", out));
    EXPECT_EQ(out, "untouched");
    store.put("k", "a value longer than the inline buffer");
    EXPECT_TRUE(store.get("k", out));
    EXPECT_EQ(out, "a value longer than the inline buffer");
    store.put("t", "short-lived", std::chrono::milliseconds(5));
    clock->advance(5);
    EXPECT_FALSE(store.get("t", out));
}

TEST_F(StoreTest, GetTextShowsAValueOrACounterAndRefusesOtherTypes) {
    std::string out = "untouched";
    EXPECT_FALSE(store.get_text("k", out));
    EXPECT_EQ(out, "untouched");
    store.put("k", "v");
    EXPECT_TRUE(store.get_text("k", out));
    EXPECT_EQ(out, "v");
    store.counter("n").decrement(12);
    EXPECT_TRUE(store.get_text("n", out));
    EXPECT_EQ(out, "-12");
    store.put("t", "short-lived", std::chrono::milliseconds(5));
    clock->advance(5);
    EXPECT_FALSE(store.get_text("t", out));
    EXPECT_EQ(out, "-12");
    store.set("s").add("m");
    EXPECT_THROW(store.get_text("s", out), TypeMismatch);
    store.hash("h").set("f", "1");
    EXPECT_THROW(store.get_text("h", out), TypeMismatch);
    store.set("s").clear();  // a set that shows nothing is as absent as for type()
    EXPECT_FALSE(store.get_text("s", out));
}

TEST_F(StoreTest, DelReportsWhetherALiveValueWasRemoved) {
    EXPECT_FALSE(store.del("absent"));
    store.put("k", "v");
    EXPECT_TRUE(store.del("k"));
    EXPECT_EQ(store.get("k"), std::nullopt);
    EXPECT_FALSE(store.del("k"));
    store.put("k", "again");
    EXPECT_EQ(store.get("k"), "again");
}

TEST_F(StoreTest, ValueExpiresAfterItsTtl) {
    store.put("session", "token", std::chrono::seconds(30));
    clock->advance(29'999);
    EXPECT_EQ(store.get("session"), "token");
    clock->advance(1);
    EXPECT_EQ(store.get("session"), std::nullopt);
    EXPECT_FALSE(store.del("session"));
}

TEST_F(StoreTest, TheWinningWritesTtlHolds) {
    store.put("k", "short", 10ms);
    store.put("k", "forever");
    clock->advance(60'000);
    EXPECT_EQ(store.get("k"), "forever");
    store.put("k", "brief", 5ms);
    clock->advance(5);
    EXPECT_EQ(store.get("k"), std::nullopt);
}

TEST_F(StoreTest, ExpiryIsMeasuredOnTheHybridClockWhenTheWallClockStepsBack) {
    store.put("k", "v", 100ms);
    clock->set(0);  // the wall clock jumps back: the value must not live longer for it
    EXPECT_EQ(store.get("k"), "v");
    clock->set(1'000'100);
    EXPECT_EQ(store.get("k"), std::nullopt);
}

TEST_F(StoreTest, NonPositiveTtlIsRejected) {
    EXPECT_THROW(store.put("k", "v", 0ms), InvalidOperation);
    EXPECT_EQ(store.get("k"), std::nullopt);
}

TEST_F(StoreTest, SweepReclaimsExpiredValuesIncrementallyAndNotifies) {
    int expired_events = 0;
    auto sub = store.subscribe("", [&](const Change& c) {
        if (c.kind == ChangeKind::expire) ++expired_events;
    });
    for (int i = 0; i < 100; ++i)
        store.put("k" + std::to_string(i), "v", 10ms);
    store.put("keep", "v");
    clock->advance(10);
    std::size_t reclaimed = 0;
    for (int pass = 0; pass < 200 && reclaimed < 100; ++pass)
        reclaimed += store.sweep_expired(8);
    EXPECT_EQ(reclaimed, 100u);
    EXPECT_EQ(store.metrics().expired_keys, 100u);
    EXPECT_EQ(expired_events, 100);
    EXPECT_EQ(store.get("keep"), "v");
    EXPECT_EQ(store.sweep_expired(1000), 0u);
}

TEST_F(StoreTest, SweepWithABudgetOfOneKeyReclaimsEveryValueOnce) {
    for (int i = 0; i < 300; ++i)
        store.put("k" + std::to_string(i), "v", 10ms);
    clock->advance(10);
    std::size_t reclaimed = 0;
    for (int call = 0; call < 20'000 && reclaimed < 300; ++call) {
        const std::size_t now = store.sweep_expired(1);
        ASSERT_LE(now, 1u);
        reclaimed += now;
    }
    EXPECT_EQ(reclaimed, 300u);
    EXPECT_EQ(store.sweep_expired(100'000), 0u);
    EXPECT_EQ(store.metrics().expired_keys, 300u);
}

TEST_F(StoreTest, KeyCountCountsWhatKeysListsAndTheirTimeLeft) {
    EXPECT_EQ(store.key_count().keys, 0u);
    for (int i = 0; i < 50; ++i)
        store.put("k" + std::to_string(i), "v", i < 10 ? std::optional(10ms) : std::nullopt);
    store.counter("c").increment(1);
    store.expire("c", 30ms);
    store.set("empty").add("x");
    store.set("empty").remove("x");
    store.del("k20");
    Store::KeyCount count = store.key_count();
    EXPECT_EQ(count.keys, store.keys().size());
    EXPECT_EQ(count.keys, 50u);  // 49 values and a counter; the emptied set shows nothing
    EXPECT_EQ(count.expiring, 11u);
    EXPECT_EQ(count.time_left, 10 * 10ms + 30ms);
    clock->advance(10);
    count = store.key_count();
    EXPECT_EQ(count.keys, 40u);
    EXPECT_EQ(count.keys, store.keys().size());
    EXPECT_EQ(count.expiring, 1u);
    EXPECT_EQ(count.time_left, 20ms);
}

TEST_F(StoreTest, ScanReturnsEveryKeyHeldThroughoutExactlyOnce) {
    for (int i = 0; i < 200; ++i)
        store.put("held" + std::to_string(i), "v");
    for (int i = 0; i < 20; ++i)
        store.put("doomed" + std::to_string(i), "v");
    std::multiset<std::string> seen;
    std::uint64_t cursor = 0;
    int steps = 0;
    do {
        Store::ScanPage page = store.scan(cursor, 7);
        EXPECT_LE(page.keys.size(), 7u);
        seen.insert(page.keys.begin(), page.keys.end());
        cursor = page.cursor;
        // Keys come and go during the walk.
        store.put("added" + std::to_string(steps), "v");
        if (steps < 20) store.del("doomed" + std::to_string(steps));
        ++steps;
    } while (cursor != 0 && steps < 1000);
    EXPECT_EQ(cursor, 0u);
    for (int i = 0; i < 200; ++i)
        EXPECT_EQ(seen.count("held" + std::to_string(i)), 1u) << i;
    for (const std::string& key : seen)
        EXPECT_EQ(seen.count(key), 1u) << key;
    EXPECT_LT(steps, 1000);
}

TEST_F(StoreTest, ScanTakesAnyCursorWithoutFailing) {
    for (int i = 0; i < 30; ++i)
        store.put("k" + std::to_string(i), "v");
    const Store::ScanPage all = store.scan(0, 1000);
    EXPECT_EQ(all.cursor, 0u);
    EXPECT_EQ(all.keys.size(), 30u);
    EXPECT_TRUE(store.scan(0, 0).keys.size() <= 1u);  // a count of 0 looks at one key
    for (const std::uint64_t cursor :
         {std::uint64_t{1} << 62, ~std::uint64_t{0}, std::uint64_t{12345}}) {
        const Store::ScanPage page = store.scan(cursor, 10);
        EXPECT_LE(page.keys.size(), 10u);
    }
}

TEST_F(StoreTest, CountersGoUpAndDown) {
    EXPECT_EQ(store.counter("likes").value(), 0);
    EXPECT_EQ(store.counter("likes").increment(3), 3);
    EXPECT_EQ(store.counter("likes").decrement(1), 2);
    EXPECT_EQ(store.counter("likes").value(), 2);
}

TEST_F(StoreTest, SetsAddRemoveAndList) {
    auto cart = store.set("cart");
    cart.add("pear");
    cart.add("apple");
    EXPECT_TRUE(cart.contains("apple"));
    EXPECT_EQ(cart.elements(), (std::vector<std::string>{"apple", "pear"}));
    EXPECT_TRUE(cart.remove("apple"));
    EXPECT_FALSE(cart.remove("apple"));
    EXPECT_FALSE(store.set("none").remove("x"));
    EXPECT_EQ(cart.elements(), (std::vector<std::string>{"pear"}));
}

TEST_F(StoreTest, UsingAKeyAsAnotherTypeThrowsAndChangesNothing) {
    store.counter("likes").increment(5);
    EXPECT_THROW(store.set("likes").add("x"), TypeMismatch);
    EXPECT_THROW(store.put("likes", "v"), TypeMismatch);
    EXPECT_THROW(static_cast<void>(store.get("likes")), TypeMismatch);
    EXPECT_THROW(store.del("likes"), TypeMismatch);
    EXPECT_EQ(store.counter("likes").value(), 5);
    store.put("name", "ada");
    try {
        store.counter("name").increment();
        FAIL() << "expected TypeMismatch";
    } catch (const TypeMismatch& e) {
        EXPECT_THAT(e.what(), HasSubstr("\"name\" holds a value, not a counter"));
    }
    EXPECT_EQ(store.get("name"), "ada");
    EXPECT_EQ(store.metrics().type_mismatches, 5u);
}

TEST_F(StoreTest, SubscribersSeeChangesUnderTheirPrefixUntilUnsubscribed) {
    std::vector<std::string> seen;
    {
        auto sub = store.subscribe("cart", [&](const Change& c) {
            seen.push_back(c.key);
            EXPECT_FALSE(c.remote);
        });
        store.set("cart:1").add("x");
        store.put("other", "v");
        store.counter("cart:2").increment();
    }
    store.set("cart:3").add("y");
    EXPECT_EQ(seen, (std::vector<std::string>{"cart:1", "cart:2"}));
}

TEST_F(StoreTest, ACallbackMayCallTheStore) {
    auto sub = store.subscribe("a", [&](const Change&) { store.counter("calls").increment(); });
    store.put("a", "1");
    store.put("a", "2");
    EXPECT_EQ(store.counter("calls").value(), 2);
}

TEST_F(StoreTest, MetricsCountOperationsAndKeys) {
    store.put("a", "1");
    static_cast<void>(store.get("a"));
    store.del("a");
    store.counter("c").increment();
    store.set("s").add("x");
    const Metrics m = store.metrics();
    EXPECT_EQ(m.puts, 1u);
    EXPECT_EQ(m.gets, 1u);
    EXPECT_EQ(m.dels, 1u);
    EXPECT_EQ(m.counter_ops, 1u);
    EXPECT_EQ(m.set_ops, 1u);
    EXPECT_EQ(m.keys, 3u);
}

TEST_F(StoreTest, MetadataBytesFollowEveryChangeByType) {
    EXPECT_EQ(store.metrics().metadata_bytes.values, 0u);
    store.put("a", "1");
    const MetadataBytes one = store.metrics().metadata_bytes;
    EXPECT_GT(one.values, 0u);
    EXPECT_EQ(one.sets, 0u);
    EXPECT_EQ(one.counters, 0u);
    store.put("b", "a much longer value than the first");  // data, not metadata: the same again
    EXPECT_EQ(store.metrics().metadata_bytes.values, 2 * one.values);
    store.set("s").add("x");
    const std::uint64_t set_one = store.metrics().metadata_bytes.sets;
    EXPECT_GT(set_one, 0u);
    store.set("s").add("y");
    EXPECT_GT(store.metrics().metadata_bytes.sets, set_one);
    store.set("s").remove("x");  // its dot leaves, the context stays
    EXPECT_GT(store.metrics().metadata_bytes.sets, 0u);
    EXPECT_EQ(store.metrics().metadata_bytes.values, 2 * one.values);
}

TEST_F(StoreTest, InspectChangedReportsOnlyWhatChangedSinceItsCursor) {
    auto changed = [&](ChangeCursor& since) {
        std::vector<std::string> keys;
        store.inspect_changed(
            since, [&](std::string_view key, const KeyInspection&) { keys.emplace_back(key); });
        std::sort(keys.begin(), keys.end());
        return keys;
    };
    using Keys = std::vector<std::string>;
    ChangeCursor since;
    EXPECT_EQ(changed(since), Keys{});
    store.put("a", "1");
    store.put("b", "1");
    EXPECT_EQ(changed(since), (Keys{"a", "b"}));
    EXPECT_EQ(changed(since), Keys{});
    store.put("a", "2");
    store.counter("c").increment();
    EXPECT_EQ(changed(since), (Keys{"a", "c"}));
    store.del("b");
    EXPECT_EQ(changed(since), Keys{"b"});
    ChangeCursor from_start;
    EXPECT_EQ(changed(from_start), (Keys{"a", "b", "c"}));
}

// The register behind put/get/del, across two replicas (what replication will exchange).
TEST_F(StoreTest, InspectShowsEachKeysDotsStampsAndCounts) {
    EXPECT_EQ(store.inspect("absent"), std::nullopt);
    EXPECT_NE(store.writer(), store.replica());  // minted for this run, not the configured id
    store.put("k", "v1");
    store.put("k", "v2", 10s);
    const KeyInspection value = *store.inspect("k");
    EXPECT_EQ(value.type, KeyInspection::Type::value);
    ASSERT_EQ(value.live.size(), 1u);
    EXPECT_EQ(value.live[0].dot, (Dot{store.writer(), 2}));
    EXPECT_EQ(value.live[0].bytes, "v2");
    EXPECT_EQ(value.live[0].written.replica, store.writer());
    EXPECT_EQ(value.live[0].expires_ms, value.live[0].written.physical + 10'000);
    EXPECT_TRUE(value.context.contains(Dot{store.writer(), 1}));

    store.set("s").add("a");
    store.set("s").add("b");
    store.set("s").remove("a");
    const KeyInspection set = *store.inspect("s");
    EXPECT_EQ(set.type, KeyInspection::Type::set);
    ASSERT_EQ(set.live.size(), 1u);
    EXPECT_EQ(set.live[0].bytes, "b");
    EXPECT_EQ(set.live[0].dot, (Dot{store.writer(), 2}));
    EXPECT_TRUE(set.context.contains(Dot{store.writer(), 1}));

    store.counter("c").increment(5);
    store.counter("c").decrement(2);
    const KeyInspection counter = *store.inspect("c");
    EXPECT_EQ(counter.type, KeyInspection::Type::counter);
    EXPECT_EQ(counter.increments.get(store.writer()), 5u);
    EXPECT_EQ(counter.decrements.get(store.writer()), 2u);

    store.del("k");
    EXPECT_TRUE(store.inspect("k")->live.empty());  // a deleted value keeps its context
    std::vector<std::string> keys;
    store.inspect_each([&](std::string_view key, const KeyInspection&) { keys.emplace_back(key); });
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<std::string>{"c", "k", "s"}));
}

TEST(KvRegister, DeleteRemovesOnlyObservedWritesAndConcurrentPutSurvives) {
    KvRegister a, b;
    a.assign(ReplicaId{1}, KvValue{Timestamp{10, 0, ReplicaId{1}}, "v1", 0});
    b.merge(a);
    b.clear();                                                                 // b deletes v1
    a.assign(ReplicaId{1}, KvValue{Timestamp{11, 0, ReplicaId{1}}, "v2", 0});  // concurrent put
    a.merge(b);
    b.merge(a);
    EXPECT_EQ(a, b);
    ASSERT_NE(winning_write(a), nullptr);
    EXPECT_EQ(winning_write(a)->bytes, "v2");
}

TEST(KvRegister, ConcurrentPutsResolveToTheGreatestTimestamp) {
    KvRegister a, b;
    a.assign(ReplicaId{1}, KvValue{Timestamp{10, 0, ReplicaId{1}}, "from-1", 0});
    b.assign(ReplicaId{2}, KvValue{Timestamp{10, 0, ReplicaId{2}}, "from-2", 50});
    a.merge(b);
    EXPECT_EQ(winning_write(a)->bytes, "from-2");
    EXPECT_EQ(winning_write(a)->expires_ms, 50u);  // the winner's TTL holds
}

TEST(KeyedHash, MatchesTheSipHashReferenceVectors) {
    const KeyedHash h(0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    std::string fifteen;
    for (char c = 0; c < 15; ++c)
        fifteen.push_back(c);
    EXPECT_EQ(h.hash(""), 0x726fdb47dd0e0e31ull);
    EXPECT_EQ(h.hash(fifteen), 0xa129ca6149be45e5ull);
    EXPECT_NE(KeyedHash(1, 2).hash("cart"), KeyedHash(1, 3).hash("cart"));
}

}  // namespace
}  // namespace converge::store
