// File: store/storage/durability.hpp
// Durability: what a replica keeps in its Storage and when. Every changed key's state (or, for a
// large one, the delta of the change) is handed to the storage under its stripe's lock; a local
// change's call waits until it is durable; and what a frame carries is durable before the frame
// leaves (flush before send), so a state lost in a crash was seen by no peer. On start it rebuilds
// the keyspace, the clock and the log of changes some peer may lack from the storage
// (docs/durability.md).
//
// Thread-safety: every member is safe from any thread (the Storage is); recover() runs once, from
// the Store's constructor, before any other call.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include <store/keyspace/keyspace.hpp>
#include <store/log_once.hpp>
#include <store/metrics/counters.hpp>
#include <store/replica_clock.hpp>
#include <store/storage/storage.hpp>

namespace converge::store::detail {

class Durability {
  public:
    // storage may be null: a replica in memory only, and every call a no-op.
    Durability(std::shared_ptr<Storage> storage, std::function<void(std::string_view)> log,
               Counters& counters)
        : storage_(std::move(storage)), log_(std::move(log)), counters_(counters) {}

    bool enabled() const noexcept { return storage_ != nullptr; }

    // Loads every stored key into keyspace and restores clock past the writes of this replica's
    // earlier runs (those of previous_writer, and floor, the latest of the runs before it); returns
    // the timestamp it restored past. The changes a peer with a sync mark may lack go back into
    // the log. Throws StorageError (the storage refused, or a stored state does not decode).
    Timestamp recover(ReplicaId replica, std::optional<ReplicaId> previous_writer, Timestamp floor,
                      Keyspace& keyspace, ReplicaClock& clock);
    // The sync mark recovered for peer, taken (a peer gets it once, when added): the peer had every
    // change stored up to the restart. nullopt: it needs a digest repair.
    std::optional<std::uint64_t> take_recovered_mark(ReplicaId peer);
    // The log position standing for everything before the restart (0: nothing was stored).
    std::uint64_t recovered_floor() const noexcept { return recovered_floor_; }

    // Hands slot's state to the storage, or delta (what the change joined into the state, if
    // given) when the storage keeps deltas, the state is large and the deltas appended over its
    // last whole write stay smaller than it: each whole write is paid for by as many bytes of
    // deltas, so a change costs its delta's size, not the key's. Returns the write number (0
    // without storage). The caller holds slot's stripe lock, so writes of one key reach the
    // storage in order.
    std::uint64_t persist(Slot& slot, const Value* delta = nullptr);
    // States smaller than this are always written whole (bytes).
    static constexpr std::size_t append_above_bytes = 512;
    // Returns once write number written is durable (at once for 0). Throws StorageError saying
    // the change stays applied, not yet durable, if the commit failed.
    void await(std::uint64_t written) {
        if (written != 0) wait_for(written);
    }
    // Called before a local change is applied: while the storage fails (a commit failed since the
    // last that succeeded), commits again and, if that fails too, counts the refusal and throws
    // StorageUnavailable; nothing has changed then. At once when the storage works.
    void admit() {
        if (failing_.load(std::memory_order_relaxed)) retry_or_refuse();
    }
    // Whether writes handed over are not yet durable (a frame must wait for flush()).
    bool dirty() const { return storage_ && storage_->dirty(); }
    // Makes every write handed over durable; returns the last write number. On failure: counts and
    // logs it (once), saying what was held_back, and returns nullopt.
    std::optional<std::uint64_t> flush(const char* held_back);
    // Records that peer has every change up to write number written (0: forget its mark).
    void mark_synced(ReplicaId peer, std::uint64_t written) {
        if (storage_) storage_->mark_synced(peer, written);
    }
    void forget(ReplicaId peer) {
        if (storage_) storage_->forget(peer);
    }

  private:
    void wait_for(std::uint64_t written);
    void retry_or_refuse();

    std::shared_ptr<Storage> storage_;
    std::function<void(std::string_view)> log_;
    Counters& counters_;
    LogOnce failure_logged_;
    std::atomic<bool> failing_{false};
    std::uint64_t recovered_floor_ = 0;
    std::map<ReplicaId, std::uint64_t> recovered_marks_;  // written only by recover()
};

}  // namespace converge::store::detail
