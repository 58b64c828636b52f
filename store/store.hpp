// File: store/store.hpp
// Store: one replica of a keyspace of string keys. Each key holds one type: a plain value (put /
// get / del, last writer wins, optional expiry), a counter, a set, a hash, a sorted set or a
// HyperLogLog. Every operation is atomic
// and safe to call from any number of threads; keys are spread over lock stripes chosen by a
// keyed hash, so crafted keys cannot pile onto one stripe.
//
//   Store s(Options{.replica = ReplicaId{1}});
//   s.put("k", "v");  s.get("k");                     // "v"
//   s.put("session", "t", std::chrono::seconds(30));  // expires 30 s after the write
//   s.counter("likes").increment(3);
//   s.set("cart").add("apple");
//   s.hash("user:1").set("name", "ada");  s.sorted_set("board").add("ada", 10.0);
//   s.hyperloglog("visitors").add("203.0.113.7");
//   auto sub = s.subscribe("cart", [](const Change& c) { ... });
//
// With storage, a change that could not be made durable throws StorageError (it stays applied in
// memory and is written once the storage recovers); from then until a commit succeeds, every
// change is refused before it is applied with StorageUnavailable, and reads go on.
//
// Replicas exchange deltas through a Transport: add_peer() names a peer, sync() (or tick(), on the
// injected clock) sends each peer what it has not acknowledged, receive() takes a peer's frame.
// Semantics, concurrent cases included: docs/semantics.md; the protocol: docs/replication.md.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <crdt/error.hpp>
#include <crdt/retired_ids.hpp>
#include <store/keyspace/key_inspection.hpp>
#include <store/metrics/metrics.hpp>
#include <store/options.hpp>
#include <store/replication/transport.hpp>
#include <store/subscription.hpp>

namespace converge::store {

class Store {
  public:
    explicit Store(Options options = {});
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Writes value at key, replacing every value this replica has seen there. With a ttl, the value
    // expires ttl after the write's timestamp on every replica. Throws InvalidOperation if ttl is
    // not positive, TypeMismatch if key holds a counter or a set, StorageError if the storage
    // failed to make it durable (it is then applied in memory only).
    void put(std::string_view key, std::string value,
             std::optional<std::chrono::milliseconds> ttl = std::nullopt);

    // The value at key; empty if none, deleted or expired. Throws TypeMismatch if key holds a
    // counter or a set.
    std::optional<std::string> get(std::string_view key);
    // As get, into out (its capacity reused: no allocation for a value that fits); returns
    // whether there was a value. out is unchanged when there is none.
    bool get(std::string_view key, std::string& out);
    // As get, but a counter shows its value in decimal (what Redis's GET answers for a key INCR
    // made), in one lookup. Throws TypeMismatch if key shows a set, hash, sorted set or
    // HyperLogLog (one that shows nothing, emptied or expired, counts as absent).
    bool get_text(std::string_view key, std::string& out);

    // The type of what key holds if it shows something now (a live value, a counter, a non-empty
    // set, hash or sorted set, a HyperLogLog with an add); nullopt otherwise.
    std::optional<KeyInspection::Type> type(std::string_view key) const;
    // The time left before key expires (a value, or a whole set, hash, sorted set or
    // HyperLogLog); nullopt when key shows nothing or never expires (type() tells which). Never
    // negative.
    std::optional<std::chrono::milliseconds> time_to_live(std::string_view key) const;
    // Makes key expire ttl after now on the hybrid clock, on every replica. A value is written
    // again with that ttl (as put would); a set, hash, sorted set or HyperLogLog takes a deadline
    // for the whole key, which its later writes keep and the removal of its last member drops
    // (Redis's EXPIRE; docs/semantics.md has the concurrent cases). A counter takes one too, and
    // at the deadline each replica resets it (Counter::clear). Returns false, changing nothing,
    // when key shows nothing. Throws InvalidOperation if ttl is not positive, StorageUnavailable
    // while the storage fails.
    bool expire(std::string_view key, std::chrono::milliseconds ttl);
    // Removes key's expiry (Redis's PERSIST); returns whether it had one.
    bool persist(std::string_view key);

