// File: store/store_impl.hpp
// Store::Impl: the parts of one replica behind the Store facade, and the locked read and mutate
// steps every typed accessor (store.cpp, records.cpp) is built on. Internal: not installed.
#pragma once

#include <cassert>
#include <exception>
#include <functional>

#include <spdlog/spdlog.h>

#include <store/lifecycle/lifecycle.hpp>
#include <store/lifecycle/retirements.hpp>
#include <store/metrics/counters.hpp>
#include <store/replica_clock.hpp>
#include <store/replication/replicator.hpp>
#include <store/storage/durability.hpp>
#include <store/store.hpp>

namespace converge::store {

using detail::Slot;
using detail::StringSet;
using detail::Stripe;
using detail::Value;

namespace detail {

// opts with every null default filled in: the machine's clock and random source, spdlog.
inline Options with_defaults(Options opts) {
    if (!opts.clock) opts.clock = system_clock();
    if (!opts.rng) opts.rng = system_rng();
    if (!opts.log)
        opts.log = [](std::string_view message) { spdlog::warn("converge: {}", message); };
    return opts;
}

inline KeyedHash keyed_hash_from(Rng& rng) {
    const std::uint64_t key0 = rng.next();
    return KeyedHash(key0, rng.next());
}

// What a local operation does when its key holds nothing yet.
enum class IfAbsent { create, skip };

}  // namespace detail

using detail::IfAbsent;

struct Store::Impl {
    // What a local mutation did, for the log.
    struct Touched {
        bool changed = false;
        std::optional<Value> delta;   // a set's (hash's, ...) delta, joined into its slot's
        std::size_t bytes = 0;        // estimated size of what the log must send
        std::optional<Value> expiry;  // the whole key's expiry, made before the change
    };

    explicit Impl(Options opts)
        : options(detail::with_defaults(std::move(opts))),
          lifecycle(options.storage, *options.rng),
          clock(options.clock, lifecycle.writer(), options.max_clock_drift_ms),
          keyspace(detail::keyed_hash_from(*options.rng), options.stripes,
                   options.delta_buffer_entries, options.delta_buffer_bytes),
          durability(options.storage, options.log, counters),
          retirements(lifecycle, keyspace, durability, options.retirement_levels),
          replicator(options, keyspace, durability, clock, counters, lifecycle, retirements) {
        Timestamp floor{};
        if (durability.enabled())
            floor = durability.recover(options.replica, lifecycle.previous_writer(),
                                       lifecycle.clock_floor(), keyspace, clock);
        lifecycle.start(floor);
        retirements.start();
        replicator.on_local_expiry([this](Stripe& stripe, Slot& slot) {
            slot.value.visit([&](auto& held) {
                using T = std::decay_t<decltype(held)>;
                if constexpr (detail::has_deadline<T>) {
                    Touched touched;
                    if (!expire_if_due(held, touched)) return;
                    join_after_expiry<T>(touched);
                    record_local(stripe, slot, touched);
                }
            });
        });
    }

    [[noreturn]] void mismatch(std::string_view key, const Value& held, const char* wanted) {
        detail::bump(counters.type_mismatches);
        throw TypeMismatch("key \"" + std::string(key) + "\" holds " + detail::type_name(held) +
                           ", not " + wanted + "; use it as " + detail::type_name(held) +
                           " or choose another key");
    }

    // Runs fn(T&, Touched&) on the value at key under its stripe's exclusive lock (on a fresh T
    // first if key is absent and absent is create; returns fallback if it is skip). A whole key
    // whose deadline passed here is expired first (expire_if_due), and fn sees it emptied. A change
    // fn reports in Touched enters the log and the storage; the call returns once it is durable. fn
    // must change nothing when it throws (converge's mutators are all-or-nothing). Throws
    // StorageUnavailable, before anything changes, while the storage fails.
    template <class T, class Fn, class R = std::invoke_result_t<Fn, T&, Touched&>>
    R mutate(std::string_view key, IfAbsent absent, R fallback, Fn&& fn) {
        durability.admit();
        const detail::HashedKey k = keyspace.hashed(key);
        Stripe& stripe = keyspace.stripe_of(k);
        Touched touched;
        std::unique_lock lock(stripe.mutex);
        Slot* slot = stripe.find(k);
        R result = fallback;
        if (slot == nullptr) {
            if (absent == IfAbsent::skip) return fallback;
            T fresh;
            result = fn(fresh, touched);
            slot = &keyspace.insert(stripe, k.hash, key, Value(std::move(fresh)));
        } else {
            T* value = slot->value.get_if<T>();
            if (value == nullptr) mismatch(key, slot->value, detail::type_name<T>());
            if constexpr (detail::has_deadline<T>) {
                if (expire_if_due(*value, touched)) {
                    try {
                        result = fn(*value, touched);
                    } catch (...) {  // the expiry stays
                        touched.delta.reset();
                        join_after_expiry<T>(touched);
                        record_local(stripe, *slot, touched);
                        throw;
                    }
                    join_after_expiry<T>(touched);
                } else {
                    result = fn(*value, touched);
                }
            } else {
                result = fn(*value, touched);
            }
        }
        const std::uint64_t written = touched.changed ? record_local(stripe, *slot, touched) : 0;
        lock.unlock();
        await(written);
        return result;
    }

