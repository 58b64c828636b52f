#include <atomic>
#include <cassert>
#include <condition_variable>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include <sqlite3.h>

#include <store/storage/sqlite_storage.hpp>

namespace converge::store {
namespace {

// "CNVG": marks the file as converge's (PRAGMA application_id).
constexpr std::int64_t application_id = 0x434E5647;
// Version 2 adds the hash, sorted set and HyperLogLog value types; a version 1 file opens and
// moves to 2 (a build that reads only 1 then refuses it rather than misread a value).
constexpr std::int64_t format_version = 2;
constexpr std::int64_t format_version_oldest = 1;

constexpr const char* schema = R"sql(
CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE keys(key BLOB PRIMARY KEY, state BLOB NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE peers(id INTEGER PRIMARY KEY, synced INTEGER NOT NULL);
CREATE TABLE records(name TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
INSERT INTO meta(name, value) VALUES('seq', 0);
)sql";

std::int64_t to_sql(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}
std::uint64_t from_sql(std::int64_t v) {
    return static_cast<std::uint64_t>(v);
}

struct Statement {
    sqlite3_stmt* stmt = nullptr;
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(stmt); }
};

}  // namespace

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
    void prepare(Statement& s, const char* sql) {
        const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s.stmt, nullptr);
        if (rc != SQLITE_OK) fail(std::string("cannot prepare \"") + sql + "\"", rc);
    }
    // The first column of the first row of sql, as an integer (nullopt when there is no row).
    std::optional<std::int64_t> scalar(const char* sql, const char* what) {
        Statement s;
        prepare(s, sql);
        const int rc = sqlite3_step(s.stmt);
        if (rc == SQLITE_ROW) return sqlite3_column_int64(s.stmt, 0);
        if (rc != SQLITE_DONE) fail(what, rc);
        return std::nullopt;
    }
    // Runs one statement to completion, binding values to its parameters from the first-th on.
    void run(Statement& s, std::initializer_list<std::int64_t> values, const char* what,
             int first = 1) {
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
        return from_sql(v);
    }
    void open_file();
    void check_existing();
    void create_schema();
    void commit();
    void commit_loop();

    std::filesystem::path file;
    SqliteOptions options;
    sqlite3* db = nullptr;
    Statement upsert_key, upsert_peer, delete_peer, update_seq;

    // Writes not yet committed, newest state per key; a mark of nullopt forgets the peer.
    struct Pending {
        std::string state;
        std::uint64_t seq = 0;
    };
    mutable std::mutex queue_mutex;
    std::unordered_map<std::string, Pending> pending_keys;
    std::unordered_map<std::uint64_t, std::optional<std::uint64_t>> pending_marks;
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

void SqliteStorage::Impl::open_file() {
    std::error_code ec;
    const bool exists = std::filesystem::exists(file, ec);
    if (exists && std::filesystem::file_size(file, ec) == 0 && !ec)
        throw StorageError("SQLite file " + file.string() +
                           " exists but is empty (truncated?); remove it to start this replica "
                           "afresh, or restore it from a backup");
    const int flags = SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
    const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string reason = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        throw StorageError("cannot open SQLite file " + file.string() + ": " + reason);
    }
    sqlite3_extended_result_codes(db, 1);
    // One process owns a replica's file: a second opener gets SQLITE_BUSY below, not a share.
    exec("PRAGMA locking_mode=EXCLUSIVE", "cannot set the locking mode");
    if (exists) {
        check_existing();
        // Files written before records existed gain the table (same format otherwise).
        exec(
            "CREATE TABLE IF NOT EXISTS records(name TEXT PRIMARY KEY, bytes BLOB NOT NULL) "
            "WITHOUT ROWID",
            "cannot add the records table");
    } else
        create_schema();
    {
        Statement s;
        prepare(s, "PRAGMA journal_mode=WAL");
        const int step = sqlite3_step(s.stmt);
        if (step != SQLITE_ROW)
            fail("cannot switch to WAL mode (is another process using the file?)", step);
        const char* journal = reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, 0));
        if (journal == nullptr || std::string(journal) != "wal")
            fail("SQLite refused WAL mode", SQLITE_ERROR);
    }
    exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
    if (sqlite3_exec(db, "BEGIN EXCLUSIVE; COMMIT;", nullptr, nullptr, nullptr) != SQLITE_OK)
        fail(in_use, SQLITE_BUSY);
    prepare(upsert_key,
            "INSERT INTO keys(key, state, seq) VALUES(?1, ?2, ?3) "
            "ON CONFLICT(key) DO UPDATE SET state = excluded.state, seq = excluded.seq");
    prepare(upsert_peer,
            "INSERT INTO peers(id, synced) VALUES(?1, ?2) "
            "ON CONFLICT(id) DO UPDATE SET synced = excluded.synced");
    prepare(delete_peer, "DELETE FROM peers WHERE id = ?1");
    prepare(update_seq, "UPDATE meta SET value = ?1 WHERE name = 'seq'");
}

