// File: store/keyspace/value.hpp
// What one key holds (a plain value's register, a counter, a set, a hash, a sorted set or a
// HyperLogLog) and its encoding on the wire: a type tag byte, then the CRDT's canonical encoding.
#pragma once

#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/expiring_set.hpp>
#include <crdt/hyper_log_log.hpp>
#include <crdt/or_hash.hpp>
#include <crdt/resettable_counter.hpp>
#include <crdt/sorted_set.hpp>
#include <store/keyspace/boxed.hpp>
#include <store/keyspace/kv_value.hpp>

namespace converge::store::detail {

using StringSet = ExpiringSet<std::string>;

// One key's CRDT: a plain value's register, a counter, a set, a hash, a sorted set or a
// HyperLogLog. The alternatives' order decides type conflicts between replicas: the later
// alternative wins. (It followed their tags on the wire until the set gained a deadline and a
// new tag.) Only the register, by far the most common, is held inline; the others live in a
// Boxed on the heap, so a key costs 120 bytes less than with every alternative inline.
// Thread-safety: none; the key's stripe lock guards it.
class Value {
  public:
    // The number of alternatives, and whether T is one of them.
    static constexpr std::size_t alternatives = 6;
    template <class T>
    static constexpr bool is_alternative =
        std::is_same_v<T, KvRegister> || std::is_same_v<T, ResettableCounter> ||
        std::is_same_v<T, StringSet> || std::is_same_v<T, ORHash> || std::is_same_v<T, SortedSet> ||
        std::is_same_v<T, HyperLogLog>;

    Value() = default;  // an empty register
    // Implicit: a Value is any one of its alternatives.
    template <class T>
    requires is_alternative<std::decay_t<T>> Value(T&& held)
        : held_(std::in_place_type<Stored<std::decay_t<T>>>, std::forward<T>(held)) {}

    // The alternative's position, 0 (a register) to 5 (a HyperLogLog).
    std::size_t index() const noexcept { return held_.index(); }
    template <class T>
    bool holds() const noexcept {
        return std::holds_alternative<Stored<T>>(held_);
    }
    // The held T; null (get_if) or std::bad_variant_access (get) when it holds another type.
    template <class T>
    T* get_if() noexcept {
        auto* stored = std::get_if<Stored<T>>(&held_);
        return stored == nullptr ? nullptr : &unbox(*stored);
    }
    template <class T>
    const T* get_if() const noexcept {
        const auto* stored = std::get_if<Stored<T>>(&held_);
        return stored == nullptr ? nullptr : &unbox(*stored);
    }
    template <class T>
    T& get() {
        return unbox(std::get<Stored<T>>(held_));
    }
    template <class T>
    const T& get() const {
        return unbox(std::get<Stored<T>>(held_));
    }
    // fn(held) with the held alternative (KvRegister&, ResettableCounter&, ...).
    template <class Fn>
    decltype(auto) visit(Fn&& fn) {
        return std::visit([&](auto& stored) -> decltype(auto) { return fn(unbox(stored)); }, held_);
    }
    template <class Fn>
    decltype(auto) visit(Fn&& fn) const {
        return std::visit([&](const auto& stored) -> decltype(auto) { return fn(unbox(stored)); },
                          held_);
    }

  private:
    template <class T>
    using Stored = std::conditional_t<std::is_same_v<T, KvRegister>, KvRegister, Boxed<T>>;
    static KvRegister& unbox(KvRegister& reg) noexcept { return reg; }
    static const KvRegister& unbox(const KvRegister& reg) noexcept { return reg; }
    template <class T>
    static T& unbox(Boxed<T>& boxed) noexcept {
        return *boxed;
    }
    template <class T>
    static const T& unbox(const Boxed<T>& boxed) noexcept {
        return *boxed;
    }

