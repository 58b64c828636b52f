// File: store/options.hpp
// Options of one replica, each with a safe default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <crdt/replica_id.hpp>
#include <store/environment.hpp>

namespace converge::store {

struct Options {
    // This replica's id: unique among all replicas that ever run concurrently.
    ReplicaId replica{1};
    // Physical time; null means the machine's real-time clock.
    std::shared_ptr<Clock> clock = nullptr;
    // Randomness (keys the hash of the lock stripes); null means the operating system's source.
    std::shared_ptr<Rng> rng = nullptr;
    // Lock stripes, rounded up to a power of two (at most 65,536). More stripes, less contention.
    std::size_t shards = 64;
    // A peer timestamp further ahead of local physical time than this does not move the clock.
    std::uint64_t max_clock_drift_ms = 60'000;
};

}  // namespace converge::store
