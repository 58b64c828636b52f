// File: store/storage/sqlite_storage_impl.hpp
// SqliteStorage's insides, shared by its two files: sqlite_file.cpp opens, checks and creates the
// database file; sqlite_storage.cpp queues writes and commits them. Not installed.
#pragma once

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <sqlite3.h>

#include <store/storage/sqlite_storage.hpp>

namespace converge::store {
namespace sqlite_detail {

inline std::int64_t to_sql(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}
inline std::uint64_t from_sql(std::int64_t v) {
    return static_cast<std::uint64_t>(v);
}

struct Statement {
    sqlite3_stmt* stmt = nullptr;
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(stmt); }
};

}  // namespace sqlite_detail

struct SqliteStorage::Impl {
    Impl(std::filesystem::path path, SqliteOptions opts) : file(std::move(path)), options(opts) {}
    // close_v2 defers the close until the statements below are finalized by their destructors.
    ~Impl() { sqlite3_close_v2(db); }

    [[noreturn]] void fail(const std::string& what, int rc) const {
        throw StorageError("SQLite file " + file.string() + ": " + what + ": " +
                           (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
    void exec(const char* sql, const char* what) {
        const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) fail(what, rc);
    }
    void prepare(sqlite_detail::Statement& s, const char* sql) {
        const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s.stmt, nullptr);
        if (rc != SQLITE_OK) fail(std::string("cannot prepare \"") + sql + "\"", rc);
    }
    // The first column of the first row of sql, as an integer (nullopt when there is no row).
    std::optional<std::int64_t> scalar(const char* sql, const char* what) {
        sqlite_detail::Statement s;
        prepare(s, sql);
        const int rc = sqlite3_step(s.stmt);
        if (rc == SQLITE_ROW) return sqlite3_column_int64(s.stmt, 0);
        if (rc != SQLITE_DONE) fail(what, rc);
        return std::nullopt;
    }
    // Runs one statement to completion, binding values to its parameters from the first-th on.
    void run(sqlite_detail::Statement& s, std::initializer_list<std::int64_t> values,
             const char* what, int first = 1) {
        int i = first;
        for (std::int64_t v : values)
            sqlite3_bind_int64(s.stmt, i++, v);
        const int rc = sqlite3_step(s.stmt);
        sqlite3_reset(s.stmt);
        if (rc != SQLITE_DONE) fail(what, rc);
    }

    static constexpr const char* in_use =
        "the file is in use by another process or storage (one replica, one owner)";
    static constexpr const char* damaged =
        "is damaged; it was left untouched: restore it from a backup, or start this replica "
        "with a new file under a new id";
    // Throws the StorageError for a first read of an existing file that failed with rc.
    [[noreturn]] void unreadable(int rc) const {
        switch (rc & 0xFF) {
            case SQLITE_BUSY:
            case SQLITE_LOCKED:
                fail(in_use, rc);
            case SQLITE_CORRUPT:
                fail(damaged, rc);
            default:
                fail("is not a readable SQLite database; it was left untouched", rc);
        }
    }
    // A write number or mark read from the file; a negative one (2^63 and up as unsigned: no
    // replica writes that often) means the file was damaged or edited.
    std::uint64_t counter_column(sqlite3_stmt* stmt, int column, const char* what) const {
        return counter_value(sqlite3_column_int64(stmt, column), what);
    }
    std::uint64_t counter_value(std::int64_t v, const char* what) const {
        if (v < 0)
            throw StorageError("SQLite file " + file.string() + " holds " + what + " " +
                               std::to_string(v) + ", out of range: it " + damaged);
        return sqlite_detail::from_sql(v);
    }
    void open_file();
    void create_file();
    void check_existing();
    void create_schema();
    void commit();
    void commit_loop();

    std::filesystem::path file;
    SqliteOptions options;
    sqlite3* db = nullptr;
    sqlite_detail::Statement upsert_key, insert_delta, delete_deltas, upsert_peer, delete_peer,
        update_seq;

    // Writes not yet committed, per key: its newest state if one was written, and the deltas
    // appended after it; a mark of nullopt forgets the peer.
    struct Pending {
        std::optional<std::string> state;
        std::uint64_t state_seq = 0;
        std::vector<std::pair<std::uint64_t, std::string>> deltas;
    };
    // A blob column as bytes (SQLite gives null for an empty blob).
    static std::string_view blob(sqlite3_stmt* stmt, int column) {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, column));
        return {bytes ? bytes : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
    }
    // Calls row(key, bytes, seq) for each row of sql, a query of (key, bytes, write number);
    // throws StorageError saying failed if reading fails, or naming seq_what if a write number is
    // negative.
    template <class Row>
    void read_rows(const char* sql, const char* seq_what, const char* failed, Row&& row) {
        sqlite_detail::Statement rows;
        prepare(rows, sql);
        int rc = 0;
        while ((rc = sqlite3_step(rows.stmt)) == SQLITE_ROW)
            row(blob(rows.stmt, 0), blob(rows.stmt, 1), counter_column(rows.stmt, 2, seq_what));
        if (rc != SQLITE_DONE) fail(failed, rc);
    }
    // Queues a write under the next write number: fill(key's pending entry, that number).
    template <class Fill>
    std::uint64_t enqueue(std::string_view key, Fill&& fill) {
        std::lock_guard lock(queue_mutex);
        const std::uint64_t seq = last_seq.load(std::memory_order_relaxed) + 1;
        // No string made when the key is queued already (Debian's Abseil has its own string_view).
        auto it = pending_keys.find(absl::string_view(key.data(), key.size()));
        if (it == pending_keys.end()) it = pending_keys.try_emplace(std::string(key)).first;
        fill(it->second, seq);
        last_seq.store(seq, std::memory_order_release);
        return seq;
    }
    // Puts back what a failed commit took (older) under what was queued since (newer).
    static void requeue(Pending& newer, Pending&& older);
    // Stores p in the open transaction, noting each change of keys_with_deltas in undo (the key and
    // whether it was there before).
    void store_key(const std::string& key, const Pending& p,
                   std::vector<std::pair<std::string, bool>>& undo);
    mutable std::mutex queue_mutex;
    // Open addressing, found by a string_view: std::unordered_map keeps no hash with a fast
    // hasher, and re-hashed a node's key at each step of a bucket walk (9 % of a node under SET).
    using PendingKeys = absl::flat_hash_map<std::string, Pending>;
    PendingKeys pending_keys;
    std::unordered_map<std::uint64_t, std::optional<std::uint64_t>> pending_marks;
    // Keys with deltas in the file (their next whole state deletes them); used by commits only.
    std::unordered_set<std::string> keys_with_deltas;
    // The last write number handed out; changed under queue_mutex, read without it by dirty().
    std::atomic<std::uint64_t> last_seq{0};
    std::atomic<bool> marks_queued{false};

    std::mutex commit_mutex;  // one commit at a time; held around every use of db after open
    std::atomic<std::uint64_t> durable{0};

    std::mutex thread_mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::thread committer;
};

}  // namespace converge::store
