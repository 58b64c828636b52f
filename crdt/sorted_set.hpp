// File: crdt/sorted_set.hpp
// SortedSet: members with scores (Redis's sorted set, with the concurrent outcomes of
// docs/semantics.md).
//
// - add sets a member's score; of concurrent adds the one with the greater hybrid timestamp wins.
//   An add resets the increments it observed.
// - increment adds to a member's score (creating it at 0); increments add up across replicas, on
//   top of the winning added score.
// - remove drops what it observed: an increment it had not seen survives, and only that
//   increment (the member comes back with that amount as its score).
// Scores are finite doubles: NaN and infinities are refused with InvalidOperation.
//
//   SortedSet z;
//   z.add(ReplicaId{1}, t, "ada", 10.0);
//   z.increment(ReplicaId{2}, "ada", 2.5);
//   z.range(0, -1);   // {{"ada", 12.5}}
//
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/detail/member_store.hpp>
#include <crdt/detail/over_members.hpp>
#include <crdt/error.hpp>

namespace converge {

class SortedSet : public codec::CerealSerializable<SortedSet>,
                  public detail::OverMembers<SortedSet, double, double> {
  public:
    // Sets member's score, stamped written, as replica; returns the delta. Throws
    // InvalidOperation if score is not finite.
    SortedSet add(ReplicaId replica, Timestamp written, const std::string& member, double score) {
        if (!std::isfinite(score))
            throw InvalidOperation("sorted set score must be a finite number");
        return SortedSet(store_.put(replica, member, written, score + 0.0));  // -0 is 0
    }
    // Adds by (negative: subtracts) to member's score as replica, creating it at 0; returns the
    // delta. Throws InvalidOperation, changing nothing, if by or the new score is not finite.
    SortedSet increment(ReplicaId replica, const std::string& member, double by) {
        if (!std::isfinite(by))
            throw InvalidOperation("sorted set increment must be a finite number");
        if (!std::isfinite(score(member).value_or(0.0) + by))
            throw InvalidOperation("sorted set score of '" + member + "' would not be finite");
        const auto add = [&](double total, double more) {
            if (!std::isfinite(total + more))
                throw InvalidOperation("sorted set increments of '" + member + "' overflow");
            return total + more;
        };
        return SortedSet(
            store_.increment(replica, member, by > 0 ? by : 0.0, by < 0 ? -by : 0.0, add));
    }
    // Removes member as seen here; returns the delta. *removed: whether it was present.
    SortedSet remove(std::string_view member, bool* removed = nullptr) {
        return SortedSet(store_.remove(member, removed));
    }
    // Removes every member seen here; returns the delta.
    SortedSet clear() { return SortedSet(store_.clear()); }

    // The member's score; nullopt when absent.
    std::optional<double> score(std::string_view member) const {
        const Member* m = store_.find(member);
        if (m == nullptr || !m->present()) return std::nullopt;
        return score_of(*m);
    }
    bool contains(std::string_view member) const { return score(member).has_value(); }
    // Every member with its score, by score, then member (bytewise).
    std::vector<std::pair<std::string, double>> members() const {
        std::vector<std::pair<std::string, double>> out;
        store_.for_each(
            [&](const std::string& name, const Member& m) { out.emplace_back(name, score_of(m)); });
        std::stable_sort(out.begin(), out.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
        return out;
    }
    // The members ranked start to stop, inclusive, in members() order; negative ranks count from
    // the end (-1 is the last), as Redis's ZRANGE.
    std::vector<std::pair<std::string, double>> range(std::int64_t start, std::int64_t stop) const {
        auto all = members();
        const auto n = static_cast<std::int64_t>(all.size());
        if (start < 0) start = std::max<std::int64_t>(0, n + start);
        if (stop < 0) stop = n + stop;
        stop = std::min(stop, n - 1);
        if (start > stop || start >= n) return {};
        return {all.begin() + start, all.begin() + stop + 1};
    }
    // The member's rank in members() order; nullopt when absent.
    std::optional<std::size_t> rank(std::string_view member) const {
        const auto all = members();
        for (std::size_t i = 0; i < all.size(); ++i)
            if (all[i].first == member) return i;
        return std::nullopt;
    }

    friend bool operator==(const SortedSet&, const SortedSet&) = default;

    // The members, then the deadline; with_deadline false reads the layout before deadlines.
    void encode(codec::Writer& w) const {
        store_.encode(w, write_double, write_double);
        encode_deadline(w);
    }
    static SortedSet decode(codec::Reader& r, bool with_deadline = true) {
        SortedSet z(detail::MemberStore<double, double>::decode(
            r, [](codec::Reader& in) { return read_double(in, "sorted set score", false); },
            [](codec::Reader& in) { return read_double(in, "sorted set increment total", true); }));
        if (with_deadline) z.decode_deadline(r);
        return z;
    }

    SortedSet() = default;

  private:
    using Member = detail::MemberStore<double, double>::Member;
    explicit SortedSet(detail::MemberStore<double, double>&& s) : OverMembers(std::move(s)) {}

    static double score_of(const Member& m) {
        const auto* put = m.winning_put();
        double score = put == nullptr ? 0.0 : put->value;
        m.for_each_unseen([&](double up, double down) { score = score + up - down; });
        return score;
    }
    static void write_double(codec::Writer& w, double d) {
        std::uint64_t bits = 0;
        std::memcpy(&bits, &d, sizeof bits);
        char raw[8];
        for (int i = 0; i < 8; ++i)
            raw[i] = static_cast<char>(bits >> (8 * i));
        w.raw(std::string_view(raw, 8));
    }
    static double read_double(codec::Reader& r, const char* what, bool non_negative) {
        const std::string_view raw = r.raw(8, what);
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i)
            bits |= std::uint64_t{static_cast<unsigned char>(raw[i])} << (8 * i);
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) r.fail(std::string(what) + " is not finite");
        if (non_negative && std::signbit(d)) r.fail(std::string(what) + " is negative");
        return d;
    }
};

}  // namespace converge
