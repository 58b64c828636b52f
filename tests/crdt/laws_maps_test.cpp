#include "crdt/laws.hpp"

namespace converge::laws {
using MapTypes = ::testing::Types<ORMap<std::string, PNCounter>, ORMap<std::string, ORSet<int>>,
                                  ORMap<int, LWWRegister<std::string>>,
                                  ORMap<std::string, ORMap<int, MVRegister<int>>>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Maps, Laws, MapTypes);
}  // namespace converge::laws
