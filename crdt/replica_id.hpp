// File: crdt/replica_id.hpp
// ReplicaId names one replica: the author of dots, counter contributions and timestamps.
//
//   converge::ReplicaId a{1};
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace converge {

// A 64-bit replica identifier. Two replicas that ever run concurrently must have distinct ids.
struct ReplicaId {
    std::uint64_t value = 0;

    friend constexpr auto operator<=>(const ReplicaId&, const ReplicaId&) = default;
};

// Id 0 names no writer: a counter's slot under it holds the contributions of retired writers,
// folded in (crdt/retired_ids.hpp). Mutators refuse it as a replica.
inline constexpr ReplicaId retired_writers{0};

}  // namespace converge

template <>
struct std::hash<converge::ReplicaId> {
    std::size_t operator()(const converge::ReplicaId& id) const noexcept {
        return std::hash<std::uint64_t>{}(id.value);
    }
};
