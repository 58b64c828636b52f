#include "crdt/laws.hpp"
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace converge::laws {
using RegisterTypes =
    ::testing::Types<LWWRegister<std::string>, MVRegister<int>, MVRegister<std::string>>;
INSTANTIATE_TYPED_TEST_SUITE_P(Registers, Laws, RegisterTypes);
}  // namespace converge::laws

namespace converge {
namespace {

RC_GTEST_PROP(MVRegisterOverwrite, ReachesTheSameStateAsAssign, ()) {
    const auto state = *rc::gen::arbitrary<MVRegister<std::string>>();
    const auto replica = ReplicaId{*rc::gen::inRange<std::uint64_t>(1, 4)};
    const auto value = *rc::gen::arbitrary<std::string>();
    MVRegister<std::string> assigned = state;
    MVRegister<std::string> overwritten = state;
    static_cast<void>(assigned.assign(replica, value));
    overwritten.overwrite(replica, value);
    RC_ASSERT(overwritten == assigned);
}

}  // namespace
}  // namespace converge
