// File: crdt/pn_counter.hpp
// PNCounter: a counter that goes up and down, as two grow-only counters (increments P and
// decrements N); the value is P - N.
//
//   PNCounter p;  p.increment(ReplicaId{1}, 3);  p.decrement(ReplicaId{2}, 1);  p.value();  // 2
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <cstdint>
#include <limits>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/error.hpp>
#include <crdt/gcounter.hpp>

namespace converge {
namespace detail {

// up - down as an int64_t. Throws InvalidOperation if it does not fit.
inline std::int64_t signed_difference(std::uint64_t up, std::uint64_t down) {
    const std::uint64_t magnitude = up >= down ? up - down : down - up;
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (up >= down) {
        if (magnitude > max) throw InvalidOperation("counter value exceeds int64_t");
        return static_cast<std::int64_t>(magnitude);
    }
    if (magnitude > max + 1) throw InvalidOperation("counter value is below int64_t's range");
    return magnitude == max + 1 ? std::numeric_limits<std::int64_t>::min()
                                : -static_cast<std::int64_t>(magnitude);
}

}  // namespace detail

class PNCounter : public codec::CerealSerializable<PNCounter> {
  public:
    PNCounter() = default;

    // Adds n and returns the delta. Throws InvalidOperation, changing nothing, on slot overflow.
    PNCounter increment(ReplicaId replica, std::uint64_t n = 1) {
        PNCounter delta;
        delta.increments_ = increments_.increment(replica, n);
        return delta;
    }

    // Subtracts n and returns the delta. Throws InvalidOperation, changing nothing, on overflow.
    PNCounter decrement(ReplicaId replica, std::uint64_t n = 1) {
        PNCounter delta;
        delta.decrements_ = decrements_.increment(replica, n);
        return delta;
    }

    // Increments minus decrements. Throws InvalidOperation if it does not fit in int64_t.
    std::int64_t value() const {
        return detail::signed_difference(increments_.value(), decrements_.value());
    }

    // Whether merge(other) would change nothing: no slot of other is above this one's.
    bool includes(const PNCounter& other) const noexcept {
        return increments_.includes(other.increments_) && decrements_.includes(other.decrements_);
    }

    void merge(const PNCounter& other) {
        increments_.merge(other.increments_);
        decrements_.merge(other.decrements_);
    }

    // Folds retired's increments and decrements into the retired writers' slots (GCounter::retire).
    void retire(ReplicaId retired) {
        GCounter up = increments_;
        up.retire(retired);
        decrements_.retire(retired);
        increments_ = std::move(up);
    }

    const GCounter& increments() const noexcept { return increments_; }
    const GCounter& decrements() const noexcept { return decrements_; }

    friend bool operator==(const PNCounter&, const PNCounter&) = default;

    void encode(codec::Writer& w) const {
        increments_.encode(w);
        decrements_.encode(w);
    }
    static PNCounter decode(codec::Reader& r) {
        PNCounter out;
        out.increments_ = GCounter::decode(r);
        out.decrements_ = GCounter::decode(r);
        return out;
    }

  private:
    GCounter increments_;
    GCounter decrements_;
};

}  // namespace converge
