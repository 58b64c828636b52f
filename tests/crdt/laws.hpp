// The CRDT laws, as rapidcheck properties run for every type (typed, parameterised suite).
// Each test file instantiates the suite for a group of types.
#pragma once

#include <numeric>
#include <sstream>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <crdt/boost_serialization.hpp>
#include <crdt/crdt.hpp>
#include <crdt/testing/arbitrary.hpp>

namespace converge::laws {

using testing::History;
namespace gen = testing::gen;

using testing::joined;

template <class T>
T join_all(const std::vector<T>& states) {
    T out;
    for (const T& s : states)
        out.merge(s);
    return out;
}

template <class T>
class Laws : public ::testing::Test {};
TYPED_TEST_SUITE_P(Laws);

TYPED_TEST_P(Laws, MergeIsCommutative) {
    EXPECT_TRUE(rc::check([] {
        const auto h = *gen::history<TypeParam>(3);
        const TypeParam ab = joined(h.replicas[0], h.replicas[1]);
        const TypeParam ba = joined(h.replicas[1], h.replicas[0]);
        RC_ASSERT(ab == ba);
        RC_ASSERT(encode(ab) == encode(ba));
    }));
}

TYPED_TEST_P(Laws, MergeIsAssociative) {
    EXPECT_TRUE(rc::check([] {
        const auto h = *gen::history<TypeParam>(3);
        const auto& [a, b, c] = std::tie(h.replicas[0], h.replicas[1], h.replicas[2]);
        RC_ASSERT(joined(joined(a, b), c) == joined(a, joined(b, c)));
    }));
}

TYPED_TEST_P(Laws, MergeIsIdempotent) {
    EXPECT_TRUE(rc::check([] {
        const auto h = *gen::history<TypeParam>(2);
        RC_ASSERT(joined(h.replicas[0], h.replicas[0]) == h.replicas[0]);
        // Merging something already merged changes nothing either.
        const TypeParam ab = joined(h.replicas[0], h.replicas[1]);
        RC_ASSERT(joined(ab, h.replicas[1]) == ab);
    }));
}

TYPED_TEST_P(Laws, DeltaMergedIntoOldStateGivesNewState) {
    EXPECT_TRUE(rc::check([] {
        TypeParam state = *gen::state<TypeParam>();
        const testing::Op op = *gen::op();
        TypeParam before = state;
        const TypeParam delta = testing::apply_op(state, testing::replica_id(0), op);
        before.merge(delta);
        RC_ASSERT(before == state);
    }));
}

TYPED_TEST_P(Laws, DeltasInAnyOrderWithDuplicatesGiveTheSameState) {
    EXPECT_TRUE(rc::check([] {
        const auto h = *gen::history<TypeParam>(3);
        std::vector<TypeParam> deltas = h.deltas;
        const auto duplicates = *rc::gen::container<std::vector<std::size_t>>(
            rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(deltas.size(), 1)));
        for (std::size_t i : duplicates)
            if (i < h.deltas.size()) deltas.push_back(h.deltas[i]);
        const auto keys =
            *rc::gen::container<std::vector<int>>(deltas.size(), rc::gen::arbitrary<int>());
        std::vector<std::size_t> order(deltas.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t i, std::size_t j) { return keys[i] < keys[j]; });
        TypeParam shuffled;
        for (std::size_t i : order)
            shuffled.merge(deltas[i]);
        RC_ASSERT(shuffled == join_all(h.replicas));
    }));
}

TYPED_TEST_P(Laws, EncodingRoundTripsCanonically) {
    EXPECT_TRUE(rc::check([] {
        const TypeParam x = *gen::state<TypeParam>();
        const std::string bytes = encode(x);
        const TypeParam back = decode<TypeParam>(bytes);
        RC_ASSERT(back == x);
        RC_ASSERT(encode(back) == bytes);
    }));
}

TYPED_TEST_P(Laws, CerealPortableBinaryRoundTrips) {
    EXPECT_TRUE(rc::check([] {
        const TypeParam x = *gen::state<TypeParam>();
        std::stringstream stream;
        {
            cereal::PortableBinaryOutputArchive out(stream);
            out(x);
        }
        TypeParam back;
        cereal::PortableBinaryInputArchive in(stream);
        in(back);
        RC_ASSERT(back == x);
    }));
}

TYPED_TEST_P(Laws, BoostArchivesRoundTrip) {
    EXPECT_TRUE(rc::check([] {
        const TypeParam x = *gen::state<TypeParam>();
        std::stringstream binary, text;
        {
            boost::archive::binary_oarchive out(binary);
            out << x;
            boost::archive::text_oarchive out_text(text);
            out_text << x;
        }
        TypeParam back, back_text;
        boost::archive::binary_iarchive in(binary);
        in >> back;
        boost::archive::text_iarchive in_text(text);
        in_text >> back_text;
        RC_ASSERT(back == x);
        RC_ASSERT(back_text == x);
    }));
}

// Bytes that are random, or a valid encoding with bytes changed, inserted or cut off, either
// decode or throw DecodeError; on an error the target is unchanged.
TYPED_TEST_P(Laws, DecodingArbitraryBytesNeverCrashesOrChangesTheTarget) {
    EXPECT_TRUE(rc::check([] {
        const TypeParam target = *gen::state<TypeParam>();
        std::string bytes = encode(*gen::state<TypeParam>());
        const int mode = *rc::gen::inRange(0, 4);
        if (mode == 0) {
            bytes = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
        } else if (mode == 1 && !bytes.empty()) {
            const auto at = *rc::gen::inRange<std::size_t>(0, bytes.size());
            bytes[at] = static_cast<char>(bytes[at] ^ *rc::gen::inRange(1, 256));
        } else if (mode == 2) {
            bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size() + 1));
        } else {
            const auto at = *rc::gen::inRange<std::size_t>(0, bytes.size() + 1);
            bytes.insert(at, 1, *rc::gen::arbitrary<char>());
        }
        TypeParam decoded = target;
        try {
            decode_into(decoded, bytes);
            RC_ASSERT(decode<TypeParam>(encode(decoded)) == decoded);
        } catch (const DecodeError&) {
            RC_ASSERT(decoded == target);
        }
    }));
}

REGISTER_TYPED_TEST_SUITE_P(Laws, MergeIsCommutative, MergeIsAssociative, MergeIsIdempotent,
                            DeltaMergedIntoOldStateGivesNewState,
                            DeltasInAnyOrderWithDuplicatesGiveTheSameState,
                            EncodingRoundTripsCanonically, CerealPortableBinaryRoundTrips,
                            BoostArchivesRoundTrip,
                            DecodingArbitraryBytesNeverCrashesOrChangesTheTarget);

}  // namespace converge::laws
