// File: store/testing/random.hpp
// Random: seeded randomness for simulated worlds and test networks: xoshiro256** seeded through
// SeededRng's SplitMix64, with distributions written here (the standard library's differ between
// implementations), so one seed gives one run on every platform.
//
//   Random r(42);  if (r.chance(0.1)) ...;  std::uint64_t i = r.below(n);  Random part = r.split();
//
// Not thread-safe: one generator per thread (split() gives independent ones).
#pragma once

#include <cassert>
#include <cstdint>

#include <store/environment.hpp>

namespace converge::store {

__extension__ typedef unsigned __int128
    Uint128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet

class Random {
  public:
    explicit Random(std::uint64_t seed) {
        SeededRng seeds(seed);
        for (std::uint64_t& s : state_)
            s = seeds.next();
    }

    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, n); n > 0. Unbiased (Lemire's multiply-and-reject).
    std::uint64_t below(std::uint64_t n) noexcept {
        assert(n > 0 && "below(0) has no value to return");
        Uint128 m = static_cast<Uint128>(next()) * n;
        auto low = static_cast<std::uint64_t>(m);
        if (low < n) {
            const std::uint64_t threshold = -n % n;
            while (low < threshold) {
                m = static_cast<Uint128>(next()) * n;
                low = static_cast<std::uint64_t>(m);
            }
        }
        return static_cast<std::uint64_t>(m >> 64);
    }

    // Uniform in [0, 1).
    double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    bool chance(double p) noexcept { return unit() < p; }
    // An independent generator for one part of the world (a replica, a workload).
    Random split() noexcept { return Random(next()); }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t state_[4];
};

}  // namespace converge::store
