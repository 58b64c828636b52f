// File: crdt/detail/member_store.hpp
// MemberStore<V, N>: the causal core of ORHash and SortedSet. Each named member holds dotted
// entries (puts, stamped with a hybrid timestamp and carrying a V, and "touches" that an increment
// leaves) and, per replica that incremented it, running totals of N. A member is present while it
// holds a live entry.
//
// Observed-remove with resets: a remove drops the entries it observed (the causal context
// remembers their dots) and *resets* the increments it observed: each replica's totals carry the
// amount a reset saw (reset_up, reset_down), and only what a replica added beyond it counts. So an
// increment concurrent with a remove survives, and only that increment: 10 added, then a remove
// and a concurrent +3 gives 3 (Redis Active-Active's counter semantics). A put resets the
// increments it observed too (ZADD after ZINCRBY starts from the added score).
//
//   MemberStore<double, double> m;
//   m.put(ReplicaId{1}, "ada", t, 10.0);
//   m.increment(ReplicaId{2}, "ada", 2.5, 0.0);
//
// Totals are kept while their member is removed (four numbers per replica that incremented it),
// since a late increment must still be measured against the reset that observed its earlier ones.
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/detail/dot_set.hpp>
#include <crdt/detail/join_dotted.hpp>
#include <crdt/timestamp.hpp>

namespace converge::detail {

// One replica's increments of one member: what it added up and down, and what resets observed.
// Every field only grows, so the join is the maximum of each.
template <class N>
struct Totals {
    N up{};
    N down{};
    N reset_up{};
    N reset_down{};

    void merge(const Totals& other) {
        up = std::max(up, other.up);
        down = std::max(down, other.down);
        reset_up = std::max(reset_up, other.reset_up);
        reset_down = std::max(reset_down, other.reset_down);
    }
    // What no reset has observed, up and down (a reset ahead of its increments counts as none).
    N unseen_up() const { return up > reset_up ? up - reset_up : N{}; }
    N unseen_down() const { return down > reset_down ? down - reset_down : N{}; }
    void reset() {
        reset_up = std::max(reset_up, up);
        reset_down = std::max(reset_down, down);
    }
    friend bool operator==(const Totals&, const Totals&) = default;
};

template <class V, class N>
class MemberStore {
  public:
    // A live entry: a put (its timestamp and value) or a touch (an increment's mark of presence).
    struct Entry {
        bool touch = false;
        Timestamp written;
        V value{};
        friend bool operator==(const Entry&, const Entry&) = default;
    };
    struct Member {
        std::vector<std::pair<Dot, Entry>> live;              // sorted by dot
        std::vector<std::pair<ReplicaId, Totals<N>>> totals;  // sorted by replica

        bool present() const noexcept { return !live.empty(); }
        bool has_touch() const noexcept {
            return std::any_of(live.begin(), live.end(),
                               [](const auto& e) { return e.second.touch; });
        }
        // The put with the greatest timestamp; null when none is live.
        const Entry* winning_put() const noexcept {
            const Entry* best = nullptr;
            for (const auto& [dot, entry] : live)
                if (!entry.touch && (best == nullptr || best->written < entry.written))
                    best = &entry;
            return best;
        }
        // Calls fn(up, down) per replica, in replica order, with what no reset observed.
        template <class Fn>
        void for_each_unseen(Fn&& fn) const {
            for (const auto& [replica, t] : totals)
                fn(t.unseen_up(), t.unseen_down());
        }
        friend bool operator==(const Member&, const Member&) = default;
    };

    // A put of value at member by replica, stamped written: replaces every entry of member seen
    // here and resets the increments seen. Returns the delta.
    MemberStore put(ReplicaId replica, const std::string& member, Timestamp written, V value) {
        const Dot dot = context_.next_dot(replica);
        MemberStore delta;
        Member& m = members_[member];
        Member& shipped = delta.members_[member];
        for (const auto& [d, entry] : m.live)
            delta.context_.insert(d);
        m.live.assign(1, {dot, Entry{false, written, std::move(value)}});
        for (auto& [r, t] : m.totals)
            t.reset();
        shipped.live = m.live;
        shipped.totals = m.totals;
        context_.insert(dot);
        delta.context_.insert(dot);
        assert(m.present() && context_.contains(dot));
        return delta;
    }

