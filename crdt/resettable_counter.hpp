// File: crdt/resettable_counter.hpp
// ResettableCounter: a counter that goes up and down, can be reset by observation and can expire,
// as Redis Active-Active's counter under DEL and EXPIRE: a reset (clear) takes back every
// increment and decrement it has seen, and one made concurrently with it (on a replica that had
// not seen the reset) survives. State: the PNCounter of every writer's totals, a PNCounter of
// baselines (each writer's totals as of the latest reset that saw them), both merged slot by slot
// by maximum, and a whole-value deadline (crdt/deadline.hpp, as ExpiringSet's). The value is the
// totals less the baselines; no baseline passes its total.
//
//   ResettableCounter c;  c.increment(ReplicaId{1}, 5);  c.clear();  c.increment(ReplicaId{2}, 1);
//   c.value();  // 1
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <cstdint>
#include <string>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/detail/with_deadline.hpp>
#include <crdt/error.hpp>
#include <crdt/pn_counter.hpp>

namespace converge {

class ResettableCounter : public codec::CerealSerializable<ResettableCounter>,
                          public detail::WithDeadline<ResettableCounter> {
  public:
    ResettableCounter() = default;

    // Adds n and returns the delta. Throws InvalidOperation, changing nothing, on slot overflow.
    ResettableCounter increment(ReplicaId replica, std::uint64_t n = 1) {
        ResettableCounter delta;
        delta.totals_ = totals_.increment(replica, n);
        return delta;
    }

    // Subtracts n and returns the delta. Throws InvalidOperation, changing nothing, on overflow.
    ResettableCounter decrement(ReplicaId replica, std::uint64_t n = 1) {
        ResettableCounter delta;
        delta.totals_ = totals_.decrement(replica, n);
        return delta;
    }

    // Takes back everything this replica has seen (the observed reset): every baseline moves up to
    // its total, and the value becomes 0; the deadline stays. Returns the delta: the slots it
    // reset, with their totals and baselines.
    ResettableCounter clear() {
        ResettableCounter delta;
        delta.totals_ = totals_;
        delta.baselines_ = totals_;
        baselines_ = totals_;
        return delta;
    }

    // The totals less the baselines: what no reset has seen. Throws InvalidOperation if it does
    // not fit in int64_t.
    std::int64_t value() const {
        return detail::signed_difference(unreset(totals_.increments(), baselines_.increments()),
                                         unreset(totals_.decrements(), baselines_.decrements()));
    }

    // Whether nothing counts: every increment and decrement has been reset, or there were none (a
    // deleted counter; its value is 0, as that of +1 and -1 is, which is not empty).
    bool empty() const noexcept { return baselines_ == totals_; }

    // Whether merge(other) would change nothing.
    bool includes(const ResettableCounter& other) const noexcept {
        return totals_.includes(other.totals_) && baselines_.includes(other.baselines_) &&
               deadline_includes(other);
    }

    void merge(const ResettableCounter& other) {
        totals_.merge(other.totals_);
        baselines_.merge(other.baselines_);
        merge_deadline(other);
    }

    // Folds retired's totals and baseline into the retired writers' slots (GCounter::retire): the
    // value is unchanged. Only once retired's totals and baseline are the same on every replica
    // (crdt/retired_ids.hpp: its footprint holds both). Throws InvalidOperation, changing nothing,
    // on overflow.
    void retire(ReplicaId retired) {
        PNCounter totals = totals_;
        totals.retire(retired);
        baselines_.retire(retired);  // never overflows where its totals did not
        totals_ = std::move(totals);
    }

    const PNCounter& totals() const noexcept { return totals_; }
    const PNCounter& baselines() const noexcept { return baselines_; }

    friend bool operator==(const ResettableCounter&, const ResettableCounter&) = default;

    // The totals, the baselines, then the deadline (a 0 byte when never set).
    void encode(codec::Writer& w) const {
        totals_.encode(w);
        baselines_.encode(w);
        encode_deadline(w);
    }
    // Throws DecodeError for a baseline above its total (no reset can see more than was counted).
    static ResettableCounter decode(codec::Reader& r) {
        ResettableCounter out;
        out.totals_ = PNCounter::decode(r);
        out.baselines_ = PNCounter::decode(r);
        if (!out.totals_.includes(out.baselines_))
            throw DecodeError("a counter's reset baseline is above its total");
        out.decode_deadline(r);
        return out;
    }
    // A PNCounter's encoding read as a counter never reset and without a deadline.
    static ResettableCounter decode_plain(codec::Reader& r) {
        ResettableCounter out;
        out.totals_ = PNCounter::decode(r);
        return out;
    }

  private:
    // The sum over writers of total less baseline. Throws InvalidOperation past 2^64-1.
    static std::uint64_t unreset(const GCounter& totals, const GCounter& baselines) {
        std::uint64_t sum = 0;
        for (const auto& slot : totals.slots()) {
            const std::uint64_t part = slot.count - baselines.contribution(slot.replica);
            if (sum + part < sum) throw InvalidOperation("counter value exceeds 2^64-1");
            sum += part;
        }
        return sum;
    }

    PNCounter totals_;
    PNCounter baselines_;  // slot by slot at most totals_
};

}  // namespace converge
