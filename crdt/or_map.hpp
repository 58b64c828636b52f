// File: crdt/or_map.hpp
// ORMap<K, V>: a map from keys to CRDT values (any converge type, ORMaps included) with
// observed-remove keys.
//
// Each key holds one "slice" per replica that updated it: that replica's contributions to the
// value, stamped with a dot. The value is the join of the slices. remove(key) drops the slices it
// observed; a replica that updates the key concurrently keeps it alive with its own slice (its
// earlier contributions included: a concurrent update wins over a remove, as in ORSet). Removed
// keys leave no tombstone, only dots in the causal context.
//
//   ORMap<std::string, PNCounter> m;
//   m.apply(ReplicaId{1}, "likes", [&](PNCounter& c) { return c.increment(ReplicaId{1}, 2); });
//   m.get("likes")->value();   // 2
//   m.remove("likes");
//
// A delta of apply carries the updating replica's whole slice of that key.
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <algorithm>
#include <cassert>
#include <concepts>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/codec/cereal_blob.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/detail/dot_set.hpp>
#include <crdt/detail/dot_store_codec.hpp>
#include <crdt/detail/sorted_keys.hpp>
#include <crdt/version_vector.hpp>

namespace converge {

// Types that generate dots (ORSet, MVRegister, ORMap): ORMap seeds their dot generation so a key
// removed and re-created never reuses a dot.
template <class V>
concept DotGenerating = requires(V v, const V cv, ReplicaId r, std::uint64_t c) {
    { cv.max_counter(r) } -> std::same_as<std::uint64_t>;
    v.advance_counter(r, c);
};

template <class K, class V, class Hash = std::hash<K>, class Equal = std::equal_to<K>>
class ORMap : public codec::CerealSerializable<ORMap<K, V, Hash, Equal>> {
  public:
    using key_type = K;
    using mapped_type = V;

    ORMap() = default;

    // Applies mutation (a callable V& -> V returning the value's delta) to the value at key,
    // creating it empty if absent, as an update by replica. Returns the map's delta.
    template <class Mutation>
    ORMap apply(ReplicaId replica, const K& key, Mutation&& mutation) {
        const Dot dot = context_.next_dot(replica);
        auto existing = entries_.find(key);
        Entry created;
        Entry& entry = existing == entries_.end() ? created : existing->second;
        V contribution;
        try {
            if constexpr (DotGenerating<V>) {
                const std::uint64_t floor = floor_.get(replica);
                if (entry.value.max_counter(replica) < floor) {
                    contribution.advance_counter(replica, floor);
                    entry.value.advance_counter(replica, floor);
                }
            }
            contribution.merge(std::invoke(std::forward<Mutation>(mutation), entry.value));
        } catch (...) {
            entry.rejoin();  // undo any seeding: the map is as it was
            throw;
        }

        ORMap delta;
        const auto own = entry.find_replica(replica);
        if (own != entry.dots.size()) {
            delta.context_.insert(entry.dots[own]);
            V previous = std::move(entry.slices[own]);
            previous.merge(contribution);
            contribution = std::move(previous);
            entry.erase(own);
        }
        entry.insert(dot, contribution);
        context_.insert(dot);
        delta.context_.insert(dot);
        if constexpr (DotGenerating<V>) {
            const std::uint64_t floor =
                std::max(floor_.get(replica), entry.value.max_counter(replica));
            floor_.set(replica, floor);
            delta.floor_.set(replica, floor);
        }
        Entry& shipped = delta.entries_[key];
        shipped.insert(dot, contribution);
        shipped.value = std::move(contribution);
        if (existing == entries_.end()) entries_.emplace(key, std::move(created));
        return delta;
    }

    // Removes key (every slice this replica has seen) and returns the delta.
    ORMap remove(const K& key) {
        ORMap delta;
        auto it = entries_.find(key);
        if (it == entries_.end()) return delta;
        for (const Dot& d : it->second.dots)
            delta.context_.insert(d);
        entries_.erase(it);
        return delta;
    }

    // Removes every key and returns the delta.
    ORMap clear() {
        ORMap delta;
        for (const auto& [key, entry] : entries_)
            for (const Dot& d : entry.dots)
                delta.context_.insert(d);
        entries_.clear();
        return delta;
    }

    // The value at key, or nullptr when absent. Valid until the map is next changed.
    const V* get(const K& key) const {
        auto it = entries_.find(key);
        return it == entries_.end() ? nullptr : &it->second.value;
    }
    bool contains(const K& key) const { return entries_.find(key) != entries_.end(); }
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }

    // The keys, sorted when K is ordered.
    std::vector<K> keys() const { return detail::keys_of(entries_); }

