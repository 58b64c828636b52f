// File: crdt/detail/murmur_hash64a.hpp
// MurmurHash64A (Austin Appleby, public domain), reading 8-byte blocks little-endian on every
// machine: the element hash of HyperLogLog, the same function and seed Redis uses, so a count is
// the same on every replica and platform.
#pragma once

#include <cstdint>
#include <string_view>

namespace converge::detail {

inline std::uint64_t murmur_hash64a(std::string_view key, std::uint64_t seed) {
    constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
    constexpr int r = 47;
    const auto* data = reinterpret_cast<const unsigned char*>(key.data());
    const std::size_t len = key.size();
    std::uint64_t h = seed ^ (len * m);
    const unsigned char* end = data + (len - (len & 7));
    for (; data != end; data += 8) {
        std::uint64_t k = 0;
        for (int i = 7; i >= 0; --i)
            k = (k << 8) | data[i];
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    const std::size_t tail = len & 7;
    if (tail != 0) {
        for (std::size_t i = tail; i-- > 0;)
            h ^= std::uint64_t{data[i]} << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

}  // namespace converge::detail
