#include <string>

#include <store/storage/storage.hpp>

namespace converge::store {

std::vector<Storage::SyncMark> MemoryStorage::open(ReplicaId replica, const KeyVisitor& on_key) {
    std::lock_guard lock(mutex_);
    if (replica_.value != 0 && replica_ != replica)
        throw StorageError("this storage belongs to replica " + std::to_string(replica_.value) +
                           ", not " + std::to_string(replica.value) +
                           "; give each replica its own storage");
    replica_ = replica;
    for (const auto& [key, row] : rows_) {
        on_key(key, row.state, row.seq, Stored::state);
        for (const auto& [seq, delta] : row.deltas)
            on_key(key, delta, seq, Stored::delta);
    }
    std::vector<SyncMark> marks;
    for (const auto& [peer, synced] : marks_)
        marks.push_back({peer, synced});
    return marks;
}

std::uint64_t MemoryStorage::write(std::string_view key, std::string_view state) {
    std::lock_guard lock(mutex_);
    const std::uint64_t seq = ++seq_;
    auto it = rows_.find(key);
    if (it == rows_.end()) it = rows_.emplace(std::string(key), Row{}).first;
    it->second.state.assign(state);
    it->second.seq = seq;
    it->second.deltas.clear();
    return seq;
}

std::uint64_t MemoryStorage::append(std::string_view key, std::string_view delta) {
    std::lock_guard lock(mutex_);
    auto it = rows_.find(key);
    if (it == rows_.end())
        throw StorageError("a delta for key \"" + std::string(key) + "\", which has no state here");
    const std::uint64_t seq = ++seq_;
    it->second.deltas.emplace_back(seq, std::string(delta));
    return seq;
}

void MemoryStorage::mark_synced(ReplicaId peer, std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    marks_[peer] = seq;
}

void MemoryStorage::forget(ReplicaId peer) {
    std::lock_guard lock(mutex_);
    marks_.erase(peer);
}

std::uint64_t MemoryStorage::flush() {
    std::lock_guard lock(mutex_);
    return seq_;
}

void MemoryStorage::save_record(std::string_view name, std::string_view bytes) {
    std::lock_guard lock(mutex_);
    records_.insert_or_assign(std::string(name), std::string(bytes));
}

std::optional<std::string> MemoryStorage::load_record(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(name);
    if (it == records_.end()) return std::nullopt;
    return it->second;
}

std::shared_ptr<MemoryStorage> MemoryStorage::copy() const {
    auto out = std::make_shared<MemoryStorage>();
    std::lock_guard lock(mutex_);
    out->rows_ = rows_;
    out->marks_ = marks_;
    out->records_ = records_;
    out->seq_ = seq_;
    return out;
}

std::size_t MemoryStorage::size() const {
    std::lock_guard lock(mutex_);
    return rows_.size();
}

std::size_t MemoryStorage::delta_count() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [key, row] : rows_)
        n += row.deltas.size();
    return n;
}

}  // namespace converge::store
