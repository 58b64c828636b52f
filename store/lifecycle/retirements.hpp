// File: store/lifecycle/retirements.hpp
// Retirements: the agreement that folds a retired writer out of every key, and the table of
// writers folded so far.
//
// A writer is *pending* once declared retired (Store::retire, a restart retiring the previous
// run's writer, or a peer's report naming it). Each sync round, while any is pending, a replica
// walks its keys for a footprint of each pending writer (a hash of what it holds of that writer's
// changes: crdt/retired_ids.hpp) and tells its peers the footprint and its *level*: 0 unless every
// peer reported the same footprint and none writes under that id, else one more than the least
// level they reported. Level k means every replica within k hops holds the same changes of the
// writer; at Options::retirement_levels (at least the longest path between two replicas) every
// replica does, and the writer folds: it leaves every key (counters move its slot into the retired
// writers' slot, contexts drop its dots), and joins the table. A peer told of a fold (its table
// differs, so the report carries the whole table) folds the same ids at once: they were agreed.
//
// Two replicas merge states only under the same table (a state message names its sender's table
// by fingerprint; one from a differing table is refused and sent again once the tables agree), so
// a counter's slot folds exactly once. A peer writing under a retired id has its state messages
// refused and is told, and re-keys.
//
// Thread-safety: every member is safe from any thread. Lock order: the replicator's peers lock,
// this class's lock, its table lock, a stripe's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <vector>

#include <crdt/retired_ids.hpp>
#include <store/keyspace/keyspace.hpp>
#include <store/lifecycle/lifecycle.hpp>
#include <store/metrics/metrics.hpp>
#include <store/replication/messages.hpp>
#include <store/storage/durability.hpp>

namespace converge::store::detail {

class Retirements {
  public:
    // lifecycle, keyspace and durability must outlive it. levels_needed: the level at which a
    // pending writer folds (at least 1).
    Retirements(Lifecycle& lifecycle, Keyspace& keyspace, Durability& durability,
                std::uint32_t levels_needed);
    // Once the stored keys are loaded: folds them by the table the lifecycle record holds (a
    // restart after a fold whose keys were not all stored folded). Throws StorageError.
    void start();

    // The table, locked against folds for as long as the object lives: hold it across one
    // message's merge.
    class Reading {
      public:
        const RetiredIds& table() const noexcept { return table_; }
        // The ids of the table adopted from a peer's rather than agreed here (crdt fold's
        // partial).
        const RetiredIds& learned() const noexcept { return learned_; }
        const TableFingerprint& fingerprint() const noexcept { return fingerprint_; }

      private:
        friend class Retirements;
        Reading(std::shared_mutex& m, const RetiredIds& t, const RetiredIds& l,
                const TableFingerprint& f)
            : lock_(m), table_(t), learned_(l), fingerprint_(f) {}
        std::shared_lock<std::shared_mutex> lock_;
        const RetiredIds& table_;
        const RetiredIds& learned_;
        const TableFingerprint& fingerprint_;
    };
    Reading read() const { return Reading(table_mutex_, table_, learned_, fingerprint_); }
    TableFingerprint fingerprint() const;

    // One round (under the replicator's peers lock): footprints of the pending writers, levels
    // from the peers' reports, folds of the agreed. own_writer: this replica's current writer id.
    void round(const std::vector<ReplicaId>& peers, ReplicaId own_writer);
    // What to tell peer this round; nullopt when nothing is pending and its table is ours (as far
    // as this replica knows: an empty table is assumed of a peer never heard from) unless
    // even_if_idle (a peer whose state message was refused learns why).
    std::optional<RetirementReport> report_for(ReplicaId peer, ReplicaId own_writer,
                                               bool even_if_idle = false) const;

    // What a report from peer means for this replica.
    enum class Heard { nothing, own_writer_retiring };
    // Takes peer's report: declares the writers it names pending, folds those its table holds
    // and this one lacks, and remembers it for the levels. Returns own_writer_retiring when the
    // report names own_writer as pending or retired: the caller re-keys.
    Heard on_report(ReplicaId peer, RetirementReport&& report, ReplicaId own_writer);
    // What this replica's state messages begin with: its table's fingerprint and the retired
    // writers it adopted from a peer's table without holding all their changes.
    StateHeader state_header() const;
    // A digest comparison with peer found nothing differing: every adopted writer peer holds
    // whole (it has this table and did not adopt it partially) is whole here too.
    void confirm(ReplicaId peer);
    // Whether peer reported writing under a retired id (its state messages are refused).
    bool writes_retired(ReplicaId peer) const;
    // Peer is no peer any more: its reports no longer count.
    void forget(ReplicaId peer);

    // Whether any writer has folded (a relaxed read, for the local write path).
    bool any() const noexcept { return any_.load(std::memory_order_relaxed); }
    // Folds key again after a local change that dropped entries of retired writers (a remove, a
    // delete, an overwrite): their dots leave its context. Takes the table's lock, then the
    // key's stripe lock. Throws StorageError as Durability::persist.
    void refold(std::string_view key);

    // Pending retirements with their levels, and the table's size, into m.
    void metrics(Metrics& m) const;

  private:
    struct PeerView {
        ReplicaId writer;
        TableFingerprint table;
        std::map<ReplicaId, RetirementReport::Pending> pending;
        bool heard = false;
        RetiredIds learned;
    };
    // The footprint of each pending writer over every key.
    std::map<ReplicaId, std::uint64_t> footprints(const std::vector<ReplicaId>& pending) const;
    // Folds ids out of every key and adds them to the table (and the lifecycle record); learned:
    // adopted from a peer's table, so this replica may lack some of their changes: their dots stay
    // in each key until a peer's whole state of it comes (crdt/retired_ids.hpp, partial).
    void fold(const std::vector<ReplicaId>& ids, bool learned);
    void fold_keys();
    // Folds slot (its stripe and the table locked) by the table; a change is marked for the
    // digest and stored.
    void fold_slot(Stripe& stripe, Slot& slot);

    Lifecycle& lifecycle_;
    Keyspace& keyspace_;
    Durability& durability_;
    const std::uint32_t levels_needed_;

    mutable std::mutex mutex_;  // guards peers_ and mine_
    std::map<ReplicaId, PeerView> peers_;
    std::map<ReplicaId, RetirementReport::Pending> mine_;  // this replica's view, last round

    mutable std::shared_mutex table_mutex_;  // shared: a merge; exclusive: a fold
    RetiredIds table_;
    RetiredIds learned_;
    TableFingerprint fingerprint_;
    // For the writers folded here whole (agreed, or adopted with the same footprint): the
    // footprint the agreement was on, shipped with the table.
    std::map<ReplicaId, std::uint64_t> agreed_;
    std::atomic<bool> any_{false};
};

}  // namespace converge::store::detail