    // Calls fn(key, value) for every entry, in unspecified order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [key, entry] : entries_)
            fn(key, entry.value);
    }

    // The join: per key, a slice survives if both sides hold it or the other side has not seen it.
    void merge(const ORMap& other) {
        std::uint64_t their_live_dots = 0;
        for (const auto& [key, theirs] : other.entries_) {
            their_live_dots += theirs.dots.size();
            auto it = entries_.find(key);
            if (it == entries_.end()) {
                Entry fresh = theirs.unseen_by(context_);
                if (!fresh.dots.empty()) entries_.emplace(key, std::move(fresh));
            } else {
                if (it->second.join(context_, theirs, other.context_))
                    if (it->second.dots.empty()) entries_.erase(it);
            }
        }
        // Keys only here lose the slices the other side saw and dropped (none, for a delta of
        // updates).
        if (!detail::holds_only_live_dots(other.context_, their_live_dots)) {
            for (auto it = entries_.begin(); it != entries_.end();) {
                if (detail::any_seen(it->second.dots, other.context_) &&
                    other.entries_.find(it->first) == other.entries_.end() &&
                    it->second.drop_seen(other.context_) && it->second.dots.empty())
                    it = entries_.erase(it);
                else
                    ++it;
            }
        }
        context_.merge(other.context_);
        floor_.merge(other.floor_);
    }

    const CausalContext& context() const noexcept { return context_; }

    // DotGenerating, so ORMaps nest inside ORMaps.
    std::uint64_t max_counter(ReplicaId replica) const noexcept {
        return std::max(context_.max(replica), floor_.get(replica));
    }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        context_.insert_up_to(replica, counter);
        if (floor_.get(replica) < counter) floor_.set(replica, counter);
    }

    friend bool operator==(const ORMap& a, const ORMap& b) {
        if (a.context_ != b.context_ || a.floor_ != b.floor_ || a.size() != b.size()) return false;
        for (const auto& [key, entry] : a.entries_) {
            auto it = b.entries_.find(key);
            if (it == b.entries_.end() || !(it->second.dots == entry.dots) ||
                it->second.slices != entry.slices)
                return false;
        }
        return true;
    }

    // Encoding: context, dot floor, then the keys as a dot store whose payload is the key followed
    // by one value per dot (the slices).
    void encode(codec::Writer& w) const {
        context_.encode(w);
        floor_.encode(w);
        typename codec::ValueCodec<K>::State key_state;
        detail::encode_dot_store(
            w, entries_, [](const auto& e) -> const detail::DotSet& { return e.second.dots; },
            [&](codec::Writer& out, const auto& e) {
                codec::ValueCodec<K>::encode(out, e.first, key_state);
                typename codec::ValueCodec<V>::State value_state;
                for (const V& slice : e.second.slices)
                    codec::ValueCodec<V>::encode(out, slice, value_state);
            });
    }
    static ORMap decode(codec::Reader& r) {
        ORMap out;
        out.context_ = CausalContext::decode(r);
        out.floor_ = VersionVector::decode(r);
        typename codec::ValueCodec<K>::State key_state;
        detail::decode_dot_store(r, out.context_, [&](codec::Reader& in, detail::DotSet&& dots) {
            K key = codec::ValueCodec<K>::decode(in, key_state);
            Entry entry;
            typename codec::ValueCodec<V>::State value_state;
            // One slice per dot. Two dots of one replica are allowed: a replica that has not yet
            // seen a remove holds the updater's old slice beside its next one.
            for (std::size_t i = 0; i < dots.size(); ++i)
                entry.slices.push_back(codec::ValueCodec<V>::decode(in, value_state));
            entry.dots = std::move(dots);
            entry.rejoin();
            if (!out.entries_.try_emplace(std::move(key), std::move(entry)).second)
                in.fail("map key appears twice");
        });
        return out;
    }

  private:
    // One key: sorted dots, the slice written under each, and their join (the visible value).
    struct Entry {
        detail::DotSet dots;
        std::vector<V> slices;
        V value;

        std::size_t find_replica(ReplicaId replica) const {
            for (std::size_t i = 0; i < dots.size(); ++i)
                if (dots[i].replica == replica) return i;
            return dots.size();
        }
        void erase(std::size_t i) {
            dots.erase(dots.begin() + i);
            slices.erase(slices.begin() + static_cast<std::ptrdiff_t>(i));
        }
        void insert(const Dot& dot, const V& slice) {
            const Dot* at = std::lower_bound(dots.begin(), dots.end(), dot);
            const auto index = at - dots.begin();
            dots.insert(at, dot);
            slices.insert(slices.begin() + index, slice);
        }
        void rejoin() {
            value = V{};
            for (const V& s : slices)
                value.merge(s);
        }
        // The slices of this entry that context has not seen.
        Entry unseen_by(const CausalContext& context) const {
            Entry out;
            for (std::size_t i = 0; i < dots.size(); ++i) {
                if (context.contains(dots[i])) continue;
                out.dots.push_back(dots[i]);
                out.slices.push_back(slices[i]);
            }
            out.rejoin();
            return out;
        }
        // Drops the slices context has seen; returns true if any were dropped.
        bool drop_seen(const CausalContext& context) {
            bool dropped = false;
            for (std::size_t i = dots.size(); i-- > 0;) {
                if (!context.contains(dots[i])) continue;
                erase(i);
                dropped = true;
            }
            if (dropped) rejoin();
            return dropped;
        }
        // The causal join with theirs; returns true if this entry changed.
        bool join(const CausalContext& mine_seen, const Entry& theirs,
                  const CausalContext& theirs_seen) {
            Entry merged;
            std::size_t a = 0, b = 0;
            while (a < dots.size() || b < theirs.dots.size()) {
                if (b == theirs.dots.size() || (a < dots.size() && dots[a] < theirs.dots[b])) {
                    if (!theirs_seen.contains(dots[a])) merged.push(dots[a], slices[a]);
                    ++a;
                } else if (a == dots.size() || theirs.dots[b] < dots[a]) {
                    if (!mine_seen.contains(theirs.dots[b]))
                        merged.push(theirs.dots[b], theirs.slices[b]);
                    ++b;
                } else {
                    assert(slices[a] == theirs.slices[b]);
                    merged.push(dots[a], slices[a]);
                    ++a, ++b;
                }
            }
            if (merged.dots == dots) return false;
            merged.rejoin();
            *this = std::move(merged);
            return true;
        }
        void push(const Dot& dot, const V& slice) {
            dots.push_back(dot);
            slices.push_back(slice);
        }
    };

    std::unordered_map<K, Entry, Hash, Equal> entries_;
    CausalContext context_;
    // Per replica, the highest dot counter it used in any nested value (see DotGenerating).
    VersionVector floor_;
};

}  // namespace converge