    // Deletes the values this replica has seen at key (a concurrent put elsewhere survives).
    // Returns whether a live value was removed. Throws TypeMismatch if key holds another type.
    bool del(std::string_view key);

    // A counter at key (created at zero on first use).
    class Counter {
      public:
        // Adds n; returns the new value. Throws TypeMismatch if key holds another type.
        std::int64_t increment(std::uint64_t n = 1);
        // Subtracts n; returns the new value. Throws TypeMismatch if key holds another type.
        std::int64_t decrement(std::uint64_t n = 1);
        // The current value (0 when never used). Throws TypeMismatch if key holds another type.
        std::int64_t value();
        // Adds n to the counter, or turns a value holding a decimal integer v (as Redis's SET
        // writes one) into a counter of v + n, as Redis's INCR on a string does; returns the new
        // value. A deleted or expired value counts as 0. Once converted, a SET of the key made
        // concurrently on another replica is lost there too (a counter outranks a value:
        // docs/semantics.md, Keys and types); a value's expiry becomes the counter's. Throws
        // TypeMismatch if key holds another type, InvalidOperation if the value is not an integer
        // or v + n (or the counter's value + n) overflows; then nothing changes.
        std::int64_t add_converting(std::int64_t n);
        // Takes back every increment and decrement this replica has seen, and the key's expiry
        // (Redis's DEL of a counter): the key shows nothing until its next increment or
        // decrement, which counts from 0. One made concurrently on another replica survives (an
        // observed reset). Returns whether the key showed a counter. Throws TypeMismatch if key
        // holds another type.
        bool clear();

      private:
        friend class Store;
        Counter(Store& store, std::string key) : store_(store), key_(std::move(key)) {}
        Store& store_;
        std::string key_;
    };
    Counter counter(std::string key) { return Counter(*this, std::move(key)); }

    // An add-wins set of strings at key (created empty on first use).
    class Set {
      public:
        // Adds member. Throws TypeMismatch if key holds another type.
        void add(std::string member);
        // Removes member as this replica has seen it; returns whether it was present.
        bool remove(std::string_view member);
        bool contains(std::string_view member);
        // The members, sorted.
        std::vector<std::string> elements();
        // Removes every member as this replica has seen them (an add elsewhere meanwhile
        // survives); returns whether a member was present.
        bool clear();

      private:
        friend class Store;
        Set(Store& store, std::string key) : store_(store), key_(std::move(key)) {}
        Store& store_;
        std::string key_;
    };
    Set set(std::string key) { return Set(*this, std::move(key)); }

    // A hash at key (created empty on first use): named fields, each a value (last writer wins)
    // or a counter (increments add up). Every call throws TypeMismatch if key holds another type.
    class Hash {
      public:
        // Sets field to value; returns whether the field was absent (HSET's count of new
        // fields). Throws TypeMismatch if field holds a counter.
        bool set(std::string field, std::string value);
        // The field's value (a counter's in decimal); nullopt when absent.
        std::optional<std::string> get(std::string_view field);
        // Deletes field as this replica has seen it; returns whether it was present.
        bool del(std::string_view field);
        // Adds n (negative: subtracts) to the counter field; returns its new value. Throws
        // TypeMismatch if field holds a value, InvalidOperation if this replica's running total
        // of the field would pass 2^64 - 1.
        std::int64_t increment(std::string field, std::int64_t n = 1);
        // Every field with its value (counters in decimal), sorted by field.
        std::vector<std::pair<std::string, std::string>> fields();
        std::size_t size();
        // Deletes the hash as this replica has seen it (a field set elsewhere meanwhile
        // survives); returns whether a field was present.
        bool clear();

      private:
        friend class Store;
        Hash(Store& store, std::string key) : store_(store), key_(std::move(key)) {}
        Store& store_;
        std::string key_;
    };
    Hash hash(std::string key) { return Hash(*this, std::move(key)); }

