// File: crdt/or_hash.hpp
// ORHash: a hash of named fields, each either a value or a counter (Redis's hash, with the
// concurrent outcomes of docs/semantics.md).
//
// - Setting a value field replaces the values seen there; of concurrent sets the one with the
//   greater hybrid timestamp shows.
// - Incrementing a counter field adds up across replicas.
// - Deleting a field (or clearing the hash) removes what it observed: a set it had not seen
//   survives, and of a counter only the increments it had not seen.
// - A field is a value or a counter: mixing them at one replica is refused (TypeMismatch). Where a
//   set and an increment meet concurrently, the counter shows (as a counter beats a value across
//   a store's keys).
//
//   ORHash h;
//   h.set(ReplicaId{1}, t, "name", "ada");
//   h.increment(ReplicaId{1}, "visits", 3);
//   h.fields();   // {{"name", "ada"}, {"visits", "3"}}
//
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <cstdint>
#include <limits>
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

class ORHash : public codec::CerealSerializable<ORHash>,
               public detail::OverMembers<ORHash, std::string, std::uint64_t> {
  public:
    // Sets field to value, stamped written, as replica; returns the delta. Throws TypeMismatch if
    // field holds a counter here.
    ORHash set(ReplicaId replica, Timestamp written, const std::string& field, std::string value) {
        if (const auto* m = store_.find(field); m != nullptr && m->present() && m->has_touch())
            throw TypeMismatch("hash field '" + field + "' holds a counter, not a value");
        return ORHash(store_.put(replica, field, written, std::move(value)));
    }
    // Adds n (negative: subtracts) to the counter field as replica; returns the delta. Throws
    // TypeMismatch if field holds a value here, InvalidOperation if replica's running total of
    // the field would pass 2^64 - 1; either way nothing changes.
    ORHash increment(ReplicaId replica, const std::string& field, std::int64_t n) {
        const Member* m = store_.find(field);
        if (m != nullptr && m->present() && !m->has_touch())
            throw TypeMismatch("hash field '" + field + "' holds a value, not a counter");
        const std::uint64_t magnitude = n < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(n)
                                              : static_cast<std::uint64_t>(n);
        const auto add = [&](std::uint64_t total, std::uint64_t more) {
            if (more > std::numeric_limits<std::uint64_t>::max() - total)
                throw InvalidOperation("hash field '" + field + "' counter total overflows");
            return total + more;
        };
        return ORHash(
            store_.increment(replica, field, n < 0 ? 0 : magnitude, n < 0 ? magnitude : 0, add));
    }
    // Deletes field as seen here; returns the delta. *removed: whether it was present.
    ORHash del(std::string_view field, bool* removed = nullptr) {
        return ORHash(store_.remove(field, removed));
    }
    // Deletes every field seen here; returns the delta.
    ORHash clear() { return ORHash(store_.clear()); }

    bool contains(std::string_view field) const {
        const Member* m = store_.find(field);
        return m != nullptr && m->present();
    }
    // Whether field is present and a counter.
    bool is_counter(std::string_view field) const {
        const Member* m = store_.find(field);
        return m != nullptr && m->present() && m->has_touch();
    }
    // The field's value (a counter's in decimal); nullopt when absent.
    std::optional<std::string> get(std::string_view field) const {
        const Member* m = store_.find(field);
        if (m == nullptr || !m->present()) return std::nullopt;
        return shown(*m);
    }
    // The counter field's value; nullopt when absent or a value.
    std::optional<std::int64_t> counter(std::string_view field) const {
        const Member* m = store_.find(field);
        if (m == nullptr || !m->present() || !m->has_touch()) return std::nullopt;
        return sum(*m);
    }
    // Every present field with its value (counters in decimal), sorted by field.
    std::vector<std::pair<std::string, std::string>> fields() const {
        std::vector<std::pair<std::string, std::string>> out;
        store_.for_each(
            [&](const std::string& name, const Member& m) { out.emplace_back(name, shown(m)); });
        return out;
    }
    friend bool operator==(const ORHash&, const ORHash&) = default;

    // The fields, then the deadline; with_deadline false reads the layout before deadlines.
    void encode(codec::Writer& w) const {
        store_.encode(
            w, [](codec::Writer& out, const std::string& v) { out.string(v); },
            [](codec::Writer& out, std::uint64_t n) { out.varint(n); });
        encode_deadline(w);
    }
    static ORHash decode(codec::Reader& r, bool with_deadline = true) {
        ORHash h(detail::MemberStore<std::string, std::uint64_t>::decode(
            r, [](codec::Reader& in) { return std::string(in.string("hash field value")); },
            [](codec::Reader& in) { return in.varint("hash counter total"); }));
        if (with_deadline) h.decode_deadline(r);
        return h;
    }

    ORHash() = default;

  private:
    using Member = detail::MemberStore<std::string, std::uint64_t>::Member;
    explicit ORHash(detail::MemberStore<std::string, std::uint64_t>&& s)
        : OverMembers(std::move(s)) {}

    static std::int64_t sum(const Member& m) {
        std::uint64_t total = 0;
        m.for_each_unseen([&](std::uint64_t up, std::uint64_t down) { total += up - down; });
        return static_cast<std::int64_t>(total);
    }
    static std::string shown(const Member& m) {
        if (m.has_touch()) return std::to_string(sum(m));
        return m.winning_put()->value;
    }
};

}  // namespace converge
