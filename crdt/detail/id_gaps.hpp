// File: crdt/detail/id_gaps.hpp
// Replica ids in ascending order, each written as its gap from the one before (varints): how
// version vectors and retired tables encode their ids. Reading insists on strictly ascending ids
// that fit 64 bits.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/replica_id.hpp>

namespace converge::detail {

// Appends id as its gap from previous, then moves previous to it.
inline void write_id_gap(codec::Writer& w, std::uint64_t& previous, ReplicaId id) {
    w.varint(id.value - previous);
    previous = id.value;
}

// Reads the next id after previous (moving previous to it). first: whether it is the first id,
// which may be 0 when zero_allowed; every later one must be greater than the one before. what
// names the sequence in errors.
inline ReplicaId read_id_gap(codec::Reader& r, std::uint64_t& previous, bool first,
                             bool zero_allowed, const char* what) {
    const std::uint64_t gap = r.varint(what);
    if (gap == 0 && !(first && zero_allowed))
        r.fail(std::string(what) + (first ? ": id 0 is not allowed" : " not strictly increasing"));
    if (gap > std::numeric_limits<std::uint64_t>::max() - previous)
        r.fail(std::string(what) + ": replica id overflows 64 bits");
    previous += gap;
    return ReplicaId{previous};
}

}  // namespace converge::detail
