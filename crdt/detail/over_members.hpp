// File: crdt/detail/over_members.hpp
// OverMembers<Derived, V, N>: what ORHash and SortedSet share around their MemberStore: all of
// OverCore (the join, size, the deadline, the causal hooks), and the store itself for printing and
// inspection.
#pragma once

#include <utility>

#include <crdt/detail/member_store.hpp>
#include <crdt/detail/over_core.hpp>

namespace converge::detail {

template <class Derived, class V, class N>
class OverMembers : public OverCore<Derived, MemberStore<V, N>> {
  public:
    // The shared core, for printing and inspection.
    const MemberStore<V, N>& members_store() const noexcept { return this->store_; }

  protected:
    OverMembers() = default;
    explicit OverMembers(MemberStore<V, N>&& s)
        : OverCore<Derived, MemberStore<V, N>>(std::move(s)) {}
};

}  // namespace converge::detail
