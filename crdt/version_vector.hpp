// File: crdt/version_vector.hpp
// VersionVector maps each replica to a count: the number of its events seen (as part of a causal
// context), or its contribution (inside a GCounter). Replicas absent from it count as zero.
//
//   VersionVector v;  v.set(ReplicaId{1}, 3);  v.get(ReplicaId{1});   // 3
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <string>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/detail/id_gaps.hpp>
#include <crdt/detail/small_vector.hpp>
#include <crdt/error.hpp>
#include <crdt/replica_id.hpp>

namespace converge {

class VersionVector {
  public:
    struct Entry {
        ReplicaId replica;
        std::uint64_t count = 0;
        friend constexpr bool operator==(const Entry&, const Entry&) = default;
    };

    VersionVector() = default;

    // The count for replica, 0 when absent.
    std::uint64_t get(ReplicaId replica) const noexcept {
        const Entry* e = find(replica);
        return e ? e->count : 0;
    }

    // Sets the count of replica to count; a count of 0 removes the replica.
    void set(ReplicaId replica, std::uint64_t count) {
        Entry* it = lower_bound(replica);
        if (it != entries_.end() && it->replica == replica) {
            if (count == 0)
                entries_.erase(it);
            else
                it->count = count;
        } else if (count != 0) {
            entries_.insert(it, Entry{replica, count});
        }
        assert(get(replica) == count);
    }

    // Adds n to the count of replica and returns the new count. Throws InvalidOperation, changing
    // nothing, if the count would pass 2^64-1.
    std::uint64_t add(ReplicaId replica, std::uint64_t n) {
        Entry* it = lower_bound(replica);
        if (it != entries_.end() && it->replica == replica) {
            if (n > std::numeric_limits<std::uint64_t>::max() - it->count)
                throw InvalidOperation("count of replica " + std::to_string(replica.value) +
                                       " would overflow 2^64-1");
            it->count += n;
            return it->count;
        }
        if (n != 0) entries_.insert(it, Entry{replica, n});
        return n;
    }

    // Pointwise maximum with other: afterwards *this dominates both inputs.
    void merge(const VersionVector& other) {
        if (other.entries_.empty()) return;
        if (entries_.empty()) {
            entries_ = other.entries_;
            return;
        }
        Entries merged;
        merged.reserve(entries_.size() + other.entries_.size());
        const Entry *a = entries_.begin(), *b = other.entries_.begin();
        while (a != entries_.end() || b != other.entries_.end()) {
            if (b == other.entries_.end() || (a != entries_.end() && a->replica < b->replica)) {
                merged.push_back(*a++);
            } else if (a == entries_.end() || b->replica < a->replica) {
                merged.push_back(*b++);
            } else {
                merged.push_back(Entry{a->replica, std::max(a->count, b->count)});
                ++a, ++b;
            }
        }
        entries_ = std::move(merged);
    }

    // True when every count here is >= the matching count in other.
    bool dominates(const VersionVector& other) const noexcept {
        return std::all_of(other.entries_.begin(), other.entries_.end(),
                           [&](const Entry& e) { return get(e.replica) >= e.count; });
    }

    // Sum of all counts; throws InvalidOperation if it passes 2^64-1.
    std::uint64_t sum() const {
        std::uint64_t total = 0;
        for (const Entry& e : entries_) {
            if (e.count > std::numeric_limits<std::uint64_t>::max() - total)
                throw InvalidOperation("sum of counts overflows 2^64-1");
            total += e.count;
        }
        return total;
    }

    // The entries, sorted by replica, every count >= 1.
    const Entry* begin() const noexcept { return entries_.begin(); }
    const Entry* end() const noexcept { return entries_.end(); }
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    void clear() noexcept { entries_.clear(); }

    friend bool operator==(const VersionVector&, const VersionVector&) = default;

    // Encoding: count, then (replica gap, count) pairs in replica order.
    void encode(codec::Writer& w) const {
        w.varint(entries_.size());
        std::uint64_t previous = 0;
        for (const Entry& e : entries_) {
            detail::write_id_gap(w, previous, e.replica);
            w.varint(e.count);
        }
    }
    static VersionVector decode(codec::Reader& r) {
        VersionVector out;
        const std::size_t n = r.count("version vector entries", 2);
        out.entries_.reserve(n);
        std::uint64_t previous = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const ReplicaId replica =
                detail::read_id_gap(r, previous, i == 0, true, "version vector replicas");
            out.entries_.push_back(Entry{replica, r.varint_at_least(1, "version vector count")});
        }
        return out;
    }

  private:
    using Entries = detail::SmallVector<Entry, 2>;

    Entry* lower_bound(ReplicaId replica) noexcept {
        return std::lower_bound(entries_.begin(), entries_.end(), replica,
                                [](const Entry& e, ReplicaId id) { return e.replica < id; });
    }
    const Entry* find(ReplicaId replica) const noexcept {
        for (const Entry& e : entries_) {
            if (e.replica == replica) return &e;
            if (replica < e.replica) break;
        }
        return nullptr;
    }

    Entries entries_;
};

}  // namespace converge
