// File: tools/node/resp/glob_match.hpp
// Redis's glob patterns (KEYS, SCAN MATCH): * any run, ? one byte, [abc] [^abc] [a-z] a class,
// \x the byte x. Time at most proportional to pattern length times text length.
#pragma once

#include <string_view>

namespace converge::tools {

// Whether text matches pattern, all of it.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace converge::tools