    // The expiry ttl after written (physical ms on the hybrid clock); 0 (never) without a ttl.
    static std::uint64_t expires_after(const Timestamp& written,
                                       std::optional<std::chrono::milliseconds> ttl) {
        return ttl ? written.physical + static_cast<std::uint64_t>(ttl->count()) : 0;
    }
    // Writes bytes into reg as this run's writer, stamped now and expiring ttl after (never
    // without one), replacing every value reg holds; returns the bytes the log must send.
    std::size_t write_value(KvRegister& reg, std::string bytes,
                            std::optional<std::chrono::milliseconds> ttl) {
        const Timestamp written = clock.tick();
        const std::size_t size = 32 + bytes.size();
        reg.overwrite(lifecycle.writer(),
                      KvValue{written, std::move(bytes), expires_after(written, ttl)});
        return size;
    }
    // Whether value's whole key passed its deadline here (the clock is read only if it has one).
    template <class T>
    bool past_deadline(const T& value) const {
        return value.deadline().expires_ms != 0 && value.deadline().expired_at(clock.now_ms());
    }

    // If value's whole key expired here, expires it (detail::expire_whole) into touched, which
    // then holds that change alone, and returns true. Its stripe is locked exclusively.
    template <class T>
    bool expire_if_due(T& value, Touched& touched) {
        if (!past_deadline(value)) return false;
        touched.expiry = Value(detail::expire_whole(value, clock.tick()));
        detail::bump(counters.expired_keys);
        return true;
    }
    // Joins the change made after an expiry (touched.delta, if any) onto the expiry's delta.
    template <class T>
    static void join_after_expiry(Touched& touched) {
        Value joined = std::move(*touched.expiry);
        if (touched.delta) joined.get<T>().merge(touched.delta->get<T>());
        touched.delta = std::move(joined);
        touched.expiry.reset();
        touched.changed = true;
        touched.bytes += 24;
    }

    // Returns once write number written is durable, or at once inside a batch (which waits for
    // its last). Throws StorageError.
    void await(std::uint64_t written) {
        if (batching.store == this)
            batching.written = std::max(batching.written, written);
        else
            durability.await(written);
    }

    // Runs fn as this thread's batch (none may be open for this store); returns the last write
    // number it made, and what it threw in failed.
    std::uint64_t run_batch(const std::function<void()>& fn, std::exception_ptr& failed) {
        const Batching outer = batching;  // another store's batch, resumed after this one
        batching = {this, 0};
        try {
            fn();
        } catch (...) {
            failed = std::current_exception();
        }
        const std::uint64_t written = batching.written;
        batching = outer;
        return written;
    }

    // The batch (Store::batch) this thread is in: its store and the last write number it made.
    struct Batching {
        const Impl* store = nullptr;
        std::uint64_t written = 0;
    };
    static thread_local Batching batching;

    // Runs fn(const T*) under the stripe's shared lock; the pointer is null when key is absent or
    // its whole key expired.
    template <class T, class Fn>
    auto read(std::string_view key, Fn&& fn) {
        const detail::HashedKey k = keyspace.hashed(key);
        const Stripe& stripe = keyspace.stripe_of(k);
        std::shared_lock lock(stripe.mutex);
        const Slot* slot = stripe.find(k);
        if (slot == nullptr) return fn(static_cast<const T*>(nullptr));
        const T* value = slot->value.get_if<T>();
        if (value == nullptr) mismatch(key, slot->value, detail::type_name<T>());
        if constexpr (detail::has_deadline<T>)
            if (past_deadline(*value)) return fn(static_cast<const T*>(nullptr));
        return fn(value);
    }

    // The estimated size at which a key's joined deltas in the log give way to its whole state:
    // 16 KiB, or half the key's size as last stored whole (a large key changed thousands of times
    // between two sync rounds keeps sending deltas).
    static constexpr std::size_t joined_delta_bytes_max = 16 * 1024;
    static std::size_t joined_delta_limit(const Slot& slot) {
        return std::max<std::size_t>(joined_delta_bytes_max, slot.stored_bytes / 2);
    }

