#include <algorithm>
#include <cassert>

#include <store/replication/replicator.hpp>

namespace converge::store::detail {

using wire::MessageType;

Replicator::Replicator(const Options& options, Keyspace& keyspace, Durability& durability,
                       ReplicaClock& clock, Counters& counters, Lifecycle& lifecycle,
                       Retirements& retirements)
    : options_(options),
      keyspace_(keyspace),
      durability_(durability),
      clock_(clock),
      counters_(counters),
      lifecycle_(lifecycle),
      retirements_(retirements),
      merge_(keyspace, durability, clock, counters, options.log),
      repair_(keyspace, counters, {options.message_bytes, options.resend_after_syncs},
              [this](ReplicaId to, MessageType type, std::string payload) {
                  send(to, type, std::move(payload));
              }) {
    assert(incarnation() != 0 && "0 means a peer not yet heard from");
}

void Replicator::add_peer(ReplicaId id) {
    if (id == options_.replica) return;
    std::lock_guard lock(peers_mutex_);
    auto [it, added] = peers_.try_emplace(id, keyspace_.stripe_count());
    if (added) {
        if (const auto mark = durability_.take_recovered_mark(id)) {
            // The peer had every change before the restart (position 1 stands for them all).
            PeerProgress& peer = it->second;
            peer.synced_mark = *mark;
            for (std::size_t i = 0; i < peer.stripes.size(); ++i) {
                StripeProgress& s = peer.stripes.at(i);
                s.acked.add(0, durability_.recovered_floor());
                s.sent_to = durability_.recovered_floor();
            }
            peer.stripes.compact(shared_prefixes_);
        }
    }
    logging_.store(true, std::memory_order_relaxed);
}

void Replicator::remove_peer(ReplicaId id) {
    std::lock_guard lock(peers_mutex_);
    if (peers_.erase(id) != 0) durability_.forget(id);
    retirements_.forget(id);
    logging_.store(!peers_.empty(), std::memory_order_relaxed);
}

std::vector<ReplicaId> Replicator::peers() const {
    std::lock_guard lock(peers_mutex_);
    std::vector<ReplicaId> out;
    for (const auto& [id, peer] : peers_)
        out.push_back(id);
    return out;
}

void Replicator::send(ReplicaId to, MessageType type, std::string payload) {
    if (!options_.transport) return;  // a replica on its own receives, and answers nobody
    // What a frame carries must be durable before it leaves (store/storage/storage.hpp): a state
    // lost in a crash was then seen by no peer.
    if (durability_.dirty() && !durability_.flush("a frame was held back")) return;
    if (type == MessageType::deltas || type == MessageType::key_states) {
        // State messages name the retired table their states were folded by.
        codec::Writer w;
        encode_state_header(w, retirements_.state_header());
        w.raw(payload);
        payload = w.take();
    }
    std::string frame = wire::seal(options_.replica, type, payload);
    bump(counters_.messages_out);
    bump(counters_.bytes_out, frame.size());
    options_.transport->send(to, std::move(frame));
}

void Replicator::reject(wire::RejectReason reason, const std::string& detail) {
    const auto r = static_cast<std::size_t>(reason);
    bump(counters_.frames_rejected[r]);
    rejection_logged_[r](options_.log, std::string("rejected a frame (") + wire::to_string(reason) +
                                           "): " + detail +
                                           "; further frames rejected for this reason are only "
                                           "counted (converge_frames_rejected_total)");
}

bool Replicator::receive(std::string_view bytes, std::vector<Change>& changes) {
    bump(counters_.messages_in);
    bump(counters_.bytes_in, bytes.size());
    auto opened = wire::open(bytes, options_.frame_bytes_max);
    if (const auto* rejection = std::get_if<wire::Rejection>(&opened)) {
        reject(rejection->reason, rejection->detail);
        return false;
    }
    const wire::Frame& frame = std::get<wire::Frame>(opened);
    if (frame.sender == options_.replica) {
        reject(wire::RejectReason::own_id,
               "a frame claims to come from this replica (" + std::to_string(frame.sender.value) +
                   "): a peer is misconfigured with this replica's id, or is forging frames");
        return false;
    }
    try {
        return dispatch(frame, changes);
    } catch (const DecodeError& e) {
        // Every decoder reads the whole payload before anything is applied.
        reject(wire::RejectReason::malformed,
               "message from replica " + std::to_string(frame.sender.value) + ": " + e.what());
        return false;
    } catch (const InvalidOperation& e) {
        // A value no check caught that a merge cannot take (folding counters whose sum passes
        // 2^64): the message stops there, and the replica keeps running.
        reject(wire::RejectReason::out_of_range,
               "message from replica " + std::to_string(frame.sender.value) + ": " + e.what());
        return false;
    }
}

bool Replicator::dispatch(const wire::Frame& frame, std::vector<Change>& changes) {
    const DecodeLimits limits{};
    const ReplicaId from = frame.sender;
    switch (frame.type) {
        case MessageType::deltas: {
            std::vector<DeltaChunk> chunks;
            return merge_states(
                from, frame.payload,
                [&](std::string_view payload) {
                    chunks = decode_deltas(payload, limits);
                    for (const DeltaChunk& chunk : chunks)
                        if (!in_range(from, chunk.keys)) return false;
                    return true;
                },
                [&](const RetiredIds& table, const RetiredIds& learned, const RetiredIds& theirs) {
                    Ack ack{incarnation(), {}};
                    for (DeltaChunk& chunk : chunks) {
                        merge_.merge_all(std::move(chunk.keys), changes, table, learned, theirs);
                        ack.ranges.push_back(chunk.range);
                    }
                    return std::pair{MessageType::ack, encode(ack)};
                });
        }
        case MessageType::ack:
            on_ack(from, decode_ack(frame.payload, limits));
            return true;
        case MessageType::digest_top:
            repair_.on_digest_top(from, decode_digest_top(frame.payload, limits));
            return true;
        case MessageType::digest_leaves: {
            const DigestLeaves leaves = decode_digest_leaves(frame.payload, limits);
            with_peer(from, [&](PeerProgress& peer) {
                repair_.on_digest_leaves_locked(from, peer, leaves, round_);
            });
            // A whole comparison that found nothing differing: this replica holds what that peer
            // holds, so writers it adopted as retired are as complete here as there.
            if (leaves.ranges.empty() && leaves.next_cursor == digest_ranges)
                retirements_.confirm(from);
            return true;
        }
        case MessageType::key_states: {
            KeyStates states;
            return merge_states(
                from, frame.payload,
                [&](std::string_view payload) {
                    states = decode_key_states(payload, limits);
                    return in_range(from, states.keys);
                },
                [&](const RetiredIds& table, const RetiredIds& learned, const RetiredIds& theirs) {
                    merge_.merge_all(std::move(states.keys), changes, table, learned, theirs);
                    return std::pair{MessageType::repair_ack,
                                     encode(RepairAck{states.repair_id, states.chunk})};
                });
        }
        case MessageType::retirement:
            on_retirement(from, decode_retirement(frame.payload, limits));
            return true;
        case MessageType::repair_ack: {
            const RepairAck ack = decode_repair_ack(frame.payload, limits);
            with_peer(from, [&](PeerProgress& peer) {
                repair_.on_repair_ack_locked(from, peer, ack, round_);
            });
            return true;
        }
    }
    return false;
}

template <class Decode, class Merge>
bool Replicator::merge_states(ReplicaId from, std::string_view payload, Decode&& decode,
                              Merge&& merge) {
    const auto [header, rest] = split_state_header(payload, DecodeLimits{});
    const TableFingerprint& theirs = header.table;
    if (!decode(rest)) return false;
    std::optional<std::pair<MessageType, std::string>> answer;
    // Asked before the table is held: the Retirements lock comes before the table's.
    const bool retired_writer = retirements_.writes_retired(from);
    {
        const Retirements::Reading reading = retirements_.read();
        if (retired_writer) {
            reject(wire::RejectReason::retired_writer,
                   "replica " + std::to_string(from.value) +
                       " writes under a retired writer id; it is told so and takes a new one");
        } else if (theirs != reading.fingerprint()) {
            reject(wire::RejectReason::retirements_differ,
                   "replica " + std::to_string(from.value) + " has retired " +
                       std::to_string(theirs.count) + " writers, this replica " +
                       std::to_string(reading.fingerprint().count) +
                       "; their tables are exchanged and the message is sent again");
        } else {
            answer = merge(reading.table(), reading.learned(), header.learned);
        }
    }
    if (!answer) {
        send_retirement(from, /*even_if_idle=*/true);
        return false;
    }
    send(from, answer->first, std::move(answer->second));
    return true;
}

void Replicator::on_retirement(ReplicaId from, RetirementReport&& report) {
    const ReplicaId own = lifecycle_.writer();
    if (retirements_.on_report(from, std::move(report), own) ==
        Retirements::Heard::own_writer_retiring) {
        // Told that this replica's writer id is retiring (or retired): take a fresh one, so no
        // later change is stamped with it. Peers see a new incarnation and repair this replica.
        const ReplicaId fresh = lifecycle_.rekey(*options_.rng);
        clock_.rename(fresh);
        bump(counters_.rekeys);
        rekey_logged_(options_.log, "this replica's writer id " + std::to_string(own.value) +
                                        " is being retired by a peer; it writes under " +
                                        std::to_string(fresh.value) +
                                        " from now on (converge_rekeys_total)");
    }
}

void Replicator::send_retirement(ReplicaId to, bool even_if_idle) {
    if (auto report = retirements_.report_for(to, lifecycle_.writer(), even_if_idle))
        send(to, MessageType::retirement, encode(*report));
}

// Whether every key is within counter_limit; if not, the whole message is rejected.
bool Replicator::in_range(ReplicaId sender, const std::vector<KeyState>& keys) {
    const auto what = RemoteMerge::out_of_range(keys);
    if (!what) return true;
    reject(wire::RejectReason::out_of_range, "message from replica " +
                                                 std::to_string(sender.value) + ": " + *what +
                                                 "; nothing of the message was applied");
    return false;
}

void Replicator::on_ack(ReplicaId from, const Ack& ack) {
    with_peer(from, [&](PeerProgress& peer) {
        if (peer.incarnation != ack.incarnation) {
            // The peer restarted: it may have lost what it acknowledged before.
            if (peer.incarnation != 0) {
                peer.reset();
                if (peer.synced_mark != 0) durability_.mark_synced(from, 0);
                peer.synced_mark = 0;
            }
            peer.incarnation = ack.incarnation;
        }
        // Any acknowledgement, a heartbeat too, shows the peer is reachable again: resends stop
        // waiting longer (a peer back from a long partition is not left to a 64-fold wait).
        peer.backoff = 1;
        for (const LogRange& r : ack.ranges) {
            if (r.stripe >= peer.stripes.size()) continue;
            StripeProgress& s = peer.stripes.at(r.stripe);
            const std::uint64_t to = std::min(r.to, s.sent_to);  // never beyond what was sent
            if (to > r.from) s.acked.add(r.from, to);
        }
        peer.stripes.compact(shared_prefixes_);
    });
}

void Replicator::sync() {
    if (!options_.transport)
        throw InvalidOperation("sync needs a transport: set Options::transport");
    std::lock_guard lock(peers_mutex_);
    // Every change stored up to here is in the log (or acknowledged) by the end of the round.
    std::uint64_t written = 0;
    if (durability_.enabled()) {
        const auto flushed = durability_.flush("a sync round was skipped");
        if (!flushed) return;
        written = *flushed;
    }
    ++round_;
    std::vector<ReplicaId> ids;
    for (const auto& [id, peer] : peers_)
        ids.push_back(id);
    retirements_.round(ids, lifecycle_.writer());
    for (auto& [id, peer] : peers_) {
        send_retirement(id);
        sync_peer_locked(id, peer);
    }
    collect_log_locked();
    if (durability_.enabled()) mark_synced_locked(written);
    last_sync_ms_.store(clock_.physical_ms(), std::memory_order_relaxed);
}

bool Replicator::sync_if_due() {
    const std::uint64_t now = clock_.physical_ms();
    const std::uint64_t last = last_sync_ms_.load(std::memory_order_relaxed);
    if (now >= last && now - last < options_.sync_interval_ms) return false;
    sync();
    return true;
}

void Replicator::sync_peer_locked(ReplicaId id, PeerProgress& peer) {
    const std::uint64_t sent_before = counters_.messages_out.load(std::memory_order_relaxed);
    const bool periodic = options_.anti_entropy_syncs > 0 &&
                          round_ - peer.last_repair_round >= options_.anti_entropy_syncs;
    // A peer behind the log's floor gets only the repair; one in order keeps getting its deltas
    // while a periodic comparison runs.
    const bool behind = behind_floor_locked(peer);
    if (peer.repair.phase != RepairState::Phase::idle || periodic || behind)
        repair_.step_locked(id, peer, round_);
    if (!behind) send_deltas_locked(id, peer);
    peer.stripes.compact(shared_prefixes_);
    if (counters_.messages_out.load(std::memory_order_relaxed) != sent_before) {
        peer.last_sent_round = round_;
    } else if (peer.last_sent_round == 0 ||
               round_ - peer.last_sent_round >= options_.heartbeat_syncs) {
        send(id, MessageType::ack, encode(Ack{incarnation(), {}}));
        peer.last_sent_round = round_;
    }
}

bool Replicator::behind_floor_locked(const PeerProgress& peer) const {
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        const Stripe& stripe = keyspace_.stripe(i);
        std::shared_lock lock(stripe.mutex);
        if (peer.stripes.prefix(i) < stripe.log.floor()) return true;
    }
    return false;
}

