#include <sstream>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <crdt/boost_serialization.hpp>
#include <crdt/crdt.hpp>

namespace converge {
namespace {

using ::testing::HasSubstr;
const ReplicaId a{1}, b{2};

std::string varint(std::uint64_t v) {
    codec::Writer w;
    w.varint(v);
    return w.take();
}

// Runs decode and returns the DecodeError message ("" if it decoded).
template <class T>
std::string decode_error(const std::string& bytes, const DecodeLimits& limits = {}) {
    try {
        static_cast<void>(decode<T>(bytes, limits));
    } catch (const DecodeError& e) {
        return e.what();
    }
    return "";
}

TEST(Encoding, VarintsAreShortestFormAndRoundTrip) {
    for (std::uint64_t v : std::vector<std::uint64_t>{0, 1, 127, 128, 300, UINT64_MAX}) {
        const std::string bytes = varint(v);
        codec::Reader r(bytes);
        EXPECT_EQ(r.varint("v"), v);
        EXPECT_TRUE(r.at_end());
    }
    EXPECT_EQ(varint(127).size(), 1u);
    EXPECT_EQ(varint(UINT64_MAX).size(), 10u);
}

TEST(Encoding, OverlongAndOverflowingVarintsAreRejected) {
    const std::string overlong_bytes("\x80\x00", 2);
    codec::Reader overlong(overlong_bytes);
    EXPECT_THROW(overlong.varint("v"), DecodeError);
    const std::string overflow_bytes = std::string(9, '\xff') + "\x02";
    codec::Reader overflow(overflow_bytes);
    EXPECT_THROW(overflow.varint("v"), DecodeError);
}

TEST(Encoding, EqualStatesEncodeToEqualBytesWhateverTheirHistory) {
    ORSet<std::string> x, y;
    const auto d1 = x.add(a, "one");
    const auto d2 = x.add(a, "two");
    const auto d3 = x.add(b, "three");
    y.merge(d3);
    y.merge(d2);
    y.merge(d1);
    ASSERT_EQ(x, y);
    EXPECT_EQ(encode(x), encode(y));
}

TEST(Encoding, ORSetRunOfAddsCostsAFewBytesPerElement) {
    ORSet<std::string> s;
    for (int i = 0; i < 1000; ++i)
        s.add(a, "k" + std::to_string(i));
    EXPECT_LE(encode(s).size(), 5u * 1000u);
}

TEST(Encoding, TrailingBytesAreRejected) {
    EXPECT_THAT(decode_error<GCounter>(encode(GCounter{}) + "x"), HasSubstr("trailing"));
}

TEST(DecodeBomb, HugeElementCountIsRejectedBeforeAllocating) {
    // An empty context, then one replica group claiming 2^60 entries, in a dozen bytes.
    const std::string bytes =
        varint(0) + varint(0) + varint(0) + varint(1) + varint(1) + varint(1ull << 60);
    EXPECT_THAT(decode_error<ORSet<std::string>>(bytes), HasSubstr("dot store entries count"));
    const std::string vv = varint(1ull << 60);
    EXPECT_THAT(decode_error<GCounter>(vv), HasSubstr("exceeds the limit"));
    const std::string gset = varint(1ull << 24);
    EXPECT_THAT(decode_error<GSet<std::string>>(gset), HasSubstr("cannot fit"));
}

TEST(DecodeBomb, StringLengthPastTheEndIsRejected) {
    const std::string bytes = varint(1) + varint(1000) + "abc";
    EXPECT_THAT(decode_error<GSet<std::string>>(bytes), HasSubstr("claims 1000 bytes"));
}

TEST(DecodeBomb, DeeplyNestedMapsStopAtTheDepthLimit) {
    using Inner = ORMap<int, GCounter>;
    using Outer = ORMap<int, ORMap<int, Inner>>;
    Outer m;
    m.apply(a, 1, [&](auto& mid) {
        return mid.apply(a, 2, [&](Inner& in) {
            return in.apply(a, 3, [&](GCounter& g) { return g.increment(a); });
        });
    });
    DecodeLimits shallow;
    shallow.depth_max = 2;
    EXPECT_THAT(decode_error<Outer>(encode(m), shallow), HasSubstr("nesting deeper"));
    EXPECT_EQ(decode_error<Outer>(encode(m)), "");
}

TEST(DecodeBomb, AMillionLevelsOfNestedMapsStopAtTheTypesOwnDepth) {
    // A value nests only as deep as its type. Input that goes on opening maps a million levels
    // down is read as the innermost type at the first level the type does not have; what follows
    // is refused as trailing bytes. No recursion follows the input.
    using Outer = ORMap<int, ORMap<int, GCounter>>;
    auto nested = [](std::uint64_t count) {
        Outer m;
        m.apply(a, 1, [&](auto& inner) {
            return inner.apply(a, 2, [&](GCounter& g) { return g.increment(a, count); });
        });
        return encode(m);
    };
    const std::string one = nested(1), two = nested(2);
    std::size_t common = 0;
    while (one[common] == two[common])
        ++common;
    const std::string opening = one.substr(0, common);  // everything up to the innermost count
    std::string bomb;
    bomb.reserve(opening.size() * 1'000'000);
    for (int level = 0; level < 1'000'000; ++level)
        bomb += opening;
    EXPECT_THAT(decode_error<Outer>(bomb), HasSubstr("trailing bytes"));
}

TEST(DecodeBomb, LiveDotOutsideTheContextIsRejected) {
    ORSet<std::string> s;
    s.add(a, "x");
    std::string bytes = encode(s);
    // Replace the context (vv {a:1}) with an empty one: the element's dot is no longer covered.
    const std::string context = encode(s.context());
    bytes = varint(0) + varint(0) + bytes.substr(context.size());  // (vv, cloud) both empty
    EXPECT_THAT(decode_error<ORSet<std::string>>(bytes),
                HasSubstr("missing from the causal context"));
}

TEST(DecodeBomb, InputOverTheByteLimitIsRejected) {
    DecodeLimits tiny;
    tiny.input_bytes_max = 4;
    EXPECT_THAT(decode_error<GSet<int>>(std::string(5, '\0'), tiny),
                HasSubstr("exceeds the limit"));
}

TEST(DecodeBomb, CerealBlobClaimingHugeLengthAllocatesOnlyWhatArrives) {
    std::stringstream stream(varint(1ull << 40) + "abc");
    ORSet<std::string> target;
    target.add(a, "keep");
    const auto before = target;
    cereal::PortableBinaryInputArchive in(stream);
    EXPECT_THROW(in(target), DecodeError);
    EXPECT_EQ(target, before);
    std::stringstream within(varint(100 << 20) + "abc");
    cereal::PortableBinaryInputArchive in2(within);
    EXPECT_THROW(in2(target), DecodeError);
    EXPECT_EQ(target, before);
}

TEST(DecodeBomb, TruncatedBoostArchiveThrowsDecodeErrorAndChangesNothing) {
    ORSet<std::string> s;
    for (int i = 0; i < 50; ++i)
        s.add(a, "e" + std::to_string(i));
    std::stringstream stream;
    {
        boost::archive::binary_oarchive out(stream);
        out << static_cast<const ORSet<std::string>&>(s);
    }
    std::string bytes = stream.str();
    std::stringstream truncated(bytes.substr(0, bytes.size() - 10));
    ORSet<std::string> target;
    boost::archive::binary_iarchive in(truncated);
    EXPECT_THROW(in >> target, DecodeError);
    EXPECT_TRUE(target.empty());
}

TEST(Encoding, CerealOutputIsCompact) {
    GCounter g;
    g.increment(a, 5);
    std::stringstream stream;
    {
        cereal::PortableBinaryOutputArchive out(stream);
        out(g);
    }
    // cereal's one-byte endianness header, a length byte, then 3 bytes of counter.
    EXPECT_EQ(stream.str().size(), 1u + 1u + encode(g).size());
}

}  // namespace
}  // namespace converge
