#include "crdt/laws.hpp"

namespace converge::laws {
using RecordTypes = ::testing::Types<ORHash, SortedSet, HyperLogLog>;
INSTANTIATE_TYPED_TEST_SUITE_P(Records, Laws, RecordTypes);
}  // namespace converge::laws
