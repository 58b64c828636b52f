// A hostile or broken peer: frames in this replica's own name, forged acknowledgements, replays,
// counters near 2^64, and keys chosen to collide in a std::hash table. Each is rejected or
// harmless, counted in the metrics, and leaves the state as it was.
#include <algorithm>
#include <functional>
#include <limits>

#include "cluster.hpp"
#include "std_hash_collisions.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <store/keyspace/keyed_hash.hpp>
#include <store/metrics/prometheus.hpp>
#include <store/replication/messages.hpp>
#include <store/replication/wire.hpp>

namespace converge::store {
namespace {

using testing::Cluster;
using wire::MessageType;
using wire::RejectReason;

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

std::uint64_t rejected(Store& s, RejectReason reason) {
    return s.metrics().frames_rejected[static_cast<std::size_t>(reason)];
}

// A deltas frame from sender carrying one key's state.
template <class T>
std::string deltas_frame(ReplicaId sender, std::string_view key, const T& value) {
    codec::Writer keys;
    detail::encode_key_state(keys, key, value);
    codec::Writer payload;
    detail::encode_state_header(payload, {});  // no writer retired
    detail::encode_delta_chunk(payload, detail::LogRange{0, 0, 1}, 1, keys.bytes());
    return wire::seal(sender, MessageType::deltas, payload.bytes());
}

// Two replicas that agree on a value, a counter and a set.
struct HostilePeer : ::testing::Test {
    HostilePeer() {
        c[0].put("k", "v");
        c[0].counter("visits").increment(3);
        c[0].set("cart").add("milk");
        c.settle();
    }
    Cluster c{2, 1, {}, Options{.log = [](std::string_view) {}}};
};

TEST_F(HostilePeer, AFrameInThisReplicasOwnNameIsRejected) {
    const std::uint64_t state = c[1].state_hash();
    KvRegister reg;
    reg.assign(ReplicaId{7}, KvValue{Timestamp{1, 0, ReplicaId{7}}, "forged", 0});
    EXPECT_FALSE(c[1].receive(deltas_frame(c[1].replica(), "k", reg)));
    EXPECT_EQ(c[1].state_hash(), state);
    EXPECT_EQ(rejected(c[1], RejectReason::own_id), 1u);
    EXPECT_THAT(prometheus_text(c[1].metrics(), c[1].replica()),
                ::testing::HasSubstr("reason=\"own_id\""));
}

TEST_F(HostilePeer, CountersNearTwoToThe64AreRejectedWholeAndTheCounterStaysUsable) {
    const std::uint64_t state = c[1].state_hash();
    ResettableCounter near_max;
    near_max.increment(ReplicaId{9}, u64_max - 5);
    ResettableCounter sum_overflows;  // each slot fits, their total does not
    sum_overflows.decrement(ReplicaId{8}, u64_max / 2 + 1);
    sum_overflows.decrement(ReplicaId{9}, u64_max / 2 + 1);
    const std::uint64_t sent = c.net.stats().sent;
    EXPECT_FALSE(c[1].receive(deltas_frame(c[0].replica(), "visits", near_max)));
    EXPECT_FALSE(c[1].receive(deltas_frame(c[0].replica(), "visits", sum_overflows)));
    // Nor in a repair's key states: a repair_ack would let the sender count the repair done.
    codec::Writer states;
    detail::encode_state_header(states, {});
    detail::begin_key_states(states, /*repair_id=*/1, /*chunk=*/0);
    detail::encode_key_state(states, "visits", near_max);
    EXPECT_FALSE(c[1].receive(wire::seal(c[0].replica(), MessageType::key_states, states.bytes())));
    EXPECT_EQ(c.net.stats().sent, sent);  // not acknowledged: the sender keeps what it sent
    EXPECT_EQ(c[1].state_hash(), state);
    EXPECT_EQ(rejected(c[1], RejectReason::out_of_range), 3u);
    EXPECT_EQ(c[1].counter("visits").value(), 3);
    EXPECT_EQ(c[1].counter("visits").increment(), 4);
}

TEST_F(HostilePeer, DotCountersNearTwoToThe64AreRejectedAndThisReplicaKeepsWriting) {
    const std::uint64_t state = c[1].state_hash();
    // Dots in the receiver's own name, one short of exhausting its counter for the key.
    KvRegister own;
    own.advance_counter(c[1].replica(), u64_max - 2);
    own.assign(c[1].replica(), KvValue{Timestamp{2, 0, c[1].replica()}, "forged", 0});
    KvRegister past_limit;  // and in another replica's name, just past the limit
    past_limit.advance_counter(ReplicaId{7}, detail::counter_limit);
    past_limit.assign(ReplicaId{7}, KvValue{Timestamp{2, 0, ReplicaId{7}}, "forged", 0});
    EXPECT_FALSE(c[1].receive(deltas_frame(c[0].replica(), "k", own)));
    EXPECT_FALSE(c[1].receive(deltas_frame(c[0].replica(), "k", past_limit)));
    EXPECT_EQ(c[1].state_hash(), state);
    EXPECT_EQ(rejected(c[1], RejectReason::out_of_range), 2u);
    c[1].put("k", "after");
    EXPECT_EQ(c[1].get("k"), "after");
    // Up to the limit is accepted: a history that long is unlikely, not impossible.
    KvRegister at_limit;
    at_limit.advance_counter(ReplicaId{7}, detail::counter_limit - 1);
    at_limit.assign(ReplicaId{7}, KvValue{Timestamp{3, 0, ReplicaId{7}}, "far", 0});
    EXPECT_TRUE(c[1].receive(deltas_frame(c[0].replica(), "far", at_limit)));
    EXPECT_EQ(c[1].get("far"), "far");
}

TEST_F(HostilePeer, ReplayedFramesChangeNothingAndAreCounted) {
    auto capture = std::make_shared<testing::RecordingTransport>();
    Store a(Options{
        .replica = ReplicaId{1}, .rng = std::make_shared<SeededRng>(1), .transport = capture});
    a.add_peer(ReplicaId{2});
    a.put("k", "v");
    a.counter("visits").increment(2);
    a.set("cart").add("milk");
    a.sync();
    ASSERT_EQ(capture->frames.size(), 1u);
    const std::string frame = capture->frames.front();

    Store b(Options{.replica = ReplicaId{2}, .rng = std::make_shared<SeededRng>(2)});
    ASSERT_TRUE(b.receive(frame));
    b.set("cart").add("eggs");
    const std::uint64_t state = b.state_hash();
    const std::uint64_t unchanged = b.metrics().merges_unchanged;
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(b.receive(frame));
    EXPECT_EQ(b.state_hash(), state);
    EXPECT_EQ(b.metrics().merges_unchanged, unchanged + 3 * 3);  // three keys, three replays
    EXPECT_THAT(b.set("cart").elements(), ::testing::ElementsAre("eggs", "milk"));
}

TEST_F(HostilePeer, AnAckForgedInAPeersNameCannotHideDeltasFromIt) {
    c[0].put("new", "value");
    // Before c[0] sends anything, an ack "from" c[1] for every position of every stripe.
    detail::Ack ack{0xBAD, {}};
    for (std::uint32_t p = 0; p < 64; ++p)
        ack.ranges.push_back(detail::LogRange{p, 0, u64_max});
    EXPECT_TRUE(c[0].receive(wire::seal(c[1].replica(), MessageType::ack, detail::encode(ack))));
    EXPECT_LE(c.settle(), 3u);
    EXPECT_EQ(c[1].get("new"), "value");
}

TEST(HashFlooding, KeysCollidingUnderStdHashSpreadOverTheStoresBuckets) {
    const std::vector<std::string> keys = testing::std_hash_collisions(100'000);
    const std::size_t h = std::hash<std::string>{}(keys.front());
    for (const std::string& k : keys)
        ASSERT_EQ(std::hash<std::string>{}(k), h);  // a table keyed by std::hash has one bucket

    // The store's tables hash with SipHash under a key drawn from Options::rng: these keys land
    // in as many buckets as random keys would (a table of 2^17 buckets, about 0.76 keys each).
    const KeyedHash secret(SeededRng(7).next(), SeededRng(8).next());
    std::vector<std::uint32_t> per_bucket(std::size_t{1} << 17);
    for (const std::string& k : keys)
        ++per_bucket[secret(k) & (per_bucket.size() - 1)];
    EXPECT_LE(*std::max_element(per_bucket.begin(), per_bucket.end()), 12u);

    Store store(Options{.replica = ReplicaId{1}, .rng = std::make_shared<SeededRng>(1)});
    for (const std::string& k : keys)
        store.put(k, "v");
    EXPECT_EQ(store.metrics().keys, keys.size());
    EXPECT_EQ(store.get(keys[12345]), "v");
}

}  // namespace
}  // namespace converge::store

namespace converge::store {
namespace {

// Writer id 0 names the retired writers' counter slot, never a writer: a value register in the
// short form claiming it is malformed (found by fuzzing: decoding it threw from a mutator, past
// every decode error handler).
TEST_F(HostilePeer, AValueWrittenByWriterZeroIsRejectedAsMalformed) {
    const std::uint64_t state = c[1].state_hash();
    codec::Writer keys;
    keys.string("k");
    keys.byte(3);    // a register written by one replica only
    keys.varint(0);  // writer 0
    keys.varint(1);  // its counter
    keys.varint(5);  // write time
    keys.varint(0);  // logical time, no expiry
    keys.string("forged");
    codec::Writer payload;
    detail::encode_state_header(payload, {});
    detail::encode_delta_chunk(payload, detail::LogRange{0, 0, 1}, 1, keys.bytes());
    EXPECT_FALSE(c[1].receive(wire::seal(c[0].replica(), MessageType::deltas, payload.bytes())));
    EXPECT_EQ(rejected(c[1], RejectReason::malformed), 1u);
    EXPECT_EQ(c[1].state_hash(), state);
}

}  // namespace
}  // namespace converge::store