namespace {

// The deltas of one sync round to one peer, in messages of about budget bytes, each a sequence of
// chunks: a stripe's log range and the states of the keys changed in it.
class DeltaMessages {
  public:
    DeltaMessages(std::size_t budget, std::function<void(std::string)> send)
        : budget_(budget), send_(std::move(send)) {}

    // The entries of one stripe above from (none the peer acknowledged), oldest first, up to head.
    void add_stripe(std::uint32_t stripe, std::uint64_t from, std::uint64_t head,
                    const std::vector<const LogEntry*>& entries) {
        chunk_from_ = from;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            encode_entry(*entries[i]);
            if (keys_.bytes().size() >= budget_ && i + 1 < entries.size())
                emit(stripe, entries[i]->position);
        }
        emit(stripe, head);  // the last chunk reaches the head: superseded positions are covered
    }

    // Sends what is not sent yet.
    void flush() {
        if (!message_.bytes().empty()) send_(message_.take());
        message_ = codec::Writer();
    }

  private:
    void encode_entry(const LogEntry& entry) {
        if (entry.sealed) {
            encode_key_delta(keys_, static_cast<const SealedEntry&>(entry).key, *entry.delta);
        } else {
            const Slot& slot = static_cast<const Slot&>(entry);
            if (slot.delta)
                encode_key_delta(keys_, slot.key(), *slot.delta);
            else
                encode_key_state(keys_, slot.key(), slot.value);
        }
        ++count_;
    }
    void emit(std::uint32_t stripe, std::uint64_t chunk_to) {
        codec::Writer chunk;
        encode_delta_chunk(chunk, LogRange{stripe, chunk_from_, chunk_to}, count_, keys_.bytes());
        if (!message_.bytes().empty() && message_.bytes().size() + chunk.bytes().size() > budget_)
            flush();
        message_.raw(chunk.bytes());
        chunk_from_ = chunk_to;
        keys_ = codec::Writer();
        count_ = 0;
    }

