// File: crdt/codec/limits.hpp
// The bounds every decoder checks before it allocates. Input from a peer is never trusted: a count
// or length is accepted only if it fits both these limits and the bytes actually left.
#pragma once

#include <cstddef>

namespace converge {

struct DecodeLimits {
    // Largest encoded value accepted, in bytes (also caps what the cereal and Boost adapters read).
    std::size_t input_bytes_max = std::size_t{256} << 20;
    // Largest number of entries in any one collection (elements, dots, replicas, keys).
    std::size_t elements_max = std::size_t{1} << 24;
    // Largest single string or byte value.
    std::size_t string_bytes_max = std::size_t{64} << 20;
    // Deepest nesting of maps inside maps.
    std::size_t depth_max = 32;
};

}  // namespace converge