void SqliteStorage::Impl::check_existing() {
    std::int64_t id = 0;
    {
        Statement s;
        int rc = sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &s.stmt, nullptr);
        if (rc == SQLITE_OK) rc = sqlite3_step(s.stmt);
        if (rc != SQLITE_ROW) unreadable(rc);
        id = sqlite3_column_int64(s.stmt, 0);
    }
    if (id != application_id)
        throw StorageError("SQLite file " + file.string() +
                           " is not a converge replica's database (application_id " +
                           std::to_string(id) + "); it was left untouched: choose another path");
    const std::int64_t version =
        scalar("PRAGMA user_version", "cannot read the format").value_or(0);
    if (version < format_version_oldest || version > format_version)
        throw StorageError("SQLite file " + file.string() + " has format version " +
                           std::to_string(version) + "; this build reads versions " +
                           std::to_string(format_version_oldest) + " to " +
                           std::to_string(format_version) + ": use a matching converge");
    if (version < format_version)  // the same tables; only new value types may follow
        exec(("PRAGMA user_version=" + std::to_string(format_version)).c_str(),
             "cannot move the format version forward");
    if (!options.check_on_open) return;
    Statement s;
    prepare(s, "PRAGMA quick_check(1)");
    const int rc = sqlite3_step(s.stmt);
    const auto* verdict =
        rc == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, 0)) : nullptr;
    if (verdict == nullptr || std::string(verdict) != "ok")
        throw StorageError("SQLite file " + file.string() + ": " + damaged +
                           " (quick_check: " + (verdict ? verdict : sqlite3_errmsg(db)) + ")");
}

void SqliteStorage::Impl::create_schema() {
    exec("BEGIN", "cannot begin creating the schema");
    exec(schema, "cannot create the schema");
    exec(("PRAGMA application_id=" + std::to_string(application_id)).c_str(),
         "cannot set the application id");
    exec(("PRAGMA user_version=" + std::to_string(format_version)).c_str(),
         "cannot set the format version");
    exec("COMMIT", "cannot commit the schema");
}

SqliteStorage::SqliteStorage(std::filesystem::path file, SqliteOptions options)
    : impl_(std::make_unique<Impl>(std::move(file), options)) {
    impl_->open_file();
    if (options.commit == SqliteOptions::Commit::group)
        impl_->committer = std::thread([this] { impl_->commit_loop(); });
}

SqliteStorage::~SqliteStorage() {
    Impl& s = *impl_;
    if (s.committer.joinable()) {
        {
            std::lock_guard lock(s.thread_mutex);
            s.stopping = true;
        }
        s.wake.notify_all();
        s.committer.join();
    }
    try {
        s.commit();
    } catch (const StorageError&) {
        // Nothing left to report to: what was queued since the last flush is lost.
    }
}

const std::filesystem::path& SqliteStorage::file() const noexcept {
    return impl_->file;
}

