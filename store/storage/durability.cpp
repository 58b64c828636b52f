// Recovery from a Storage and the peers' sync marks kept in it (store/storage/storage.hpp).
#include <store/detail/store_impl.hpp>

namespace converge::store {

void Store::Impl::recover() {
    struct Loaded {
        std::uint64_t seq;
        Shard* shard;
        Slot* slot;
        std::size_t bytes;
    };
    std::vector<Loaded> loaded;
    std::optional<Timestamp> latest;
    const DecodeLimits limits{};
    const std::vector<Storage::SyncMark> marks = options.storage->open(
        options.replica, [&](std::string_view key, std::string_view state, std::uint64_t seq) {
            Value value;
            try {
                codec::Reader r(state, limits);
                value = detail::decode_value(r);
                if (!r.at_end()) r.fail("bytes after the value");
            } catch (const DecodeError& e) {
                throw StorageError("the stored state of key \"" + std::string(key) +
                                   "\" does not decode (" + e.what() +
                                   "): the storage is corrupt; restore it from a backup or "
                                   "start this replica with empty storage under a new id");
            }
            if (const auto* reg = std::get_if<KvRegister>(&value))
                reg->for_each([&](const KvValue& v) {
                    const bool own = v.written.replica == options.replica;
                    if (own && (!latest || *latest < v.written)) latest = v.written;
                });
            const detail::HashedKey k = hashed(key);
            Shard& shard = shard_of(k);
            auto [it, added] = shard.map.try_emplace(std::string(key), std::move(value),
                                                     detail::digest_key_hash(key));
            assert(added);
            it->second.key = &it->first;
            shard.mark_dirty(it->second);
            key_count.fetch_add(1, std::memory_order_relaxed);
            loaded.push_back({seq, &shard, &it->second, key.size() + state.size()});
        });
    for (const Storage::SyncMark& mark : marks)
        recovered_marks[mark.peer] = mark.synced;
    if (latest) {
        // The clock never issues a timestamp below one of this replica's own stored writes, even
        // if the machine's clock went back across the restart.
        hlc.restore(*latest);
        hlc_physical.store(latest->physical, std::memory_order_relaxed);
    }
    if (loaded.empty()) return;

    // Position 1 stands for everything before the restart: a peer with a mark has it (what it may
    // lack is logged again after it), a peer without one needs a digest repair.
    recovered_floor = 1;
    for (auto& shard : shards)
        shard->position = shard->floor = recovered_floor;
    if (marks.empty()) return;
    std::uint64_t everyone = UINT64_MAX;
    for (const Storage::SyncMark& mark : marks)
        everyone = std::min(everyone, mark.synced);
    std::sort(loaded.begin(), loaded.end(),
              [](const Loaded& a, const Loaded& b) { return a.seq < b.seq; });
    for (const Loaded& l : loaded) {
        if (l.seq <= everyone) continue;
        l.shard->log_touch(*l.slot,
                           static_cast<std::uint32_t>(std::min<std::size_t>(l.bytes, UINT32_MAX)));
        trim_log(*l.shard, l.slot);
    }
}

void Store::Impl::restore_peer_locked(ReplicaId id, detail::Peer& peer) {
    auto it = recovered_marks.find(id);
    if (it == recovered_marks.end() || recovered_floor == 0) return;
    peer.synced_mark = it->second;
    for (detail::PartitionProgress& p : peer.parts) {
        p.acked.add(0, recovered_floor);
        p.sent_to = recovered_floor;
    }
    recovered_marks.erase(it);
}

std::optional<std::uint64_t> Store::Impl::flush_storage(const char* held_back) {
    try {
        return options.storage->flush();
    } catch (const StorageError& e) {
        storage_failures.fetch_add(1, std::memory_order_relaxed);
        warn_once(storage_failure_logged, std::string(held_back) + ": " + e.what() +
                                              "; frames wait for the storage to recover "
                                              "(converge_storage_failures_total)");
        return std::nullopt;
    }
}

void Store::Impl::mark_synced_locked(std::uint64_t written) {
    std::vector<std::uint64_t> heads;
    for (auto& [id, peer] : peers) {
        if (peer.synced_mark >= written) continue;
        if (heads.empty()) heads = log_heads();  // once a round, when some mark could move
        bool everything = true;
        for (std::size_t p = 0; p < shards.size() && everything; ++p)
            everything = peer.parts[p].acked.prefix() >= heads[p];
        if (!everything) continue;
        options.storage->mark_synced(id, written);
        peer.synced_mark = written;
    }
}

}  // namespace converge::store
