// File: crdt/gcounter.hpp
// GCounter: a grow-only counter. Each replica increments its own slot; the value is the sum of
// all slots; merge takes the maximum of each slot.
//
//   GCounter g;  auto delta = g.increment(ReplicaId{1}, 5);  g.value();   // 5
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <cassert>
#include <cstdint>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/error.hpp>
#include <crdt/version_vector.hpp>

namespace converge {

class GCounter : public codec::CerealSerializable<GCounter> {
  public:
    GCounter() = default;

    // Adds n to replica's slot and returns the delta (replica's new slot alone). Throws
    // InvalidOperation, changing nothing, if the slot would pass 2^64-1 or replica is the reserved
    // id 0.
    GCounter increment(ReplicaId replica, std::uint64_t n = 1) {
        if (replica == retired_writers)
            throw InvalidOperation("replica id 0 is reserved for retired writers' contributions");
        const std::uint64_t slot = slots_.add(replica, n);
        GCounter delta;
        if (slot != 0) delta.slots_.set(replica, slot);
        return delta;
    }

    // The sum of every replica's slot. Throws InvalidOperation if the sum passes 2^64-1.
    std::uint64_t value() const { return slots_.sum(); }

    // The contribution of one replica.
    std::uint64_t contribution(ReplicaId replica) const noexcept { return slots_.get(replica); }

    // Whether merge(other) would change nothing: no slot of other is above this one's.
    bool includes(const GCounter& other) const noexcept { return slots_.dominates(other.slots_); }

    // The join: each slot becomes the maximum of both.
    void merge(const GCounter& other) {
        slots_.merge(other.slots_);
        assert(slots_.dominates(other.slots_));
    }

    // Folds retired's slot into the retired writers' slot (id 0): the value is unchanged and
    // retired no longer appears. Only once retired's slot is final on every replica
    // (crdt/retired_ids.hpp). Throws InvalidOperation, changing nothing, on overflow.
    void retire(ReplicaId retired) {
        assert(retired != retired_writers);
        const std::uint64_t slot = slots_.get(retired);
        if (slot == 0) return;
        slots_.add(retired_writers, slot);
        slots_.set(retired, 0);
    }

    const VersionVector& slots() const noexcept { return slots_; }

    friend bool operator==(const GCounter&, const GCounter&) = default;

    void encode(codec::Writer& w) const { slots_.encode(w); }
    static GCounter decode(codec::Reader& r) {
        GCounter out;
        out.slots_ = VersionVector::decode(r);
        return out;
    }

  private:
    VersionVector slots_;
};

}  // namespace converge
