// File: crdt/detail/join_dotted.hpp
// The join of two dot stores kept as sorted vectors of entries, each entry named by one dot: an
// entry survives where both sides hold it, or where the side lacking it has not seen its dot.
// Shared by MemberStore and HyperLogLog.
#pragma once

#include <cassert>
#include <vector>

#include <crdt/causal_context.hpp>

namespace converge::detail {

// a ⊔ b, both sorted by less (a strict order in which entries with equal dots are equivalent);
// dot_of(entry) names an entry's dot. The result is sorted the same way.
template <class Entry, class Less, class DotOf>
std::vector<Entry> join_dotted(const std::vector<Entry>& a, const CausalContext& a_seen,
                               const std::vector<Entry>& b, const CausalContext& b_seen,
                               Less&& less, DotOf&& dot_of) {
    std::vector<Entry> out;
    out.reserve(a.size() > b.size() ? a.size() : b.size());
    auto x = a.begin();
    auto y = b.begin();
    while (x != a.end() || y != b.end()) {
        if (y == b.end() || (x != a.end() && less(*x, *y))) {
            if (!b_seen.contains(dot_of(*x))) out.push_back(*x);
            ++x;
        } else if (x == a.end() || less(*y, *x)) {
            if (!a_seen.contains(dot_of(*y))) out.push_back(*y);
            ++y;
        } else {
            assert(dot_of(*x) == dot_of(*y));
            out.push_back(*x);
            ++x, ++y;
        }
    }
    return out;
}

}  // namespace converge::detail
