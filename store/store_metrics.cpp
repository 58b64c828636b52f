#include <store/detail/store_impl.hpp>

namespace converge::store {

std::uint64_t detail::metadata_bytes(const Value& value, std::size_t encoded_size) {
    std::uint64_t payload = 0;
    if (const auto* reg = std::get_if<KvRegister>(&value))
        reg->for_each([&](const KvValue& v) { payload += v.bytes.size(); });
    else if (const auto* set = std::get_if<detail::StringSet>(&value))
        set->for_each([&](const std::string& member) { payload += member.size(); });
    else
        payload = 8;  // a counter's value
    return encoded_size > payload ? encoded_size - payload : 0;
}

Metrics Store::metrics() const {
    const Impl& s = *impl_;
    auto get = [](const std::atomic<std::uint64_t>& a) {
        return a.load(std::memory_order_relaxed);
    };
    Metrics m;
    m.puts = get(s.puts);
    m.gets = get(s.gets);
    m.dels = get(s.dels);
    m.counter_ops = get(s.counter_ops);
    m.set_ops = get(s.set_ops);
    m.type_mismatches = get(s.type_mismatches);
    m.keys = get(s.key_count);
    m.expired_keys = get(s.expired_keys);
    m.merges = get(s.merges);
    m.merges_unchanged = get(s.merges_unchanged);
    m.type_conflicts = get(s.type_conflicts);
    m.clock_drift_exceeded = get(s.clock_drift_exceeded);
    m.messages_out = get(s.messages_out);
    m.messages_in = get(s.messages_in);
    m.bytes_out = get(s.bytes_out);
    m.bytes_in = get(s.bytes_in);
    for (std::size_t r = 0; r < m.frames_rejected.size(); ++r)
        m.frames_rejected[r] = get(s.frames_rejected[r]);
    m.log_dropped = get(s.log_dropped);
    m.storage_failures = get(s.storage_failures);
    m.repairs_started = get(s.repairs_started);
    m.repairs_completed = get(s.repairs_completed);
    m.repair_keys_sent = get(s.repair_keys_sent);

    impl_->with_digests([](const detail::DigestTree&) { return 0; });  // sizes changed keys
    std::lock_guard peers_lock(s.peers_mutex);
    for (const auto& [id, peer] : s.peers)
        m.peers.push_back({id, 0, peer.repair.phase != detail::RepairState::Phase::idle});
    for (std::size_t p = 0; p < s.shards.size(); ++p) {
        const Impl::Shard& shard = *s.shards[p];
        std::shared_lock lock(shard.mutex);
        m.log_entries += shard.log_count;
        m.log_bytes += shard.log_bytes;
        std::size_t i = 0;
        for (const auto& [id, peer] : s.peers) {
            const std::uint64_t acked = peer.parts[p].acked.prefix();
            for (const Impl::Slot* slot = shard.log_tail; slot && slot->position > acked;
                 slot = slot->prev)
                ++m.peers[i].deltas_pending;
            ++i;
        }
        m.metadata_bytes.values += shard.metadata_bytes[0];
        m.metadata_bytes.counters += shard.metadata_bytes[1];
        m.metadata_bytes.sets += shard.metadata_bytes[2];
    }
    return m;
}

std::vector<std::string> Store::keys(std::string_view prefix) const {
    const Impl& s = *impl_;
    const std::uint64_t now = impl_->now_physical();
    std::vector<std::string> out;
    for (const auto& shard : s.shards) {
        std::shared_lock lock(shard->mutex);
        for (const auto& [key, slot] : shard->map) {
            if (!key.starts_with(prefix)) continue;
            bool visible = true;
            if (const auto* reg = std::get_if<KvRegister>(&slot.value)) {
                const KvValue* winner = winning_write(*reg);
                visible = winner != nullptr && !winner->expired_at(now);
            } else if (const auto* set = std::get_if<detail::StringSet>(&slot.value)) {
                visible = !set->empty();
            }
            if (visible) out.push_back(key);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::uint64_t Store::state_hash() const {
    return impl_->with_digests([](const detail::DigestTree& tree) {
        std::uint64_t h = 0;
        for (std::size_t r = 0; r < detail::digest_ranges; ++r)
            h = h * 0x100000001B3 ^ tree.range_hash(r);
        return h;
    });
}

}  // namespace converge::store
