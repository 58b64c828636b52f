// File: crdt/retired_ids.hpp
// RetiredIds: writers that will never write again and whose every change every replica has seen.
// Folding such a writer out of a value drops it from the value's metadata without changing what
// the value shows: a causal context forgets its dots (all of them count as seen), a counter's
// slot moves, exactly once, into the retired writers' slot (id 0). Live entries keep their dots.
//
//   RetiredIds gone;  gone.insert(ReplicaId{7});
//   fold(set, gone);                      // set no longer lists writer 7 in its context
//   merge_folding(set, incoming, gone);   // incoming may still mention 7; the result does not
//
// The contract that makes it safe: an id goes into a table only once every replica holds every
// change of that writer (its changes are causally stable), and a replica merges a state folded by
// a table only after folding its own by that table (store/ keeps this with its peers). Under it,
// merge_folding of folded states equals the fold of the plain merge (tests/crdt/retire_test.cpp).
//
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/detail/id_gaps.hpp>
#include <crdt/gcounter.hpp>
#include <crdt/pn_counter.hpp>
#include <crdt/replica_id.hpp>
#include <crdt/resettable_counter.hpp>

namespace converge {

class RetiredIds {
  public:
    // Adds id; returns false when it was already there. Throws InvalidOperation for id 0.
    bool insert(ReplicaId id) {
        if (id == retired_writers) throw InvalidOperation("replica id 0 names no writer");
        auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
        if (it != ids_.end() && *it == id) return false;
        ids_.insert(it, id);
        return true;
    }
    // Removes id; returns whether it was there.
    bool erase(ReplicaId id) {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
        if (it == ids_.end() || *it != id) return false;
        ids_.erase(it);
        return true;
    }
    bool contains(ReplicaId id) const noexcept {
        return std::binary_search(ids_.begin(), ids_.end(), id);
    }
    std::size_t size() const noexcept { return ids_.size(); }
    bool empty() const noexcept { return ids_.empty(); }
    // The ids, sorted.
    const std::vector<ReplicaId>& ids() const noexcept { return ids_; }

    friend bool operator==(const RetiredIds&, const RetiredIds&) = default;

    // Encoding: count, then the gaps between sorted ids (varints).
    void encode(codec::Writer& w) const {
        w.varint(ids_.size());
        std::uint64_t previous = 0;
        for (ReplicaId id : ids_)
            detail::write_id_gap(w, previous, id);
    }
    static RetiredIds decode(codec::Reader& r) {
        RetiredIds out;
        const std::size_t n = r.count("retired ids", 1);
        out.ids_.reserve(n);
        std::uint64_t previous = 0;
        for (std::size_t i = 0; i < n; ++i)
            out.ids_.push_back(detail::read_id_gap(r, previous, i == 0, false, "retired ids"));
        return out;
    }

