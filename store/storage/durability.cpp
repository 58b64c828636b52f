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
        replica, [&](std::string_view key, std::string_view state, std::uint64_t seq) {
            Value value = decode_stored(key, state);
            if (const auto* reg = std::get_if<KvRegister>(&value))
                reg->for_each([&](const KvValue& v) {
                    const bool own = previous_writer && v.written.replica == *previous_writer;
                    if (own && (!latest || *latest < v.written)) latest = v.written;
                });
            Stripe& stripe = keyspace.stripe_of(keyspace.hashed(key));
            Slot& slot = keyspace.insert(stripe, std::string(key), std::move(value));
            loaded.push_back({seq, &stripe, &slot, key.size() + state.size()});
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

std::uint64_t Durability::persist(const Slot& slot) {
    if (!storage_) return 0;
    assert(slot.key != nullptr);
    codec::Writer w;
    encode_value(w, slot.value);
    return storage_->write(*slot.key, w.bytes());
}

std::optional<std::uint64_t> Durability::flush(const char* held_back) {
    try {
        return storage_->flush();
    } catch (const StorageError& e) {
        bump(counters_.storage_failures);
        failure_logged_(log_, std::string(held_back) + ": " + e.what() +
                                  "; frames wait for the storage to recover "
                                  "(converge_storage_failures_total)");
        return std::nullopt;
    }
}

}  // namespace converge::store::detail
