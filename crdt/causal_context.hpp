// File: crdt/causal_context.hpp
// CausalContext is the set of dots a replica has seen: a compact version vector (every dot up to
// n of each replica) plus the "cloud" of dots seen out of order. Dots move from the cloud into the
// vector as gaps fill, so the representation of a given set of dots is unique.
//
//   CausalContext c;  Dot d = c.next_dot(ReplicaId{1});  c.insert(d);  c.contains(d);  // true
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/detail/small_vector.hpp>
#include <crdt/dot.hpp>
#include <crdt/error.hpp>
#include <crdt/version_vector.hpp>

namespace converge {

class CausalContext {
  public:
    CausalContext() = default;

    // True when dot has been seen.
    bool contains(const Dot& dot) const noexcept {
        return dot.counter <= compact_.get(dot.replica) ||
               std::binary_search(cloud_.begin(), cloud_.end(), dot);
    }

    // True when every dot other has seen is seen here (other is a subset). Exact for contexts kept
    // as this class keeps them (the cloud never holds the compact vector's next dot).
    bool includes(const CausalContext& other) const noexcept {
        return compact_.dominates(other.compact_) &&
               std::all_of(other.cloud_.begin(), other.cloud_.end(),
                           [&](const Dot& d) { return contains(d); });
    }

    // The highest counter of replica seen, 0 if none.
    std::uint64_t max(ReplicaId replica) const noexcept {
        std::uint64_t highest = compact_.get(replica);
        for (const Dot& d : cloud_)
            if (d.replica == replica) highest = std::max(highest, d.counter);
        return highest;
    }

    // The next dot replica would generate: one past the highest seen. Does not insert it.
    // Throws InvalidOperation if the replica's counter space (2^64-1 dots) is exhausted.
    Dot next_dot(ReplicaId replica) const {
        if (replica == retired_writers)
            throw InvalidOperation("replica id 0 is reserved for retired writers");
        const std::uint64_t highest = max(replica);
        if (highest == std::numeric_limits<std::uint64_t>::max())
            throw InvalidOperation("replica " + std::to_string(replica.value) +
                                   " has exhausted its dot counter");
        return Dot{replica, highest + 1};
    }

    // Adds dot to the set (no effect when already seen).
    void insert(const Dot& dot) {
        assert(dot.counter >= 1);
        const std::uint64_t base = compact_.get(dot.replica);
        if (dot.counter <= base) return;
        if (dot.counter == base + 1) {
            compact_.set(dot.replica, dot.counter);
            if (!cloud_.empty()) absorb_cloud();
        } else {
            const Dot* it = std::lower_bound(cloud_.begin(), cloud_.end(), dot);
            if (it == cloud_.end() || *it != dot) cloud_.insert(it, dot);
        }
        assert(contains(dot));
    }

    // Every dot of replica up to counter becomes seen (used to seed dot generation).
    void insert_up_to(ReplicaId replica, std::uint64_t counter) {
        if (counter <= compact_.get(replica)) return;
        compact_.set(replica, counter);
        absorb_cloud();
    }

    // Removes every dot of replica (its compact count and its cloud dots): for folding a retired
    // writer out of a context (crdt/retired_ids.hpp).
    void forget(ReplicaId replica) {
        compact_.set(replica, 0);
        Dot* out = std::remove_if(cloud_.begin(), cloud_.end(),
                                  [&](const Dot& d) { return d.replica == replica; });
        cloud_.erase(out, cloud_.end());
        assert(max(replica) == 0);
    }
    // Folds retired out: forgets its dots, then holds 1..highest_live (the greatest of its dots
    // a live entry still carries; 0: none), so every live dot stays in the context.
    void fold_retired(ReplicaId retired, std::uint64_t highest_live) {
        forget(retired);
        if (highest_live != 0) insert_up_to(retired, highest_live);
    }

