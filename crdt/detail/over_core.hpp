// File: crdt/detail/over_core.hpp
// OverCore<Derived, Core>: what a type made of a causal core (an ORSet, a MemberStore) and a whole
// value's deadline shares: the join, size, equality, the deadline and the causal hooks (context,
// dot generation, retirement) every causal type has. ExpiringSet and OverMembers (ORHash,
// SortedSet) build on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include <crdt/causal_context.hpp>
#include <crdt/detail/with_deadline.hpp>

namespace converge::detail {

template <class Derived, class Core>
class OverCore : public WithDeadline<Derived> {
  public:
    // Present elements (members, fields).
    std::size_t size() const { return store_.size(); }
    bool empty() const { return size() == 0; }

    // The join of the cores and of the deadlines.
    void merge(const Derived& other) {
        store_.merge(other.store_);
        this->merge_deadline(other);
    }
    // Whether merge(other) would change nothing.
    bool includes(const Derived& other) const {
        return this->deadline_includes(other) && store_.includes(other.store_);
    }
    const CausalContext& context() const noexcept { return store_.context(); }
    std::uint64_t max_counter(ReplicaId replica) const noexcept {
        return store_.max_counter(replica);
    }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        store_.advance_counter(replica, counter);
    }
    // Folds retired out of the causal context (crdt/retired_ids.hpp).
    void retire(ReplicaId retired) { store_.retire(retired); }

    friend bool operator==(const OverCore&, const OverCore&) = default;

  protected:
    OverCore() = default;
    explicit OverCore(Core&& core) : store_(std::move(core)) {}

    Core store_;
};

}  // namespace converge::detail
