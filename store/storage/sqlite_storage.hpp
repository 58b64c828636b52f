// File: store/storage/sqlite_storage.hpp
// SqliteStorage: a replica's state in one SQLite file (WAL mode), so that a process killed at any
// instant restarts with every acknowledged change.
//
//   auto storage = std::make_shared<SqliteStorage>("replica-1.db");
//   Store s(Options{.replica = ReplicaId{1}, .storage = storage});   // recovers what the file
//   holds
//
// When a change is durable (docs/durability.md):
// - Commit::every_write (the default): when the call that made it returns. Concurrent writers
//   share one commit (one fsync) between them.
// - Commit::group: within group_commit_ms of the call, committed by a background thread, and in
//   any case before a frame carrying it leaves the replica. A crash loses at most the last
//   group_commit_ms of changes, and none that a peer has seen.
// The file holds one replica's keys (the state of each, and for a large one the deltas written
// since its state), the peers' sync marks, and the replica's id; a file of another replica, another
// program, a newer format, or a damaged one is refused with StorageError and left exactly as it
// was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include <store/storage/storage.hpp>

namespace converge::store {

struct SqliteOptions {
    enum class Commit { every_write, group };
    Commit commit = Commit::every_write;
    // Commit::group only: the longest a change waits for its commit.
    std::uint32_t group_commit_ms = 10;
    // Runs SQLite's quick_check on an existing file before using it (reads the whole file once).
    bool check_on_open = true;
};

class SqliteStorage final : public Storage {
  public:
    // Opens file, creating it (and no other file but SQLite's WAL) if it does not exist. Throws
    // StorageError if it exists but is empty, not a SQLite database, not converge's, of a newer
    // format, damaged, or open in another SqliteStorage (of any process).
    explicit SqliteStorage(std::filesystem::path file, SqliteOptions options = {});
    // Commits what is queued (errors are swallowed: call flush() first to see them) and closes.
    ~SqliteStorage() override;
    SqliteStorage(const SqliteStorage&) = delete;
    SqliteStorage& operator=(const SqliteStorage&) = delete;

    std::vector<SyncMark> open(ReplicaId replica, const KeyVisitor& on_key) override;
    std::uint64_t write(std::string_view key, std::string_view state) override;
    bool keeps_deltas() const override { return true; }
    std::uint64_t append(std::string_view key, std::string_view delta) override;
    void mark_synced(ReplicaId peer, std::uint64_t seq) override;
    void forget(ReplicaId peer) override;
    void wait(std::uint64_t seq) override;
    std::uint64_t flush() override;
    bool dirty() const override;
    void save_record(std::string_view name, std::string_view bytes) override;
    std::optional<std::string> load_record(std::string_view name) override;

    const std::filesystem::path& file() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::store
