#include <store/storage/sqlite_storage_impl.hpp>

namespace converge::store {

using sqlite_detail::from_sql;
using sqlite_detail::Statement;
using sqlite_detail::to_sql;

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
    const auto read = [&](Stored what, const std::string_view k, std::string_view bytes,
                          std::uint64_t row_seq) {
        seq = std::max(seq, row_seq);
        if (what == Stored::delta) s.keys_with_deltas.emplace(k);
        on_key(k, bytes, row_seq, what);
    };
    s.read_rows("SELECT key, state, seq FROM keys", "a key's write number",
                "cannot read the stored keys",
                [&](auto k, auto bytes, auto row_seq) { read(Stored::state, k, bytes, row_seq); });
    s.read_rows("SELECT key, delta, seq FROM deltas ORDER BY seq", "a delta's write number",
                "cannot read the stored deltas",
                [&](auto k, auto bytes, auto row_seq) { read(Stored::delta, k, bytes, row_seq); });
    int rc = 0;
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
    return impl_->enqueue(key, [&](Impl::Pending& p, std::uint64_t seq) {
        p.state.emplace(state);
        p.state_seq = seq;
        p.deltas.clear();
    });
}

std::uint64_t SqliteStorage::append(std::string_view key, std::string_view delta) {
    return impl_->enqueue(key, [&](Impl::Pending& p, std::uint64_t seq) {
        p.deltas.emplace_back(seq, std::string(delta));
    });
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
    PendingKeys keys;
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
    std::vector<std::pair<std::string, bool>> undo;  // keys_with_deltas's changes: key, held
    try {
        exec("BEGIN", "cannot begin a commit");
        for (const auto& [key, p] : keys)
            store_key(key, p, undo);
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
        for (auto it = undo.rbegin(); it != undo.rend(); ++it)
            if (it->second)
                keys_with_deltas.insert(it->first);
            else
                keys_with_deltas.erase(it->first);
        // Back in the queue under what was written since: the newer state or mark wins.
        std::lock_guard queue_lock(queue_mutex);
        for (auto& [key, p] : keys) {
            auto [it, fresh] = pending_keys.try_emplace(key, std::move(p));
            if (!fresh) requeue(it->second, std::move(p));
        }
        for (auto& [peer, mark] : marks)
            pending_marks.try_emplace(peer, mark);
        if (!pending_marks.empty()) marks_queued.store(true, std::memory_order_release);
        throw;
    }
    durable.store(upto, std::memory_order_release);
}

void SqliteStorage::Impl::store_key(const std::string& key, const Pending& p,
                                    std::vector<std::pair<std::string, bool>>& undo) {
    const auto bind = [&](Statement& st, int i, const std::string& bytes) {
        sqlite3_bind_blob(st.stmt, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    };
    if (p.state) {
        bind(upsert_key, 1, key);
        bind(upsert_key, 2, *p.state);
        run(upsert_key, {to_sql(p.state_seq)}, "cannot store a key", 3);
        if (keys_with_deltas.erase(key) != 0) {
            undo.emplace_back(key, true);
            bind(delete_deltas, 1, key);
            run(delete_deltas, {}, "cannot drop a key's deltas");
        }
    }
    for (const auto& [seq, delta] : p.deltas) {
        bind(insert_delta, 1, key);
        bind(insert_delta, 2, delta);
        run(insert_delta, {to_sql(seq)}, "cannot store a delta", 3);
    }
    if (!p.deltas.empty() && keys_with_deltas.insert(key).second) undo.emplace_back(key, false);
}

void SqliteStorage::Impl::requeue(Pending& newer, Pending&& older) {
    if (newer.state) return;  // a newer whole state replaces everything older
    older.deltas.insert(older.deltas.end(), std::make_move_iterator(newer.deltas.begin()),
                        std::make_move_iterator(newer.deltas.end()));
    newer = std::move(older);
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
