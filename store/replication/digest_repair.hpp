// File: store/replication/digest_repair.hpp
// DigestRepair: brings a peer that fell behind the delta log (or is compared now and then) up to
// date by exchanging digests, moving only the keys that differ. The repairing replica sends the
// hashes of the digest tree's ranges (digest_top); the peer answers with the leaves of the ranges
// that differ (digest_leaves); the repairing replica sends its state of every key in a differing
// leaf (key_states, each acknowledged); when every range has been compared, everything it had
// logged up to the repair's start counts as acknowledged. docs/replication.md.
//
// Thread-safety: the digest tree is guarded by its own lock (taken after the peers lock, before a
// stripe's); the *_locked members and the PeerProgress they take need the Replicator's peers lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <store/keyspace/keyspace.hpp>
#include <store/metrics/counters.hpp>
#include <store/replication/digest_tree.hpp>
#include <store/replication/messages.hpp>
#include <store/replication/peer_progress.hpp>
#include <store/replication/wire.hpp>

namespace converge::store::detail {

class DigestRepair {
  public:
    using Send = std::function<void(ReplicaId to, wire::MessageType, std::string payload)>;
    struct Limits {
        std::size_t message_bytes;         // Options::message_bytes
        std::uint64_t resend_after_syncs;  // Options::resend_after_syncs
    };

    DigestRepair(Keyspace& keyspace, Counters& counters, Limits limits, Send send)
        : keyspace_(keyspace), counters_(counters), limits_(limits), send_(std::move(send)) {}

    // Runs fn(const DigestTree&) on the tree, brought up to date with every changed key first
    // (which also re-sizes their metadata). Takes the digest lock and each stripe's in turn.
    template <class Fn>
    auto with_digests(Fn&& fn) {
        std::lock_guard lock(mutex_);
        refresh_locked();
        return fn(static_cast<const DigestTree&>(tree_));
    }
    // A hash of every key's state: equal states, equal hashes.
    std::uint64_t state_hash();

    // In a sync round: begins a repair of peer (idle), or redoes a step it has waited too long for.
    void step_locked(ReplicaId to, PeerProgress& peer, std::uint64_t round);
    // The peer's side: answers a digest_top with the leaves of the ranges that differ here.
    void on_digest_top(ReplicaId from, const DigestTop& top);
    // The repairing side: sends the key states of the leaves that differ.
    void on_digest_leaves_locked(ReplicaId from, PeerProgress& peer, const DigestLeaves& leaves,
                                 std::uint64_t round);
    void on_repair_ack_locked(ReplicaId from, PeerProgress& peer, const RepairAck& ack,
                              std::uint64_t round);

  private:
    void refresh_locked();
    void send_top_locked(ReplicaId to, PeerProgress& peer, std::uint64_t round);
    void advance_locked(ReplicaId to, PeerProgress& peer, std::uint64_t round);
    // This replica's states of every key in a wanted leaf; counts them into sent_keys.
    std::vector<std::string> key_state_chunks(const std::vector<bool>& wanted,
                                              std::uint64_t& sent_keys);

    Keyspace& keyspace_;
    Counters& counters_;
    Limits limits_;
    Send send_;
    std::mutex mutex_;  // the digest lock
    DigestTree tree_;
    codec::Writer scratch_;             // under the digest lock: each refreshed key's encoding
    std::uint64_t next_repair_id_ = 0;  // under the peers lock
    // The heads the latest repair began at, for the next to share (under the peers lock).
    std::shared_ptr<const std::vector<std::uint64_t>> shared_heads_;
};

}  // namespace converge::store::detail
