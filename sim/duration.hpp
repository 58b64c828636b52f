// File: sim/duration.hpp
// Simulated time: microseconds since the start of a run. Durations in scenario files are strings
// such as "250ms", "5s", "1.5s", "2m", "1h", "100us".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace converge::sim {

using Micros = std::int64_t;

// Parses a duration; throws ScenarioError naming the text and the accepted units.
Micros parse_duration(std::string_view text);
// "1.250 s", "80 ms", "300 us".
std::string format_duration(Micros micros);

}  // namespace converge::sim
