// File: store/keyspace/keyspace.hpp
// Keyspace: a replica's keys spread over lock stripes by a keyed hash (crafted keys cannot pile
// onto one stripe). It finds and creates slots, walks them for inspection, lists visible keys and
// reclaims expired values; what a change means for the log, the digest and the storage is the
// callers' (Store, Replicator, Durability).
//
// Thread-safety: every member is safe from any thread. Stripe locks are taken one at a time; a
// caller holding a stripe's lock must not call a member that takes locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <store/keyspace/key_inspection.hpp>
#include <store/keyspace/keyed_hash.hpp>
#include <store/keyspace/stripe.hpp>

namespace converge::store::detail {

class Keyspace {
  public:
    // stripe_count is rounded up to a power of two, at most 65,536; the delta log keeps about
    // log_entries_max changed keys and log_bytes_max bytes, split evenly across the stripes.
    Keyspace(KeyedHash hash, std::size_t stripe_count, std::size_t log_entries_max,
             std::size_t log_bytes_max);

    HashedKey hashed(std::string_view key) const { return {key, hash_(key)}; }
    // The stripe that holds key (its index uses the low bits of the hash, stripes the high).
    Stripe& stripe_of(const HashedKey& key) const {
        return *stripes_[(key.hash >> 40) & (stripes_.size() - 1)];
    }
    std::size_t stripe_count() const noexcept { return stripes_.size(); }
    Stripe& stripe(std::size_t i) const { return *stripes_[i]; }

    // Adds key with value to stripe (whose exclusive lock the caller holds); key must be absent
    // and keyed_hash its hash (hashed(key).hash).
    Slot& insert(Stripe& stripe, std::size_t keyed_hash, std::string_view key, Value value);
    // Keys holding any state, deleted values' metadata included.
    std::uint64_t key_count() const noexcept { return key_count_.load(std::memory_order_relaxed); }

    // The last log position handed out in each stripe, each read under its stripe's lock.
    std::vector<std::uint64_t> log_heads() const;
    // Drops the oldest entries of stripe's log (never keep) while it is over its share of the
    // limits; returns how many. The caller holds the stripe's exclusive lock.
    std::size_t trim_log(Stripe& stripe, const Slot* keep) const {
        return stripe.log.trim(keep, log_entries_per_stripe_, log_bytes_per_stripe_);
    }

    // What a sweep found: the values it reclaimed, and the whole keys (hashes, sorted sets,
    // HyperLogLogs) whose deadline passed, which the caller expires as a logged change.
    struct Swept {
        std::vector<std::string> values;
        std::vector<std::pair<std::string, KeyInspection::Type>> due;
    };
    // Reclaims the values expired at now_ms (the context stays, the bytes go, nothing is logged:
    // every replica expires a value at the same time on its own) and lists the whole keys due,
    // visiting at most max_keys keys from where the last call stopped, one stripe locked at a
    // time.
    Swept sweep_expired(std::uint64_t now_ms, std::size_t max_keys);

    // What key holds, causal metadata included; nullopt when it was never written here.
    std::optional<KeyInspection> inspect(std::string_view key) const;
    using InspectFn = std::function<void(std::string_view, const KeyInspection&)>;
    // Calls fn for every key under its stripe's shared lock; fn must not call the keyspace.
    void inspect_each(const InspectFn& fn) const;
    // As inspect_each, for the keys whose state may have changed since cursor, then moves it.
    void inspect_changed(ChangeCursor& cursor, const InspectFn& fn) const;
    // The keys starting with prefix that show something at now_ms (a live value, a counter, a
    // non-empty set), sorted.
    std::vector<std::string> visible_keys(std::string_view prefix, std::uint64_t now_ms) const;
    // How many keys show something at now_ms (visible_keys("").size(), without the list), and
    // how many of them expire, with their time left in total (ms).
    struct VisibleCount {
        std::size_t keys = 0;
        std::size_t expiring = 0;
        std::uint64_t time_left_ms = 0;
    };
    VisibleCount visible_count(std::uint64_t now_ms) const;
    // One step of a scan: the keys that show something at now_ms among at most slots_max keys
    // from cursor on (0: the start), in the keyspace's order, and the cursor to go on from (0:
    // done). Keys are never removed from a stripe nor moved in it, so a key held from the first
    // step to the last is returned exactly once. One stripe locked at a time.
    struct ScanStep {
        std::uint64_t cursor = 0;
        std::vector<std::string> keys;
    };
    ScanStep scan(std::uint64_t cursor, std::size_t slots_max, std::uint64_t now_ms) const;
    // The type of key if it shows something at now_ms; nullopt otherwise.
    std::optional<KeyInspection::Type> visible_type(std::string_view key,
                                                    std::uint64_t now_ms) const;

  private:
    KeyedHash hash_;
    std::vector<std::unique_ptr<Stripe>> stripes_;
    std::atomic<std::uint64_t> key_count_{0};
    std::size_t log_entries_per_stripe_;
    std::size_t log_bytes_per_stripe_;

    // Where the incremental sweep stopped: a stripe and a slot in it.
    std::mutex sweep_mutex_;
    std::size_t sweep_stripe_ = 0;
    std::size_t sweep_slot_ = 0;
};

}  // namespace converge::store::detail
