// File: store/storage/storage.hpp
// Storage: where a replica keeps its state so that it survives a restart. The Store writes each
// changed key's whole encoded state, or, for a large key of a storage that keeps deltas, the
// change's delta to merge over it (a set of 100,000 members does not rewrite 100,000 members per
// SADD), and recovers every key when it is constructed again over the same storage.
// Implementations: MemoryStorage (below: tests, the simulator) and SqliteStorage
// (store/storage/sqlite_storage.hpp: a file, WAL mode).
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

// A local change refused before it was applied, because the storage is failing (its last commit
// failed, and so did a fresh attempt): nothing changed. Writes are accepted again once a commit
// succeeds (a sync round retries every sync interval); reads go on meanwhile.
class StorageUnavailable : public StorageError {
  public:
    using StorageError::StorageError;
};

class Storage {
  public:
    // How far a peer had acknowledged this replica's changes: every write numbered at most synced.
    struct SyncMark {
        ReplicaId peer;
        std::uint64_t synced = 0;
    };
    // What open() hands back for a key: its last written state, or a delta appended since.
    enum class Stored { state, delta };
    using KeyVisitor = std::function<void(std::string_view key, std::string_view bytes,
                                          std::uint64_t seq, Stored what)>;

    virtual ~Storage() = default;

    // Calls on_key for every stored key's last written state, and then for each delta appended
    // to it since, in the order appended (with their write numbers), and returns the peers' sync
    // marks. Called once, by the Store's constructor, before any write. Throws StorageError if
    // the storage belongs to another replica or cannot be read.
    virtual std::vector<SyncMark> open(ReplicaId replica, const KeyVisitor& on_key) = 0;
    // Records key's new encoded state, replacing the last and the deltas appended to it; returns
    // its write number, greater than every number returned before, across restarts too. Called
    // under the key's lock stripe: never waits for I/O.
    virtual std::uint64_t write(std::string_view key, std::string_view state) = 0;
    // Whether append() works. A storage without it (this default) gets every change as write().
    virtual bool keeps_deltas() const { return false; }
    // Records a delta to merge over key's stored state (written before with write()); returns its
    // write number, as write() does. Called only where keeps_deltas(), under the key's stripe.
    virtual std::uint64_t append(std::string_view key, std::string_view /*delta*/) {
        throw StorageError("this storage keeps no deltas (key \"" + std::string(key) + "\")");
    }
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
    bool keeps_deltas() const override { return true; }
    std::uint64_t append(std::string_view key, std::string_view delta) override;
    void mark_synced(ReplicaId peer, std::uint64_t seq) override;
    void forget(ReplicaId peer) override;
    void wait(std::uint64_t) override {}
    std::uint64_t flush() override;
    bool dirty() const override { return false; }
    void save_record(std::string_view name, std::string_view bytes) override;
    std::optional<std::string> load_record(std::string_view name) override;

    // The number of keys stored.
    std::size_t size() const;
    // The number of deltas stored over the keys' states.
    std::size_t delta_count() const;
    // A copy of everything stored, as a backup or a copied data directory holds it; any replica id
    // may open it (a copy moved to a replica configured with another id). For simulations.
    std::shared_ptr<MemoryStorage> copy() const;

  private:
    struct Row {
        std::string state;
        std::uint64_t seq = 0;
        std::vector<std::pair<std::uint64_t, std::string>> deltas;  // appended since, in order
    };
    mutable std::mutex mutex_;
    ReplicaId replica_{0};
    std::map<std::string, Row, std::less<>> rows_;
    std::map<ReplicaId, std::uint64_t> marks_;
    std::map<std::string, std::string, std::less<>> records_;
    std::uint64_t seq_ = 0;
};

}  // namespace converge::store