    // An increment of member by replica (up and down: what it adds and subtracts). The member is
    // present afterwards, its other entries kept. Returns the delta. Throws InvalidOperation if
    // check rejects the new totals (an overflow), changing nothing.
    template <class Check>
    MemberStore increment(ReplicaId replica, const std::string& member, N up, N down,
                          Check&& check) {
        const Dot dot = context_.next_dot(replica);
        auto found = members_.find(member);
        Totals<N> next = found == members_.end() ? Totals<N>{} : totals_of(found->second, replica);
        next.up = check(next.up, up);
        next.down = check(next.down, down);
        MemberStore delta;
        Member& m = found == members_.end() ? members_[member] : found->second;
        std::erase_if(m.live, [&](const auto& e) {
            if (!e.second.touch || e.first.replica != replica) return false;
            delta.context_.insert(e.first);
            return true;
        });
        m.live.insert(std::upper_bound(m.live.begin(), m.live.end(), dot, dot_before),
                      {dot, Entry{true, Timestamp{}, V{}}});
        set_totals(m, replica, next);
        Member& shipped = delta.members_[member];
        shipped.live.push_back({dot, Entry{true, Timestamp{}, V{}}});
        shipped.totals.push_back({replica, next});
        context_.insert(dot);
        delta.context_.insert(dot);
        assert(m.present());
        return delta;
    }

    // Removes member as seen here (its entries, and resets its increments). Returns the delta;
    // *was_present says whether it was present.
    MemberStore remove(std::string_view member, bool* was_present = nullptr) {
        MemberStore delta;
        auto it = members_.find(member);
        if (was_present != nullptr) *was_present = it != members_.end() && it->second.present();
        if (it != members_.end()) remove_member(it, delta);
        return delta;
    }
    // Removes every member seen here. Returns the delta.
    MemberStore clear() {
        MemberStore delta;
        for (auto it = members_.begin(); it != members_.end();)
            it = remove_member(it, delta);
        return delta;
    }