std::vector<Storage::SyncMark> SqliteStorage::open(ReplicaId replica, const KeyVisitor& on_key) {
    Impl& s = *impl_;
    std::lock_guard lock(s.commit_mutex);
    const auto stored =
        s.scalar("SELECT value FROM meta WHERE name = 'replica'", "cannot read the replica id");
    if (stored && from_sql(*stored) != replica.value)
        throw StorageError("SQLite file " + s.file.string() + " belongs to replica " +
                           std::to_string(from_sql(*stored)) + ", not " +
                           std::to_string(replica.value) + "; give each replica its own file");
    if (!stored) {
        Statement insert;
        s.prepare(insert, "INSERT INTO meta(name, value) VALUES('replica', ?1)");
        s.run(insert, {to_sql(replica.value)}, "cannot record the replica id");
    }
    std::uint64_t seq = s.counter_value(
        s.scalar("SELECT value FROM meta WHERE name = 'seq'", "cannot read the write number")
            .value_or(0),
        "the last write number");
    Statement keys;
    s.prepare(keys, "SELECT key, state, seq FROM keys");
    int rc = 0;
    while ((rc = sqlite3_step(keys.stmt)) == SQLITE_ROW) {
        const auto* key = static_cast<const char*>(sqlite3_column_blob(keys.stmt, 0));
        const auto key_bytes = static_cast<std::size_t>(sqlite3_column_bytes(keys.stmt, 0));
        const auto* state = static_cast<const char*>(sqlite3_column_blob(keys.stmt, 1));
        const auto state_bytes = static_cast<std::size_t>(sqlite3_column_bytes(keys.stmt, 1));
        const std::uint64_t row_seq = s.counter_column(keys.stmt, 2, "a key's write number");
        seq = std::max(seq, row_seq);
        on_key(std::string_view(key ? key : "", key_bytes),
               std::string_view(state ? state : "", state_bytes), row_seq);
    }
    if (rc != SQLITE_DONE) s.fail("cannot read the stored keys", rc);
    std::vector<SyncMark> marks;
    Statement peers;
    s.prepare(peers, "SELECT id, synced FROM peers");
    while ((rc = sqlite3_step(peers.stmt)) == SQLITE_ROW)
        marks.push_back({ReplicaId{from_sql(sqlite3_column_int64(peers.stmt, 0))},
                         s.counter_column(peers.stmt, 1, "a peer's sync mark")});
    if (rc != SQLITE_DONE) s.fail("cannot read the peers' marks", rc);
    std::lock_guard queue_lock(s.queue_mutex);
    s.last_seq.store(seq);
    s.durable.store(seq);
    return marks;
}

std::uint64_t SqliteStorage::write(std::string_view key, std::string_view state) {
    Impl& s = *impl_;
    std::lock_guard lock(s.queue_mutex);
    const std::uint64_t seq = s.last_seq.load(std::memory_order_relaxed) + 1;
    Impl::Pending& p = s.pending_keys[std::string(key)];
    p.state.assign(state);
    p.seq = seq;
    s.last_seq.store(seq, std::memory_order_release);
    return seq;
}

void SqliteStorage::mark_synced(ReplicaId peer, std::uint64_t seq) {
    Impl& s = *impl_;
    std::lock_guard lock(s.queue_mutex);
    s.pending_marks[peer.value] = seq;
    s.marks_queued.store(true, std::memory_order_release);
}

void SqliteStorage::forget(ReplicaId peer) {
    Impl& s = *impl_;
    std::lock_guard lock(s.queue_mutex);
    s.pending_marks[peer.value] = std::nullopt;
    s.marks_queued.store(true, std::memory_order_release);
}

