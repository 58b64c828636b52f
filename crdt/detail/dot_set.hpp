// File: crdt/detail/dot_set.hpp
// The set of dots that keep one element (or one map entry) alive, and the join rule of causal
// CRDTs on it: a dot survives a merge if both sides hold it, or if one side holds it and the
// other side has not seen it.
#pragma once

#include <algorithm>

#include <crdt/causal_context.hpp>
#include <crdt/detail/small_vector.hpp>
#include <crdt/dot.hpp>

namespace converge::detail {

// Sorted, duplicate-free dots; one inline (the usual case: an element added once).
using DotSet = SmallVector<Dot, 1>;

// The causal join of `mine` (seen under my_context) with `theirs` (seen under their_context).
inline DotSet join_dots(const DotSet& mine, const CausalContext& my_context, const DotSet& theirs,
                        const CausalContext& their_context) {
    DotSet out;
    const Dot *a = mine.begin(), *b = theirs.begin();
    while (a != mine.end() || b != theirs.end()) {
        if (b == theirs.end() || (a != mine.end() && *a < *b)) {
            if (!their_context.contains(*a)) out.push_back(*a);
            ++a;
        } else if (a == mine.end() || *b < *a) {
            if (!my_context.contains(*b)) out.push_back(*b);
            ++b;
        } else {
            out.push_back(*a);
            ++a, ++b;
        }
    }
    return out;
}

// Removes from dots every dot that context has seen; returns true if any remain.
inline bool drop_seen(DotSet& dots, const CausalContext& context) {
    Dot* out = dots.begin();
    for (const Dot& d : dots)
        if (!context.contains(d)) *out++ = d;
    dots.erase(out, dots.end());
    return !dots.empty();
}

// True if context has seen any dot in dots.
inline bool any_seen(const DotSet& dots, const CausalContext& context) {
    return std::any_of(dots.begin(), dots.end(), [&](const Dot& d) { return context.contains(d); });
}

// Whether the join of a dot store (live: its dots; my_context) with another (their_live: the
// other's dots; their_context) changes nothing here: the other saw nothing new, and every dot here
// it saw it still holds. their_live(dot) says whether the other holds dot (under the same entry,
// as dots are unique).
template <class TheirLive>
bool dots_included(const DotSet& live, const CausalContext& their_context, TheirLive&& their_live) {
    return std::all_of(live.begin(), live.end(),
                       [&](const Dot& d) { return !their_context.contains(d) || their_live(d); });
}

// True when context holds nothing but the live_dots dots of its own store: that side has removed
// nothing, so merging it cannot drop anything the other side holds under keys it lacks (every dot
// names one entry), and the scan for such drops can be skipped.
inline bool holds_only_live_dots(const CausalContext& context, std::uint64_t live_dots) noexcept {
    return context.dot_count() == live_dots;
}

}  // namespace converge::detail
