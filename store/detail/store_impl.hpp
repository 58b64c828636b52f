// File: store/detail/store_impl.hpp
// The state of one Store and the operations its parts share: local operations (store.cpp),
// replication (replication.cpp), digest repair (repair.cpp) and metrics (store_metrics.cpp).
//
// Lock order, outermost first: peers_mutex, digest_mutex, a shard's mutex (one at a time),
// clock_mutex. Subscribers are called with none held.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include <crdt/hybrid_clock.hpp>
#include <store/keyspace/stripe.hpp>
#include <store/keyspace/value.hpp>
#include <store/replication/digest_tree.hpp>
#include <store/replication/messages.hpp>
#include <store/replication/peer_progress.hpp>
#include <store/replication/wire.hpp>
#include <store/store.hpp>

namespace converge::store {

struct Store::Impl {
    using Shard = detail::Shard;
    using Slot = detail::Slot;
    using Value = detail::Value;

    // What a local mutation did, for the log.
    struct Touched {
        bool changed = false;
        std::optional<detail::StringSet> set_delta;  // a set's delta, joined into its slot's
        std::size_t bytes = 0;                       // estimated size of what the log must send
    };
    // A change to tell subscribers about once the locks are released.
    struct Notice {
        std::string key;
        ChangeKind kind;
    };

    explicit Impl(Options opts);

    detail::HashedKey hashed(std::string_view key) const { return {key, hash(key)}; }
    Shard& shard_of(const detail::HashedKey& key) {
        // The map buckets use the low bits of the same hash; stripes use the high ones.
        return *shards[(key.hash >> 40) & (shards.size() - 1)];
    }
    const Shard& shard_of(const detail::HashedKey& key) const {
        return const_cast<Impl&>(*this).shard_of(key);
    }

    Timestamp tick_clock();
    // Physical time on the hybrid clock now, without taking its lock.
    std::uint64_t now_physical() {
        return std::max(options.clock->now_ms(), hlc_physical.load(std::memory_order_relaxed));
    }

    [[noreturn]] void mismatch(std::string_view key, const Value& held, const char* wanted);

    // Runs fn(T&, Touched&) on the value at key under the stripe's exclusive lock, creating it
    // empty if absent (create) or returning fallback (otherwise); a change fn reports in Touched
    // enters the delta log. fn must change nothing when it throws (converge's mutators are
    // all-or-nothing).
    template <class T, class Fn, class R = std::invoke_result_t<Fn, T&, Touched&>>
    R mutate(std::string_view key, bool create, R fallback, Fn&& fn) {
        const detail::HashedKey k = hashed(key);
        Shard& shard = shard_of(k);
        Touched touched;
        std::unique_lock lock(shard.mutex);
        auto it = shard.map.find(k);
        if (it == shard.map.end()) {
            if (!create) return fallback;
            T fresh;
            R result = fn(fresh, touched);
            it = shard.map
                     .try_emplace(std::string(key), Value(std::move(fresh)),
                                  detail::digest_key_hash(key))
                     .first;
            it->second.key = &it->first;
            key_count.fetch_add(1, std::memory_order_relaxed);
            const std::uint64_t written = finish_local(shard, it->second, touched);
            lock.unlock();
            await_durable(written);
            return result;
        }
        T* value = std::get_if<T>(&it->second.value);
        if (value == nullptr) mismatch(key, it->second.value, detail::type_name<T>());
        R result = fn(*value, touched);
        const std::uint64_t written = finish_local(shard, it->second, touched);
        lock.unlock();
        await_durable(written);
        return result;
    }

    // Runs fn(const T*) under the stripe's shared lock; the pointer is null when key is absent.
    template <class T, class Fn>
    auto read(std::string_view key, Fn&& fn) {
        const detail::HashedKey k = hashed(key);
        Shard& shard = shard_of(k);
        std::shared_lock lock(shard.mutex);
        auto it = shard.map.find(k);
        if (it == shard.map.end()) return fn(static_cast<const T*>(nullptr));
        const T* value = std::get_if<T>(&it->second.value);
        if (value == nullptr) mismatch(key, it->second.value, detail::type_name<T>());
        return fn(value);
    }

    // Puts a local change of slot into the delta log (or, with no peer, only moves the floor).
    // Called under shard's exclusive lock.
    void record_local(Shard& shard, Slot& slot, Touched& touched);
    // The last log position handed out in each stripe, each read under its stripe's lock.
    std::vector<std::uint64_t> log_heads() const {
        std::vector<std::uint64_t> heads;
        heads.reserve(shards.size());
        for (const auto& shard : shards) {
            std::shared_lock lock(shard->mutex);
            heads.push_back(shard->position);
        }
        return heads;
    }
    // Drops the oldest entries of shard's log (never keep) while it is over its limits.
    void trim_log(Shard& shard, const Slot* keep);
    // After a local mutation under shard's exclusive lock: logs and stores the change, if any.
    // Returns its storage write number (0: nothing to wait for).
    std::uint64_t finish_local(Shard& shard, Slot& slot, Touched& touched) {
        if (!touched.changed) return 0;
        record_local(shard, slot, touched);
        return options.storage ? persist(slot) : 0;
    }
    // Hands slot's state to the storage, if any; returns the write number (0 without storage).
    // Called under its stripe's exclusive lock.
    std::uint64_t persist(const Slot& slot);
    void await_durable(std::uint64_t written) {
        if (written != 0) options.storage->wait(written);
    }

