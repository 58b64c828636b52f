// File: store/detail/value.hpp
// What one key holds (a plain value's register, a counter or a set) and its encoding on the wire:
// a type tag byte, then the CRDT's canonical encoding.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/or_set.hpp>
#include <crdt/pn_counter.hpp>
#include <store/kv_value.hpp>

namespace converge::store::detail {

using StringSet = ORSet<std::string>;
// The alternatives' order is their tag on the wire and decides type conflicts between replicas:
// the greater tag wins.
using Value = std::variant<KvRegister, PNCounter, StringSet>;

template <class T>
const char* type_name() {
    if constexpr (std::is_same_v<T, KvRegister>)
        return "a value";
    else if constexpr (std::is_same_v<T, PNCounter>)
        return "a counter";
    else
        return "a set";
}
inline const char* type_name(const Value& v) {
    return std::visit([](const auto& held) { return type_name<std::decay_t<decltype(held)>>(); },
                      v);
}

template <class T>
inline constexpr std::uint8_t type_tag = std::is_same_v<T, KvRegister> ? 0
                                         : std::is_same_v<T, PNCounter> ? 1
                                                                        : 2;

// The tag, then the canonical encoding: of one alternative, or of whichever v holds.
template <class T>
void encode_value(codec::Writer& w, const T& v) {
    w.byte(type_tag<T>);
    v.encode(w);
}
inline void encode_value(codec::Writer& w, const Value& v) {
    std::visit([&](const auto& held) { encode_value(w, held); }, v);
}

inline Value decode_value(codec::Reader& r) {
    switch (r.byte("value type")) {
        case 0: return KvRegister::decode(r);
        case 1: return PNCounter::decode(r);
        case 2: return StringSet::decode(r);
        default: r.fail("unknown value type tag");
    }
}

// A number that differs before and after any merge that changes v (merges only add dots to a causal
// context, drop entries, or raise counter entries), so a caller can tell whether a merge did anything.
inline std::uint64_t change_mark(const Value& v) {
    if (const auto* reg = std::get_if<KvRegister>(&v)) {
        std::uint64_t n = 0;
        reg->for_each([&](const KvValue&) { ++n; });
        return (reg->context().dot_count() << 16) - n;
    }
    if (const auto* set = std::get_if<StringSet>(&v))
        return (set->context().dot_count() << 32) - set->size();
    const auto& c = std::get<PNCounter>(v);
    return c.increments().value() + c.decrements().value();
}

}  // namespace converge::store::detail
