#include "crdt/laws.hpp"

namespace converge::laws {
using CounterTypes = ::testing::Types<GCounter, PNCounter, ResettableCounter>;
INSTANTIATE_TYPED_TEST_SUITE_P(Counters, Laws, CounterTypes);
}  // namespace converge::laws
