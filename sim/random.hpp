// File: sim/random.hpp
// The simulator's randomness: xoshiro256** seeded through SplitMix64, and distributions written
// here (the standard library's differ between implementations), so one seed gives one run on
// every platform.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace converge::sim {

__extension__ typedef unsigned __int128
    Uint128;  // GCC and Clang; __extension__ keeps -Wpedantic quiet

class Random {
  public:
    explicit Random(std::uint64_t seed) {
        for (std::uint64_t& s : state_) {
            seed += 0x9E3779B97F4A7C15;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            s = z ^ (z >> 31);
        }
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
    // An independent generator for one part of the world (a replica, the workload).
    Random split() noexcept { return Random(next()); }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t state_[4];
};

// Zipf-distributed ranks in [0, n): rank k has weight 1 / (k + 1)^exponent.
class Zipf {
  public:
    explicit Zipf(std::size_t n, double exponent = 1.0) : cdf_(n) {
        double sum = 0;
        for (std::size_t k = 0; k < n; ++k)
            cdf_[k] = sum += 1.0 / std::pow(static_cast<double>(k + 1), exponent);
        for (double& c : cdf_)
            c /= sum;
    }
    std::size_t operator()(Random& random) const {
        const double u = random.unit();
        const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
        return std::min<std::size_t>(static_cast<std::size_t>(it - cdf_.begin()), cdf_.size() - 1);
    }

  private:
    std::vector<double> cdf_;
};

}  // namespace converge::sim