    // Durability (durability.cpp). Rebuilds the keyspace, the log of changes some peer may lack
    // and the peers' marks from the storage; called by the constructor.
    void recover();
    // Flushes the storage; if it fails, counts and logs it (once, saying what was held back) and
    // returns nullopt.
    std::optional<std::uint64_t> flush_storage(const char* held_back);
    // The marks of the peers that have every change up to `written`; called at the end of sync.
    void mark_synced_locked(std::uint64_t written);
    // Gives peer the progress recovered for it, if any; called when it is added.
    void restore_peer_locked(ReplicaId id, detail::Peer& peer);

    std::int64_t add_to_counter(std::string_view key, std::uint64_t n, bool up);
    void notify(std::string_view key, ChangeKind kind, bool remote = false) {
        subscribers->notify(Change{std::string(key), kind, remote});
    }

    // Replication (replication.cpp). Functions named *_locked need peers_mutex held.
    void send(ReplicaId to, wire::MessageType type, std::string payload);
    void reject(wire::RejectReason reason, const std::string& detail);
    void warn_once(std::atomic<bool>& flag, const std::string& message);
    bool receive(std::string_view bytes);
    void sync();
    bool needs_repair_locked(const detail::Peer& peer) const;
    void send_deltas_locked(ReplicaId to, detail::Peer& peer);
    void collect_log_locked();
    // Merges one key from a peer; returns what to tell subscribers if the state changed.
    std::optional<ChangeKind> merge_remote(detail::KeyState&& incoming);
    // Observes the timestamps of incoming writes on the hybrid clock.
    void observe_remote(const std::vector<detail::KeyState>& keys);
    // False (the message rejected as out_of_range, nothing applied) if any key passes
    // detail::counter_limit.
    bool within_range(ReplicaId sender, const std::vector<detail::KeyState>& keys);
    void merge_all(std::vector<detail::KeyState>&& keys, std::vector<Notice>& notices);
    void on_ack(ReplicaId from, const detail::Ack& ack);

    // Digest repair (repair.cpp).
    template <class Fn>
    auto with_digests(Fn&& fn) {
        std::lock_guard lock(digest_mutex);
        refresh_digests_locked();
        return fn(static_cast<const detail::DigestTree&>(digests));
    }
    void refresh_digests_locked();
    void repair_step_locked(ReplicaId to, detail::Peer& peer);
    void send_digest_top_locked(ReplicaId to, detail::Peer& peer);
    void advance_repair_locked(ReplicaId to, detail::Peer& peer);
    void on_digest_top(ReplicaId from, const detail::DigestTop& top);
    void on_digest_leaves(ReplicaId from, const detail::DigestLeaves& leaves);
    void on_repair_ack(ReplicaId from, const detail::RepairAck& ack);

    Options options;
    KeyedHash hash;
    std::uint64_t incarnation;
    std::vector<std::unique_ptr<Shard>> shards;
    std::size_t log_entries_per_shard;
    std::size_t log_bytes_per_shard;

    std::mutex clock_mutex;
    HybridClock hlc;
    std::atomic<std::uint64_t> hlc_physical{0};
    std::shared_ptr<SubscriberList> subscribers = std::make_shared<SubscriberList>();

    std::mutex sweep_mutex;
    std::size_t sweep_shard = 0;
    std::size_t sweep_bucket = 0;
    std::size_t sweep_in_bucket = 0;

    mutable std::mutex peers_mutex;
    std::map<ReplicaId, detail::Peer> peers;
    std::atomic<bool> logging{false};  // whether any peer exists: changes enter the log
    std::uint64_t round = 0;
    std::uint64_t next_repair_id = 0;
    std::atomic<std::uint64_t> last_sync_ms{0};

    std::mutex digest_mutex;
    detail::DigestTree digests;

    std::atomic<std::uint64_t> puts{0}, gets{0}, dels{0}, counter_ops{0}, set_ops{0},
        type_mismatches{0}, key_count{0}, expired_keys{0}, merges{0}, merges_unchanged{0},
        type_conflicts{0}, clock_drift_exceeded{0}, messages_out{0}, messages_in{0}, bytes_out{0},
        bytes_in{0}, log_dropped{0}, repairs_started{0}, repairs_completed{0}, repair_keys_sent{0};
    std::array<std::atomic<std::uint64_t>, wire::reject_reason_count> frames_rejected{};
    std::array<std::atomic<bool>, wire::reject_reason_count> rejection_logged{};
    std::atomic<bool> conflict_logged{false};
    std::atomic<bool> storage_failure_logged{false};
    std::atomic<std::uint64_t> storage_failures{0};

    // Recovered from the storage: each shard's floor (0 when nothing was stored) and the write
    // number up to which each peer had every change.
    std::uint64_t recovered_floor = 0;
    std::map<ReplicaId, std::uint64_t> recovered_marks;
};

}  // namespace converge::store
