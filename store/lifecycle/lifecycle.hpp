// File: store/lifecycle/lifecycle.hpp
// Lifecycle: the ids this replica writes under and the writers it knows to be retired.
//
// A replica's id (Options::replica) names it to its peers; its changes are stamped with a *writer
// id* instead, minted afresh from the injected Rng each time a Store starts. A restored backup, a
// copied data directory or a snapshot started twice therefore never issues one dot for two
// different changes: each run writes under its own id. The previous run's writer id, found in the
// storage's "lifecycle" record, becomes a pending retirement at once (nothing will write under it
// again), and so does a writer named by Store::retire. A retirement is folded (the id leaves every
// key's metadata, crdt/retired_ids.hpp) once every replica holds every change of that writer:
// store/lifecycle/retirements.hpp runs that agreement. docs/replicas.md tells the whole story.
//
// The record (writer, pending retirements, retired table) is saved before the constructor
// returns and after every change, so no change is ever stamped with an id the record lacks.
//
// Thread-safety: every member is safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <crdt/retired_ids.hpp>
#include <crdt/timestamp.hpp>
#include <store/environment.hpp>
#include <store/storage/storage.hpp>

namespace converge::store::detail {

class Lifecycle {
  public:
    // Loads the record from storage (null: memory only, nothing to load or save) and mints this
    // run's writer id from rng (never 0, never a known writer). Throws StorageError if the record
    // cannot be read or decoded.
    Lifecycle(std::shared_ptr<Storage> storage, Rng& rng);
    // Saves the record with this run's writer id, once the storage is open (Durability::recover)
    // and before any change: floor is the latest write of this replica's earlier runs. Throws
    // StorageError.
    void start(const Timestamp& floor);

    // The writer id of the run before this one, as the record names it (nullopt: none recorded).
    std::optional<ReplicaId> previous_writer() const noexcept { return previous_; }
    // No timestamp this replica issues may be at or below this one: the latest write of its
    // earlier runs as the record knows it.
    Timestamp clock_floor() const;

    // The id this run stamps its changes with.
    ReplicaId writer() const noexcept { return ReplicaId{writer_.load(std::memory_order_acquire)}; }
    // Mints a fresh writer id (the current one becomes a pending retirement) and saves the record;
    // returns the new id. For a writer told by a peer that its id was retired. Throws StorageError.
    ReplicaId rekey(Rng& rng);

    // Declares writer retired (pending until folded). Returns false, changing nothing, if it is
    // pending or retired already. Throws InvalidOperation for id 0 or this run's own writer id,
    // StorageError if the record cannot be saved.
    bool retire(ReplicaId writer);
    // Moves writers from pending to the retired table (they are folded now) and saves the record.
    // learned: adopted from a peer's table, not agreed here (this replica may lack some of their
    // changes: see Retirements).
    void mark_folded(const std::vector<ReplicaId>& writers, bool learned = false);

    std::vector<ReplicaId> pending() const;
    RetiredIds retired() const;
    // The retired writers adopted from a peer's table rather than agreed here.
    RetiredIds learned() const;
    // The adopted writers this replica still lacks changes of (Retirements::confirm shrinks it).
    void set_learned(const RetiredIds& learned);

  private:
    std::string encode_locked() const;
    void save_locked();
    ReplicaId mint_locked(Rng& rng) const;

    std::shared_ptr<Storage> storage_;
    mutable std::mutex mutex_;
    std::atomic<std::uint64_t> writer_{0};
    std::optional<ReplicaId> previous_;
    Timestamp clock_floor_{};
    std::vector<ReplicaId> pending_;  // sorted
    RetiredIds retired_;
    RetiredIds learned_;
};

}  // namespace converge::store::detail
