// File: store/metrics/metrics.hpp
// What one replica has done and holds, readable in code (Store::metrics()) and as Prometheus
// text (store/metrics/prometheus.hpp, target converge::prometheus).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <crdt/replica_id.hpp>
#include <store/replication/wire.hpp>

namespace converge::store {

struct PeerMetrics {
    ReplicaId peer;
    std::uint64_t deltas_pending = 0;  // changed keys in the log this peer has not acknowledged
    bool repairing = false;            // a digest repair of this peer is under way
    // Digest comparisons with this peer (the periodic ones and the repairs), those that found
    // keys that differ, and the key states sent to make it good. Differing comparisons that do
    // not stop while writes do are a replica set that cannot agree.
    std::uint64_t comparisons = 0;
    std::uint64_t comparisons_differing = 0;
    std::uint64_t keys_repaired = 0;
    bool last_comparison_differed = false;
};

// A writer declared retired whose changes replicas are still agreeing on (docs/replicas.md).
struct PendingRetirement {
    ReplicaId writer;
    std::uint32_t level = 0;   // how many hops out every replica holds the same changes of it
    std::uint32_t needed = 0;  // the level at which it folds (Options::retirement_levels)
};

// Bytes of causal metadata (contexts and dots) held, by the type of the key's value.
struct MetadataBytes {
    std::uint64_t values = 0;
    std::uint64_t counters = 0;
    std::uint64_t sets = 0;
    std::uint64_t hashes = 0;
    std::uint64_t sorted_sets = 0;
    std::uint64_t hyperloglogs = 0;

    std::uint64_t total() const noexcept {
        return values + counters + sets + hashes + sorted_sets + hyperloglogs;
    }
};

struct Metrics {
    // Operations called on this replica.
    std::uint64_t puts = 0;
    std::uint64_t gets = 0;
    std::uint64_t dels = 0;
    std::uint64_t counter_ops = 0;
    std::uint64_t set_ops = 0;
    std::uint64_t hash_ops = 0;
    std::uint64_t sorted_set_ops = 0;
    std::uint64_t hyperloglog_ops = 0;
    std::uint64_t type_mismatches = 0;  // operations refused: the key holds another type

    // State.
    std::uint64_t keys = 0;          // keys holding any state, deleted values' metadata included
    std::uint64_t expired_keys = 0;  // values reclaimed by sweep_expired
    MetadataBytes metadata_bytes;

    // Replication.
    std::uint64_t merges = 0;  // keys merged from peers' messages
    // Of those, merges that changed nothing a reader sees (a replayed or resent delta).
    std::uint64_t merges_unchanged = 0;
    std::uint64_t type_conflicts = 0;  // a peer used a key as another type (docs/semantics.md)
    std::uint64_t clock_drift_exceeded = 0;  // peer timestamps too far ahead to move the clock
    std::uint64_t messages_out = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t bytes_in = 0;
    std::array<std::uint64_t, wire::reject_reason_count> frames_rejected{};  // by RejectReason
    std::uint64_t log_entries = 0;  // changed keys in the delta log
    std::uint64_t log_bytes = 0;    // their estimated size
    std::uint64_t log_dropped = 0;  // entries dropped to keep the log within its bounds
    std::uint64_t repairs_started = 0;
    std::uint64_t repairs_completed = 0;
    std::uint64_t repair_keys_sent = 0;
    // Sync rounds and frames held back because the storage failed to commit.
    std::uint64_t storage_failures = 0;
    // Local changes refused, unapplied, while the storage failed (StorageUnavailable).
    std::uint64_t writes_refused = 0;
    std::vector<PeerMetrics> peers;
    // Replica ids over time (docs/replicas.md).
    ReplicaId writer;                   // the id this run stamps its changes with
    std::uint64_t retired_writers = 0;  // writers folded out of every key
    std::vector<PendingRetirement> retirements_pending;
    std::uint64_t rekeys = 0;  // times this run took a fresh writer id (told its id was retired)
};

}  // namespace converge::store
