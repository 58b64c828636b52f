// File: store/keyspace/stripe.hpp
// One lock stripe of a store: its keys, and the part of the replica's delta log that holds them.
// The log is intrusive: a changed key's slot is linked at the tail with a fresh position, so a key
// changed many times before a peer acknowledges it is sent once, its changes joined.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <store/keyspace/keyed_hash.hpp>
#include <store/keyspace/value.hpp>

namespace converge::store::detail {

struct Slot {
    Slot(Value v, std::uint64_t digest_key_hash) : value(std::move(v)), key_hash(digest_key_hash) {}

    Value value;
    // The join of this set's deltas since the slot entered the log (sets only; registers and
    // counters are small and travel whole).
    std::unique_ptr<StringSet> set_delta;
    const std::string* key = nullptr;

    std::uint64_t position = 0;  // in the log; 0: not in it
    Slot* prev = nullptr;
    Slot* next = nullptr;
    std::uint32_t log_bytes = 0;  // estimated bytes this slot adds to the log

    std::uint64_t key_hash;          // the public digest hash of the key
    std::uint64_t state_hash = 0;    // as last added to the digest tree; 0: not added
    bool digest_dirty = false;       // the state changed since state_hash was computed
    std::uint64_t changed = 0;       // its stripe's change number when the state last changed
    std::uint64_t metadata = 0;      // metadata bytes as of state_hash, counted in its shard
    std::uint8_t metadata_kind = 0;  // the value's type then: 0 register, 1 counter, 2 set
};

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

struct Shard {
    explicit Shard(const KeyedHash* hash) : map(16, KeyHasher{hash}) {}

    // Links slot at the tail of the log at a new position (moving it there if it is in the log
    // already: its earlier position is superseded, not lost); bytes is its new estimated size.
    void log_touch(Slot& slot, std::uint32_t bytes) {
        if (slot.position != 0) unlink(slot);
        slot.position = ++position;
        slot.prev = log_tail;
        slot.next = nullptr;
        (log_tail ? log_tail->next : log_head) = &slot;
        log_tail = &slot;
        slot.log_bytes = bytes;
        log_bytes += bytes;
        ++log_count;
    }
    // Takes slot out of the log; the floor rises to its position: a peer that has not
    // acknowledged that far (or joins later) needs a digest repair.
    void log_remove(Slot& slot) {
        if (slot.position > floor) floor = slot.position;
        unlink(slot);
        slot.position = 0;
        slot.log_bytes = 0;
        slot.set_delta.reset();
    }
    // Called after every change to a slot's state (the digest and inspect_changed rely on it).
    void mark_dirty(Slot& slot) {
        slot.changed = ++changes;
        if (slot.digest_dirty) return;
        slot.digest_dirty = true;
        dirty.push_back(&slot);
    }

    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, Slot, KeyHasher, KeyEqual> map;

    Slot* log_head = nullptr;
    Slot* log_tail = nullptr;
    std::uint64_t position = 0;  // the last log position handed out
    std::uint64_t floor = 0;     // the greatest position that has left the log
    std::size_t log_count = 0;
    std::size_t log_bytes = 0;
    std::vector<Slot*> dirty;  // slots whose digest hash is stale
    // The metadata bytes of the slots, by metadata_kind, as of their state_hash.
    std::array<std::uint64_t, 3> metadata_bytes{};
    std::uint64_t changes = 0;  // state changes in this stripe so far (Slot::changed)

  private:
    void unlink(Slot& slot) {
        assert(slot.position != 0);
        (slot.prev ? slot.prev->next : log_head) = slot.next;
        (slot.next ? slot.next->prev : log_tail) = slot.prev;
        slot.prev = slot.next = nullptr;
        --log_count;
        log_bytes -= slot.log_bytes;
    }
};

}  // namespace converge::store::detail