  private:
    std::vector<ReplicaId> ids_;
};

namespace detail {

template <class T>
inline constexpr bool is_counter = std::is_same_v<T, GCounter> || std::is_same_v<T, PNCounter> ||
                                   std::is_same_v<T, ResettableCounter>;

// Calls fn(id) for every id of retired that value mentions (each once).
template <class T, class Fn>
void for_each_retired(const T& value, const RetiredIds& retired, Fn&& fn) {
    if (retired.empty()) return;
    const auto visit = [&](ReplicaId id) {
        if (retired.contains(id)) fn(id);
    };
    if constexpr (std::is_same_v<T, GCounter>) {
        for (const auto& slot : value.slots())
            visit(slot.replica);
    } else if constexpr (std::is_same_v<T, ResettableCounter>) {
        for_each_retired(value.totals(), retired, fn);  // a baseline's slots are its totals'
    } else if constexpr (std::is_same_v<T, PNCounter>) {
        std::vector<ReplicaId> ids;
        for (const auto& slot : value.increments().slots())
            if (retired.contains(slot.replica)) ids.push_back(slot.replica);
        for (const auto& slot : value.decrements().slots())
            if (retired.contains(slot.replica) &&
                !std::binary_search(ids.begin(), ids.end(), slot.replica))
                ids.insert(std::lower_bound(ids.begin(), ids.end(), slot.replica), slot.replica);
        for (ReplicaId id : ids)
            fn(id);
    } else {
        // Every live dot is in the context, so the context names every writer the value holds.
        value.context().for_each_replica(visit);
    }
}

}  // namespace detail

// Appends what value holds of writer's changes (a counter: its slots; a causal type: its dots in
// the context), nothing when it holds none; returns whether it held any. Replicas whose values
// write equal bytes for writer have seen the same changes of it: the agreement that makes writer
// safe to retire compares hashes of these bytes.
template <class T>
bool encode_footprint(codec::Writer& w, const T& value, ReplicaId writer) {
    if constexpr (std::is_same_v<T, GCounter>) {
        const std::uint64_t slot = value.contribution(writer);
        if (slot != 0) w.varint(slot);
        return slot != 0;
    } else if constexpr (std::is_same_v<T, PNCounter>) {
        const std::uint64_t up = value.increments().contribution(writer);
        const std::uint64_t down = value.decrements().contribution(writer);
        if (up == 0 && down == 0) return false;
        w.varint(up);
        w.varint(down);
        return true;
    } else if constexpr (std::is_same_v<T, ResettableCounter>) {
        // The baseline too: a reset that moved it after some replicas folded it would be lost.
        if (!encode_footprint(w, value.totals(), writer)) return false;
        w.varint(value.baselines().increments().contribution(writer));
        w.varint(value.baselines().decrements().contribution(writer));
        return true;
    } else {
        const CausalContext& c = value.context();
        const std::uint64_t compact = c.compact().get(writer);
        bool any = compact != 0;
        w.varint(compact);
        for (const Dot* d = c.cloud_begin(); d != c.cloud_end(); ++d)
            if (d->replica == writer) {
                w.varint(d->counter);
                any = true;
            }
        return any;
    }
}

// Folds every id of retired out of value (a GCounter, PNCounter, ResettableCounter, ORSet or
// MVRegister): what it
// shows is unchanged. Ids in partial (those this replica adopted from a peer's table without
// holding, perhaps, every change of theirs: a replica restored from an old backup) fold out of
// counters only; a causal value keeps their dots until merge_folding takes a whole state that
// covers them. Returns whether value changed. Throws InvalidOperation, changing nothing, if a
// counter slot overflows.
template <class T>
bool fold(T& value, const RetiredIds& retired, const RetiredIds* partial = nullptr) {
    std::vector<ReplicaId> ids;
    detail::for_each_retired(value, retired, [&](ReplicaId id) {
        if (detail::is_counter<T> || partial == nullptr || !partial->contains(id))
            ids.push_back(id);
    });
    if (ids.empty()) return false;
    T folded = value;
    for (ReplicaId id : ids)
        folded.retire(id);
    if (folded == value) return false;
    value = std::move(folded);
    return true;
}

// How to read the context of a state merged in: `itself` (a delta, or a state from a replica that
// had not folded every id of the table: only the dots it lists are seen), or `covering_retired`
// (the whole state of a replica that had folded exactly this table: every dot of every retired
// writer counts as seen, those its fold dropped from the context included).
enum class Seen : std::uint8_t { itself, covering_retired };

// into ⊔ other, folded by retired. into must be the whole state of this replica, folded by
// retired (fold, with the same partial); other must not be folded by an id missing from retired.
// into's own context counts every dot of a retired writer as seen (an entry of that writer missing
// from into was removed here), but for the ids in partial; other's counts them as seen_by says,
// but for the ids in other_partial (those its sender adopted without holding them all). Counters
// ignore seen_by and the partial sets: their slots fold exactly once.
template <class T>
void merge_folding(T& into, T other, const RetiredIds& retired, Seen seen_by = Seen::itself,
                   const RetiredIds* partial = nullptr, const RetiredIds* other_partial = nullptr) {
    if constexpr (detail::is_counter<T>) {
        fold(other, retired);
        into.merge(other);
    } else {
        std::vector<ReplicaId> ids;
        const auto collect = [&](ReplicaId id) {
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        };
        detail::for_each_retired(into, retired, collect);
        detail::for_each_retired(other, retired, collect);
        const auto complete_here = [&](ReplicaId id) {
            return partial == nullptr || !partial->contains(id);
        };
        const auto covered_there = [&](ReplicaId id) {
            return seen_by == Seen::covering_retired &&
                   (other_partial == nullptr || !other_partial->contains(id));
        };
        for (ReplicaId id : ids) {
            const std::uint64_t seen = std::max(into.max_counter(id), other.max_counter(id));
            if (complete_here(id)) into.advance_counter(id, seen);
            if (covered_there(id)) other.advance_counter(id, seen);
        }
        into.merge(other);
        // A partial id leaves into's context once a covering whole state made its entries exact.
        for (ReplicaId id : ids)
            if (complete_here(id) || covered_there(id)) into.retire(id);
    }
}

}  // namespace converge