    std::variant<KvRegister, Boxed<ResettableCounter>, Boxed<StringSet>, Boxed<ORHash>,
                 Boxed<SortedSet>, Boxed<HyperLogLog>>
        held_;
};

template <class T>
const char* type_name() {
    if constexpr (std::is_same_v<T, KvRegister>)
        return "a value";
    else if constexpr (std::is_same_v<T, ResettableCounter>)
        return "a counter";
    else if constexpr (std::is_same_v<T, StringSet>)
        return "a set";
    else if constexpr (std::is_same_v<T, ORHash>)
        return "a hash";
    else if constexpr (std::is_same_v<T, SortedSet>)
        return "a sorted set";
    else
        return "a HyperLogLog";
}
inline const char* type_name(const Value& v) {
    return v.visit([](const auto& held) { return type_name<std::decay_t<decltype(held)>>(); });
}

// Whether T carries a whole-key deadline (EXPIRE on a counter, set, hash, sorted set or
// HyperLogLog): every type but a value's register, whose writes carry their own.
template <class T>
inline constexpr bool has_deadline = !std::is_same_v<T, KvRegister>;

// v's whole-key deadline; null for the types that carry none.
inline const Deadline* deadline_of(const Value& v) {
    return v.visit([](const auto& held) -> const Deadline* {
        if constexpr (has_deadline<std::decay_t<decltype(held)>>)
            return &held.deadline();
        else
            return nullptr;
    });
}
// Whether v's whole key expired at now_ms (physical ms on the hybrid clock): it then shows
// nothing here, and this replica's next change of it removes what it held first (expire_whole).
inline bool whole_key_expired(const Value& v, std::uint64_t now_ms) {
    const Deadline* d = deadline_of(v);
    return d != nullptr && d->expired_at(now_ms);
}
// Whether v's whole key has a deadline to test (so a caller reads its clock only then).
inline bool has_whole_key_deadline(const Value& v) {
    const Deadline* d = deadline_of(v);
    return d != nullptr && d->expires_ms != 0;
}
// Whether v shows something at now_ms: a live value not expired, a counter not reset since its
// last change (DEL), a non-empty set, hash, sorted set or HyperLogLog, whose whole key has not
// expired.
inline bool visible_at(const Value& value, std::uint64_t now_ms) {
    if (whole_key_expired(value, now_ms)) return false;
    if (const auto* reg = value.get_if<KvRegister>()) {
        const KvValue* winner = winning_write(*reg);
        return winner != nullptr && !winner->expired_at(now_ms);
    }
    if (const auto* counter = value.get_if<ResettableCounter>()) return !counter->empty();
    if (const auto* set = value.get_if<StringSet>()) return !set->empty();
    if (const auto* hash = value.get_if<ORHash>()) return !hash->empty();
    if (const auto* zset = value.get_if<SortedSet>()) return !zset->empty();
    if (const auto* hll = value.get_if<HyperLogLog>()) return !hll->empty();
    return true;
}
// When what v shows expires (physical ms on the hybrid clock; 0: never): its whole-key deadline,
// or a register's winning write's expiry.
inline std::uint64_t shown_expiry_ms(const Value& v) {
    if (const Deadline* d = deadline_of(v)) return d->expires_ms;
    const KvValue* winner = winning_write(v.get<KvRegister>());
    return winner == nullptr ? 0 : winner->expires_ms;
}
// Expires value at this replica, as a command taken at when: removes everything this replica has
// seen of it (a change made elsewhere that it had not seen survives, as for a delete) and sets
// the deadline to never, so what is written next lives on. Returns the delta.
template <class T>
T expire_whole(T& value, Timestamp when) {
    static_assert(has_deadline<T>);
    T delta = value.clear();
    delta.merge(value.expire(when, 0));
    return delta;
}

// Tag 3 (a register's short form) names no alternative, nor do 4 and 11 (a set's and a counter's
// delta, in messages of wire version 6 and older); 5, 6 and 7 are the hash, sorted set and
// HyperLogLog before they carried a deadline (storage format 3 and older, wire version 3), 2 the
// set before it did (storage format 4 and older, wire version 5), and 1 the counter before it
// could be reset or expire (storage format 5 and older, wire version 6), still read from storage.
template <class T>
inline constexpr std::uint8_t type_tag = std::is_same_v<T, KvRegister>          ? 0
                                         : std::is_same_v<T, ResettableCounter> ? 13
                                         : std::is_same_v<T, StringSet>         ? 12
                                         : std::is_same_v<T, ORHash>            ? 8
                                         : std::is_same_v<T, SortedSet>         ? 9
                                                                                : 10;
inline constexpr std::uint8_t counter_tag_before_resets = 1;
inline constexpr std::uint8_t set_tag_before_deadlines = 2;
inline constexpr std::uint8_t hash_tag_before_deadlines = 5;
inline constexpr std::uint8_t sorted_set_tag_before_deadlines = 6;
inline constexpr std::uint8_t hyperloglog_tag_before_deadlines = 7;
// The short form of the most common register: one replica's latest write is all it has seen.
inline constexpr std::uint8_t sole_writer_tag = 3;

// reg's only value and its dot if that replica's writes are all reg has seen; nulls otherwise.
inline std::pair<const Dot*, const KvValue*> sole_writer(const KvRegister& reg) {
    const CausalContext& context = reg.context();
    if (context.cloud_size() != 0 || context.compact().size() != 1) return {};
    std::pair<const Dot*, const KvValue*> only{};
    std::size_t values = 0;
    reg.for_each_dot([&](const Dot& dot, const KvValue& v) {
        ++values;
        if (dot.replica == v.written.replica && dot.counter == context.max(dot.replica))
            only = {&dot, &v};
    });
    return values == 1 ? only : std::pair<const Dot*, const KvValue*>{};
}

// The tag, then the canonical encoding: of one alternative, or of whichever v holds. A register
// written by one replica only takes the short form (about 8 bytes less).
template <class T>
void encode_value(codec::Writer& w, const T& v) {
    if constexpr (std::is_same_v<T, KvRegister>) {
        if (const auto [dot, value_ptr] = sole_writer(v); dot != nullptr) {
            const KvValue& value = *value_ptr;
            w.byte(sole_writer_tag);
            w.varint(dot->replica.value);
            w.varint(dot->counter);
            w.varint(value.written.physical);
            w.varint(std::uint64_t{value.written.logical} << 1 | (value.expires_ms != 0));
            if (value.expires_ms != 0) w.varint(value.expires_ms);
            w.string(value.bytes);
            return;
        }
    }
    w.byte(type_tag<T>);
    v.encode(w);
}

inline KvRegister decode_sole_writer(codec::Reader& r) {
    const ReplicaId replica{r.varint_at_least(1, "writer (id 0 names no writer)")};
    const std::uint64_t counter = r.varint_at_least(1, "write counter");
    KvValue value;
    value.written.physical = r.varint("write time");
    const std::uint64_t logical_and_flag = r.varint("logical time");
    if ((logical_and_flag >> 1) > UINT32_MAX) r.fail("logical time does not fit 32 bits");
    value.written.logical = static_cast<std::uint32_t>(logical_and_flag >> 1);
    value.written.replica = replica;
    if (logical_and_flag & 1) value.expires_ms = r.varint_at_least(1, "expiry");
    value.bytes = std::string(r.string("value bytes"));
    KvRegister reg;
    reg.advance_counter(replica, counter - 1);
    reg.assign(replica, std::move(value));
    return reg;
}
inline void encode_value(codec::Writer& w, const Value& v) {
    v.visit([&](const auto& held) { encode_value(w, held); });
}
// The bytes of value's canonical encoding (encoded_size long) that are causal metadata rather
// than the user's data.
inline std::uint64_t metadata_bytes(const Value& value, std::size_t encoded_size) {
    std::uint64_t payload = 0;
    if (const auto* reg = value.get_if<KvRegister>())
        reg->for_each([&](const KvValue& v) { payload += v.bytes.size(); });
    else if (const auto* set = value.get_if<StringSet>())
        set->for_each([&](const std::string& member) { payload += member.size(); });
    else if (const auto* hash = value.get_if<ORHash>())
        for (const auto& [field, shown] : hash->fields())
            payload += field.size() + shown.size();
    else if (const auto* zset = value.get_if<SortedSet>())
        for (const auto& [member, score] : zset->members())
            payload += member.size() + sizeof score;
    else if (value.holds<HyperLogLog>())
        payload = HyperLogLog::register_count * 6 / 8;  // the dense registers
    else
        payload = 8;  // a counter's value
    return encoded_size > payload ? encoded_size - payload : 0;
}

// The value a type tag (already read) names, read from r.
inline Value decode_tagged(codec::Reader& r, std::uint8_t tag) {
    switch (tag) {
        case 0:
            return KvRegister::decode(r);
        case type_tag<ResettableCounter>:
            return ResettableCounter::decode(r);
        case counter_tag_before_resets:
            return ResettableCounter::decode_plain(r);
        case type_tag<StringSet>:
            return StringSet::decode(r);
        case set_tag_before_deadlines:
            return StringSet::decode(r, false);
        case sole_writer_tag:
            return decode_sole_writer(r);
        case type_tag<ORHash>:
            return ORHash::decode(r);
        case type_tag<SortedSet>:
            return SortedSet::decode(r);
        case type_tag<HyperLogLog>:
            return HyperLogLog::decode(r);
        case hash_tag_before_deadlines:
            return ORHash::decode(r, false);
        case sorted_set_tag_before_deadlines:
            return SortedSet::decode(r, false);
        case hyperloglog_tag_before_deadlines:
            return HyperLogLog::decode(r, false);
        default:
            r.fail("unknown value type tag");
    }
}
inline Value decode_value(codec::Reader& r) {
    return decode_tagged(r, r.byte("value type"));
}

// A number that differs before and after a merge that changes what v shows: a new or lost value,
// element or count. (A merge that only moves a set's dots between its elements may leave it equal.)
inline std::uint64_t change_mark(const Value& v) {
    if (const auto* reg = v.get_if<KvRegister>()) {
        std::uint64_t n = 0;
        reg->for_each([&](const KvValue&) { ++n; });
        return (reg->context().dot_count() << 16) - n;
    }
    if (const auto* set = v.get_if<StringSet>())
        return (set->context().dot_count() << 32) - set->size();
    if (const auto* c = v.get_if<ResettableCounter>())  // every slot only grows
        return c->totals().increments().value() + c->totals().decrements().value() +
               c->baselines().increments().value() + c->baselines().decrements().value();
    if (const auto* hash = v.get_if<ORHash>()) return hash->members_store().change_mark();
    if (const auto* zset = v.get_if<SortedSet>()) return zset->members_store().change_mark();
    return v.get<HyperLogLog>().count();
}

}  // namespace converge::store::detail