    // A sorted set at key (created empty on first use): members with finite scores. Every call
    // throws TypeMismatch if key holds another type.
    class SortedSet {
      public:
        // Sets member's score; returns whether member was absent. Throws InvalidOperation if
        // score is NaN or infinite.
        bool add(std::string member, double score);
        // Adds by to member's score (creating it at 0); returns the new score. Throws
        // InvalidOperation if by or the new score is NaN or infinite.
        double increment(std::string member, double by);
        // The member's score; nullopt when absent.
        std::optional<double> score(std::string_view member);
        // Removes member as this replica has seen it; returns whether it was present.
        bool remove(std::string_view member);
        // Members ranked start to stop (inclusive; negative ranks count from the end), by score,
        // then member: Redis's ZRANGE.
        std::vector<std::pair<std::string, double>> range(std::int64_t start, std::int64_t stop);
        // The member's rank in that order; nullopt when absent.
        std::optional<std::size_t> rank(std::string_view member);
        std::size_t size();
        // Deletes the sorted set as this replica has seen it; returns whether a member was
        // present.
        bool clear();

      private:
        friend class Store;
        SortedSet(Store& store, std::string key) : store_(store), key_(std::move(key)) {}
        Store& store_;
        std::string key_;
    };
    SortedSet sorted_set(std::string key) { return SortedSet(*this, std::move(key)); }

    // A HyperLogLog at key (created empty on first use): the estimated number of distinct
    // elements added, standard error about 0.81 %. Every call throws TypeMismatch if key holds
    // another type.
    class HyperLogLog {
      public:
        // Adds element; returns whether the estimate's registers changed (Redis's PFADD).
        bool add(std::string_view element);
        // The estimated number of distinct elements added (0 when never used).
        std::uint64_t count();
        // The 16,384 registers (each the greatest rank seen there), for unions of several keys.
        using Registers = std::array<std::uint8_t, 16384>;
        Registers registers();
        // Raises this HyperLogLog's registers to at least those given (the union: Redis's
        // PFMERGE); returns whether one grew.
        bool merge(const Registers& registers);
        // The estimated number of distinct elements behind registers (several keys' registers
        // merged by maximum: the count of their union).
        static std::uint64_t estimate(const Registers& registers);
        // Deletes the HyperLogLog as this replica has seen it (adds elsewhere meanwhile
        // survive); returns whether it held any.
        bool clear();

      private:
        friend class Store;
        HyperLogLog(Store& store, std::string key) : store_(store), key_(std::move(key)) {}
        Store& store_;
        std::string key_;
    };
    HyperLogLog hyperloglog(std::string key) { return HyperLogLog(*this, std::move(key)); }

    // Calls callback after each change to a key starting with prefix, until the returned
    // Subscription is destroyed. Callbacks run on the thread that made the change, with no store
    // lock held, so they may call the store.
    [[nodiscard]] Subscription subscribe(std::string prefix, ChangeCallback callback);

    // Reclaims the memory of expired values and expires the whole keys whose deadline passed
    // (a logged change, as a delete), visiting at most max_keys keys from where the last call
    // stopped (an incremental sweep: no lock is held for more than one stripe). Returns the
    // number of keys it expired.
    std::size_t sweep_expired(std::size_t max_keys = 1024);

    // Runs fn, whose changes on this thread are made durable together: each call inside returns
    // once its change is applied, and batch returns once all of them are as durable as one call's
    // would be (with SqliteOptions::Commit::every_write: one commit for them all, as Redis's
    // appendfsync always commits once per turn of its event loop). Rethrows what fn throws, and
    // throws StorageError if the commit fails (the changes stay applied and queued for the next).
    // Batches nest: an inner one joins the outer.
    void batch(const std::function<void()>& fn);
    // Runs fn as batch does, but returns once its changes are applied, with the storage write
    // number they need (0: none); await_durable(written) then returns once they are durable. So
    // one thread serving many clients commits their batches together (converge-node's Redis
    // front). Rethrows what fn throws; what fn changed before stays applied and queued.
    std::uint64_t apply_batch(const std::function<void()>& fn);
    // Returns once storage write number written (from apply_batch) is durable: with
    // SqliteOptions::Commit::every_write it commits what is queued, if no commit did. Throws
    // StorageError if the commit fails.
    void await_durable(std::uint64_t written);

