// File: crdt/detail/over_members.hpp
// OverMembers<Derived, V, N>: what ORHash and SortedSet share around their MemberStore: the join,
// size, equality, the whole value's deadline and the causal hooks (context, dot generation,
// retirement) every causal type has.
#pragma once

#include <cstdint>

#include <crdt/detail/member_store.hpp>
#include <crdt/detail/with_deadline.hpp>

namespace converge::detail {

template <class Derived, class V, class N>
class OverMembers : public WithDeadline<Derived> {
  public:
    // Present members (fields).
    std::size_t size() const { return store_.size(); }
    bool empty() const { return size() == 0; }

    void merge(const Derived& other) {
        store_.merge(other.store_);
        this->merge_deadline(other);
    }
    // Whether merge(other) would change nothing (MemberStore::includes, and the deadline).
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
    // The shared core, for printing and inspection.
    const MemberStore<V, N>& members_store() const noexcept { return store_; }

    friend bool operator==(const OverMembers&, const OverMembers&) = default;

  protected:
    OverMembers() = default;
    explicit OverMembers(MemberStore<V, N>&& s) : store_(std::move(s)) {}

    MemberStore<V, N> store_;
};

}  // namespace converge::detail
