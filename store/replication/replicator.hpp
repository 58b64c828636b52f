// File: store/replication/replicator.hpp
// Replicator: the replica's side of delta-state anti-entropy. It keeps each peer's progress
// through the delta log; each sync round sends every peer the joined changes it has not
// acknowledged (resending what went unacknowledged, with backoff), heartbeats quiet peers, drives
// digest repairs of peers behind the log's floor, collects the log entries every peer has, and
// records sync marks in the storage. receive() checks a frame, dispatches it and acknowledges it.
// Protocol and wire format: docs/replication.md.
//
// Thread-safety: every member is safe from any thread. Lock order, outermost first: the peers
// lock, the digest lock, one stripe's lock, the clock's.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <store/lifecycle/lifecycle.hpp>
#include <store/lifecycle/retirements.hpp>
#include <store/options.hpp>
#include <store/replication/digest_repair.hpp>
#include <store/replication/peer_progress.hpp>
#include <store/replication/remote_merge.hpp>

namespace converge::store::detail {

class Replicator {
  public:
    // Every argument must outlive the Replicator. The lifecycle's writer id names this run of the
    // replica to its peers (its incarnation); retirements agree on and fold retired writers.
    Replicator(const Options& options, Keyspace& keyspace, Durability& durability,
               ReplicaClock& clock, Counters& counters, Lifecycle& lifecycle,
               Retirements& retirements);

    // Starts replicating to peer (no effect for a peer already added or this replica's own id).
    void add_peer(ReplicaId peer);
    // Stops replicating to peer, forgets its progress and its sync mark.
    void remove_peer(ReplicaId peer);
    std::vector<ReplicaId> peers() const;
    // See RemoteMerge::on_local_expiry. Set once, before any frame is received.
    void on_local_expiry(RemoteMerge::LocalExpiry expire) {
        merge_.on_local_expiry(std::move(expire));
    }
    // Whether changes enter the delta log (some peer exists); read under a stripe's lock.
    bool logging() const noexcept { return logging_.load(std::memory_order_relaxed); }

    // One sync round (Store::sync). Needs a transport.
    void sync();
    // Runs sync() if Options::sync_interval_ms has passed on the clock since the last round;
    // returns whether it did.
    bool sync_if_due();
    // Takes one frame from a peer; appends the changes it made for subscribers. Returns whether
    // it was accepted (a rejected frame is counted by reason, logged once, and changes nothing).
    bool receive(std::string_view frame, std::vector<Change>& changes);

    // Each peer's pending deltas and whether it is being repaired, into m.peers; the log's size
    // into m.log_entries and m.log_bytes.
    void peer_metrics(Metrics& m) const;
    DigestRepair& repair() noexcept { return repair_; }

  private:
    void send(ReplicaId to, wire::MessageType type, std::string payload);
    void reject(wire::RejectReason reason, const std::string& detail);
    bool dispatch(const wire::Frame& frame, std::vector<Change>& changes);
    bool in_range(ReplicaId sender, const std::vector<KeyState>& keys);
    void sync_peer_locked(ReplicaId id, PeerProgress& peer);
    bool behind_floor_locked(const PeerProgress& peer) const;
    void send_deltas_locked(ReplicaId to, PeerProgress& peer);
    void collect_log_locked();
    void mark_synced_locked(std::uint64_t written);
    void on_ack(ReplicaId from, const Ack& ack);
    // Takes a state message (deltas or key states) whose payload begins with the sender's table
    // fingerprint: decode(rest) decodes and checks it (false: rejected); merge(table, learned, the
    // sender's learned) merges it under the retired table and returns the answer to send. A sender
    // writing under a retired id, or with another table, is refused (nothing merges, nothing is
    // acknowledged) and told.
    template <class Decode, class Merge>
    bool merge_states(ReplicaId from, std::string_view payload, Decode&& decode, Merge&& merge);
    void on_retirement(ReplicaId from, RetirementReport&& report);
    // Sends to the report of retirements it should hear now (Retirements::report_for), if any.
    void send_retirement(ReplicaId to, bool even_if_idle = false);
    std::uint64_t incarnation() const noexcept { return lifecycle_.writer().value; }
    // Runs fn(peer) under the peers lock if from is a peer.
    template <class Fn>
    void with_peer(ReplicaId from, Fn&& fn) {
        std::lock_guard lock(peers_mutex_);
        if (auto it = peers_.find(from); it != peers_.end()) fn(it->second);
    }

    const Options& options_;
    Keyspace& keyspace_;
    Durability& durability_;
    ReplicaClock& clock_;
    Counters& counters_;
    Lifecycle& lifecycle_;
    Retirements& retirements_;
    RemoteMerge merge_;
    DigestRepair repair_;

    mutable std::mutex peers_mutex_;
    std::map<ReplicaId, PeerProgress> peers_;
    // The prefixes last kept by a compacted peer (PeerStripes::compact), for the next to share.
    PeerStripes::Prefixes shared_prefixes_;
    std::uint64_t round_ = 0;  // sync rounds so far, under the peers lock
    std::atomic<bool> logging_{false};
    std::atomic<std::uint64_t> last_sync_ms_{0};
    std::array<LogOnce, wire::reject_reason_count> rejection_logged_;
    LogOnce rekey_logged_;
};

}  // namespace converge::store::detail
