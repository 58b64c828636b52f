// File: store/storage/storage.hpp
// Storage: where a replica keeps its state so that it survives a restart. The Store writes each
// key's whole encoded state after every change (its own or a merge) and recovers every key when it
// is constructed again over the same storage. Implementations: MemoryStorage (below: tests, the
// simulator) and SqliteStorage (store/storage/sqlite_storage.hpp: a file, WAL mode).
//
// The contract that makes a crash safe: a frame carrying state leaves the replica only after that
// state is durable (Store flushes the storage before each send). A write lost in a crash was
// therefore seen by no peer, and its dot may be issued again after the restart without ambiguity.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <crdt/error.hpp>
#include <crdt/replica_id.hpp>

namespace converge::store {

// Storage that cannot be opened, read or written: a corrupt or foreign file, a full disk. The
// message names the file and what to do; nothing stored was overwritten.
class StorageError : public Error {
  public:
    using Error::Error;
};

class Storage {
  public:
    // How far a peer had acknowledged this replica's changes: every write numbered at most synced.
    struct SyncMark {
        ReplicaId peer;
        std::uint64_t synced = 0;
    };
    using KeyVisitor =
        std::function<void(std::string_view key, std::string_view state, std::uint64_t seq)>;

    virtual ~Storage() = default;

    // Calls on_key for every stored key (its last written state and write number) and returns the
    // peers' sync marks. Called once, by the Store's constructor, before any write. Throws
    // StorageError if the storage belongs to another replica or cannot be read.
    virtual std::vector<SyncMark> open(ReplicaId replica, const KeyVisitor& on_key) = 0;
    // Records key's new encoded state (replacing the last); returns its write number, greater than
    // every number returned before, across restarts too. Called under the key's lock stripe:
    // never waits for I/O.
    virtual std::uint64_t write(std::string_view key, std::string_view state) = 0;
    // Records that peer has every change written up to number seq; forget drops the peer's mark.
    virtual void mark_synced(ReplicaId peer, std::uint64_t seq) = 0;
    virtual void forget(ReplicaId peer) = 0;
    // Returns when write seq is as durable as the storage promises for a write that returns (a
    // storage committing every write: on disk; one committing in groups: possibly still queued).
    // Throws StorageError if the storage failed; the write stays queued for the next commit.
    virtual void wait(std::uint64_t seq) = 0;
    // Makes every write recorded so far durable; returns the greatest write number that is.
    // Throws StorageError if the storage failed.
    virtual std::uint64_t flush() = 0;
    // Whether a write has been recorded since the last flush returned.
    virtual bool dirty() const = 0;

    // A small record of the replica's own under name (its writer ids and retirements:
    // store/lifecycle/lifecycle.hpp), durable when the call returns. Throws StorageError. A
    // storage that keeps no records (these defaults) costs a replica only this: the writer ids of
    // its earlier runs are not retired when it restarts.
    virtual void save_record(std::string_view /*name*/, std::string_view /*bytes*/) {}
    // The record last saved under name; nullopt if none. Throws StorageError.
    virtual std::optional<std::string> load_record(std::string_view /*name*/) {
        return std::nullopt;
    }
};

// Storage in memory: durable as soon as written, for as long as the object lives. A Store built
// again over the same MemoryStorage recovers as from a file: what the simulator's "crash, keep the
// storage" runs.
class MemoryStorage final : public Storage {
  public:
    std::vector<SyncMark> open(ReplicaId replica, const KeyVisitor& on_key) override;
    std::uint64_t write(std::string_view key, std::string_view state) override;
    void mark_synced(ReplicaId peer, std::uint64_t seq) override;
    void forget(ReplicaId peer) override;
    void wait(std::uint64_t) override {}
    std::uint64_t flush() override;
    bool dirty() const override { return false; }
    void save_record(std::string_view name, std::string_view bytes) override;
    std::optional<std::string> load_record(std::string_view name) override;

    // The number of keys stored.
    std::size_t size() const;
    // A copy of everything stored, as a backup or a copied data directory holds it; any replica id
    // may open it (a copy moved to a replica configured with another id). For simulations.
    std::shared_ptr<MemoryStorage> copy() const;

  private:
    struct Row {
        std::string state;
        std::uint64_t seq = 0;
    };
    mutable std::mutex mutex_;
    ReplicaId replica_{0};
    std::map<std::string, Row, std::less<>> rows_;
    std::map<ReplicaId, std::uint64_t> marks_;
    std::map<std::string, std::string, std::less<>> records_;
    std::uint64_t seq_ = 0;
};

}  // namespace converge::store
