// File: crdt/detail/with_deadline.hpp
// WithDeadline<Derived>: the whole-value expiry (crdt/deadline.hpp) that ORHash, SortedSet and
// HyperLogLog carry beside their members, its δ-mutator and its place at the end of their
// canonical encoding (a 0 byte when never set).
#pragma once

#include <cstdint>

#include <crdt/deadline.hpp>

namespace converge::detail {

template <class Derived>
class WithDeadline {
  public:
    // When the whole value expires; unset() if no EXPIRE or PERSIST ever reached it.
    const Deadline& deadline() const noexcept { return deadline_; }
    // Sets the value to expire at expires_ms on the hybrid clock (0: never), as a command taken
    // at timestamp when; returns the delta. Of concurrent settings the later timestamp wins.
    Derived expire(Timestamp when, std::uint64_t expires_ms) {
        Derived delta;
        static_cast<WithDeadline&>(delta).deadline_.set(when, expires_ms);
        deadline_.merge(static_cast<WithDeadline&>(delta).deadline_);
        return delta;
    }

    friend bool operator==(const WithDeadline&, const WithDeadline&) = default;

  protected:
    void merge_deadline(const WithDeadline& other) noexcept { deadline_.merge(other.deadline_); }
    bool deadline_includes(const WithDeadline& other) const noexcept {
        return deadline_.includes(other.deadline_);
    }
    void encode_deadline(codec::Writer& w) const {
        w.byte(deadline_.unset() ? 0 : 1);
        if (!deadline_.unset()) deadline_.encode(w);
    }
    void decode_deadline(codec::Reader& r) {
        const std::uint8_t flag = r.byte("deadline flag");
        if (flag > 1) r.fail("deadline flag is neither 0 nor 1");
        if (flag == 1) deadline_ = Deadline::decode(r);
    }

    Deadline deadline_;
};

}  // namespace converge::detail
