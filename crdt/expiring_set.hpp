// File: crdt/expiring_set.hpp
// ExpiringSet<T>: an add-wins observed-remove set (ORSet<T>) whose whole value can expire, as
// Redis's set under EXPIRE. The deadline is a last-writer-wins register beside the elements
// (crdt/deadline.hpp): of two concurrent EXPIREs, or an EXPIRE and a PERSIST, the later command
// wins on every replica. A replica whose hybrid clock passes the deadline removes the elements it
// has seen (clear(), an observed remove), so an add it had not seen survives the expiry.
//
//   ExpiringSet<std::string> s;
//   s.add(ReplicaId{1}, "x");
//   s.expire(Timestamp{10, 0, ReplicaId{1}}, 5'000);   s.deadline().expired_at(5'000);   // true
//
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <utility>
#include <vector>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/detail/over_core.hpp>
#include <crdt/or_set.hpp>

namespace converge {

template <class T, class Hash = std::hash<T>, class Equal = std::equal_to<T>>
class ExpiringSet : public codec::CerealSerializable<ExpiringSet<T, Hash, Equal>>,
                    public detail::OverCore<ExpiringSet<T, Hash, Equal>, ORSet<T, Hash, Equal>> {
  public:
    using value_type = T;
    using Set = ORSet<T, Hash, Equal>;

    ExpiringSet() = default;

    // ORSet's mutators; each returns the delta.
    ExpiringSet add(ReplicaId replica, T value) {
        return ExpiringSet(this->store_.add(replica, std::move(value)));
    }
    ExpiringSet remove(const T& value) { return ExpiringSet(this->store_.remove(value)); }
    // Removes every element seen here (the deadline stays).
    ExpiringSet clear() { return ExpiringSet(this->store_.clear()); }

    bool contains(const T& value) const { return this->store_.contains(value); }
    // The elements, sorted when T is ordered.
    std::vector<T> elements() const { return this->store_.elements(); }
    // Calls fn(element) for every element, in unspecified order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        this->store_.for_each(std::forward<Fn>(fn));
    }
    // The dots keeping value alive; empty when absent.
    detail::DotSet dots(const T& value) const { return this->store_.dots(value); }

    friend bool operator==(const ExpiringSet&, const ExpiringSet&) = default;

    // ORSet's encoding, then the deadline (a 0 byte when never set); with_deadline false reads a
    // plain ORSet's encoding.
    void encode(codec::Writer& w) const {
        this->store_.encode(w);
        this->encode_deadline(w);
    }
    static ExpiringSet decode(codec::Reader& r, bool with_deadline = true) {
        ExpiringSet out(Set::decode(r));
        if (with_deadline) out.decode_deadline(r);
        return out;
    }

  private:
    using Core = detail::OverCore<ExpiringSet, Set>;
    explicit ExpiringSet(Set&& set) : Core(std::move(set)) {}
};

}  // namespace converge