    std::size_t budget_;
    std::function<void(std::string)> send_;
    codec::Writer message_;
    codec::Writer keys_;
    std::size_t count_ = 0;
    std::uint64_t chunk_from_ = 0;
};

}  // namespace

void Replicator::send_deltas_locked(ReplicaId to, PeerProgress& peer) {
    // Messages leave after the loop: sending takes the retirements' lock, which a receive holds
    // while it takes a stripe's, so none may be sent under a stripe's lock.
    std::vector<std::string> ready;
    DeltaMessages messages(options_.message_bytes,
                           [&](std::string payload) { ready.push_back(std::move(payload)); });
    std::vector<const LogEntry*> entries;
    bool resent = false;
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        const Stripe& stripe = keyspace_.stripe(i);
        std::shared_lock lock(stripe.mutex);
        const std::uint64_t head = stripe.log.head();
        if (peer.stripes.prefix(i) >= head) continue;  // (an idle peer stays compact)
        StripeProgress& progress = peer.stripes.at(i);
        const std::uint64_t acked = progress.acked.prefix();
        // Resend from the acknowledged prefix when nothing is in flight or it waited too long;
        // otherwise send only what came after the last send.
        const bool in_flight = progress.sent_to > acked;
        const bool resend = !in_flight || round_ - progress.sent_round >=
                                              options_.resend_after_syncs * peer.backoff;
        resent = resent || (resend && in_flight);
        const std::uint64_t from = resend ? acked : progress.sent_to;
        if (from >= head) continue;
        entries.clear();
        stripe.log.for_each_after(from, [&](const LogEntry& e) {
            if (!progress.acked.contains(e.position)) entries.push_back(&e);
        });
        std::reverse(entries.begin(), entries.end());
        messages.add_stripe(static_cast<std::uint32_t>(i), from, head, entries);
        progress.sent_to = head;
        if (resend) progress.sent_round = round_;
    }
    messages.flush();
    for (std::string& payload : ready)
        send(to, MessageType::deltas, std::move(payload));
    if (resent) peer.back_off();
}

