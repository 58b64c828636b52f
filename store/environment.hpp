// File: store/environment.hpp
// The interfaces through which a replica sees time and randomness. The replica never reads a clock
// or a global random source itself, so the simulator can run the very same replica code with
// virtual time and seeded randomness.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace converge::store {

// Physical time in milliseconds since the Unix epoch. May step backwards; the replica's hybrid
// logical clock stays monotonic regardless. Implementations must be thread-safe.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual std::uint64_t now_ms() = 0;
};

// Random 64-bit values. Implementations must be thread-safe.
class Rng {
  public:
    virtual ~Rng() = default;
    virtual std::uint64_t next() = 0;
};

// The machine's real-time clock.
std::shared_ptr<Clock> system_clock();
// The operating system's random source.
std::shared_ptr<Rng> system_rng();

// A clock that moves only when told to: for tests.
class ManualClock final : public Clock {
  public:
    explicit ManualClock(std::uint64_t start_ms = 0) : now_ms_(start_ms) {}
    std::uint64_t now_ms() override { return now_ms_.load(std::memory_order_relaxed); }
    void set(std::uint64_t ms) { now_ms_.store(ms, std::memory_order_relaxed); }
    void advance(std::uint64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> now_ms_;
};

// A seeded generator (SplitMix64): the same seed gives the same sequence. Thread-safe.
class SeededRng final : public Rng {
  public:
    explicit SeededRng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() override {
        std::uint64_t z =
            state_.fetch_add(0x9E3779B97F4A7C15, std::memory_order_relaxed) + 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

  private:
    std::atomic<std::uint64_t> state_;
};

}  // namespace converge::store