    // A local change of slot (its stripe locked exclusively): into the log (or, with no peer, past
    // it) and to the storage. Returns the storage's write number (0: nothing to wait for).
    std::uint64_t record_local(Stripe& stripe, Slot& slot, Touched& touched) {
        stripe.mark_dirty(slot);
        const std::uint64_t written =
            durability.persist(slot, touched.delta ? &*touched.delta : nullptr);
        if (!replicator.logging()) {
            stripe.log.pass_over(slot);  // a peer added later is repaired
        } else {
            std::size_t bytes = slot.key().size() + touched.bytes;
            if (touched.delta) {
                assert(touched.delta->index() == slot.value.index());
                if (slot.position != 0 && slot.position <= stripe.sent_everywhere) {
                    // Its delta (or, travelling whole, a copy of it) went out to every peer: it
                    // stays at its position until they all acknowledge it, and this change
                    // starts a fresh delta (DeltaLog::seal).
                    if (!slot.delta) slot.delta = std::make_unique<Value>(slot.value);
                    stripe.log.seal(slot, slot.key());
                    slot.delta = std::make_unique<Value>(std::move(*touched.delta));
                } else if (slot.position != 0 && !slot.delta) {
                    // In the log to travel whole already (recovered, a type conflict, a delta
                    // grown large) and not yet sent everywhere: it stays so, and its size does
                    // not grow with each change.
                    bytes = std::max<std::size_t>(bytes, slot.log_bytes);
                } else if (slot.delta && slot.log_bytes >= joined_delta_limit(slot)) {
                    // Joining more into a delta this large costs as much as the key: the key
                    // travels whole instead, changes no longer joined one by one.
                    slot.delta.reset();
                    bytes = slot.log_bytes;
                } else {
                    if (slot.delta)
                        slot.delta->visit([&](auto& held) {
                            held.merge(touched.delta->get<std::decay_t<decltype(held)>>());
                        });
                    else
                        slot.delta = std::make_unique<Value>(std::move(*touched.delta));
                    bytes += slot.log_bytes;
                }
            }
            stripe.log.touch(slot,
                             static_cast<std::uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX)));
            detail::bump(counters.log_dropped, keyspace.trim_log(stripe, &slot));
        }
        return written;
    }

    // change(counter) changes this replica's slots and returns their delta, which travels to
    // peers instead of the counter (its size does not grow with the writers it has seen).
    template <class Fn>
    std::int64_t counter_op(std::string_view key, Fn&& change) {
        const std::int64_t result = mutate<ResettableCounter>(
            key, IfAbsent::create, std::int64_t{0}, [&](ResettableCounter& c, Touched& t) {
                t.delta = change(c);
                t.changed = true;
                t.bytes = 48;
                return c.value();
            });
        detail::bump(counters.counter_ops);
        notify(key, ChangeKind::counter);
        return result;
    }

    // Clears the T at key as this replica has seen it, and its deadline, as DEL does; returns
    // whether it held anything.
    template <class T>
    bool clear_whole(std::string_view key, std::atomic<std::uint64_t>& ops, ChangeKind kind) {
        const bool cleared = mutate<T>(key, IfAbsent::skip, false, [&](T& value, Touched& t) {
            if (value.empty()) return false;
            // A deleted key's deadline goes too: what is written to it next does not expire.
            t.delta = value.deadline().expires_ms != 0 ? detail::expire_whole(value, clock.tick())
                                                       : value.clear();
            t.bytes = 24;
            t.changed = true;
            return true;
        });
        detail::bump(ops);
        if (cleared && retirements.any()) retirements.refold(key);
        if (cleared) notify(key, kind);
        return cleared;
    }
    // delta, the change that removed a member of value, and, if that was its last, the setting of
    // its deadline to never: the key shows nothing, so, as in Redis, its TTL goes too and what is
    // written to it next does not expire.
    template <class T>
    T forget_deadline_if_emptied(T& value, T delta) {
        if (value.empty() && value.deadline().expires_ms != 0)
            delta.merge(value.expire(clock.tick(), 0));
        return delta;
    }

    void notify(std::string_view key, ChangeKind kind) {
        if (subscribers->any()) subscribers->notify(Change{std::string(key), kind, false});
    }

    Options options;
    detail::Counters counters;
    detail::Lifecycle lifecycle;
    detail::ReplicaClock clock;
    detail::Keyspace keyspace;
    detail::Durability durability;
    detail::Retirements retirements;
    detail::Replicator replicator;
    std::shared_ptr<SubscriberList> subscribers = std::make_shared<SubscriberList>();
};

}  // namespace converge::store
