// The keyspace's parts on their own: the delta log, the stripes, the replica clock.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/keyspace/delta_log.hpp>
#include <store/keyspace/keyspace.hpp>
#include <store/replica_clock.hpp>

namespace converge::store::detail {
namespace {

using ::testing::ElementsAre;

std::vector<std::uint64_t> positions_after(const DeltaLog& log, std::uint64_t from) {
    std::vector<std::uint64_t> out;
    log.for_each_after(from, [&](const LogEntry& e) { out.push_back(e.position); });
    return out;
}

TEST(DeltaLog, ATouchedEntryMovesToTheTailAtANewPosition) {
    DeltaLog log;
    LogEntry a, b;
    log.touch(a, 10);
    log.touch(b, 20);
    log.touch(a, 5);  // a changed again: sent once, at its new position
    EXPECT_EQ(log.head(), 3u);
    EXPECT_EQ(log.count(), 2u);
    EXPECT_EQ(log.bytes(), 25u);
    EXPECT_THAT(positions_after(log, 0), ElementsAre(3, 2));  // newest first
    EXPECT_THAT(positions_after(log, 2), ElementsAre(3));
}

TEST(DeltaLog, RemovingAnEntryRaisesTheFloorToItsPosition) {
    DeltaLog log;
    LogEntry a, b;
    log.touch(a, 1);
    log.touch(b, 1);
    a.delta = std::make_unique<Value>(StringSet());
    log.remove(a);
    EXPECT_EQ(log.floor(), 1u);
    EXPECT_EQ(a.position, 0u);
    EXPECT_EQ(a.delta, nullptr);
    EXPECT_EQ(log.count(), 1u);
}

TEST(DeltaLog, ASealedDeltaStaysAtItsPositionUntilEveryPeerHasIt) {
    std::vector<LogEntry> entries(2);
    LogEntry& a = entries[0];
    LogEntry& b = entries[1];
    const std::string key = "k";
    DeltaLog log;
    log.touch(a, 10);
    log.touch(b, 20);
    a.delta = std::make_unique<Value>(StringSet());
    log.seal(a, key);  // a's delta went out to every peer; a changes again
    EXPECT_EQ(a.position, 0u);
    EXPECT_EQ(a.delta, nullptr);
    a.delta = std::make_unique<Value>(StringSet());
    log.touch(a, 5);
    EXPECT_EQ(log.sealed(), 1u);
    EXPECT_EQ(log.count(), 3u);
    EXPECT_EQ(log.bytes(), 35u);
    EXPECT_THAT(positions_after(log, 0), ElementsAre(3, 2, 1));  // the sealed delta kept its place
    std::vector<const char*> sealed_keys;  // where each sealed entry's key bytes are
    log.for_each_after(0, [&](const LogEntry& e) {
        if (e.sealed) sealed_keys.push_back(static_cast<const SealedEntry&>(e).key.data());
    });
    EXPECT_THAT(sealed_keys, ElementsAre(key.data()));
    log.collect(1);  // every peer acknowledged it: freed
    EXPECT_EQ(log.sealed(), 0u);
    EXPECT_EQ(log.floor(), 1u);
    EXPECT_THAT(positions_after(log, 0), ElementsAre(3, 2));
    log.seal(a, key);  // left in the log: the log frees it
    EXPECT_EQ(log.sealed(), 1u);
}

TEST(DeltaLog, TrimDropsTheOldestButNeverTheEntryJustWritten) {
    DeltaLog log;
    std::vector<LogEntry> entries(5);
    for (LogEntry& e : entries)
        log.touch(e, 100);
    EXPECT_EQ(log.trim(&entries[4], /*max_entries=*/2, /*max_bytes=*/1000), 3u);
    EXPECT_EQ(log.floor(), 3u);
    EXPECT_THAT(positions_after(log, 0), ElementsAre(5, 4));
    // Over the byte limit with one entry left: the entry kept stays.
    EXPECT_EQ(log.trim(&entries[4], 1, 10), 1u);
    EXPECT_EQ(log.trim(&entries[4], 1, 10), 0u);
    EXPECT_EQ(log.count(), 1u);
}

TEST(DeltaLog, CollectDropsWhatEveryPeerHasAndPassOverSkipsTheLog) {
    DeltaLog log;
    LogEntry a, b, c;
    log.touch(a, 1);
    log.touch(b, 1);
    log.touch(c, 1);
    log.collect(2);
    EXPECT_THAT(positions_after(log, 0), ElementsAre(3));
    log.pass_over(c);  // no peer: the change takes a position, the floor moves past it
    EXPECT_EQ(log.count(), 0u);
    EXPECT_EQ(log.head(), 4u);
    EXPECT_EQ(log.floor(), 4u);
}

TEST(DeltaLog, RestartAtStandsForARecoveredState) {
    DeltaLog log;
    log.restart_at(1);
    LogEntry a;
    log.touch(a, 1);
    EXPECT_EQ(log.floor(), 1u);
    EXPECT_EQ(a.position, 2u);
}

Keyspace keyspace(std::size_t stripes) {
    return Keyspace(KeyedHash(1, 2), stripes, 1000, 1 << 20);
}

Slot& put(Keyspace& ks, const std::string& key, std::string bytes, std::uint64_t expires = 0) {
    const HashedKey k = ks.hashed(key);
    Stripe& stripe = ks.stripe_of(k);
    std::unique_lock lock(stripe.mutex);
    KvRegister reg;
    reg.assign(ReplicaId{1}, KvValue{Timestamp{1, 0, ReplicaId{1}}, std::move(bytes), expires});
    return ks.insert(stripe, k.hash, key, Value(std::move(reg)));
}

TEST(Keyspace, StripesAreAPowerOfTwoAndEveryKeyHasOne) {
    EXPECT_EQ(keyspace(0).stripe_count(), 1u);
    EXPECT_EQ(keyspace(5).stripe_count(), 8u);
    EXPECT_EQ(keyspace(1 << 20).stripe_count(), std::size_t{1} << 16);
    Keyspace ks = keyspace(8);
    std::set<const Stripe*> used;
    for (int i = 0; i < 200; ++i)
        used.insert(&ks.stripe_of(ks.hashed("key" + std::to_string(i))));
    EXPECT_EQ(used.size(), 8u);  // 200 keys reach every stripe
}

TEST(Keyspace, InsertCountsKeysAndMarksThemChanged) {
    Keyspace ks = keyspace(4);
    Slot& slot = put(ks, "a", "1");
    EXPECT_EQ(ks.key_count(), 1u);
    EXPECT_EQ(slot.key(), "a");
    EXPECT_TRUE(slot.digest_dirty);
    ChangeCursor cursor;
    std::vector<std::string> seen;
    ks.inspect_changed(cursor,
                       [&](std::string_view k, const KeyInspection&) { seen.emplace_back(k); });
    EXPECT_THAT(seen, ElementsAre("a"));
    seen.clear();
    ks.inspect_changed(cursor,
                       [&](std::string_view k, const KeyInspection&) { seen.emplace_back(k); });
    EXPECT_TRUE(seen.empty());  // nothing changed since
}

TEST(Keyspace, VisibleKeysAreSortedByPrefixAndLeaveExpiredValuesOut) {
    Keyspace ks = keyspace(4);
    put(ks, "user:2", "b");
    put(ks, "user:1", "a");
    put(ks, "other", "c");
    put(ks, "user:3", "gone", /*expires=*/50);
    EXPECT_THAT(ks.visible_keys("user:", 10), ElementsAre("user:1", "user:2", "user:3"));
    EXPECT_THAT(ks.visible_keys("user:", 50), ElementsAre("user:1", "user:2"));
}

TEST(Keyspace, SweepReclaimsExpiredValuesWithinItsBudgetAndResumes) {
    Keyspace ks = keyspace(2);
    for (int i = 0; i < 10; ++i)
        put(ks, "k" + std::to_string(i), "v", /*expires=*/100);
    put(ks, "forever", "v");
    std::vector<std::string> reclaimed;
    for (int pass = 0; pass < 20 && reclaimed.size() < 10; ++pass) {
        const auto some = ks.sweep_expired(/*now_ms=*/200, /*max_keys=*/3).values;
        EXPECT_LE(some.size(), 3u);
        reclaimed.insert(reclaimed.end(), some.begin(), some.end());
    }
    std::sort(reclaimed.begin(), reclaimed.end());
    EXPECT_EQ(reclaimed.size(), 10u);
    EXPECT_EQ(std::adjacent_find(reclaimed.begin(), reclaimed.end()), reclaimed.end());
    EXPECT_THAT(ks.visible_keys("", 200), ElementsAre("forever"));
    EXPECT_EQ(ks.key_count(), 11u);  // the contexts stay
}

TEST(ReplicaClock, TicksPastEveryTimestampItObservedWithinTheDriftLimit) {
    auto physical = std::make_shared<ManualClock>(1000);
    ReplicaClock clock(physical, ReplicaId{1}, /*max_drift_ms=*/500);
    const Timestamp first = clock.tick();
    const Timestamp peer{1400, 0, ReplicaId{2}};
    const Timestamp far_ahead{9000, 0, ReplicaId{2}};
    EXPECT_TRUE(clock.observe(peer));
    EXPECT_LT(peer, clock.tick());
    EXPECT_EQ(clock.now_ms(), 1400u);        // never behind what it issued
    EXPECT_FALSE(clock.observe(far_ahead));  // too far ahead: not moved
    EXPECT_LT(clock.tick().physical, 9000u);
    EXPECT_LT(first, clock.tick());
}

TEST(ReplicaClock, ResumesPastAStoredWriteWhenTheMachineClockWentBack) {
    auto physical = std::make_shared<ManualClock>(100);
    ReplicaClock clock(physical, ReplicaId{1}, 60'000);
    const Timestamp stored{5000, 3, ReplicaId{1}};
    clock.restore(stored);
    EXPECT_LT(stored, clock.tick());
}

}  // namespace
}  // namespace converge::store::detail
