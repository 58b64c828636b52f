// File: crdt/codec/value_codec.hpp
// How the element and value types inside a CRDT (the T of ORSet<T>, the V of ORMap<K, V>) are
// encoded. A sequence of values is encoded with one ValueCodec<T>::State, so a codec may encode
// each value relative to the previous one (strings are front-coded: shared prefix length, then
// the rest). Provided: std::string, integral types, bool, and any type with member
// `void encode(codec::Writer&) const` and `static T decode(codec::Reader&)` (every converge CRDT).
// Specialise ValueCodec for your own element types.
#pragma once

#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>

namespace converge::codec {

template <class T>
concept SelfEncoding = requires(const T& value, Writer& w, Reader& r) {
    value.encode(w);
    { T::decode(r) } -> std::same_as<T>;
};

template <class T>
struct ValueCodec;

template <>
struct ValueCodec<std::string> {
    // The previous string of the sequence: a view while encoding (the values outlive the
    // encoder), a copy while decoding. A first string is written without a shared prefix.
    struct State {
        std::string_view previous_view;
        std::string previous;
        bool first = true;
    };
    static void encode(Writer& w, const std::string& value, State& state) {
        if (!state.first) {
            const std::string_view previous = state.previous_view;
            const std::size_t limit = std::min(value.size(), previous.size());
            std::size_t shared = 0;
            while (shared < limit && value[shared] == previous[shared])
                ++shared;
            w.varint(shared);
            w.string(std::string_view(value).substr(shared));
        } else {
            w.string(value);
        }
        state.previous_view = value;
        state.first = false;
    }
    static std::string decode(Reader& r, State& state) {
        const std::uint64_t shared = state.first ? 0 : r.varint("string shared prefix");
        state.first = false;
        if (shared > state.previous.size())
            r.fail("string shares " + std::to_string(shared) + " bytes with a previous string of " +
                   std::to_string(state.previous.size()));
        const std::string_view rest = r.string("string");
        if (shared + rest.size() > r.limits().string_bytes_max)
            r.fail("string longer than the limit of " +
                   std::to_string(r.limits().string_bytes_max));
        state.previous.resize(static_cast<std::size_t>(shared));
        state.previous.append(rest);
        return state.previous;
    }
};

template <>
struct ValueCodec<bool> {
    struct State {};
    static void encode(Writer& w, bool value, State&) { w.byte(value ? 1 : 0); }
    static bool decode(Reader& r, State&) {
        const std::uint8_t b = r.byte("bool");
        if (b > 1) r.fail("bool byte is " + std::to_string(b));
        return b == 1;
    }
};

template <std::integral T>
requires(!std::same_as<T, bool>) struct ValueCodec<T> {
    struct State {};
    static void encode(Writer& w, T value, State&) {
        if constexpr (std::is_signed_v<T>)
            w.svarint(value);
        else
            w.varint(value);
    }
    static T decode(Reader& r, State&) {
        if constexpr (std::is_signed_v<T>) {
            const std::int64_t v = r.svarint("integer");
            if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
                r.fail("integer " + std::to_string(v) + " out of range for its type");
            return static_cast<T>(v);
        } else {
            const std::uint64_t v = r.varint("integer");
            if (v > std::numeric_limits<T>::max())
                r.fail("integer " + std::to_string(v) + " out of range for its type");
            return static_cast<T>(v);
        }
    }
};

template <SelfEncoding T>
struct ValueCodec<T> {
    struct State {};
    static void encode(Writer& w, const T& value, State&) { value.encode(w); }
    static T decode(Reader& r, State&) {
        auto guard = r.nested();
        return T::decode(r);
    }
};

// The smallest number of bytes one encoded value of T takes, for pre-allocation checks.
inline constexpr std::size_t value_bytes_min = 1;

}  // namespace converge::codec
