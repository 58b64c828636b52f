// File: crdt/hyper_log_log.hpp
// HyperLogLog: an estimate of how many distinct elements were added (16,384 six-bit registers,
// standard error about 0.81 %), replicated with observed-remove: clearing it drops the adds it
// observed, and an add it had not seen survives.
//
// Each register is the maximum over its live entries. An add hashes the element (MurmurHash64A,
// Redis's function and seed, so a count matches Redis's for the same elements), picks a register
// and a rank, and leaves one dotted entry; it drops the entries of that register whose rank it
// covers. A register therefore keeps a short staircase of entries (newer ones of lower rank), so
// a clear that saw the larger entry but not a later smaller one leaves exactly the later one. The
// count is Ertl's improved estimator (as Redis computes it).
//
//   HyperLogLog v;
//   v.add(ReplicaId{1}, "203.0.113.7");
//   v.count();   // 1
//
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/codec/cereal_blob.hpp>
#include <crdt/detail/dot_set.hpp>
#include <crdt/detail/dot_store_codec.hpp>
#include <crdt/detail/join_dotted.hpp>
#include <crdt/detail/murmur_hash64a.hpp>
#include <crdt/detail/with_deadline.hpp>

namespace converge {

class HyperLogLog : public codec::CerealSerializable<HyperLogLog>,
                    public detail::WithDeadline<HyperLogLog> {
  public:
    static constexpr unsigned precision = 14;
    static constexpr std::size_t register_count = std::size_t{1} << precision;
    static constexpr unsigned rank_max = 64 - precision + 1;  // 51
    using Registers = std::array<std::uint8_t, register_count>;

    // The register and rank element lands on.
    static std::pair<std::uint16_t, std::uint8_t> locate(std::string_view element) {
        std::uint64_t hash = detail::murmur_hash64a(element, 0xadc83b19ULL);
        const auto index = static_cast<std::uint16_t>(hash & (register_count - 1));
        hash >>= precision;
        hash |= std::uint64_t{1} << (64 - precision);
        std::uint8_t rank = 1;
        for (std::uint64_t bit = 1; (hash & bit) == 0; bit <<= 1)
            ++rank;
        return {index, rank};
    }

    // Adds element as replica; returns the delta. *changed: whether a register grew (what
    // Redis's PFADD answers).
    HyperLogLog add(ReplicaId replica, std::string_view element, bool* changed = nullptr) {
        const auto located = locate(element);  // (not a structured binding: lambdas use them)
        const std::uint16_t index = located.first;
        const std::uint8_t rank = located.second;
        const Dot dot = context_.next_dot(replica);
        HyperLogLog delta;
        if (buckets_.empty()) buckets_.resize(1);
        std::vector<Entry>& bucket = buckets_[bucket_of(index)];
        const auto first =
            std::lower_bound(bucket.begin(), bucket.end(), index,
                             [](const Entry& e, std::uint16_t i) { return e.index < i; });
        const auto last =
            std::find_if(first, bucket.end(), [&](const Entry& e) { return e.index != index; });
        std::uint8_t before = 0;
        for (auto it = first; it != last; ++it)
            before = std::max(before, it->rank);
        const auto kept = std::remove_if(first, last, [&](const Entry& e) {
            if (e.rank > rank) return false;
            delta.context_.insert(e.dot);
            return true;
        });
        const Entry added{index, rank, dot};
        const auto at = std::upper_bound(first, kept, added, before_entry);
        if (kept != last) {  // a covered entry's slot takes the new one: no shift of the rest
            std::move_backward(at, kept, kept + 1);
            *at = added;
            size_ -= static_cast<std::size_t>(last - kept) - 1;
            bucket.erase(kept + 1, last);
        } else {
            bucket.insert(at, added);
            ++size_;
        }
        assert(std::is_sorted(bucket.begin(), bucket.end(), before_entry));
        assert(size_ >= bucket.size());
        // (bucket is not used past this point: a split replaces every bucket.)
        if (buckets_.size() == 1 && bucket.size() > split_at) rebucket(flatten());
        context_.insert(dot);
        delta.context_.insert(dot);
        delta.buckets_.assign(1, {added});
        delta.size_ = 1;
        if (changed != nullptr) *changed = rank > before;
        return delta;
    }
    // Raises each register below target's to target's rank, as one add of replica per register
    // raised (what Redis's PFMERGE does to its destination); returns the delta. *changed:
    // whether a register grew.
    HyperLogLog raise(ReplicaId replica, const Registers& target, bool* changed = nullptr) {
        const Registers now = registers();
        HyperLogLog delta;
        std::vector<Entry> kept, added;
        for_each_entry([&](const Entry& e) {
            if (target[e.index] > now[e.index]) {  // superseded by the raise, as add() does
                delta.context_.insert(e.dot);
                return;
            }
            kept.push_back(e);
        });
        for (std::size_t i = 0; i < register_count; ++i) {
            if (target[i] <= now[i]) continue;
            assert(target[i] <= rank_max);
            const Entry e{static_cast<std::uint16_t>(i), target[i], context_.next_dot(replica)};
            context_.insert(e.dot);
            delta.context_.insert(e.dot);
            added.push_back(e);
        }
        if (changed != nullptr) *changed = !added.empty();
        kept.insert(kept.end(), added.begin(), added.end());
        std::sort(kept.begin(), kept.end(), before_entry);
        rebucket(std::move(kept));
        delta.rebucket(std::move(added));
        return delta;
    }
    // Drops every add seen here; returns the delta.
    HyperLogLog clear() {
        HyperLogLog delta;
        for_each_entry([&](const Entry& e) { delta.context_.insert(e.dot); });
        buckets_.clear();
        size_ = 0;
        return delta;
    }

    // The registers: each the greatest rank of its live entries, 0 when none.
    Registers registers() const {
        Registers out{};
        for_each_entry([&](const Entry& e) { out[e.index] = std::max(out[e.index], e.rank); });
        return out;
    }
    // The estimated number of distinct elements added and not cleared.
    std::uint64_t count() const { return estimate(registers()); }
    // The estimate of registers (Ertl, "New cardinality estimation algorithms for HyperLogLog
    // sketches", 2017; Redis's hllCount).
    static std::uint64_t estimate(const Registers& registers) {
        std::array<int, 64> histogram{};
        for (std::uint8_t r : registers)
            ++histogram[r];
        const double m = register_count;
        double z = m * tau((m - histogram[rank_max]) / m);
        for (int j = rank_max - 1; j >= 1; --j) {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * sigma(histogram[0] / m);
        constexpr double alpha_inf = 0.721347520444481703680;  // 1 / (2 ln 2)
        return static_cast<std::uint64_t>(std::llround(alpha_inf * m * m / z));
    }
    bool empty() const noexcept { return size_ == 0; }
    // Live entries (the metadata a register keeps).
    std::size_t entry_count() const noexcept { return size_; }

    void merge(const HyperLogLog& other) {
        rebucket(detail::join_dotted(flatten(), context_, other.flatten(), other.context_,
                                     before_entry, [](const Entry& e) { return e.dot; }));
        context_.merge(other.context_);
        merge_deadline(other);
    }

    // Whether merge(other) would change nothing: other saw no add this replica has not, holds
    // every entry here it saw, and its deadline is not later. No allocation.
    bool includes(const HyperLogLog& other) const {
        if (!context_.includes(other.context_) || !deadline_includes(other)) return false;
        if (detail::holds_only_live_dots(other.context_, other.size_)) return true;
        bool all = true;
        for_each_entry([&](const Entry& e) {
            if (all && other.context_.contains(e.dot) && !other.holds(e)) all = false;
        });
        return all;
    }

    const CausalContext& context() const noexcept { return context_; }
    std::uint64_t max_counter(ReplicaId replica) const noexcept { return context_.max(replica); }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        context_.insert_up_to(replica, counter);
    }
    // Folds retired out of the causal context, keeping its dots up to the highest live one
    // (crdt/retired_ids.hpp).
    void retire(ReplicaId retired) {
        std::uint64_t highest = 0;
        for_each_entry([&](const Entry& e) {
            if (e.dot.replica == retired) highest = std::max(highest, e.dot.counter);
        });
        context_.fold_retired(retired, highest);
    }

    friend bool operator==(const HyperLogLog& a, const HyperLogLog& b) {
        return a.size_ == b.size_ && a.context_ == b.context_ && a.flatten() == b.flatten() &&
               a.deadline() == b.deadline();
    }

    // Encoding: the context, then the entries as a dot store (grouped by replica, counters as
    // gaps), each with its register and rank: a few bytes per entry, so a sketch with few
    // registers set stays small. Then the deadline; with_deadline false reads the layout before
    // deadlines.
    void encode(codec::Writer& w) const {
        context_.encode(w);
        std::vector<std::pair<detail::DotSet, const Entry*>> store;
        store.reserve(size_);
        for_each_entry([&](const Entry& e) { store.emplace_back(detail::DotSet{e.dot}, &e); });
        detail::encode_dot_store(
            w, store, [](const auto& s) -> const detail::DotSet& { return s.first; },
            [](codec::Writer& out, const auto& s) {
                out.varint(std::uint64_t{s.second->index} << 6 | s.second->rank);
            });
        encode_deadline(w);
    }
    static HyperLogLog decode(codec::Reader& r, bool with_deadline = true) {
        HyperLogLog out;
        std::vector<Entry> entries;
        out.context_ = CausalContext::decode(r);
        detail::decode_dot_store(r, out.context_, [&](codec::Reader& in, detail::DotSet&& dots) {
            if (dots.size() != 1) in.fail("a HyperLogLog entry carries more than one dot");
            const std::uint64_t packed = in.varint("HyperLogLog register and rank");
            const std::uint64_t rank = packed & 63;
            if ((packed >> 6) >= register_count) in.fail("HyperLogLog register out of range");
            if (rank == 0 || rank > rank_max) in.fail("HyperLogLog rank out of range");
            entries.push_back(Entry{static_cast<std::uint16_t>(packed >> 6),
                                    static_cast<std::uint8_t>(rank), dots[0]});
        });
        std::sort(entries.begin(), entries.end(), before_entry);
        out.rebucket(std::move(entries));
        if (with_deadline) out.decode_deadline(r);
        return out;
    }

  private:
    struct Entry {
        std::uint16_t index = 0;
        std::uint8_t rank = 0;
        Dot dot;
        friend bool operator==(const Entry&, const Entry&) = default;
    };
    // Entries sorted by register, then dot.
    static bool before_entry(const Entry& a, const Entry& b) {
        return a.index != b.index ? a.index < b.index : a.dot < b.dot;
    }
    // Entries live in one bucket while few, then in 64 by register (256 registers each), so an
    // add shifts at most one bucket's entries.
    static constexpr std::size_t split_at = 512;
    static constexpr std::size_t bucket_count = 64;
    std::size_t bucket_of(std::uint16_t index) const noexcept {
        return buckets_.size() == 1 ? 0 : index / (register_count / bucket_count);
    }
    template <class Fn>
    void for_each_entry(Fn&& fn) const {
        for (const auto& bucket : buckets_)
            for (const Entry& e : bucket)
                fn(e);
    }
    bool holds(const Entry& e) const {
        if (buckets_.empty()) return false;
        const std::vector<Entry>& bucket = buckets_[bucket_of(e.index)];
        return std::binary_search(bucket.begin(), bucket.end(), e, before_entry);
    }
    // Every entry, sorted by before_entry.
    std::vector<Entry> flatten() const {
        std::vector<Entry> out;
        out.reserve(size_);
        for_each_entry([&](const Entry& e) { out.push_back(e); });
        return out;
    }
    // Holds entries (sorted by before_entry) in as many buckets as their number calls for.
    void rebucket(std::vector<Entry> entries) {
        size_ = entries.size();
        buckets_.clear();
        if (entries.empty()) return;
        if (entries.size() <= split_at) {
            buckets_.push_back(std::move(entries));
            return;
        }
        buckets_.resize(bucket_count);
        for (const Entry& e : entries)
            buckets_[bucket_of(e.index)].push_back(e);
    }

    static double sigma(double x) {
        if (x == 1.0) return INFINITY;
        double y = 1;
        double z = x;
        double previous = 0;
        do {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        } while (previous != z);
        return z;
    }
    static double tau(double x) {
        if (x == 0.0 || x == 1.0) return 0.0;
        double y = 1.0;
        double z = 1 - x;
        double previous = 0;
        do {
            x = std::sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        } while (previous != z);
        return z / 3;
    }

    std::vector<std::vector<Entry>> buckets_;  // none, one, or bucket_count; each sorted
    std::size_t size_ = 0;                     // entries in all buckets
    CausalContext context_;
};

}  // namespace converge
