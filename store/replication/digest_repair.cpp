#include <store/detail/store_impl.hpp>

namespace converge::store {

using detail::DigestTree;
using detail::Peer;
using detail::RepairState;
using wire::MessageType;

void Store::Impl::refresh_digests_locked() {
    for (const auto& shard : shards) {
        std::unique_lock lock(shard->mutex);
        for (Slot* slot : shard->dirty) {
            const std::uint16_t leaf = detail::leaf_of(slot->key_hash);
            if (slot->state_hash != 0) digests.toggle(leaf, slot->state_hash);
            codec::Writer w;
            detail::encode_value(w, slot->value);
            slot->state_hash = detail::digest_state_hash(slot->key_hash, w.bytes());
            digests.toggle(leaf, slot->state_hash);
            shard->metadata_bytes[slot->metadata_kind] -= slot->metadata;
            slot->metadata = detail::metadata_bytes(slot->value, w.bytes().size());
            slot->metadata_kind =
                static_cast<std::uint8_t>(std::min<std::size_t>(slot->value.index(), 2));
            shard->metadata_bytes[slot->metadata_kind] += slot->metadata;
            slot->digest_dirty = false;
        }
        shard->dirty.clear();
    }
}

void Store::Impl::repair_step_locked(ReplicaId to, Peer& peer) {
    RepairState& r = peer.repair;
    if (r.phase == RepairState::Phase::idle) {
        repairs_started.fetch_add(1, std::memory_order_relaxed);
        peer.last_repair_round = round;
        r.cursor = 0;
        r.heads = log_heads();
        send_digest_top_locked(to, peer);
    } else if (round - r.since_round >= options.resend_after_syncs * peer.backoff) {
        // A step was lost (or the peer is silent): redo this pass under a new id, waiting
        // longer each time the peer stays silent.
        send_digest_top_locked(to, peer);
        peer.backoff = std::min<std::uint64_t>(peer.backoff * 2, 64);
    }
}

void Store::Impl::send_digest_top_locked(ReplicaId to, Peer& peer) {
    RepairState& r = peer.repair;
    r.id = ++next_repair_id;
    r.phase = RepairState::Phase::awaiting_leaves;
    r.outstanding.clear();
    r.since_round = round;
    detail::DigestTop top{r.id, r.cursor, {}};
    with_digests([&](const DigestTree& tree) {
        for (std::size_t range = r.cursor; range < detail::digest_ranges; ++range)
            top.range_hashes.push_back(tree.range_hash(range));
    });
    send(to, MessageType::digest_top, detail::encode(top));
}

void Store::Impl::on_digest_top(ReplicaId from, const detail::DigestTop& top) {
    if (!options.transport) return;
    // Each differing range costs 10 bytes per non-empty leaf (2 KiB when all 256 are); ranges
    // go until the message reaches message_bytes, and the repairing replica asks again from
    // next_cursor.
    codec::Writer body;
    std::uint32_t next_cursor = detail::digest_ranges;
    with_digests([&](const DigestTree& tree) {
        for (std::size_t range = top.cursor; range < detail::digest_ranges; ++range) {
            if (body.bytes().size() >= options.message_bytes) {
                next_cursor = static_cast<std::uint32_t>(range);
                break;
            }
            if (tree.range_hash(range) == top.range_hashes[range - top.cursor]) continue;
            detail::encode_leaf_range(body, static_cast<std::uint32_t>(range), tree.range(range));
        }
    });
    codec::Writer message;
    detail::begin_digest_leaves(message, top.repair_id, next_cursor);
    message.raw(body.bytes());
    send(from, MessageType::digest_leaves, message.take());
}

void Store::Impl::on_digest_leaves(ReplicaId from, const detail::DigestLeaves& leaves) {
    std::lock_guard lock(peers_mutex);
    auto it = peers.find(from);
    if (it == peers.end()) return;
    Peer& peer = it->second;
    RepairState& r = peer.repair;
    if (r.phase != RepairState::Phase::awaiting_leaves || r.id != leaves.repair_id) return;
    peer.backoff = 1;

    std::vector<bool> wanted(detail::digest_leaves, false);
    std::size_t wanted_count = 0;
    with_digests([&](const DigestTree& tree) {
        for (const auto& range : leaves.ranges) {
            const auto mine = tree.range(range.index);
            for (std::size_t i = 0; i < detail::leaves_per_range; ++i)
                if (mine[i] != range.leaves[i]) {
                    wanted[range.index * detail::leaves_per_range + i] = true;
                    ++wanted_count;
                }
        }
    });
    // This replica's states of every key in a differing leaf, in messages of about message_bytes.
    std::vector<std::string> chunks;
    codec::Writer states;
    std::uint64_t sent_keys = 0;
    if (wanted_count > 0) {
        for (const auto& shard : shards) {
            std::shared_lock shard_lock(shard->mutex);
            for (const auto& [key, slot] : shard->map) {
                if (!wanted[detail::leaf_of(slot.key_hash)]) continue;
                detail::encode_key_state(states, key, slot.value);
                ++sent_keys;
                if (states.bytes().size() >= options.message_bytes) {
                    chunks.push_back(states.take());
                    states = codec::Writer();
                }
            }
        }
    }
    if (!states.bytes().empty()) chunks.push_back(states.take());
    repair_keys_sent.fetch_add(sent_keys, std::memory_order_relaxed);

    r.next_cursor = leaves.next_cursor;
    r.outstanding.clear();
    for (std::uint32_t c = 0; c < chunks.size(); ++c) {
        codec::Writer message;
        detail::begin_key_states(message, r.id, c);
        message.raw(chunks[c]);
        send(from, MessageType::key_states, message.take());
        r.outstanding.insert(c);
    }
    r.phase = RepairState::Phase::awaiting_acks;
    r.since_round = round;
    if (r.outstanding.empty()) advance_repair_locked(from, peer);
}

void Store::Impl::on_repair_ack(ReplicaId from, const detail::RepairAck& ack) {
    std::lock_guard lock(peers_mutex);
    auto it = peers.find(from);
    if (it == peers.end()) return;
    RepairState& r = it->second.repair;
    if (r.phase != RepairState::Phase::awaiting_acks || r.id != ack.repair_id) return;
    r.outstanding.erase(ack.chunk);
    r.since_round = round;
    if (r.outstanding.empty()) advance_repair_locked(from, it->second);
}

void Store::Impl::advance_repair_locked(ReplicaId to, Peer& peer) {
    RepairState& r = peer.repair;
    if (r.next_cursor < detail::digest_ranges) {
        r.cursor = r.next_cursor;
        send_digest_top_locked(to, peer);
        return;
    }
    // Every range compared and every differing key applied: the peer holds at least this
    // replica's state when the repair began, so everything logged up to then is acknowledged.
    for (std::size_t p = 0; p < peer.parts.size(); ++p) {
        peer.parts[p].acked.add(0, r.heads[p]);
        peer.parts[p].sent_to = std::max(peer.parts[p].sent_to, r.heads[p]);
    }
    r = RepairState{};
    repairs_completed.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace converge::store
