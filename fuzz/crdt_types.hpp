// File: fuzz/crdt_types.hpp
// The CRDT types the decoder targets cover (every converge type, the causality primitives and the
// store's register), chosen by one byte of the input, and the checks a decoded value must pass.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "check.hpp"

#include <crdt/crdt.hpp>
#include <store/keyspace/kv_value.hpp>

namespace converge::fuzz {

using CrdtTypes =
    std::tuple<GCounter, PNCounter, GSet<std::string>, TwoPSet<int>, LWWElementSet<std::string>,
               LWWRegister<std::string>, MVRegister<std::string>, ORSet<std::string>, ORSet<int>,
               ORMap<std::string, PNCounter>, ORMap<std::string, ORMap<int, MVRegister<int>>>,
               VersionVector, CausalContext, store::KvRegister, ORHash, SortedSet, HyperLogLog,
               ExpiringSet<std::string>, ResettableCounter>;
inline constexpr std::size_t crdt_type_count = std::tuple_size_v<CrdtTypes>;

// Calls fn(std::type_identity<T>{}) for the type selector picks (modulo the number of types).
template <class Fn>
void with_crdt_type(std::uint8_t selector, Fn&& fn) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((selector % crdt_type_count == I
              ? fn(std::type_identity<std::tuple_element_t<I, CrdtTypes>>{})
              : void()),
         ...);
    }
    (std::make_index_sequence<crdt_type_count>{});
}

// What any value a decoder accepted must satisfy: it encodes and decodes back to itself, and
// merging it is idempotent and leaves it unchanged when merged into the empty value.
template <class T>
void check_decoded(const T& value) {
    const std::string bytes = encode(value);
    FUZZ_CHECK(decode<T>(bytes) == value);
    if constexpr (requires(T & a, const T& b) { a.merge(b); }) {
        T twice = value;
        twice.merge(value);
        FUZZ_CHECK(twice == value);
        T from_empty{};
        from_empty.merge(value);
        FUZZ_CHECK(from_empty == value);
    }
}

}  // namespace converge::fuzz
