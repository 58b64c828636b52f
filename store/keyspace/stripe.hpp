// File: store/keyspace/stripe.hpp
// Stripe: one lock stripe of a keyspace: its keys (a hash map under one shared mutex), the part of
// the replica's delta log that holds them, and the slots whose digest hash is stale.
//
// Thread-safety: the members are guarded by mutex (shared to read, exclusive to change).
#pragma once

#include <array>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <store/keyspace/delta_log.hpp>
#include <store/keyspace/keyed_hash.hpp>
#include <store/keyspace/slot.hpp>

namespace converge::store::detail {

// A key with its keyed hash, computed once: the hash picks the stripe and the bucket.
struct HashedKey {
    std::string_view key;
    std::size_t hash;
};

struct KeyHasher {
    using is_transparent = void;
    const KeyedHash* hash;
    std::size_t operator()(std::string_view key) const noexcept { return (*hash)(key); }
    std::size_t operator()(const HashedKey& key) const noexcept { return key.hash; }
};

struct KeyEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    bool operator()(const HashedKey& a, std::string_view b) const noexcept { return a.key == b; }
    bool operator()(std::string_view a, const HashedKey& b) const noexcept { return a == b.key; }
};

struct Stripe {
    using Map = std::unordered_map<std::string, Slot, KeyHasher, KeyEqual>;

    explicit Stripe(const KeyedHash* hash) : map(16, KeyHasher{hash}) {}

    // Called after every change to a slot's state (the digest and inspect_changed rely on it).
    void mark_dirty(Slot& slot) {
        slot.changed = ++changes;
        if (slot.digest_dirty) return;
        slot.digest_dirty = true;
        dirty.push_back(&slot);
    }

    mutable std::shared_mutex mutex;
    Map map;
    DeltaLog log;
    std::vector<Slot*> dirty;  // slots whose digest hash is stale
    // The metadata bytes of the slots, by MetadataKind, as of their state_hash.
    std::array<std::uint64_t, metadata_kinds> metadata_bytes{};
    std::uint64_t changes = 0;  // state changes in this stripe so far (Slot::changed)
};

}  // namespace converge::store::detail
