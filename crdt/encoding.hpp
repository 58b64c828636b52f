// File: crdt/encoding.hpp
// converge's canonical binary encoding of every CRDT: compact (varints, dots grouped per replica,
// front-coded strings), deterministic (equal states give equal bytes) and safe to decode from
// untrusted input (every length checked before allocation).
//
//   std::string bytes = converge::encode(set);
//   auto copy = converge::decode<ORSet<std::string>>(bytes);      // throws DecodeError
//   converge::decode_into(existing, bytes);                         // unchanged on error
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/codec/writer.hpp>

namespace converge {

// Encodes value in converge's canonical binary format.
template <codec::SelfEncoding T>
std::string encode(const T& value) {
    codec::Writer w;
    value.encode(w);
    return w.take();
}

// Decodes a complete value of type T from bytes. Throws DecodeError if the bytes are malformed,
// exceed limits, violate an invariant of T or have trailing bytes.
template <codec::SelfEncoding T>
T decode(std::string_view bytes, const DecodeLimits& limits = {}) {
    codec::Reader r(bytes, limits);
    T value = T::decode(r);
    r.expect_end("the encoded value");
    return value;
}

// Decodes bytes into target. On any error, throws DecodeError and target is unchanged.
template <codec::SelfEncoding T>
void decode_into(T& target, std::string_view bytes, const DecodeLimits& limits = {}) {
    T value = decode<T>(bytes, limits);
    target = std::move(value);
}

}  // namespace converge