void SqliteStorage::save_record(std::string_view name, std::string_view bytes) {
    Impl& s = *impl_;
    std::lock_guard lock(s.commit_mutex);
    Statement upsert;
    s.prepare(upsert,
              "INSERT INTO records(name, bytes) VALUES(?1, ?2) "
              "ON CONFLICT(name) DO UPDATE SET bytes = excluded.bytes");
    sqlite3_bind_text(upsert.stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    sqlite3_bind_blob(upsert.stmt, 2, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(upsert.stmt);
    if (rc != SQLITE_DONE) s.fail("cannot save the record " + std::string(name), rc);
}

std::optional<std::string> SqliteStorage::load_record(std::string_view name) {
    Impl& s = *impl_;
    std::lock_guard lock(s.commit_mutex);
    Statement select;
    s.prepare(select, "SELECT bytes FROM records WHERE name = ?1");
    sqlite3_bind_text(select.stmt, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(select.stmt);
    if (rc == SQLITE_DONE) return std::nullopt;
    if (rc != SQLITE_ROW) s.fail("cannot read the record " + std::string(name), rc);
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(select.stmt, 0));
    return std::string(bytes ? bytes : "",
                       static_cast<std::size_t>(sqlite3_column_bytes(select.stmt, 0)));
}

bool SqliteStorage::dirty() const {
    const Impl& s = *impl_;
    return s.last_seq.load(std::memory_order_acquire) > s.durable.load(std::memory_order_acquire) ||
           s.marks_queued.load(std::memory_order_acquire);
}

void SqliteStorage::wait(std::uint64_t seq) {
    Impl& s = *impl_;
    if (s.options.commit == SqliteOptions::Commit::group) return;
    if (s.durable.load(std::memory_order_acquire) >= seq) return;
    s.commit();
}

std::uint64_t SqliteStorage::flush() {
    impl_->commit();
    return impl_->durable.load(std::memory_order_acquire);
}

void SqliteStorage::Impl::commit() {
    std::lock_guard lock(commit_mutex);
    std::unordered_map<std::string, Pending> keys;
    std::unordered_map<std::uint64_t, std::optional<std::uint64_t>> marks;
    std::uint64_t upto = 0;
    {
        std::lock_guard queue_lock(queue_mutex);
        keys.swap(pending_keys);
        marks.swap(pending_marks);
        marks_queued.store(false, std::memory_order_release);
        upto = last_seq.load(std::memory_order_relaxed);
    }
    if (keys.empty() && marks.empty()) {
        durable.store(std::max(durable.load(), upto), std::memory_order_release);
        return;
    }
    try {
        exec("BEGIN", "cannot begin a commit");
        for (const auto& [key, p] : keys) {
            sqlite3_bind_blob(upsert_key.stmt, 1, key.data(), static_cast<int>(key.size()),
                              SQLITE_STATIC);
            sqlite3_bind_blob(upsert_key.stmt, 2, p.state.data(), static_cast<int>(p.state.size()),
                              SQLITE_STATIC);
            run(upsert_key, {to_sql(p.seq)}, "cannot store a key", 3);
        }
        for (const auto& [peer, mark] : marks) {
            if (mark)
                run(upsert_peer, {to_sql(peer), to_sql(*mark)}, "cannot store a peer's mark");
            else
                run(delete_peer, {to_sql(peer)}, "cannot forget a peer");
        }
        run(update_seq, {to_sql(upto)}, "cannot store the write number");
        exec("COMMIT", "cannot commit");
    } catch (const StorageError&) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        // Back in the queue under what was written since: the newer state or mark wins.
        std::lock_guard queue_lock(queue_mutex);
        for (auto& [key, p] : keys)
            pending_keys.try_emplace(key, std::move(p));
        for (auto& [peer, mark] : marks)
            pending_marks.try_emplace(peer, mark);
        if (!pending_marks.empty()) marks_queued.store(true, std::memory_order_release);
        throw;
    }
    durable.store(upto, std::memory_order_release);
}

void SqliteStorage::Impl::commit_loop() {
    std::unique_lock lock(thread_mutex);
    while (!stopping) {
        wake.wait_for(lock, std::chrono::milliseconds(options.group_commit_ms));
        if (stopping) break;
        lock.unlock();
        try {
            commit();
        } catch (const StorageError&) {
            // Kept queued; the next flush (before any frame leaves) reports it.
        }
        lock.lock();
    }
}

}  // namespace converge::store
