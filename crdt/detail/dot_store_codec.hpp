// File: crdt/detail/dot_store_codec.hpp
// The shared encoding of a causal dot store (a map from entries to the dots that keep them alive),
// used by ORSet, MVRegister and ORMap. Entries are ordered by their first dot, which is unique to
// the entry, so the order is canonical without comparing values; dots are grouped per replica and
// counters are written as gaps, so a run of adds by one replica costs about one byte of metadata.
//
// Layout: the entries holding more than one dot (rare: concurrent adds), as (entry index gap,
// extra-dot count, extra dots as (replica, counter)); then the group count; per group: replica
// gap, entry count; per entry: its first dot's counter gap, then its payload.
#pragma once

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/detail/dot_set.hpp>

namespace converge::detail {

// Writes entries in canonical order. dots_of(entry) gives the entry's non-empty dots, sorted (a
// DotSet or a span of dots); encode_entry(writer, entry) writes its payload.
template <class Range, class DotsOf, class EncodeEntry>
void encode_dot_store(codec::Writer& w, const Range& entries, DotsOf&& dots_of,
                      EncodeEntry&& encode_entry) {
    using Entry = typename Range::value_type;
    // (first dot, entry), sorted: the canonical order, with the first dot at hand.
    std::vector<std::pair<Dot, const Entry*>> order;
    order.reserve(entries.size());
    for (const Entry& e : entries)
        order.emplace_back(dots_of(e)[0], &e);
    std::sort(order.begin(), order.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::size_t multi = 0;
    for (const auto& [first, entry] : order)
        multi += dots_of(*entry).size() > 1 ? 1 : 0;
    w.varint(multi);
    std::size_t previous_index = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto& dots = dots_of(*order[i].second);
        if (dots.size() == 1) continue;
        w.varint(i - previous_index);
        w.varint(dots.size() - 1);
        for (std::size_t k = 1; k < dots.size(); ++k) {
            w.varint(dots[k].replica.value);
            w.varint(dots[k].counter);
        }
        previous_index = i;
    }
    std::size_t groups = 0;
    for (std::size_t i = 0; i < order.size(); ++i)
        if (i == 0 || order[i].first.replica != order[i - 1].first.replica) ++groups;
    w.varint(groups);
    std::uint64_t previous_replica = 0;
    for (std::size_t i = 0; i < order.size();) {
        const ReplicaId replica = order[i].first.replica;
        std::size_t end = i;
        while (end < order.size() && order[end].first.replica == replica)
            ++end;
        w.varint(replica.value - previous_replica);
        w.varint(end - i);
        std::uint64_t previous_counter = 0;
        for (; i < end; ++i) {
            const std::uint64_t counter = order[i].first.counter;
            w.varint(counter - previous_counter);
            encode_entry(w, *order[i].second);
            previous_counter = counter;
        }
        previous_replica = replica.value;
    }
}

struct NoReserve {
    void operator()(std::size_t) const noexcept {}
};

// Reads what encode_dot_store wrote. Checks that every dot is in context, that dots are strictly
// increasing where the format requires and that no dot names two entries. Calls
// decode_entry(reader, DotSet&&) once per entry to read its payload and store it, and
// reserve(n) before each group of n entries (n already checked against the bytes left).
template <class DecodeEntry, class Reserve = NoReserve>
void decode_dot_store(codec::Reader& r, const CausalContext& context, DecodeEntry&& decode_entry,
                      Reserve&& reserve = Reserve{}) {
    struct Extra {
        std::size_t index;
        DotSet dots;
    };
    std::vector<Extra> extras(r.count("entries with several dots", 4));
    std::vector<Dot> extra_dots;
    for (std::size_t i = 0; i < extras.size(); ++i) {
        const std::uint64_t gap = r.varint("entry index gap");
        if (i > 0 && gap == 0) r.fail("entries with several dots not strictly increasing");
        if (gap > r.limits().elements_max) r.fail("entry index gap exceeds the element limit");
        extras[i].index = (i == 0 ? 0 : extras[i - 1].index) + static_cast<std::size_t>(gap);
        const std::size_t n = r.count("extra dots", 2);
        if (n == 0) r.fail("an entry listed with several dots has no extra dot");
        for (std::size_t k = 0; k < n; ++k) {
            const Dot d{ReplicaId{r.varint("dot replica")}, r.varint_at_least(1, "dot counter")};
            if (k > 0 && !(extras[i].dots.back() < d))
                r.fail("an entry's dots are not strictly increasing");
            if (!context.contains(d)) r.fail("a live dot is missing from the causal context");
            extras[i].dots.push_back(d);
            extra_dots.push_back(d);
        }
    }
    std::sort(extra_dots.begin(), extra_dots.end());
    if (std::adjacent_find(extra_dots.begin(), extra_dots.end()) != extra_dots.end())
        r.fail("one dot names two entries");

    const std::size_t groups = r.count("dot store replica groups", 3);
    std::uint64_t previous_replica = 0;
    std::size_t index = 0;
    auto next_extra = extras.begin();
    for (std::size_t g = 0; g < groups; ++g) {
        const std::uint64_t gap = r.varint("dot store replica");
        if (g > 0 && gap == 0) r.fail("dot store replica groups not strictly increasing");
        if (gap > std::numeric_limits<std::uint64_t>::max() - previous_replica)
            r.fail("dot store replica id overflows 64 bits");
        const ReplicaId replica{previous_replica + gap};
        previous_replica = replica.value;
        const std::size_t entries = r.count("dot store entries", 2);
        if (entries == 0) r.fail("empty dot store replica group");
        reserve(entries);
        std::uint64_t previous_counter = 0;
        for (std::size_t i = 0; i < entries; ++i, ++index) {
            const std::uint64_t step = r.varint_at_least(1, "dot counter gap");
            if (step > std::numeric_limits<std::uint64_t>::max() - previous_counter)
                r.fail("dot counter overflows 64 bits");
            const Dot first{replica, previous_counter + step};
            previous_counter = first.counter;
            if (!context.contains(first)) r.fail("a live dot is missing from the causal context");
            if (std::binary_search(extra_dots.begin(), extra_dots.end(), first))
                r.fail("one dot names two entries");
            DotSet dots{first};
            if (next_extra != extras.end() && next_extra->index == index) {
                if (!(first < next_extra->dots[0]))
                    r.fail("an entry's extra dots must follow its first dot");
                for (const Dot& d : next_extra->dots)
                    dots.push_back(d);
                ++next_extra;
            }
            decode_entry(r, std::move(dots));
        }
    }
    if (next_extra != extras.end()) r.fail("extra dots name an entry past the end");
}

}  // namespace converge::detail
