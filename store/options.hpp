// File: store/options.hpp
// Options of one replica, each with a safe default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include <crdt/replica_id.hpp>
#include <store/environment.hpp>
#include <store/replication/transport.hpp>
#include <store/storage/storage.hpp>

namespace converge::store {

struct Options {
    // This replica's id: unique among all replicas that ever run concurrently.
    ReplicaId replica{1};
    // Physical time; null means the machine's real-time clock.
    std::shared_ptr<Clock> clock = nullptr;
    // Randomness (keys the hash of the lock stripes, names this run of the replica); null means
    // the operating system's source.
    std::shared_ptr<Rng> rng = nullptr;
    // How frames reach peers; null: a replica on its own (add_peer and sync need one).
    std::shared_ptr<Transport> transport = nullptr;
    // Where the state is kept across restarts; null: memory only, lost with the Store. A Store
    // built over storage that holds a replica's state recovers it (store/storage/storage.hpp). With
    // storage, a local change returns once the storage holds it durably (as its policy says) and
    // throws StorageError if it failed: the change is then applied in memory but not durable.
    std::shared_ptr<Storage> storage = nullptr;
    // Where warnings go (a rejected frame, a type conflict; each kind once); null: spdlog's
    // default logger.
    std::function<void(std::string_view)> log = nullptr;

    // Lock stripes, rounded up to a power of two (at most 65,536). More stripes, less contention.
    std::size_t stripes = 64;
    // A peer timestamp further ahead of local physical time than this does not move the clock.
    std::uint64_t max_clock_drift_ms = 60'000;

    // tick() runs a sync round when this much time has passed on the clock since the last.
    std::uint64_t sync_interval_ms = 100;
    // Messages are split to stay about this size (one key's state larger than it travels alone).
    std::size_t message_bytes = 64 * 1024;
    // Frames larger than this are refused, sent or received.
    std::size_t frame_bytes_max = 32 * 1024 * 1024;
    // The delta log keeps at most this many changed keys and about this many bytes; a peer that
    // falls further behind is repaired by digest exchange instead.
    std::size_t delta_buffer_entries = 1'000'000;
    std::size_t delta_buffer_bytes = 64 * 1024 * 1024;
    // Sync rounds after which unacknowledged messages are sent again; the wait doubles (up to 64
    // times) while a peer acknowledges nothing, and returns to this when it does.
    std::uint64_t resend_after_syncs = 3;
    // Sync rounds between digest comparisons with each peer even when its log is in order (0:
    // never). They spread what only some replicas received from one that has since failed, and
    // cost about 2 KiB a peer when nothing differs.
    std::uint64_t anti_entropy_syncs = 25;
    // Sync rounds of silence towards a peer after which a heartbeat goes out (it tells the peer
    // this replica's incarnation, so a peer that restarted empty is noticed and repaired).
    std::uint64_t heartbeat_syncs = 10;
    // Agreement rounds before a retired writer folds out of every key: at least the longest path
    // between two replicas in the peer graph (1 in a full mesh, 3 for clients of hubs that peer
    // with each other). More is safe and only slower (docs/replicas.md).
    std::uint32_t retirement_levels = 4;
};

}  // namespace converge::store
