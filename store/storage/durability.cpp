#include <algorithm>
#include <cassert>

#include <store/storage/durability.hpp>

namespace converge::store::detail {
namespace {

Value decode_stored(std::string_view key, std::string_view state) {
    try {
        codec::Reader r(state, DecodeLimits{});
        Value value = decode_value(r);
        if (!r.at_end()) r.fail("bytes after the value");
        return value;
    } catch (const DecodeError& e) {
        throw StorageError("the stored state of key \"" + std::string(key) +
                           "\" does not decode (" + e.what() +
                           "): the storage is corrupt; restore it from a backup or start this "
                           "replica with empty storage under a new id");
    }
}

// Joins a stored delta into its key's state; returns the key's slot, or nullptr when the key has
// no state yet (the delta becomes its state: a delta is a state of its type).
Slot* join_stored_delta(Keyspace& keyspace, std::string_view key, Value& delta) {
    const HashedKey k = keyspace.hashed(key);
    Stripe& stripe = keyspace.stripe_of(k);
    Slot* found = stripe.find(k);
    if (found == nullptr) return nullptr;
    Slot& slot = *found;
    if (slot.value.index() != delta.index())
        throw StorageError("a stored change of key \"" + std::string(key) +
                           "\" is of another type than its state: the storage is corrupt; "
                           "restore it from a backup or start this replica with empty storage "
                           "under a new id");
    slot.value.visit([&](auto& held) { held.merge(delta.get<std::decay_t<decltype(held)>>()); });
    return &slot;
}

}  // namespace

Timestamp Durability::recover(ReplicaId replica, std::optional<ReplicaId> previous_writer,
                              Timestamp floor, Keyspace& keyspace, ReplicaClock& clock) {
    assert(storage_ && keyspace.key_count() == 0 && "recover runs once, on an empty keyspace");
    struct Loaded {
        std::uint64_t seq;
        Stripe* stripe;
        Slot* slot;
        std::size_t bytes;
    };
    std::vector<Loaded> loaded;
    std::optional<Timestamp> latest;
    const std::vector<Storage::SyncMark> marks = storage_->open(
        replica,
        [&](std::string_view key, std::string_view bytes, std::uint64_t seq, Storage::Stored what) {
            Value value = decode_stored(key, bytes);
            if (const auto* reg = value.get_if<KvRegister>())
                reg->for_each([&](const KvValue& v) {
                    const bool own = previous_writer && v.written.replica == *previous_writer;
                    if (own && (!latest || *latest < v.written)) latest = v.written;
                });
            Slot* slot =
                what == Storage::Stored::delta ? join_stored_delta(keyspace, key, value) : nullptr;
            if (slot == nullptr) {
                const HashedKey k = keyspace.hashed(key);
                slot = &keyspace.insert(keyspace.stripe_of(k), k.hash, key, std::move(value));
            }
            const auto size =
                static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size(), UINT32_MAX));
            if (what == Storage::Stored::state)
                slot->stored_bytes = size;
            else
                slot->appended_bytes += size;
            loaded.push_back(
                {seq, &keyspace.stripe_of(keyspace.hashed(key)), slot, key.size() + bytes.size()});
        });
    for (const Storage::SyncMark& mark : marks)
        recovered_marks_[mark.peer] = mark.synced;
    // The clock never issues a timestamp below a write of this replica's earlier runs: the last
    // run's stored writes, and the floor its start recorded for the runs before it.
    if (latest && floor < *latest) floor = *latest;
    clock.restore(floor);
    if (loaded.empty()) return floor;

    // Position 1 stands for everything before the restart: a peer with a mark has it (what it may
    // lack is logged again after it), a peer without one needs a digest repair.
    recovered_floor_ = 1;
    for (std::size_t i = 0; i < keyspace.stripe_count(); ++i)
        keyspace.stripe(i).log.restart_at(recovered_floor_);
    if (marks.empty()) return floor;
    std::uint64_t everyone = UINT64_MAX;
    for (const Storage::SyncMark& mark : marks)
        everyone = std::min(everyone, mark.synced);
    std::sort(loaded.begin(), loaded.end(),
              [](const Loaded& a, const Loaded& b) { return a.seq < b.seq; });
    for (const Loaded& l : loaded) {
        if (l.seq <= everyone) continue;
        l.stripe->log.touch(*l.slot,
                            static_cast<std::uint32_t>(std::min<std::size_t>(l.bytes, UINT32_MAX)));
        bump(counters_.log_dropped, keyspace.trim_log(*l.stripe, l.slot));
    }
    return floor;
}

std::optional<std::uint64_t> Durability::take_recovered_mark(ReplicaId peer) {
    auto it = recovered_marks_.find(peer);
    if (it == recovered_marks_.end() || recovered_floor_ == 0) return std::nullopt;
    const std::uint64_t mark = it->second;
    recovered_marks_.erase(it);
    return mark;
}

std::uint64_t Durability::persist(Slot& slot, const Value* delta) {
    if (!storage_) return 0;
    codec::Writer w;
    if (delta != nullptr && slot.stored_bytes >= append_above_bytes && storage_->keeps_deltas()) {
        assert(delta->index() == slot.value.index());
        encode_value(w, *delta);
        const std::size_t appended = slot.appended_bytes + w.bytes().size();
        if (appended <= slot.stored_bytes) {
            slot.appended_bytes = static_cast<std::uint32_t>(appended);
            return storage_->append(slot.key(), w.bytes());
        }
        w = codec::Writer{};
    }
    encode_value(w, slot.value);
    slot.stored_bytes =
        static_cast<std::uint32_t>(std::min<std::size_t>(w.bytes().size(), UINT32_MAX));
    slot.appended_bytes = 0;
    return storage_->write(slot.key(), w.bytes());
}

std::optional<std::uint64_t> Durability::flush(const char* held_back) {
    try {
        const std::uint64_t written = storage_->flush();
        failing_.store(false, std::memory_order_relaxed);
        return written;
    } catch (const StorageError& e) {
        failing_.store(true, std::memory_order_relaxed);
        bump(counters_.storage_failures);
        failure_logged_(log_, std::string(held_back) + ": " + e.what() +
                                  "; frames wait for the storage to recover "
                                  "(converge_storage_failures_total)");
        return std::nullopt;
    }
}

void Durability::wait_for(std::uint64_t written) {
    try {
        storage_->wait(written);
    } catch (const StorageError& e) {
        failing_.store(true, std::memory_order_relaxed);
        throw StorageError(std::string("the change is applied but not durable (") + e.what() +
                           "); it is written once the storage recovers, unless the process "
                           "stops first, and until then writes are refused");
    }
}

void Durability::retry_or_refuse() {
    try {
        storage_->flush();
        failing_.store(false, std::memory_order_relaxed);
    } catch (const StorageError& e) {
        bump(counters_.writes_refused);
        throw StorageUnavailable(
            std::string("storage failing, write refused and nothing changed (") + e.what() +
            "); reads go on, and writes are accepted again once the storage "
            "recovers (for a full disk: free space; no restart needed)");
    }
}

}  // namespace converge::store::detail
