#include <store/detail/store_impl.hpp>

namespace converge::store {

using detail::KeyState;
using detail::Peer;
using wire::MessageType;

void Store::Impl::send(ReplicaId to, MessageType type, std::string payload) {
    // What a frame carries must be durable before it leaves (store/storage/storage.hpp): a state
    // lost in a crash was then seen by no peer.
    if (options.storage && options.storage->dirty() && !flush_storage("a frame was held back"))
        return;
    std::string frame = wire::seal(options.replica, type, payload);
    messages_out.fetch_add(1, std::memory_order_relaxed);
    bytes_out.fetch_add(frame.size(), std::memory_order_relaxed);
    options.transport->send(to, std::move(frame));
}

void Store::Impl::warn_once(std::atomic<bool>& flag, const std::string& message) {
    if (!flag.exchange(true, std::memory_order_relaxed)) options.log(message);
}

void Store::Impl::reject(wire::RejectReason reason, const std::string& detail) {
    const auto r = static_cast<std::size_t>(reason);
    frames_rejected[r].fetch_add(1, std::memory_order_relaxed);
    warn_once(rejection_logged[r], std::string("rejected a frame (") + wire::to_string(reason) +
                                       "): " + detail +
                                       "; further frames rejected for this reason are only counted "
                                       "(converge_frames_rejected_total)");
}

bool Store::Impl::receive(std::string_view bytes) {
    messages_in.fetch_add(1, std::memory_order_relaxed);
    bytes_in.fetch_add(bytes.size(), std::memory_order_relaxed);
    auto opened = wire::open(bytes, options.max_frame_bytes);
    if (const auto* rejection = std::get_if<wire::Rejection>(&opened)) {
        reject(rejection->reason, rejection->detail);
        return false;
    }
    const wire::Frame frame = std::get<wire::Frame>(opened);
    if (frame.sender == options.replica) {
        reject(wire::RejectReason::own_id,
               "a frame claims to come from this replica (" + std::to_string(frame.sender.value) +
                   "): a peer is misconfigured with this replica's id, or is forging frames");
        return false;
    }
    const DecodeLimits limits{};
    std::vector<Notice> notices;
    try {
        switch (frame.type) {
            case MessageType::deltas: {
                std::vector<detail::DeltaChunk> chunks =
                    detail::decode_deltas(frame.payload, limits);
                for (const detail::DeltaChunk& chunk : chunks)
                    if (!within_range(frame.sender, chunk.keys)) return false;
                detail::Ack ack{incarnation, {}};
                for (detail::DeltaChunk& chunk : chunks) {
                    merge_all(std::move(chunk.keys), notices);
                    ack.ranges.push_back(chunk.range);
                }
                if (options.transport) send(frame.sender, MessageType::ack, detail::encode(ack));
                break;
            }
            case MessageType::ack:
                on_ack(frame.sender, detail::decode_ack(frame.payload, limits));
                break;
            case MessageType::digest_top:
                on_digest_top(frame.sender, detail::decode_digest_top(frame.payload, limits));
                break;
            case MessageType::digest_leaves:
                on_digest_leaves(frame.sender, detail::decode_digest_leaves(frame.payload, limits));
                break;
            case MessageType::key_states: {
                detail::KeyStates states = detail::decode_key_states(frame.payload, limits);
                if (!within_range(frame.sender, states.keys)) return false;
                merge_all(std::move(states.keys), notices);
                if (options.transport)
                    send(frame.sender, MessageType::repair_ack,
                         detail::encode(detail::RepairAck{states.repair_id, states.chunk}));
                break;
            }
            case MessageType::repair_ack:
                on_repair_ack(frame.sender, detail::decode_repair_ack(frame.payload, limits));
                break;
        }
    } catch (const DecodeError& e) {
        // Every decoder reads the whole payload before anything is applied.
        reject(wire::RejectReason::malformed, std::string("message from replica ") +
                                                  std::to_string(frame.sender.value) + ": " +
                                                  e.what());
        return false;
    }
    for (const Notice& n : notices)
        notify(n.key, n.kind, /*remote=*/true);
    return true;
}

bool Store::Impl::within_range(ReplicaId sender, const std::vector<KeyState>& keys) {
    for (const KeyState& k : keys)
        if (const char* what = detail::out_of_range(k.value)) {
            reject(wire::RejectReason::out_of_range,
                   "message from replica " + std::to_string(sender.value) + ": key \"" + k.key +
                       "\" carries " + what + "; nothing of the message was applied");
            return false;
        }
    return true;
}

void Store::Impl::merge_all(std::vector<KeyState>&& keys, std::vector<Notice>& notices) {
    observe_remote(keys);
    for (KeyState& k : keys) {
        std::string key = k.key;
        if (auto kind = merge_remote(std::move(k))) notices.push_back({std::move(key), *kind});
    }
}

void Store::Impl::observe_remote(const std::vector<KeyState>& keys) {
    const KvValue* latest = nullptr;
    for (const KeyState& k : keys)
        if (const auto* reg = std::get_if<KvRegister>(&k.value))
            reg->for_each([&](const KvValue& v) {
                if (latest == nullptr || latest->written < v.written) latest = &v;
            });
    if (latest == nullptr) return;
    std::lock_guard lock(clock_mutex);
    const auto seen = hlc.observe(latest->written, options.clock->now_ms());
    hlc_physical.store(seen.now.physical, std::memory_order_relaxed);
    if (seen.drift_exceeded) clock_drift_exceeded.fetch_add(1, std::memory_order_relaxed);
}

namespace {
ChangeKind kind_of(const detail::Value& v) {
    if (const auto* reg = std::get_if<KvRegister>(&v))
        return winning_write(*reg) ? ChangeKind::put : ChangeKind::del;
    return std::holds_alternative<PNCounter>(v) ? ChangeKind::counter : ChangeKind::set;
}
}  // namespace

std::optional<ChangeKind> Store::Impl::merge_remote(KeyState&& incoming) {
    merges.fetch_add(1, std::memory_order_relaxed);
    const detail::HashedKey k = hashed(incoming.key);
    Shard& shard = shard_of(k);
    std::unique_lock lock(shard.mutex);
    auto it = shard.map.find(k);
    if (it == shard.map.end()) {
        const std::uint64_t key_hash = detail::digest_key_hash(incoming.key);
        it = shard.map.try_emplace(std::move(incoming.key), std::move(incoming.value), key_hash)
                 .first;
        it->second.key = &it->first;
        key_count.fetch_add(1, std::memory_order_relaxed);
        shard.mark_dirty(it->second);
        persist(it->second);
        return kind_of(it->second.value);
    }
    Slot& slot = it->second;
    if (slot.value.index() != incoming.value.index()) {
        // Replicas used the key as different types: every replica keeps the greater type tag.
        type_conflicts.fetch_add(1, std::memory_order_relaxed);
        warn_once(conflict_logged,
                  "key \"" + it->first + "\" is " + detail::type_name(slot.value) + " here and " +
                      detail::type_name(incoming.value) +
                      " on a peer; every replica keeps the set over the counter over the value "
                      "(docs/semantics.md); further conflicts are only counted");
        if (incoming.value.index() < slot.value.index()) return std::nullopt;
        slot.value = std::move(incoming.value);
        slot.set_delta.reset();
        shard.mark_dirty(slot);
        persist(slot);
        return kind_of(slot.value);
    }
    const std::uint64_t before = detail::change_mark(slot.value);
    std::visit(
        [&](auto& held) { held.merge(std::get<std::decay_t<decltype(held)>>(incoming.value)); },
        slot.value);
    // The digest is refreshed whatever the change mark says: a merge can move dots between a
    // set's elements without changing any count the mark sees.
    shard.mark_dirty(slot);
    persist(slot);
    if (detail::change_mark(slot.value) == before) {
        merges_unchanged.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    return kind_of(slot.value);
}

void Store::Impl::on_ack(ReplicaId from, const detail::Ack& ack) {
    std::lock_guard lock(peers_mutex);
    auto it = peers.find(from);
    if (it == peers.end()) return;
    Peer& peer = it->second;
    if (peer.incarnation != ack.incarnation) {
        // The peer restarted: it may have lost what it acknowledged before.
        if (peer.incarnation != 0) {
            peer.reset();
            if (options.storage && peer.synced_mark != 0) options.storage->mark_synced(from, 0);
            peer.synced_mark = 0;
        }
        peer.incarnation = ack.incarnation;
    }
    if (!ack.ranges.empty()) peer.backoff = 1;
    for (const detail::LogRange& r : ack.ranges) {
        if (r.partition >= peer.parts.size()) continue;
        detail::PartitionProgress& p = peer.parts[r.partition];
        const std::uint64_t to = std::min(r.to, p.sent_to);  // never beyond what was sent
        if (to > r.from) p.acked.add(r.from, to);
    }
}

void Store::Impl::sync() {
    if (!options.transport)
        throw InvalidOperation("sync needs a transport: set Options::transport");
    std::lock_guard lock(peers_mutex);
    // Every change stored up to here is in the log (or acknowledged) by the end of the round.
    std::uint64_t written = 0;
    if (options.storage) {
        const auto flushed = flush_storage("a sync round was skipped");
        if (!flushed) return;
        written = *flushed;
    }
    ++round;
    for (auto& [id, peer] : peers) {
        const std::uint64_t sent_before = messages_out.load(std::memory_order_relaxed);
        const bool periodic = options.anti_entropy_syncs > 0 &&
                              round - peer.last_repair_round >= options.anti_entropy_syncs;
        // A peer behind the log's floor gets only the repair; one in order keeps getting its
        // deltas while a periodic comparison runs.
        const bool behind = needs_repair_locked(peer);
        if (peer.repair.phase != detail::RepairState::Phase::idle || periodic || behind)
            repair_step_locked(id, peer);
        if (!behind) send_deltas_locked(id, peer);
        if (messages_out.load(std::memory_order_relaxed) != sent_before) {
            peer.last_sent_round = round;
        } else if (peer.last_sent_round == 0 ||
                   round - peer.last_sent_round >= options.heartbeat_syncs) {
            send(id, MessageType::ack, detail::encode(detail::Ack{incarnation, {}}));
            peer.last_sent_round = round;
        }
    }
    collect_log_locked();
    if (options.storage) mark_synced_locked(written);
    last_sync_ms.store(options.clock->now_ms(), std::memory_order_relaxed);
}

bool Store::Impl::needs_repair_locked(const Peer& peer) const {
    for (std::size_t p = 0; p < shards.size(); ++p) {
        std::shared_lock lock(shards[p]->mutex);
        if (peer.parts[p].acked.prefix() < shards[p]->floor) return true;
    }
    return false;
}

namespace {
void encode_log_entry(codec::Writer& w, const detail::Slot& slot) {
    const auto* set = std::get_if<detail::StringSet>(&slot.value);
    if (set != nullptr && slot.set_delta)
        detail::encode_key_state(w, *slot.key, *slot.set_delta);
    else
        detail::encode_key_state(w, *slot.key, slot.value);
}
}  // namespace

void Store::Impl::send_deltas_locked(ReplicaId to, Peer& peer) {
    const std::size_t budget = options.message_bytes;
    codec::Writer message;
    auto flush = [&] {
        if (!message.bytes().empty()) send(to, MessageType::deltas, message.take());
        message = codec::Writer();
    };
    std::vector<const Slot*> batch;
    bool resent = false;
    for (std::size_t p = 0; p < shards.size(); ++p) {
        detail::PartitionProgress& progress = peer.parts[p];
        const Shard& shard = *shards[p];
        std::shared_lock lock(shard.mutex);
        const std::uint64_t head = shard.position;
        const std::uint64_t acked = progress.acked.prefix();
        if (acked >= head) continue;
        // Resend from the acknowledged prefix when nothing is in flight or it waited too long;
        // otherwise send only what came after the last send.
        const bool in_flight = progress.sent_to > acked;
        const bool resend =
            !in_flight || round - progress.sent_round >= options.resend_after_syncs * peer.backoff;
        resent = resent || (resend && in_flight);
        const std::uint64_t from = resend ? acked : progress.sent_to;
        if (from >= head) continue;
        batch.clear();
        for (const Slot* s = shard.log_tail; s != nullptr && s->position > from; s = s->prev)
            if (!progress.acked.contains(s->position)) batch.push_back(s);
        std::reverse(batch.begin(), batch.end());

        codec::Writer keys;
        std::size_t count = 0;
        std::uint64_t chunk_from = from;
        auto emit = [&](std::uint64_t chunk_to) {
            codec::Writer chunk;
            detail::encode_delta_chunk(
                chunk, detail::LogRange{static_cast<std::uint32_t>(p), chunk_from, chunk_to}, count,
                keys.bytes());
            if (!message.bytes().empty() && message.bytes().size() + chunk.bytes().size() > budget)
                flush();
            message.raw(chunk.bytes());
            chunk_from = chunk_to;
            keys = codec::Writer();
            count = 0;
        };
        for (std::size_t i = 0; i < batch.size(); ++i) {
            encode_log_entry(keys, *batch[i]);
            ++count;
            if (keys.bytes().size() >= budget && i + 1 < batch.size()) emit(batch[i]->position);
        }
        emit(head);  // the last chunk reaches the head: superseded positions are covered too
        progress.sent_to = head;
        if (resend) progress.sent_round = round;
    }
    flush();
    if (resent) peer.backoff = std::min<std::uint64_t>(peer.backoff * 2, 64);
}

void Store::Impl::collect_log_locked() {
    for (std::size_t p = 0; p < shards.size(); ++p) {
        std::uint64_t everyone = UINT64_MAX;
        for (const auto& [id, peer] : peers)
            everyone = std::min(everyone, peer.parts[p].acked.prefix());
        Shard& shard = *shards[p];
        std::unique_lock lock(shard.mutex);
        while (shard.log_head != nullptr && shard.log_head->position <= everyone)
            shard.log_remove(*shard.log_head);
    }
}

void Store::add_peer(ReplicaId peer) {
    Impl& s = *impl_;
    if (!s.options.transport)
        throw InvalidOperation("add_peer needs a transport: set Options::transport");
    if (peer == s.options.replica) return;
    std::lock_guard lock(s.peers_mutex);
    auto [it, added] = s.peers.try_emplace(peer, s.shards.size());
    if (added) s.restore_peer_locked(peer, it->second);
    s.logging.store(true, std::memory_order_relaxed);
}

void Store::remove_peer(ReplicaId peer) {
    Impl& s = *impl_;
    std::lock_guard lock(s.peers_mutex);
    if (s.peers.erase(peer) != 0 && s.options.storage) s.options.storage->forget(peer);
    s.logging.store(!s.peers.empty(), std::memory_order_relaxed);
}

std::vector<ReplicaId> Store::peers() const {
    std::lock_guard lock(impl_->peers_mutex);
    std::vector<ReplicaId> out;
    for (const auto& [id, peer] : impl_->peers)
        out.push_back(id);
    return out;
}

void Store::sync() {
    impl_->sync();
}

bool Store::tick(std::size_t sweep_budget) {
    Impl& s = *impl_;
    if (sweep_budget > 0) sweep_expired(sweep_budget);
    if (!s.options.transport) return false;
    const std::uint64_t now = s.options.clock->now_ms();
    const std::uint64_t last = s.last_sync_ms.load(std::memory_order_relaxed);
    if (now >= last && now - last < s.options.sync_interval_ms) return false;
    s.sync();
    return true;
}

bool Store::receive(std::string_view frame) {
    return impl_->receive(frame);
}

}  // namespace converge::store
