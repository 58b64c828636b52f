// includes(other): whether merging other would change nothing. The receiving replica skips such
// merges (store/replication/remote_merge.cpp), so it must be exact: true exactly when the join
// equals the state it started from, for states and deltas of random histories.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <crdt/crdt.hpp>
#include <crdt/testing/arbitrary.hpp>

namespace converge {
namespace {

namespace gen = testing::gen;
using testing::joined;

template <class T>
void check_includes(const T& mine, const T& theirs) {
    const bool unchanged = joined(mine, theirs) == mine;
    RC_ASSERT(mine.includes(theirs) == unchanged);
}

template <class T>
class Includes : public ::testing::Test {};
TYPED_TEST_SUITE_P(Includes);

TYPED_TEST_P(Includes, IsTrueExactlyWhenAMergeChangesNothing) {
    EXPECT_TRUE(rc::check([] {
        const auto h = *gen::history<TypeParam>(3);
        const TypeParam& a = h.replicas[0];
        const TypeParam& b = h.replicas[1];
        const TypeParam ab = joined(a, b);
        check_includes(a, b);
        check_includes(ab, b);
        check_includes(ab, a);
        check_includes(a, a);
        check_includes(b, ab);
        check_includes(TypeParam{}, a);
        check_includes(a, TypeParam{});
        for (const TypeParam& delta : h.deltas) {
            check_includes(a, delta);
            check_includes(ab, delta);
        }
    }));
}

REGISTER_TYPED_TEST_SUITE_P(Includes, IsTrueExactlyWhenAMergeChangesNothing);
using Types = ::testing::Types<ORSet<std::string>, ORSet<int>, MVRegister<std::string>, PNCounter,
                               ResettableCounter, GCounter, ORHash, SortedSet, HyperLogLog,
                               ExpiringSet<std::string>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Crdt, Includes, Types);

}  // namespace
}  // namespace converge
