// File: store/keyspace/key_inspection.hpp
// KeyInspection: what one key holds on one replica, causal metadata included. It is for tests,
// simulators and debugging tools that check a replica against a model of its history (see
// Store::inspect); applications read keys through get, counter and set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <crdt/causal_context.hpp>
#include <crdt/deadline.hpp>
#include <crdt/dot.hpp>
#include <crdt/timestamp.hpp>
#include <crdt/version_vector.hpp>

namespace converge::store {

struct KeyInspection {
    enum class Type { value, counter, set, hash, sorted_set, hyperloglog };

    // One live dot: a write still alive in a value's register, an add keeping a set's member, a
    // hash field's or sorted set member's put or increment (bytes: the field or member).
    struct Live {
        Dot dot;
        std::string bytes;             // the value written, or the member
        Timestamp written{};           // value only: the write's hybrid-clock stamp
        std::uint64_t expires_ms = 0;  // value only: 0 when it never expires

        friend bool operator==(const Live&, const Live&) = default;
    };

    Type type = Type::value;
    CausalContext context;     // all but counter: every dot the key has seen
    std::vector<Live> live;    // value, set, hash, sorted set: in dot order
    VersionVector increments;  // counter: each replica's total of increments
    VersionVector decrements;  // counter: each replica's total of decrements
    // counter: each replica's totals as of the latest reset (DEL) that saw them.
    VersionVector reset_increments, reset_decrements;
    // hash, sorted set: a hash of the increment totals (what the dots above do not show), so
    // equal inspections are equal states.
    std::uint64_t totals_hash = 0;
    // counter, set, hash, sorted set, HyperLogLog: when the whole key expires (unset when never
    // set).
    Deadline deadline;

    friend bool operator==(const KeyInspection&, const KeyInspection&) = default;
};

// Where Store::inspect_changed got to: a change number per lock stripe. A default-constructed
// cursor starts from the beginning.
struct ChangeCursor {
    std::vector<std::uint64_t> stripes{};
};

}  // namespace converge::store
