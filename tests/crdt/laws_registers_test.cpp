#include "crdt/laws.hpp"

namespace converge::laws {
using RegisterTypes =
    ::testing::Types<LWWRegister<std::string>, MVRegister<int>, MVRegister<std::string>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Registers, Laws, RegisterTypes);
}  // namespace converge::laws
