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
#include <crdt/detail/with_deadline.hpp>
#include <crdt/or_set.hpp>

namespace converge {

template <class T, class Hash = std::hash<T>, class Equal = std::equal_to<T>>
class ExpiringSet : public codec::CerealSerializable<ExpiringSet<T, Hash, Equal>>,
                    public detail::WithDeadline<ExpiringSet<T, Hash, Equal>> {
  public:
    using value_type = T;
    using Set = ORSet<T, Hash, Equal>;

    ExpiringSet() = default;

    // ORSet's mutators; each returns the delta.
    ExpiringSet add(ReplicaId replica, T value) {
        return ExpiringSet(set_.add(replica, std::move(value)));
    }
    ExpiringSet remove(const T& value) { return ExpiringSet(set_.remove(value)); }
    // Removes every element seen here (the deadline stays).
    ExpiringSet clear() { return ExpiringSet(set_.clear()); }

    bool contains(const T& value) const { return set_.contains(value); }
    std::size_t size() const noexcept { return set_.size(); }
    bool empty() const noexcept { return set_.empty(); }
    // The elements, sorted when T is ordered.
    std::vector<T> elements() const { return set_.elements(); }
    // Calls fn(element) for every element, in unspecified order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        set_.for_each(std::forward<Fn>(fn));
    }
    // The dots keeping value alive; empty when absent.
    detail::DotSet dots(const T& value) const { return set_.dots(value); }

    // The join of the elements (ORSet::merge) and of the deadlines.
    void merge(const ExpiringSet& other) {
        set_.merge(other.set_);
        this->merge_deadline(other);
    }
    // Whether merge(other) would change nothing.
    bool includes(const ExpiringSet& other) const {
        return this->deadline_includes(other) && set_.includes(other.set_);
    }

    const CausalContext& context() const noexcept { return set_.context(); }
    std::uint64_t max_counter(ReplicaId replica) const noexcept {
        return set_.max_counter(replica);
    }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        set_.advance_counter(replica, counter);
    }
    // Folds retired out of the causal context (ORSet::retire).
    void retire(ReplicaId retired) { set_.retire(retired); }

    friend bool operator==(const ExpiringSet&, const ExpiringSet&) = default;

    // ORSet's encoding, then the deadline (a 0 byte when never set); with_deadline false reads a
    // plain ORSet's encoding.
    void encode(codec::Writer& w) const {
        set_.encode(w);
        this->encode_deadline(w);
    }
    static ExpiringSet decode(codec::Reader& r, bool with_deadline = true) {
        ExpiringSet out(Set::decode(r));
        if (with_deadline) out.decode_deadline(r);
        return out;
    }

  private:
    explicit ExpiringSet(Set&& set) : set_(std::move(set)) {}

    Set set_;
};

}  // namespace converge
