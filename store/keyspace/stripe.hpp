// File: store/keyspace/stripe.hpp
// Stripe: one lock stripe of a keyspace: its keys (slots at fixed addresses, found through an
// open-addressing index of pointers to them, under one shared mutex), the part of the replica's
// delta log that holds them, and the slots whose digest hash is stale.
//
// Thread-safety: the members are guarded by mutex (shared to read, exclusive to change).
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_set.h>
#include <boost/container/deque.hpp>
#include <boost/container/options.hpp>

#include <store/keyspace/delta_log.hpp>
#include <store/keyspace/keyed_hash.hpp>
#include <store/keyspace/slot.hpp>

namespace converge::store::detail {

// A key with its keyed hash, computed once: the hash picks the stripe and the bucket.
struct HashedKey {
    std::string_view key;
    std::size_t hash;
};

// The hash a stripe's index files a key under: the low 32 bits of its keyed hash (the stripe
// number comes from higher bits), kept in its slot so that a rehash reads no key.
inline std::uint32_t index_hash_of(std::size_t keyed_hash) {
    return static_cast<std::uint32_t>(keyed_hash);
}

// The index hashes a slot by its kept hash and finds one by a HashedKey.
struct SlotHasher {
    using is_transparent = void;
    std::size_t operator()(const Slot* slot) const noexcept { return slot->index_hash; }
    std::size_t operator()(const HashedKey& key) const noexcept { return index_hash_of(key.hash); }
};

struct SlotKeyEqual {
    using is_transparent = void;
    bool operator()(const Slot* a, const Slot* b) const noexcept { return a == b; }
    bool operator()(const Slot* a, const HashedKey& b) const noexcept { return a->key() == b.key; }
    bool operator()(const HashedKey& a, const Slot* b) const noexcept { return a.key == b->key(); }
};

struct Stripe {
    // The slot of key; null when the key was never written here.
    Slot* find(const HashedKey& key) {
        const auto it = index.find(key);
        return it == index.end() ? nullptr : *it;
    }
    const Slot* find(const HashedKey& key) const {
        const auto it = index.find(key);
        return it == index.end() ? nullptr : *it;
    }
    // Adds key (absent; keyed_hash its Keyspace::hashed hash) with value; the slot stays at its
    // address for the stripe's life.
    Slot& add(std::size_t keyed_hash, std::string_view key, Value value,
              std::uint64_t digest_key_hash) {
        assert(!index.contains(HashedKey{key, keyed_hash}));
        Slot& slot =
            slots.emplace_back(key, index_hash_of(keyed_hash), std::move(value), digest_key_hash);
        index.insert(&slot);
        return slot;
    }

    // Called after every change to a slot's state (the digest and inspect_changed rely on it).
    void mark_dirty(Slot& slot) {
        slot.changed = ++changes;
        if (slot.digest_dirty) return;
        slot.digest_dirty = true;
        dirty.push_back(&slot);
    }

    mutable std::shared_mutex mutex;
    // Every key held, in the order they came (a key is never removed: a deleted one keeps its
    // causal metadata), and the index that finds them. A deque never moves what it holds, so
    // the log, dirty and the index point into it; Boost's takes a block size (std::deque's
    // holds one slot a block, each a heap allocation of its own).
    boost::container::deque<Slot, void,
                            boost::container::deque_options_t<boost::container::block_size<32>>>
        slots;
    absl::flat_hash_set<Slot*, SlotHasher, SlotKeyEqual> index;
    DeltaLog log;
    std::vector<Slot*> dirty;  // slots whose digest hash is stale
    // The metadata bytes of the slots, by MetadataKind, as of their state_hash.
    std::array<std::uint64_t, metadata_kinds> metadata_bytes{};
    std::uint64_t changes = 0;  // state changes in this stripe so far (Slot::changed)
    // The last position of log sent to every peer, as of the last sync round (DeltaLog::seal).
    std::uint64_t sent_everywhere = 0;
};

}  // namespace converge::store::detail
