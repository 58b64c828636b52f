// File: crdt/detail/sorted_keys.hpp
// The keys of a map, as a vector: sorted when the key type is ordered, so listings are the same on
// every replica.
#pragma once

#include <algorithm>
#include <concepts>
#include <vector>

namespace converge::detail {

// The keys of a map (elements of a set), sorted when they are ordered.
template <class Map>
std::vector<typename Map::key_type> keys_of(const Map& entries) {
    std::vector<typename Map::key_type> out;
    out.reserve(entries.size());
    for (const auto& entry : entries)
        out.push_back(entry.first);
    if constexpr (std::totally_ordered<typename Map::key_type>) std::sort(out.begin(), out.end());
    return out;
}

}  // namespace converge::detail
