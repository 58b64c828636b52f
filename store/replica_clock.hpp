// File: store/replica_clock.hpp
// ReplicaClock: the replica's hybrid logical clock over its injected physical Clock. It stamps
// local writes, observes the timestamps peers send (so a write made after seeing another is
// ordered after it), and resumes past the replica's own stored writes after a restart.
//
// Thread-safety: every member is safe from any thread; now_ms() takes no lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include <crdt/hybrid_clock.hpp>
#include <store/environment.hpp>

namespace converge::store::detail {

class ReplicaClock {
  public:
    ReplicaClock(std::shared_ptr<Clock> physical, ReplicaId replica, std::uint64_t max_drift_ms)
        : physical_(std::move(physical)), hlc_(replica, max_drift_ms) {}

    // A timestamp greater than every one this clock issued or observed.
    Timestamp tick() {
        std::lock_guard lock(mutex_);
        const Timestamp t = hlc_.now(physical_->now_ms());
        publish(t.physical);
        return t;
    }
    // Moves the clock past remote, unless remote is more than the drift limit ahead of physical
    // time; returns false (the clock unmoved) in that case.
    bool observe(const Timestamp& remote) {
        std::lock_guard lock(mutex_);
        const auto seen = hlc_.observe(remote, physical_->now_ms());
        publish(seen.now.physical);
        return !seen.drift_exceeded;
    }
    // After a restart: never issue a timestamp at or below last (this replica's latest stored
    // write), even if the machine's clock went back. Call before any tick().
    void restore(const Timestamp& last) {
        std::lock_guard lock(mutex_);
        hlc_.restore(last);
        publish(last.physical);
    }
    // Stamps later timestamps with writer (a re-keyed replica).
    void rename(ReplicaId writer) {
        std::lock_guard lock(mutex_);
        hlc_.rename(writer);
    }
    // Physical time in ms as the hybrid clock sees it now (never behind what it issued).
    std::uint64_t now_ms() const {
        return std::max(physical_->now_ms(), physical_seen_.load(std::memory_order_relaxed));
    }
    // The injected clock's reading, for timers (sync rounds).
    std::uint64_t physical_ms() const { return physical_->now_ms(); }

  private:
    void publish(std::uint64_t physical) {
        if (physical > physical_seen_.load(std::memory_order_relaxed))
            physical_seen_.store(physical, std::memory_order_relaxed);
    }

    std::shared_ptr<Clock> physical_;
    std::mutex mutex_;
    HybridClock hlc_;
    std::atomic<std::uint64_t> physical_seen_{0};
};

}  // namespace converge::store::detail