void Replicator::collect_log_locked() {
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        std::uint64_t everyone = UINT64_MAX;
        std::uint64_t sent_everywhere = UINT64_MAX;
        for (const auto& [id, peer] : peers_) {
            everyone = std::min(everyone, peer.stripes.prefix(i));
            sent_everywhere = std::min(sent_everywhere, peer.stripes.sent_to(i));
        }
        Stripe& stripe = keyspace_.stripe(i);
        std::unique_lock lock(stripe.mutex);
        stripe.sent_everywhere = peers_.empty() ? 0 : sent_everywhere;
        stripe.log.collect(everyone);
    }
}

void Replicator::mark_synced_locked(std::uint64_t written) {
    std::vector<std::uint64_t> heads;
    for (auto& [id, peer] : peers_) {
        if (peer.synced_mark >= written) continue;
        if (heads.empty()) heads = keyspace_.log_heads();  // once a round, when a mark could move
        if (!peer.has_all(heads)) continue;
        durability_.mark_synced(id, written);
        peer.synced_mark = written;
    }
}

void Replicator::peer_metrics(Metrics& m) const {
    std::lock_guard peers_lock(peers_mutex_);
    for (const auto& [id, peer] : peers_)
        m.peers.push_back({id, 0, peer.repair.phase != RepairState::Phase::idle, peer.comparisons,
                           peer.comparisons_differing, peer.keys_repaired,
                           peer.last_comparison_differed});
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        const Stripe& stripe = keyspace_.stripe(i);
        std::shared_lock lock(stripe.mutex);
        m.log_entries += stripe.log.count();
        m.log_bytes += stripe.log.bytes();
        std::size_t p = 0;
        for (const auto& [id, peer] : peers_) {
            stripe.log.for_each_after(peer.stripes.prefix(i),
                                      [&](const LogEntry&) { ++m.peers[p].deltas_pending; });
            ++p;
        }
    }
}

}  // namespace converge::store::detail
