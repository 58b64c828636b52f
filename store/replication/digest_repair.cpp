#include <algorithm>
#include <cassert>

#include <store/replication/digest_repair.hpp>

namespace converge::store::detail {

using wire::MessageType;

void DigestRepair::refresh_locked() {
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        Stripe& stripe = keyspace_.stripe(i);
        std::unique_lock lock(stripe.mutex);
        for (Slot* slot : stripe.dirty) {
            const std::uint16_t leaf = leaf_of(slot->key_hash);
            if (slot->state_hash != 0) tree_.toggle(leaf, slot->state_hash);
            codec::Writer& w = scratch_;
            w.clear();
            encode_value(w, slot->value);
            slot->state_hash = digest_state_hash(slot->key_hash, w.bytes());
            assert(slot->state_hash != 0 && "0 means not in the tree");
            tree_.toggle(leaf, slot->state_hash);
            auto& bytes = stripe.metadata_bytes;
            bytes[static_cast<std::size_t>(slot->metadata_kind)] -= slot->metadata;
            slot->metadata = static_cast<std::uint32_t>(
                std::min<std::uint64_t>(metadata_bytes(slot->value, w.bytes().size()), UINT32_MAX));
            slot->metadata_kind = metadata_kind_of(slot->value);
            bytes[static_cast<std::size_t>(slot->metadata_kind)] += slot->metadata;
            slot->digest_dirty = false;
        }
        stripe.dirty.clear();
    }
}

std::uint64_t DigestRepair::state_hash() {
    return with_digests([](const DigestTree& tree) {
        std::uint64_t h = 0;
        for (std::size_t r = 0; r < digest_ranges; ++r)
            h = h * 0x100000001B3 ^ tree.range_hash(r);
        return h;
    });
}

void DigestRepair::step_locked(ReplicaId to, PeerProgress& peer, std::uint64_t round) {
    RepairState& r = peer.repair;
    if (r.phase == RepairState::Phase::idle) {
        bump(counters_.repairs_started);
        peer.last_repair_round = round;
        r.cursor = 0;
        std::vector<std::uint64_t> heads = keyspace_.log_heads();
        if (!shared_heads_ || *shared_heads_ != heads)
            shared_heads_ = std::make_shared<const std::vector<std::uint64_t>>(std::move(heads));
        r.heads = shared_heads_;
        send_top_locked(to, peer, round);
    } else if (round - r.since_round >= limits_.resend_after_syncs * peer.backoff) {
        // A step was lost (or the peer is silent): redo this pass under a new id, waiting longer
        // each time the peer stays silent.
        send_top_locked(to, peer, round);
        peer.back_off();
    }
}

void DigestRepair::send_top_locked(ReplicaId to, PeerProgress& peer, std::uint64_t round) {
    RepairState& r = peer.repair;
    r.id = ++next_repair_id_;
    r.phase = RepairState::Phase::awaiting_leaves;
    r.outstanding.clear();
    r.since_round = round;
    DigestTop top{r.id, r.cursor, {}};
    with_digests([&](const DigestTree& tree) {
        for (std::size_t range = r.cursor; range < digest_ranges; ++range)
            top.range_hashes.push_back(tree.range_hash(range));
    });
    send_(to, MessageType::digest_top, encode(top));
}

void DigestRepair::on_digest_top(ReplicaId from, const DigestTop& top) {
    // Each differing range costs 10 bytes per non-empty leaf (2 KiB when all 256 are); ranges go
    // until the message reaches message_bytes, and the repairing replica asks again from
    // next_cursor.
    codec::Writer body;
    std::uint32_t next_cursor = digest_ranges;
    with_digests([&](const DigestTree& tree) {
        for (std::size_t range = top.cursor; range < digest_ranges; ++range) {
            if (body.bytes().size() >= limits_.message_bytes) {
                next_cursor = static_cast<std::uint32_t>(range);
                break;
            }
            if (tree.range_hash(range) == top.range_hashes[range - top.cursor]) continue;
            encode_leaf_range(body, static_cast<std::uint32_t>(range), tree.range(range));
        }
    });
    codec::Writer message;
    begin_digest_leaves(message, top.repair_id, next_cursor);
    message.raw(body.bytes());
    send_(from, MessageType::digest_leaves, message.take());
}

