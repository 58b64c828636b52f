// File: crdt/hybrid_clock.hpp
// HybridClock issues Timestamps that are monotonic even when the physical clock steps backwards,
// stay close to physical time, and move past every timestamp received from a peer (Kulkarni et
// al., "Logical Physical Clocks", 2014). It never reads a clock itself: the caller passes the
// current physical time, so the simulator and real deployments run the same code.
//
//   HybridClock clock(ReplicaId{1});
//   Timestamp t = clock.now(physical_ms);
//   auto seen = clock.observe(remote, physical_ms);   // seen.drift_exceeded: count it
// Thread-safety: none inside; a clock shared between threads needs a lock around it (the store's
// ReplicaClock has one).
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>

#include <crdt/replica_id.hpp>
#include <crdt/timestamp.hpp>

namespace converge {

class HybridClock {
  public:
    // Result of observing a remote timestamp.
    struct Observation {
        Timestamp now;                // the local clock after the observation
        bool drift_exceeded = false;  // the remote was ignored: too far ahead of physical time
    };

    // max_drift: how far, in physical units, a remote timestamp may be ahead of the local physical
    // time and still advance this clock. Default: 60,000 (one minute in milliseconds).
    explicit HybridClock(ReplicaId replica, std::uint64_t max_drift = 60'000) noexcept
        : replica_(replica), max_drift_(max_drift) {
        last_.replica = replica;
    }

    // A timestamp for a local event at physical time physical_now, greater than every timestamp
    // this clock issued or observed before.
    Timestamp now(std::uint64_t physical_now) noexcept {
        advance(physical_now, 0, 0);
        return last_;
    }

    // Moves this clock past remote (a timestamp received from a peer) and returns the new reading.
    // A remote more than max_drift ahead of physical_now does not drag this clock forward; it is
    // reported in drift_exceeded so the caller can count it, and the data it came with may still
    // be merged.
    Observation observe(const Timestamp& remote, std::uint64_t physical_now) noexcept {
        const bool too_far =
            remote.physical > physical_now && remote.physical - physical_now > max_drift_;
        if (too_far) {
            advance(physical_now, 0, 0);
        } else {
            advance(physical_now, remote.physical, remote.logical);
        }
        return Observation{last_, too_far};
    }

    // The last timestamp issued (all zero except the replica before the first call).
    const Timestamp& last() const noexcept { return last_; }
    ReplicaId replica() const noexcept { return replica_; }
    std::uint64_t max_drift() const noexcept { return max_drift_; }

    // Stamps later timestamps with replica instead (a writer that re-keyed); every later one is
    // still greater than every earlier one in (physical, logical).
    void rename(ReplicaId replica) noexcept {
        replica_ = replica;
        last_.replica = replica;
    }

    // Restores the clock after a restart so it never issues a timestamp at or below last.
    void restore(const Timestamp& last) noexcept {
        if (last > last_) {
            last_ = last;
            last_.replica = replica_;
        }
    }

  private:
    void advance(std::uint64_t physical_now, std::uint64_t remote_physical,
                 std::uint32_t remote_logical) noexcept {
        [[maybe_unused]] const Timestamp before = last_;
        const std::uint64_t physical = std::max({last_.physical, physical_now, remote_physical});
        std::uint64_t logical = 0;
        if (physical == last_.physical) logical = std::uint64_t{last_.logical} + 1;
        if (physical == remote_physical)
            logical = std::max(logical, std::uint64_t{remote_logical} + 1);
        if (logical > std::numeric_limits<std::uint32_t>::max()) {
            // The logical counter is full: borrow one physical unit rather than wrap.
            last_.physical = physical + 1;
            last_.logical = 0;
        } else {
            last_.physical = physical;
            last_.logical = static_cast<std::uint32_t>(logical);
        }
        assert(last_ > before);
    }

    ReplicaId replica_;
    std::uint64_t max_drift_;
    Timestamp last_;
};

}  // namespace converge
