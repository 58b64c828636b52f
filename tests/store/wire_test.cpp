#include <array>
#include <string>
#include <vector>

#include "cluster.hpp"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <crdt/encoding.hpp>
#include <store/keyspace/value.hpp>
#include <store/replication/messages.hpp>
#include <store/replication/wire.hpp>
#include <store/store.hpp>

namespace converge::store {
namespace {

using ::testing::HasSubstr;
using wire::MessageType;
using wire::RejectReason;

RejectReason reason_of(std::string_view bytes, std::size_t max = 1 << 20) {
    auto opened = wire::open(bytes, max);
    const auto* rejection = std::get_if<wire::Rejection>(&opened);
    if (rejection == nullptr) throw std::logic_error("frame was accepted");
    return rejection->reason;
}

TEST(Wire, Crc32cMatchesTheStandardCheckValue) {
    EXPECT_EQ(wire::crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(wire::crc32c_without_hardware("123456789"), 0xE3069283u);
    EXPECT_EQ(wire::crc32c(""), 0u);
}

TEST(Wire, Crc32cIsTheSameWithAndWithoutTheHardwareInstruction) {
    std::string data;
    for (int i = 0; i < 1000; ++i) {
        EXPECT_EQ(wire::crc32c(data), wire::crc32c_without_hardware(data)) << data.size();
        data.push_back(static_cast<char>(i * 37 + 11));
    }
}

TEST(Wire, SenderOfReadsTheHeaderAlone) {
    std::string frame = wire::seal(ReplicaId{300}, wire::MessageType::ack, "payload");
    EXPECT_EQ(wire::sender_of(frame), ReplicaId{300});
    frame.back() ^= 1;  // a bad checksum: open() rejects it, the header still names the sender
    EXPECT_EQ(wire::sender_of(frame), ReplicaId{300});
    EXPECT_EQ(wire::sender_of(frame.substr(0, 4)), std::nullopt);
    frame[0] = 0;
    EXPECT_EQ(wire::sender_of(frame), std::nullopt);
}

TEST(Wire, SealedFramesOpenToTheSameFields) {
    const std::string frame = wire::seal(ReplicaId{300}, MessageType::ack, "payload");
    EXPECT_EQ(frame.size(), 7 + wire::overhead_min + 1);  // sender 300 takes two varint bytes
    auto opened = wire::open(frame, 1024);
    ASSERT_TRUE(std::holds_alternative<wire::Frame>(opened));
    const auto& f = std::get<wire::Frame>(opened);
    EXPECT_EQ(f.sender, ReplicaId{300});
    EXPECT_EQ(f.type, MessageType::ack);
    EXPECT_EQ(f.payload, "payload");
}

TEST(Wire, EveryDamageIsRejectedWithItsReason) {
    const std::string good = wire::seal(ReplicaId{1}, MessageType::deltas, "abc");
    std::string bad_magic = good;
    bad_magic[0] = 'X';
    EXPECT_EQ(reason_of(bad_magic), RejectReason::bad_magic);
    std::string newer = good;
    newer[1] = wire::version + 1;
    EXPECT_EQ(reason_of(newer), RejectReason::unknown_version);
    EXPECT_EQ(reason_of(good.substr(0, 5)), RejectReason::truncated);
    EXPECT_EQ(reason_of(good.substr(0, good.size() - 1)), RejectReason::bad_checksum);
    EXPECT_EQ(reason_of(good, good.size() - 1), RejectReason::oversized);
    std::string flipped = good;
    flipped[6] ^= 0x10;
    EXPECT_EQ(reason_of(flipped), RejectReason::bad_checksum);

    // A frame whose checksum is right but whose type or length is not.
    auto reseal = [](std::string body) {
        const std::uint32_t crc = wire::crc32c(body);
        for (int i = 0; i < 4; ++i)
            body.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
        return body;
    };
    // magic, this version, then a type, sender 1 and a length.
    const auto frame = [](char type, char length) {
        return std::string{'\xC7', static_cast<char>(wire::version), type, '\x01', length} + "abc";
    };
    EXPECT_EQ(reason_of(reseal(frame('\x09', '\x03'))), RejectReason::unknown_type);
    EXPECT_EQ(reason_of(reseal(frame('\x01', '\x09'))), RejectReason::truncated);
}

TEST(Wire, AStoreRejectsDamagedFramesCountsThemLogsOnceAndChangesNothing) {
    std::vector<std::string> warnings;
    testing::Cluster c(2, 1, {},
                       Options{.log = [&](std::string_view m) { warnings.emplace_back(m); }});
    c[0].put("k", "v");
    c.settle();
    const std::uint64_t state = c[1].state_hash();

    // A well-formed frame whose payload (after an empty retired table) claims 2^40 keys.
    const std::string bomb =
        wire::seal(ReplicaId{1}, MessageType::deltas,
                   std::string("\x00\x00\x00\x01\x80\x80\x80\x80\x80\x20", 10));
    EXPECT_FALSE(c[1].receive(bomb));
    EXPECT_FALSE(c[1].receive(bomb));
    EXPECT_FALSE(c[1].receive("short"));
    EXPECT_FALSE(c[1].receive(std::string(64 << 20, 'x')));
    EXPECT_EQ(c[1].state_hash(), state);

    const Metrics m = c[1].metrics();
    EXPECT_EQ(m.frames_rejected[static_cast<std::size_t>(RejectReason::malformed)], 2u);
    EXPECT_EQ(m.frames_rejected[static_cast<std::size_t>(RejectReason::truncated)], 1u);
    EXPECT_EQ(m.frames_rejected[static_cast<std::size_t>(RejectReason::oversized)], 1u);
    ASSERT_EQ(warnings.size(), 3u);  // once per reason
    EXPECT_THAT(warnings[0], HasSubstr("malformed"));
    EXPECT_THAT(warnings[0], HasSubstr("replica 1"));
}

TEST(Wire, EveryBitFlipOfARealFrameIsRejectedAndChangesNothing) {
    // Capture a real deltas frame by sending into a replica that is not attached.
    auto capture = std::make_shared<testing::RecordingTransport>();
    Store a(Options{
        .replica = ReplicaId{1}, .rng = std::make_shared<SeededRng>(1), .transport = capture});
    a.add_peer(ReplicaId{2});
    a.put("key", "value");
    a.set("s").add("m");
    a.sync();
    ASSERT_FALSE(capture->frames.empty());
    const std::string frame = capture->frames.front();

    Store b(Options{.replica = ReplicaId{2}, .rng = std::make_shared<SeededRng>(2)});
    const std::uint64_t empty = b.state_hash();
    for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
        std::string damaged = frame;
        damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
        EXPECT_FALSE(b.receive(damaged)) << "bit " << bit;
    }
    EXPECT_EQ(b.state_hash(), empty);
    EXPECT_TRUE(b.receive(frame));
    EXPECT_EQ(b.get("key"), "value");
}

detail::Value round_trip(const detail::Value& v) {
    codec::Writer w;
    detail::encode_value(w, v);
    codec::Reader r(w.bytes());
    detail::Value back = detail::decode_value(r);
    r.expect_end("a value");
    return back;
}

TEST(Wire, RegistersRoundTripInTheShortAndTheGeneralForm) {
    const ReplicaId a{1}, b{2};
    KvRegister sole;
    sole.assign(a, KvValue{Timestamp{1000, 0, a}, "one", 0});
    sole.assign(a, KvValue{Timestamp{1001, 3, a}, "two", 5000});
    KvRegister concurrent = sole;
    KvRegister other;
    other.assign(b, KvValue{Timestamp{999, 0, b}, "b", 0});
    concurrent.merge(other);
    KvRegister deleted = sole;
    deleted.clear();
    for (const KvRegister& reg : {sole, concurrent, deleted})
        EXPECT_EQ(round_trip(reg).get<KvRegister>(), reg);

    codec::Writer w;
    detail::encode_value(w, detail::Value(sole));
    EXPECT_EQ(static_cast<std::uint8_t>(w.bytes()[0]), detail::sole_writer_tag);
    codec::Writer general;
    detail::encode_value(general, detail::Value(concurrent));
    EXPECT_EQ(static_cast<std::uint8_t>(general.bytes()[0]), 0);
}

TEST(Wire, AShortFormWithACounterOfZeroIsRejected) {
    const std::string bytes("\x03\x01\x00\x01\x00\x00", 6);
    codec::Reader r(bytes);
    EXPECT_THROW(detail::decode_value(r), DecodeError);
}

TEST(Wire, DigestLeavesCarryOnlyNonEmptyLeavesAndRoundTrip) {
    std::array<std::uint64_t, detail::leaves_per_range> a{}, b{};
    a[0] = 7;
    a[255] = 0xFFFFFFFFFFFFFFFF;
    b[17] = 42;
    codec::Writer w;
    detail::begin_digest_leaves(w, 9, 3);
    detail::encode_leaf_range(w, 1, a);
    detail::encode_leaf_range(w, 2, std::array<std::uint64_t, detail::leaves_per_range>{});
    detail::encode_leaf_range(w, 200, b);
    EXPECT_LT(w.bytes().size(), 50u);  // not 3 x 2 KiB
    const detail::DigestLeaves leaves = detail::decode_digest_leaves(w.bytes(), {});
    EXPECT_EQ(leaves.repair_id, 9u);
    EXPECT_EQ(leaves.next_cursor, 3u);
    ASSERT_EQ(leaves.ranges.size(), 3u);
    EXPECT_EQ(leaves.ranges[0].index, 1u);
    EXPECT_EQ(leaves.ranges[0].leaves, a);
    EXPECT_EQ(leaves.ranges[1].leaves, (std::array<std::uint64_t, detail::leaves_per_range>{}));
    EXPECT_EQ(leaves.ranges[2].index, 200u);
    EXPECT_EQ(leaves.ranges[2].leaves, b);
}

TEST(Wire, DigestLeavesOutOfOrderOrTooManyAreRejected) {
    auto expect_rejected = [](const std::string& payload, const std::string& why) {
        try {
            detail::decode_digest_leaves(payload, {});
            ADD_FAILURE() << "accepted: " << why;
        } catch (const DecodeError& e) {
            EXPECT_THAT(e.what(), HasSubstr(why));
        }
    };
    // repair id 1, next cursor 2, then: range index, leaf count, (offset, 8-byte hash)...
    const std::string hash(8, '\x01');
    expect_rejected(std::string("\x01\x02\x01\x02\x05") + hash + "\x05" + hash,
                    "leaf offsets must increase");
    expect_rejected(std::string("\x01\x02\x01\x81\x02", 5), "more leaves than a range holds");
    expect_rejected(std::string("\x01\x02\x05\x00\x05\x00", 6), "range indexes must increase");
    expect_rejected(std::string("\x01\x02\x01\x01\x05") + "\x01\x02",
                    "leaf hash");  // the hash runs past the end
}

}  // namespace
}  // namespace converge::store