void DigestRepair::on_digest_leaves_locked(ReplicaId from, PeerProgress& peer,
                                           const DigestLeaves& leaves, std::uint64_t round) {
    RepairState& r = peer.repair;
    if (r.phase != RepairState::Phase::awaiting_leaves || r.id != leaves.repair_id) return;
    peer.backoff = 1;
    std::vector<bool> wanted(digest_leaves, false);
    bool any = false;
    with_digests([&](const DigestTree& tree) {
        for (const auto& range : leaves.ranges) {
            const auto mine = tree.range(range.index);
            for (std::size_t i = 0; i < leaves_per_range; ++i)
                if (mine[i] != range.leaves[i]) {
                    wanted[range.index * leaves_per_range + i] = true;
                    any = true;
                }
        }
    });
    std::uint64_t sent_keys = 0;
    const std::vector<std::string> chunks =
        any ? key_state_chunks(wanted, sent_keys) : std::vector<std::string>{};
    ++peer.comparisons;
    peer.comparisons_differing += any ? 1 : 0;
    peer.keys_repaired += sent_keys;
    peer.last_comparison_differed = any;
    r.next_cursor = leaves.next_cursor;
    r.outstanding.clear();
    for (std::uint32_t c = 0; c < chunks.size(); ++c) {
        codec::Writer message;
        begin_key_states(message, r.id, c);
        message.raw(chunks[c]);
        send_(from, MessageType::key_states, message.take());
        r.outstanding.insert(c);
    }
    r.phase = RepairState::Phase::awaiting_acks;
    r.since_round = round;
    if (r.outstanding.empty()) advance_locked(from, peer, round);
}

// This replica's states of every key in a wanted leaf, in chunks of about message_bytes.
std::vector<std::string> DigestRepair::key_state_chunks(const std::vector<bool>& wanted,
                                                        std::uint64_t& sent_keys) {
    std::vector<std::string> chunks;
    codec::Writer states;
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        const Stripe& stripe = keyspace_.stripe(i);
        std::shared_lock lock(stripe.mutex);
        for (const Slot& slot : stripe.slots) {
            if (!wanted[leaf_of(slot.key_hash)]) continue;
            encode_key_state(states, slot.key(), slot.value);
            ++sent_keys;
            if (states.bytes().size() >= limits_.message_bytes) {
                chunks.push_back(states.take());
                states = codec::Writer();
            }
        }
    }
    if (!states.bytes().empty()) chunks.push_back(states.take());
    bump(counters_.repair_keys_sent, sent_keys);
    return chunks;
}

void DigestRepair::on_repair_ack_locked(ReplicaId from, PeerProgress& peer, const RepairAck& ack,
                                        std::uint64_t round) {
    RepairState& r = peer.repair;
    if (r.phase != RepairState::Phase::awaiting_acks || r.id != ack.repair_id) return;
    r.outstanding.erase(ack.chunk);
    r.since_round = round;
    if (r.outstanding.empty()) advance_locked(from, peer, round);
}

void DigestRepair::advance_locked(ReplicaId to, PeerProgress& peer, std::uint64_t round) {
    RepairState& r = peer.repair;
    assert(r.outstanding.empty());
    if (r.next_cursor < digest_ranges) {
        r.cursor = r.next_cursor;
        send_top_locked(to, peer, round);
        return;
    }
    // Every range compared and every differing key applied: the peer holds at least this
    // replica's state when the repair began, so everything logged up to then is acknowledged.
    assert(r.heads && r.heads->size() == peer.stripes.size());
    for (std::size_t i = 0; i < peer.stripes.size(); ++i) {
        StripeProgress& s = peer.stripes.at(i);
        s.acked.add(0, (*r.heads)[i]);
        s.sent_to = std::max(s.sent_to, (*r.heads)[i]);
    }
    r = RepairState{};
    bump(counters_.repairs_completed);
}

}  // namespace converge::store::detail
