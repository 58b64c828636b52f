// File: crdt/detail/sorted_codec.hpp
// Encoding of an ordered std::set of values: a count, then the values in ascending order, so sets
// are canonical and strings front-code well. Decoding insists on strictly ascending values.
#pragma once

#include <set>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/codec/writer.hpp>

namespace converge::detail {

template <class T>
void encode_sorted_set(codec::Writer& w, const std::set<T>& values) {
    w.varint(values.size());
    typename codec::ValueCodec<T>::State state;
    for (const T& v : values)
        codec::ValueCodec<T>::encode(w, v, state);
}

template <class T>
std::set<T> decode_sorted_set(codec::Reader& r, const char* what) {
    std::set<T> out;
    const std::size_t n = r.count(what, codec::value_bytes_min);
    typename codec::ValueCodec<T>::State state;
    for (std::size_t i = 0; i < n; ++i) {
        T value = codec::ValueCodec<T>::decode(r, state);
        if (!out.empty() && !(*out.rbegin() < value))
            r.fail(std::string(what) + " are not strictly ascending");
        out.emplace_hint(out.end(), std::move(value));
    }
    return out;
}

}  // namespace converge::detail
