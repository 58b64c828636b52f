// File: crdt/or_set.hpp
// ORSet<T>: an add-wins observed-remove set without tombstones (delta-state ORSet of Almeida,
// Shoker and Baquero). Each live element carries the dots of the adds that keep it alive; a remove
// drops the dots it observed, and the causal context remembers them so an old add can never bring
// the element back. A concurrent add and remove: the add wins.
//
//   ORSet<std::string> s;
//   auto delta = s.add(ReplicaId{1}, "x");   // ship delta to peers; they merge it
//   s.remove("x");  s.contains("x");          // false
//
// add, remove and contains are O(1) expected; merge is O(size of both sides).
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <algorithm>
#include <cassert>
#include <concepts>
#include <functional>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/codec/cereal_blob.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/detail/dense_map.hpp>
#include <crdt/detail/dot_set.hpp>
#include <crdt/detail/dot_store_codec.hpp>
#include <crdt/detail/sorted_keys.hpp>

namespace converge {

template <class T, class Hash = std::hash<T>, class Equal = std::equal_to<T>>
class ORSet : public codec::CerealSerializable<ORSet<T, Hash, Equal>> {
  public:
    using value_type = T;

    ORSet() = default;

    // Adds value with a fresh dot of replica and returns the delta. Re-adding a present element
    // replaces its dots with the new one (the delta carries the old dots in its context).
    ORSet add(ReplicaId replica, T value) {
        const Dot dot = context_.next_dot(replica);
        ORSet delta;
        auto [it, inserted] = entries_.try_emplace(std::move(value));
        if (!inserted) {
            for (const Dot& old : it->second)
                delta.context_.insert(old);
            it->second.clear();
        }
        it->second.push_back(dot);
        context_.insert(dot);
        delta.context_.insert(dot);
        delta.entries_.try_emplace(it->first, it->second);
        assert(contains(it->first));
        return delta;
    }

    // Removes value if present and returns the delta: the dots it observed, no element.
    ORSet remove(const T& value) {
        ORSet delta;
        auto it = entries_.find(value);
        if (it == entries_.end()) return delta;
        for (const Dot& d : it->second)
            delta.context_.insert(d);
        entries_.erase(it);
        return delta;
    }

    // Removes every element this replica has seen and returns the delta.
    ORSet clear() {
        ORSet delta;
        for (const auto& [value, dots] : entries_)
            for (const Dot& d : dots)
                delta.context_.insert(d);
        entries_.clear();
        return delta;
    }

    bool contains(const T& value) const { return entries_.find(value) != entries_.end(); }
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }

    // The elements, sorted when T is ordered (otherwise in unspecified order).
    std::vector<T> elements() const { return detail::keys_of(entries_); }

    // Calls fn(element) for every element, in unspecified order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& entry : entries_)
            fn(entry.first);
    }

    // The join. An element survives if some add of it was not observed by the other side.
    void merge(const ORSet& other) {
        if (other.entries_.size() > entries_.size() / 4)
            entries_.reserve(entries_.size() + other.entries_.size());
        std::uint64_t their_live_dots = 0;
        for (const auto& [value, theirs] : other.entries_) {
            their_live_dots += theirs.size();
            auto [it, inserted] = entries_.try_emplace(value);
            if (inserted) {
                it->second = theirs;
                if (!detail::drop_seen(it->second, context_)) entries_.erase(it);
            } else {
                it->second = detail::join_dots(it->second, context_, theirs, other.context_);
                if (it->second.empty()) entries_.erase(it);
            }
        }
        // Elements only here lose the dots the other side saw and dropped (none, for a delta of
        // adds).
        if (!detail::holds_only_live_dots(other.context_, their_live_dots)) {
            for (auto it = entries_.begin(); it != entries_.end();) {
                const bool seen = detail::any_seen(it->second, other.context_) &&
                                  other.entries_.find(it->first) == other.entries_.end();
                if (seen && !detail::drop_seen(it->second, other.context_))
                    it = entries_.erase(it);
                else
                    ++it;
            }
        }
        context_.merge(other.context_);
    }

    // Whether merge(other) would change nothing: other saw no dot this replica has not, and holds
    // every dot here it saw. O(other) for a delta of adds, else O(size of both); no allocation.
    bool includes(const ORSet& other) const {
        if (!context_.includes(other.context_)) return false;
        std::uint64_t their_live_dots = 0;
        for (const auto& entry : other.entries_)
            their_live_dots += entry.second.size();
        if (detail::holds_only_live_dots(other.context_, their_live_dots)) return true;
        for (const auto& [value, mine] : entries_) {
            if (!detail::any_seen(mine, other.context_)) continue;
            auto theirs = other.entries_.find(value);
            const bool kept = detail::dots_included(mine, other.context_, [&](const Dot& d) {
                return theirs != other.entries_.end() &&
                       std::binary_search(theirs->second.begin(), theirs->second.end(), d);
            });
            if (!kept) return false;
        }
        return true;
    }

    // The dots seen by this replica (the metadata a remove leaves behind).
    const CausalContext& context() const noexcept { return context_; }
    // The dots keeping value alive; empty when absent.
    detail::DotSet dots(const T& value) const {
        auto it = entries_.find(value);
        return it == entries_.end() ? detail::DotSet{} : it->second;
    }

    // Dot-generation hooks for nesting inside ORMap: the highest counter of replica seen, and
    // making every counter up to `counter` seen so new dots are generated above it.
    std::uint64_t max_counter(ReplicaId replica) const noexcept { return context_.max(replica); }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        context_.insert_up_to(replica, counter);
    }

    // Folds retired out of the causal context: afterwards it keeps retired's dots only up to the
    // highest one a live entry holds (so every live dot stays in the context), and nothing when
    // none does. Only once every replica has seen every dot of retired (crdt/retired_ids.hpp).
    void retire(ReplicaId retired) {
        std::uint64_t highest = 0;
        for (const auto& entry : entries_)
            for (const Dot& d : entry.second)
                if (d.replica == retired) highest = std::max(highest, d.counter);
        context_.fold_retired(retired, highest);
    }

    friend bool operator==(const ORSet& a, const ORSet& b) {
        return a.context_ == b.context_ && a.entries_ == b.entries_;
    }

    // Encoding: the context, then the elements grouped by the replica of their first dot, each as
    // (counter gap, value, extra dots); canonical because every dot names exactly one element.
    void encode(codec::Writer& w) const {
        context_.encode(w);
        typename codec::ValueCodec<T>::State state;
        detail::encode_dot_store(
            w, entries_, [](const auto& entry) -> const detail::DotSet& { return entry.second; },
            [&](codec::Writer& out, const auto& entry) {
                codec::ValueCodec<T>::encode(out, entry.first, state);
            });
    }
    static ORSet decode(codec::Reader& r) {
        ORSet out;
        out.context_ = CausalContext::decode(r);
        typename codec::ValueCodec<T>::State state;
        detail::decode_dot_store(
            r, out.context_,
            [&](codec::Reader& in, detail::DotSet&& dots) {
                T value = codec::ValueCodec<T>::decode(in, state);
                if (!out.entries_.try_emplace(std::move(value), std::move(dots)).second)
                    in.fail("set element appears twice");
            },
            [&](std::size_t group_entries) {
                out.entries_.reserve(out.entries_.size() + group_entries);
            });
        return out;
    }

  private:
    detail::DenseMap<T, detail::DotSet, Hash, Equal> entries_;
    CausalContext context_;
};

}  // namespace converge
