// File: sim/random.hpp
// The simulator's randomness: Random (xoshiro256**, store/testing/random.hpp) and a Zipf
// distribution over it, written here so one seed gives one run on every platform.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <store/testing/random.hpp>

namespace converge::sim {

// The simulator's generator is the test layer's (store/testing/random.hpp): one seed, one run,
// on every platform.
using Random = store::Random;

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
