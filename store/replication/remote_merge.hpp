// File: store/replication/remote_merge.hpp
// RemoteMerge: applies the key states a peer sent (deltas, or full states in a repair) to this
// replica: refuses a message whose counters pass counter_limit before anything merges, moves the
// hybrid clock past the newest write it carries, joins each key into its slot (a type conflict
// keeps the greater type everywhere) and hands the changed states to the storage.
//
// Thread-safety: safe from any thread; it takes each key's stripe lock, then the clock's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <store/keyspace/keyspace.hpp>
#include <store/log_once.hpp>
#include <store/metrics/counters.hpp>
#include <store/replica_clock.hpp>
#include <store/replication/messages.hpp>
#include <store/storage/durability.hpp>
#include <store/subscription.hpp>

namespace converge::store::detail {

class RemoteMerge {
  public:
    RemoteMerge(Keyspace& keyspace, Durability& durability, ReplicaClock& clock, Counters& counters,
                std::function<void(std::string_view)> log)
        : keyspace_(keyspace),
          durability_(durability),
          clock_(clock),
          counters_(counters),
          log_(std::move(log)) {}

    // What in keys passes counter_limit ("key \"k\" carries ..."), or nullopt if nothing does.
    static std::optional<std::string> out_of_range(const std::vector<KeyState>& keys);
    // Merges every key, folded by retired (the table the sender folded too: see
    // store/lifecycle/retirements.hpp); appends a Change (remote) for each whose visible state
    // changed.
    // learned: the ids of retired this replica adopted without all their changes (crdt fold's
    // partial); sender_learned: the sender's (StateHeader), which its states do not cover.
    void merge_all(std::vector<KeyState>&& keys, std::vector<Change>& changes,
                   const RetiredIds& retired, const RetiredIds& learned,
                   const RetiredIds& sender_learned);

    // Called, under the key's stripe lock, before a key whose whole-key deadline passed here is
    // merged into: the store expires it as its own logged change first (Store::Impl), so a change
    // made after the deadline elsewhere is not taken by this replica's expiry.
    using LocalExpiry = std::function<void(Stripe&, Slot&)>;
    void on_local_expiry(LocalExpiry expire) { local_expiry_ = std::move(expire); }

  private:
    void observe_remote(const std::vector<KeyState>& keys);
    std::optional<ChangeKind> merge(KeyState&& incoming, const RetiredIds& retired,
                                    const RetiredIds& learned, const RetiredIds& sender_learned);
    std::optional<ChangeKind> resolve_conflict(Stripe& stripe, Slot& slot, Value&& incoming);

    Keyspace& keyspace_;
    Durability& durability_;
    ReplicaClock& clock_;
    Counters& counters_;
    std::function<void(std::string_view)> log_;
    LogOnce conflict_logged_;
    LocalExpiry local_expiry_;
};

}  // namespace converge::store::detail