    // The member's state; null when it holds nothing (never present or incremented here).
    const Member* find(std::string_view member) const {
        auto it = members_.find(member);
        return it == members_.end() ? nullptr : &it->second;
    }
    // Calls fn(name, member) for each present member, in name order.
    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [name, m] : members_)
            if (m.present()) fn(name, m);
    }
    // Calls fn(name, member) for every member held, present or not (a removed member keeps its
    // totals), in name order.
    template <class Fn>
    void for_each_held(Fn&& fn) const {
        for (const auto& [name, m] : members_)
            fn(name, m);
    }
    std::size_t size() const {
        return static_cast<std::size_t>(std::count_if(
            members_.begin(), members_.end(), [](const auto& kv) { return kv.second.present(); }));
    }

    // The join: an entry survives where both hold it or the other side has not seen its dot;
    // totals join field by field.
    void merge(const MemberStore& other) {
        std::uint64_t their_live_dots = 0;
        std::uint64_t dropped_here = 0;  // dots held here that other saw and dropped, found so far
        for (const auto& [name, theirs] : other.members_) {
            their_live_dots += theirs.live.size();
            auto [it, inserted] = members_.try_emplace(name);
            Member& mine = it->second;
            for (const auto& [dot, entry] : mine.live)
                dropped_here += other.context_.contains(dot) && !holds_dot(theirs.live, dot);
            mine.live = join_live(mine.live, context_, theirs.live, other.context_);
            join_totals(mine.totals, theirs.totals);
            if (mine.live.empty() && mine.totals.empty()) members_.erase(it);
        }
        // Members only here lose the dots the other side saw and dropped. The scan of every
        // member, the cost of a large store, is skipped when there can be none: other saw only
        // its live dots (a delta of puts and increments to new members), or every dot it saw and
        // dropped was found above, under its own members (a delta that overwrites values: a dot
        // is held by one member only).
        if (!holds_only_live_dots(other.context_, their_live_dots + dropped_here)) {
            for (auto it = members_.begin(); it != members_.end();) {
                if (other.members_.find(it->first) == other.members_.end())
                    std::erase_if(it->second.live,
                                  [&](const auto& e) { return other.context_.contains(e.first); });
                it = it->second.live.empty() && it->second.totals.empty() ? members_.erase(it)
                                                                          : std::next(it);
            }
        }
        context_.merge(other.context_);
    }

    // Whether merge(other) would change nothing: other saw no dot this replica has not, holds
    // every dot here it saw, and has no total above this replica's. No allocation.
    bool includes(const MemberStore& other) const {
        if (!context_.includes(other.context_)) return false;
        std::uint64_t their_live_dots = 0;
        for (const auto& [name, theirs] : other.members_) {
            their_live_dots += theirs.live.size();
            const auto mine = members_.find(name);
            if (!theirs.totals.empty() &&
                (mine == members_.end() || !totals_include(mine->second.totals, theirs.totals)))
                return false;
        }
        if (holds_only_live_dots(other.context_, their_live_dots)) return true;
        for (const auto& [name, mine] : members_) {
            const auto theirs = other.members_.find(name);
            for (const auto& [dot, entry] : mine.live) {
                if (!other.context_.contains(dot)) continue;
                if (theirs == other.members_.end()) return false;
                const Live& held = theirs->second.live;
                const auto after = std::upper_bound(held.begin(), held.end(), dot, dot_before);
                if (after == held.begin() || std::prev(after)->first != dot) return false;
            }
        }
        return true;
    }

    const CausalContext& context() const noexcept { return context_; }

    // A number that differs after any change of what the store shows (an entry gained or lost, a
    // total that grew), taken without allocating: the dots seen, mixed with each member's count of
    // live entries and its totals. It may also differ when nothing shown changed. O(members).
    std::uint64_t change_mark() const {
        std::uint64_t h = context_.dot_count();
        const auto mix = [&h](std::uint64_t x) {
            h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);  // (Boost's hash_combine)
        };
        const auto bits = [](N n) -> std::uint64_t {
            if constexpr (std::is_floating_point_v<N>)
                return std::bit_cast<std::uint64_t>(static_cast<double>(n));
            else
                return static_cast<std::uint64_t>(n);
        };
        for (const auto& [name, m] : members_) {
            mix(m.live.size());
            for (const auto& [replica, t] : m.totals) {
                mix(bits(t.up));
                mix(bits(t.down));
                mix(bits(t.reset_up));
                mix(bits(t.reset_down));
            }
        }
        return h;
    }
    std::uint64_t max_counter(ReplicaId replica) const noexcept { return context_.max(replica); }
    void advance_counter(ReplicaId replica, std::uint64_t counter) {
        context_.insert_up_to(replica, counter);
    }
    // Folds retired out of the causal context, keeping its dots up to the highest live one
    // (crdt/retired_ids.hpp). Totals keep their replica ids.
    void retire(ReplicaId retired) {
        std::uint64_t highest = 0;
        for (const auto& [name, m] : members_)
            for (const auto& [dot, entry] : m.live)
                if (dot.replica == retired) highest = std::max(highest, dot.counter);
        context_.fold_retired(retired, highest);
    }

    friend bool operator==(const MemberStore&, const MemberStore&) = default;

    // Encoding: the context, then the members in name order: name, live entries (dot, touch or
    // put with its timestamp and value), totals (replica gap and the four numbers).
    // encode_v(writer, V) and encode_n(writer, N) write values and amounts.
    template <class EncodeV, class EncodeN>
    void encode(codec::Writer& w, EncodeV&& encode_v, EncodeN&& encode_n) const {
        context_.encode(w);
        w.varint(members_.size());
        for (const auto& [name, m] : members_) {
            w.string(name);
            w.varint(m.live.size());
            for (const auto& [dot, entry] : m.live) {
                w.varint(dot.replica.value);
                w.varint(dot.counter << 1 | (entry.touch ? 1 : 0));
                if (entry.touch) continue;
                encode_stamp(w, entry.written, dot.replica);
                encode_v(w, entry.value);
            }
            w.varint(m.totals.size());
            std::uint64_t previous = 0;
            for (const auto& [replica, t] : m.totals) {
                w.varint(replica.value - previous);
                previous = replica.value;
                for (const N* n : {&t.up, &t.down, &t.reset_up, &t.reset_down})
                    encode_n(w, *n);
            }
        }
    }
    // Reads what encode wrote, checking what a canonical encoding guarantees (names, dots and
    // replicas strictly increasing, every live dot in the context and naming one entry).
    template <class DecodeV, class DecodeN>
    static MemberStore decode(codec::Reader& r, DecodeV&& decode_v, DecodeN&& decode_n) {
        MemberStore out;
        out.context_ = CausalContext::decode(r);
        const std::size_t n = r.count("members", 3);
        std::vector<Dot> seen;
        for (std::size_t i = 0; i < n; ++i) {
            std::string name(r.string("member name"));
            if (!out.members_.empty() && !(out.members_.rbegin()->first < name))
                r.fail("member names not strictly increasing");
            Member m;
            decode_live(r, out.context_, m, decode_v, seen);
            decode_totals(r, m, decode_n);
            if (m.live.empty() && m.totals.empty()) r.fail("a member holds nothing");
            out.members_.emplace_hint(out.members_.end(), std::move(name), std::move(m));
        }
        std::sort(seen.begin(), seen.end());
        if (std::adjacent_find(seen.begin(), seen.end()) != seen.end())
            r.fail("one dot names two entries");
        return out;
    }

  private:
    using Members = std::map<std::string, Member, std::less<>>;
    using Live = std::vector<std::pair<Dot, Entry>>;

    // A put's stamp: physical, then logical * 2 + 1 when its replica is the dot's (the usual case:
    // the id is not written again), else logical * 2 and the replica.
    static void encode_stamp(codec::Writer& w, const Timestamp& t, ReplicaId dot_replica) {
        w.varint(t.physical);
        const bool same = t.replica == dot_replica;
        w.varint(std::uint64_t{t.logical} << 1 | (same ? 1 : 0));
        if (!same) w.varint(t.replica.value);
    }
    static Timestamp decode_stamp(codec::Reader& r, ReplicaId dot_replica) {
        Timestamp t;
        t.physical = r.varint("put time");
        const std::uint64_t logical_and_same = r.varint("put logical time");
        if ((logical_and_same >> 1) > UINT32_MAX) r.fail("put logical time does not fit 32 bits");
        t.logical = static_cast<std::uint32_t>(logical_and_same >> 1);
        t.replica = (logical_and_same & 1) != 0 ? dot_replica : ReplicaId{r.varint("put replica")};
        if ((logical_and_same & 1) == 0 && t.replica == dot_replica)
            r.fail("a put's replica is written out although it is the dot's");
        return t;
    }

    static bool dot_before(const Dot& d, const std::pair<Dot, Entry>& e) { return d < e.first; }
    // Whether live (sorted by dot) holds dot.
    static bool holds_dot(const Live& live, const Dot& dot) {
        const auto after = std::upper_bound(live.begin(), live.end(), dot, dot_before);
        return after != live.begin() && std::prev(after)->first == dot;
    }

    static Totals<N> totals_of(const Member& m, ReplicaId replica) {
        for (const auto& [r, t] : m.totals)
            if (r == replica) return t;
        return {};
    }
    static void set_totals(Member& m, ReplicaId replica, const Totals<N>& t) {
        auto it = std::lower_bound(m.totals.begin(), m.totals.end(), replica,
                                   [](const auto& e, ReplicaId r) { return e.first < r; });
        if (it != m.totals.end() && it->first == replica)
            it->second = t;
        else
            m.totals.insert(it, {replica, t});
    }

    typename Members::iterator remove_member(typename Members::iterator it, MemberStore& delta) {
        Member& m = it->second;
        if (m.live.empty() && std::all_of(m.totals.begin(), m.totals.end(), [](const auto& e) {
                return e.second.unseen_up() == N{} && e.second.unseen_down() == N{};
            }))
            return std::next(it);
        for (const auto& [d, entry] : m.live)
            delta.context_.insert(d);
        m.live.clear();
        if (m.totals.empty()) return members_.erase(it);
        for (auto& [r, t] : m.totals)
            t.reset();
        delta.members_[it->first].totals = m.totals;
        return std::next(it);
    }

    static Live join_live(const Live& a, const CausalContext& a_seen, const Live& b,
                          const CausalContext& b_seen) {
        return join_dotted(
            a, a_seen, b, b_seen, [](const auto& x, const auto& y) { return x.first < y.first; },
            [](const auto& e) { return e.first; });
    }
    // Whether every total of theirs (sorted by replica, as mine) is at most mine, field by field.
    static bool totals_include(const std::vector<std::pair<ReplicaId, Totals<N>>>& mine,
                               const std::vector<std::pair<ReplicaId, Totals<N>>>& theirs) {
        auto it = mine.begin();
        for (const auto& [replica, t] : theirs) {
            while (it != mine.end() && it->first < replica)
                ++it;
            if (it == mine.end() || it->first != replica) return false;
            const Totals<N>& m = it->second;
            if (m.up < t.up || m.down < t.down || m.reset_up < t.reset_up ||
                m.reset_down < t.reset_down)
                return false;
        }
        return true;
    }
    static void join_totals(std::vector<std::pair<ReplicaId, Totals<N>>>& mine,
                            const std::vector<std::pair<ReplicaId, Totals<N>>>& theirs) {
        for (const auto& [replica, t] : theirs) {
            auto it = std::lower_bound(mine.begin(), mine.end(), replica,
                                       [](const auto& e, ReplicaId r) { return e.first < r; });
            if (it != mine.end() && it->first == replica)
                it->second.merge(t);
            else
                mine.insert(it, {replica, t});
        }
    }

    template <class DecodeV>
    static void decode_live(codec::Reader& r, const CausalContext& context, Member& m,
                            DecodeV& decode_v, std::vector<Dot>& seen) {
        const std::size_t n = r.count("member entries", 2);
        for (std::size_t k = 0; k < n; ++k) {
            const ReplicaId replica{r.varint_at_least(1, "entry replica")};
            const std::uint64_t counter_and_touch = r.varint("entry dot");
            const Dot dot{replica, counter_and_touch >> 1};
            if (dot.counter == 0) r.fail("entry dot counter is 0");
            if (!m.live.empty() && !(m.live.back().first < dot))
                r.fail("member entries not strictly increasing");
            if (!context.contains(dot)) r.fail("a live dot is missing from the causal context");
            Entry entry;
            entry.touch = (counter_and_touch & 1) != 0;
            if (!entry.touch) {
                entry.written = decode_stamp(r, dot.replica);
                entry.value = decode_v(r);
            }
            m.live.emplace_back(dot, std::move(entry));
            seen.push_back(dot);
        }
    }
    template <class DecodeN>
    static void decode_totals(codec::Reader& r, Member& m, DecodeN& decode_n) {
        const std::size_t n = r.count("member totals", 5);
        std::uint64_t previous = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const std::uint64_t gap = r.varint_at_least(1, "totals replica gap");
            if (gap > UINT64_MAX - previous) r.fail("totals replica overflows 64 bits");
            previous += gap;
            Totals<N> t;
            for (N* x : {&t.up, &t.down, &t.reset_up, &t.reset_down})
                *x = decode_n(r);
            m.totals.emplace_back(ReplicaId{previous}, t);
        }
    }

    Members members_;
    CausalContext context_;
};

}  // namespace converge::detail
