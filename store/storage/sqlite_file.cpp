#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <store/storage/sqlite_storage_impl.hpp>

namespace converge::store {
namespace {

// "CNVG": marks the file as converge's (PRAGMA application_id).
constexpr std::int64_t application_id = 0x434E5647;
// Version 2 adds the hash, sorted set and HyperLogLog value types; version 3 the deltas table (a
// large key's changes since its state was last written whole); version 4 their deadlines (new
// value tags: store/keyspace/value.hpp); version 5 the set's deadline (tag 12); version 6 the
// counter's reset baselines and deadline (tag 13). An older file opens and moves to 6 (a build
// that reads only an older version then refuses it rather than miss a change).
constexpr std::int64_t format_version = 6;
constexpr std::int64_t format_version_oldest = 1;

constexpr const char* schema = R"sql(
CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE keys(key BLOB PRIMARY KEY, state BLOB NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE peers(id INTEGER PRIMARY KEY, synced INTEGER NOT NULL);
CREATE TABLE records(name TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
INSERT INTO meta(name, value) VALUES('seq', 0);
)sql";
// Added by version 3 (to older files too, when they open).
constexpr const char* deltas_schema = R"sql(
CREATE TABLE IF NOT EXISTS deltas(seq INTEGER PRIMARY KEY, key BLOB NOT NULL, delta BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS deltas_by_key ON deltas(key);
)sql";

}  // namespace

using sqlite_detail::Statement;

void SqliteStorage::Impl::open_file() {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) create_file();
    if (std::filesystem::file_size(file, ec) == 0 && !ec)
        throw StorageError("SQLite file " + file.string() +
                           " exists but is empty (truncated?); remove it to start this replica "
                           "afresh, or restore it from a backup");
    const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) {
        const std::string reason = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        throw StorageError("cannot open SQLite file " + file.string() + ": " + reason);
    }
    sqlite3_extended_result_codes(db, 1);
    // One process owns a replica's file: a second opener gets SQLITE_BUSY below, not a share.
    exec("PRAGMA locking_mode=EXCLUSIVE", "cannot set the locking mode");
    check_existing();
    // Files written before records existed gain the table (same format otherwise).
    exec(
        "CREATE TABLE IF NOT EXISTS records(name TEXT PRIMARY KEY, bytes BLOB NOT NULL) "
        "WITHOUT ROWID",
        "cannot add the records table");
    exec(deltas_schema, "cannot add the deltas table");
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
    prepare(insert_delta, "INSERT INTO deltas(seq, key, delta) VALUES(?3, ?1, ?2)");
    prepare(delete_deltas, "DELETE FROM deltas WHERE key = ?1");
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

// Found by the crash test under load: a process killed between SQLite creating the file and the
// schema's commit left an empty file, which the next start rightly refused as truncated. The
// schema is written under a temporary name, made durable and only then linked into place (link
// fails rather than replace a file another process created meanwhile), so the file either does
// not exist or is whole.
void SqliteStorage::Impl::create_file() {
    const std::string temporary = file.string() + ".creating";
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"})
        std::filesystem::remove(temporary + suffix, ec);  // a killed creation's leftovers
    int rc = sqlite3_open_v2(temporary.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             nullptr);
    try {
        if (rc != SQLITE_OK) fail("cannot create the file", rc);
        exec("PRAGMA synchronous=FULL", "cannot set synchronous=FULL");
        create_schema();
    } catch (const StorageError&) {
        sqlite3_close_v2(db);
        db = nullptr;
        std::filesystem::remove(temporary, ec);
        throw;
    }
    rc = sqlite3_close_v2(db);
    db = nullptr;
    if (rc != SQLITE_OK || ::link(temporary.c_str(), file.c_str()) != 0) {
        const int error = errno;
        std::filesystem::remove(temporary, ec);
        if (rc == SQLITE_OK && error == EEXIST) return;  // another process created it first
        throw StorageError("cannot create SQLite file " + file.string() + ": " +
                           (rc != SQLITE_OK ? sqlite3_errstr(rc) : std::strerror(error)));
    }
    std::filesystem::remove(temporary, ec);
    // The new directory entry is durable too.
    const std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void SqliteStorage::Impl::create_schema() {
    exec("BEGIN", "cannot begin creating the schema");
    exec(schema, "cannot create the schema");
    exec(deltas_schema, "cannot create the deltas table");
    exec(("PRAGMA application_id=" + std::to_string(application_id)).c_str(),
         "cannot set the application id");
    exec(("PRAGMA user_version=" + std::to_string(format_version)).c_str(),
         "cannot set the format version");
    exec("COMMIT", "cannot commit the schema");
}

}  // namespace converge::store