    // Calls fn(replica) once for every replica with a dot here, in increasing order.
    template <class Fn>
    void for_each_replica(Fn&& fn) const {
        const VersionVector::Entry* c = compact_.begin();
        const Dot* d = cloud_.begin();
        while (c != compact_.end() || d != cloud_.end()) {
            ReplicaId next;
            if (d == cloud_.end() || (c != compact_.end() && c->replica <= d->replica))
                next = c->replica;
            else
                next = d->replica;
            fn(next);
            if (c != compact_.end() && c->replica == next) ++c;
            while (d != cloud_.end() && d->replica == next)
                ++d;
        }
    }

    // Set union with other.
    void merge(const CausalContext& other) {
        compact_.merge(other.compact_);
        if (!other.cloud_.empty()) {
            Cloud merged;
            merged.reserve(cloud_.size() + other.cloud_.size());
            std::set_union(cloud_.begin(), cloud_.end(), other.cloud_.begin(), other.cloud_.end(),
                           std::back_inserter(merged));
            cloud_ = std::move(merged);
        }
        absorb_cloud();
    }

    // How many dots the set holds, saturating at 2^64-1.
    std::uint64_t dot_count() const noexcept {
        std::uint64_t total = cloud_.size();
        for (const auto& e : compact_) {
            if (e.count > std::numeric_limits<std::uint64_t>::max() - total)
                return std::numeric_limits<std::uint64_t>::max();
            total += e.count;
        }
        return total;
    }

    const VersionVector& compact() const noexcept { return compact_; }
    // Dots seen beyond the compact vector, sorted.
    const Dot* cloud_begin() const noexcept { return cloud_.begin(); }
    const Dot* cloud_end() const noexcept { return cloud_.end(); }
    std::size_t cloud_size() const noexcept { return cloud_.size(); }
    bool empty() const noexcept { return compact_.empty() && cloud_.empty(); }

    friend bool operator==(const CausalContext&, const CausalContext&) = default;

    // Encoding: the compact vector, then the cloud as (replica gap, counter gap) pairs.
    void encode(codec::Writer& w) const {
        compact_.encode(w);
        w.varint(cloud_.size());
        Dot previous{};
        for (const Dot& d : cloud_) {
            w.varint(d.replica.value - previous.replica.value);
            w.varint(d.replica == previous.replica ? d.counter - previous.counter : d.counter);
            previous = d;
        }
    }
    static CausalContext decode(codec::Reader& r) {
        CausalContext out;
        out.compact_ = VersionVector::decode(r);
        const std::size_t n = r.count("causal context cloud dots", 2);
        out.cloud_.reserve(n);
        Dot previous{};
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t gap = r.varint("cloud replica id");
            if (gap > std::numeric_limits<std::uint64_t>::max() - previous.replica.value)
                r.fail("cloud replica id overflows 64 bits");
            const ReplicaId replica{previous.replica.value + gap};
            const bool same = i > 0 && gap == 0;
            const std::uint64_t step = r.varint_at_least(1, "cloud dot counter");
            if (same && step > std::numeric_limits<std::uint64_t>::max() - previous.counter)
                r.fail("cloud dot counter overflows 64 bits");
            const Dot dot{replica, same ? previous.counter + step : step};
            if (dot.counter <= out.compact_.get(replica) + 1)
                r.fail("cloud dot is covered by, or adjacent to, the compact vector");
            out.cloud_.push_back(dot);
            previous = dot;
        }
        return out;
    }

  private:
    using Cloud = detail::SmallVector<Dot, 1>;

    // Moves cloud dots that the compact vector now covers or reaches into it.
    void absorb_cloud() {
        Dot* out = cloud_.begin();
        for (const Dot& d : cloud_) {
            const std::uint64_t base = compact_.get(d.replica);
            if (d.counter == base + 1)
                compact_.set(d.replica, d.counter);
            else if (d.counter > base)
                *out++ = d;
        }
        cloud_.erase(out, cloud_.end());
    }

    VersionVector compact_;
    Cloud cloud_;
};

}  // namespace converge
