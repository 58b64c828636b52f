// The exported generators, used as an application would: converge types as property arguments.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <crdt/crdt.hpp>
#include <crdt/testing/arbitrary.hpp>

namespace converge {
namespace {

RC_GTEST_PROP(Arbitrary, GeneratedSetsAreWellFormed, (const ORSet<std::string>& s)) {
    for (const std::string& element : s.elements()) {
        RC_ASSERT(!s.dots(element).empty());
        for (const Dot& d : s.dots(element))
            RC_ASSERT(s.context().contains(d));
    }
    RC_ASSERT(decode<ORSet<std::string>>(encode(s)) == s);
}

RC_GTEST_PROP(Arbitrary, NestedMapsAndCountersAreGenerated,
              (const ORMap<std::string, PNCounter>& m, const GCounter& g)) {
    using Map = ORMap<std::string, PNCounter>;
    RC_ASSERT(decode<Map>(encode(m)) == m);
    RC_ASSERT(g.value() >= g.contribution(ReplicaId{1}));
}

RC_GTEST_PROP(Arbitrary, HistoriesShareACausalPast, ()) {
    const auto h = *testing::gen::history<MVRegister<int>>(3);
    MVRegister<int> all;
    for (const auto& replica : h.replicas)
        all.merge(replica);
    // A write replaces everything its replica has seen, its own earlier writes included, so at
    // most one value per replica survives the join of a shared history.
    RC_ASSERT(all.values().size() <= h.replicas.size());
}

}  // namespace
}  // namespace converge
