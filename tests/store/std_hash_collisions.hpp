// File: tests/store/std_hash_collisions.hpp
// Keys that all share one std::hash<std::string> value under libstdc++ (MurmurHash64A with a
// fixed, public seed): what an attacker sends to flood a hash table keyed by std::hash. Each key
// is 16 bytes: a chosen first block, then the second block that undoes it (every step of the
// hash's block mixing is invertible).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace converge::store::testing {

inline std::vector<std::string> std_hash_collisions(std::size_t count) {
    constexpr std::uint64_t mul = 0xc6a4a7935bd1e995ull;
    constexpr std::uint64_t seed = 0xc70f6907ull;  // libstdc++'s seed for std::hash<std::string>
    std::uint64_t mul_inverse = mul;               // Newton's iteration for mul^-1 mod 2^64
    for (int i = 0; i < 5; ++i)
        mul_inverse *= 2 - mul * mul_inverse;
    const auto shift_mix = [](std::uint64_t v) { return v ^ (v >> 47); };
    const auto mix = [&](std::uint64_t block) { return shift_mix(block * mul) * mul; };
    const auto unmix = [&](std::uint64_t mixed) {
        return shift_mix(mixed * mul_inverse) * mul_inverse;  // shift_mix is its own inverse
    };
    const std::uint64_t start = seed ^ (16 * mul);
    const std::uint64_t target = 0x636F6C6C69646521ull;  // the state every key ends in
    std::vector<std::string> keys;
    keys.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t first = 0x2D79656B00000000ull | i;  // "key-" and the index, LE
        const std::uint64_t after_first = (start ^ mix(first)) * mul;
        const std::uint64_t second = unmix((target * mul_inverse) ^ after_first);
        std::string key(16, '\0');
        std::memcpy(key.data(), &first, 8);
        std::memcpy(key.data() + 8, &second, 8);
        keys.push_back(std::move(key));
    }
    return keys;
}

}  // namespace converge::store::testing
