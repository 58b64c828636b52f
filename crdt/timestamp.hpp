// File: crdt/timestamp.hpp
// Timestamp is a hybrid logical clock reading: physical time, a logical counter that orders
// events within one physical tick, and the replica that took it, which breaks every tie. Totally
// ordered; two replicas never produce equal timestamps.
//
//   Timestamp t{/*physical*/ 10, /*logical*/ 0, ReplicaId{1}};
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/replica_id.hpp>

namespace converge {

struct Timestamp {
    // Physical time in the clock's unit; converge's store uses milliseconds since the Unix epoch.
    std::uint64_t physical = 0;
    std::uint32_t logical = 0;
    ReplicaId replica;

    friend constexpr auto operator<=>(const Timestamp&, const Timestamp&) = default;

    void encode(codec::Writer& w) const {
        w.varint(physical);
        w.varint(logical);
        w.varint(replica.value);
    }
    static Timestamp decode(codec::Reader& r) {
        Timestamp t;
        t.physical = r.varint("timestamp physical");
        const std::uint64_t logical = r.varint("timestamp logical");
        if (logical > std::numeric_limits<std::uint32_t>::max())
            r.fail("timestamp logical counter exceeds 32 bits");
        t.logical = static_cast<std::uint32_t>(logical);
        t.replica = ReplicaId{r.varint("timestamp replica")};
        return t;
    }
};

}  // namespace converge
