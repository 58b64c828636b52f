#include "crdt/laws.hpp"

namespace converge::laws {
using SetTypes = ::testing::Types<ORSet<std::string>, ORSet<int>, GSet<std::string>, TwoPSet<int>,
                                  LWWElementSet<std::string>, ExpiringSet<std::string>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sets, Laws, SetTypes);
}  // namespace converge::laws
