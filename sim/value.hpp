// File: sim/value.hpp
// FinalValue: what a key shows on one replica, as the simulator reports it.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace converge::sim {

// Null (a value absent), a counter, a set's members (sorted), a value.
using FinalValue =
    std::variant<std::monostate, std::int64_t, std::vector<std::string>, std::string>;

}  // namespace converge::sim