    // Starts replicating to peer (no effect if it is one already or is this replica). A peer is
    // first brought up to date by digest repair unless this replica's log holds every change it
    // ever made. Throws InvalidOperation without a transport.
    void add_peer(ReplicaId peer);
    // Stops replicating to peer and forgets its progress.
    void remove_peer(ReplicaId peer);
    std::vector<ReplicaId> peers() const;

    // One sync round: sends each peer the joined changes it has not acknowledged (in messages of
    // about Options::message_bytes), resends what went unacknowledged for
    // Options::resend_after_syncs rounds, and drives digest repairs of peers that fell behind the
    // log. Throws InvalidOperation without a transport.
    void sync();
    // Runs a sync round if Options::sync_interval_ms has passed on the clock since the last, and
    // reclaims up to sweep_budget expired values. Returns whether it synced. For a driving loop.
    bool tick(std::size_t sweep_budget = 1024);
    // Takes one frame from a peer (what its transport delivered). Applies it and answers through
    // the transport; a frame that fails any check is rejected, counted by reason in metrics,
    // logged once per reason, and changes nothing. Returns whether the frame was accepted.
    bool receive(std::string_view frame);

    // The keys starting with prefix that hold something visible (a live value, a counter, a
    // non-empty set), sorted. Walks every key.
    std::vector<std::string> keys(std::string_view prefix = {}) const;
    // How many keys hold something visible (keys().size() without building the list), how many
    // of them expire, and their time left in total (Redis's INFO keyspace line). Walks every key.
    struct KeyCount {
        std::size_t keys = 0;
        std::size_t expiring = 0;
        std::chrono::milliseconds time_left{0};
    };
    KeyCount key_count() const;
    // One step of an incremental walk over the keys (Redis's SCAN): the keys that hold something
    // visible among the next count keys from cursor (0 to start), unsorted, and the cursor of the
    // next step (0: done). A key held from the first step to the last is returned exactly once; a
    // key added or deleted meanwhile may or may not be. A cursor not made by this store resumes the
    // walk at some key or ends it; it is never an error.
    struct ScanPage {
        std::uint64_t cursor = 0;
        std::vector<std::string> keys;
    };
    ScanPage scan(std::uint64_t cursor, std::size_t count) const;
    // A hash of the full state of every key, causal metadata included: replicas holding equal
    // states have equal hashes (and unequal ones, almost surely, unequal hashes).
    std::uint64_t state_hash() const;

    // What key holds, causal metadata included; nullopt when the key was never written here.
    // For tests, simulators and debugging tools (an expired or deleted value still has a state).
    std::optional<KeyInspection> inspect(std::string_view key) const;
    // Calls fn(key, state) for every key this replica holds, in no particular order, holding each
    // stripe's shared lock in turn: fn must not call the store.
    void inspect_each(const std::function<void(std::string_view, const KeyInspection&)>& fn) const;
    // Like inspect_each, only for the keys whose state may have changed (locally, by a merge or
    // by expiry) since cursor, which it then moves past them. A key a merge left as it was may
    // be reported.
    void inspect_changed(
        ChangeCursor& cursor,
        const std::function<void(std::string_view, const KeyInspection&)>& fn) const;

    // Counters and gauges of this replica. Sizes the causal metadata of the keys changed since
    // the last call (or digest comparison) and walks the delta log.
    Metrics metrics() const;
    // This replica's id: what its peers call it (Options::replica).
    ReplicaId replica() const noexcept;
    // The id this run of the replica stamps its changes with: minted afresh each time a Store
    // starts, so no two runs (a restored backup, a copied data directory) ever issue the same dot
    // (docs/replicas.md).
    ReplicaId writer() const noexcept;
    // Declares that writer (a writer id, Store::writer() of some run of some replica) will never
    // write again: a device reported lost, an uninstalled app, a replica that left. Once every
    // replica holds every change of it (agreed over sync rounds, docs/replicas.md), every key on
    // every replica drops its metadata; nothing anyone sees changes. A replica whose current writer
    // is retired takes a fresh one. Returns false if writer was pending or retired already.
    // Throws InvalidOperation for id 0 or this run's own writer, StorageError if the storage
    // cannot record it.
    bool retire(ReplicaId writer);
    // The writers folded out of every key here (retired and agreed on), sorted.
    RetiredIds retired() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::store
