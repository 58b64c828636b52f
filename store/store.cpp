// Store: the facade over one replica's parts (keyspace/, replication/, storage/durability). A
// local operation runs on its key's slot under the stripe lock, enters the delta log, is handed to
// the storage, and returns once durable; subscribers hear of it with no lock held.
#include <cassert>

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

namespace {

// opts with every null default filled in: the machine's clock and random source, spdlog.
Options with_defaults(Options opts) {
    if (!opts.clock) opts.clock = system_clock();
    if (!opts.rng) opts.rng = system_rng();
    if (!opts.log)
        opts.log = [](std::string_view message) { spdlog::warn("converge: {}", message); };
    return opts;
}

KeyedHash keyed_hash_from(Rng& rng) {
    const std::uint64_t key0 = rng.next();
    return KeyedHash(key0, rng.next());
}

// What a local operation does when its key holds nothing yet.
enum class IfAbsent { create, skip };

}  // namespace

struct Store::Impl {
    // What a local mutation did, for the log.
    struct Touched {
        bool changed = false;
        std::optional<StringSet> set_delta;  // a set's delta, joined into its slot's
        std::size_t bytes = 0;               // estimated size of what the log must send
    };

    explicit Impl(Options opts)
        : options(with_defaults(std::move(opts))),
          lifecycle(options.storage, *options.rng),
          clock(options.clock, lifecycle.writer(), options.max_clock_drift_ms),
          keyspace(keyed_hash_from(*options.rng), options.stripes, options.delta_buffer_entries,
                   options.delta_buffer_bytes),
          durability(options.storage, options.log, counters),
          retirements(lifecycle, keyspace, durability, options.retirement_levels),
          replicator(options, keyspace, durability, clock, counters, lifecycle, retirements) {
        Timestamp floor{};
        if (durability.enabled())
            floor = durability.recover(options.replica, lifecycle.previous_writer(),
                                       lifecycle.clock_floor(), keyspace, clock);
        lifecycle.start(floor);
        retirements.start();
    }

    [[noreturn]] void mismatch(std::string_view key, const Value& held, const char* wanted) {
        detail::bump(counters.type_mismatches);
        throw TypeMismatch("key \"" + std::string(key) + "\" holds " + detail::type_name(held) +
                           ", not " + wanted + "; use it as " + detail::type_name(held) +
                           " or choose another key");
    }

    // Runs fn(T&, Touched&) on the value at key under its stripe's exclusive lock (on a fresh T
    // first if key is absent and absent is create; returns fallback if it is skip). A change fn
    // reports in Touched enters the log and the storage; the call returns once it is durable. fn
    // must change nothing when it throws (converge's mutators are all-or-nothing).
    template <class T, class Fn, class R = std::invoke_result_t<Fn, T&, Touched&>>
    R mutate(std::string_view key, IfAbsent absent, R fallback, Fn&& fn) {
        const detail::HashedKey k = keyspace.hashed(key);
        Stripe& stripe = keyspace.stripe_of(k);
        Touched touched;
        std::unique_lock lock(stripe.mutex);
        auto it = stripe.map.find(k);
        Slot* slot = nullptr;
        R result = fallback;
        if (it == stripe.map.end()) {
            if (absent == IfAbsent::skip) return fallback;
            T fresh;
            result = fn(fresh, touched);
            slot = &keyspace.insert(stripe, std::string(key), Value(std::move(fresh)));
        } else {
            T* value = std::get_if<T>(&it->second.value);
            if (value == nullptr) mismatch(key, it->second.value, detail::type_name<T>());
            result = fn(*value, touched);
            slot = &it->second;
        }
        const std::uint64_t written = touched.changed ? record_local(stripe, *slot, touched) : 0;
        lock.unlock();
        durability.await(written);
        return result;
    }

    // Runs fn(const T*) under the stripe's shared lock; the pointer is null when key is absent.
    template <class T, class Fn>
    auto read(std::string_view key, Fn&& fn) {
        const detail::HashedKey k = keyspace.hashed(key);
        const Stripe& stripe = keyspace.stripe_of(k);
        std::shared_lock lock(stripe.mutex);
        auto it = stripe.map.find(k);
        if (it == stripe.map.end()) return fn(static_cast<const T*>(nullptr));
        const T* value = std::get_if<T>(&it->second.value);
        if (value == nullptr) mismatch(key, it->second.value, detail::type_name<T>());
        return fn(value);
    }

    // A local change of slot (its stripe locked exclusively): into the log (or, with no peer, past
    // it) and to the storage. Returns the storage's write number (0: nothing to wait for).
    std::uint64_t record_local(Stripe& stripe, Slot& slot, Touched& touched) {
        stripe.mark_dirty(slot);
        if (!replicator.logging()) {
            stripe.log.pass_over(slot);  // a peer added later is repaired
        } else {
            std::size_t bytes = slot.key->size() + touched.bytes;
            if (touched.set_delta) {
                if (slot.set_delta)
                    slot.set_delta->merge(*touched.set_delta);
                else
                    slot.set_delta = std::make_unique<StringSet>(std::move(*touched.set_delta));
                bytes += slot.log_bytes;
            }
            stripe.log.touch(slot,
                             static_cast<std::uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX)));
            detail::bump(counters.log_dropped, keyspace.trim_log(stripe, &slot));
        }
        return durability.persist(slot);
    }

    template <class Fn>
    std::int64_t counter_op(std::string_view key, Fn&& change) {
        const std::int64_t result = mutate<PNCounter>(key, IfAbsent::create, std::int64_t{0},
                                                      [&](PNCounter& c, Touched& t) {
                                                          change(c);
                                                          t.changed = true;
                                                          t.bytes = 48;
                                                          return c.value();
                                                      });
        detail::bump(counters.counter_ops);
        notify(key, ChangeKind::counter);
        return result;
    }

    void notify(std::string_view key, ChangeKind kind) {
        subscribers->notify(Change{std::string(key), kind, false});
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

Store::Store(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Store::~Store() = default;

ReplicaId Store::replica() const noexcept {
    return impl_->options.replica;
}

ReplicaId Store::writer() const noexcept {
    return impl_->lifecycle.writer();
}

bool Store::retire(ReplicaId writer) {
    return impl_->lifecycle.retire(writer);
}

RetiredIds Store::retired() const {
    return impl_->retirements.read().table();
}

void Store::put(std::string_view key, std::string value,
                std::optional<std::chrono::milliseconds> ttl) {
    if (ttl && ttl->count() <= 0)
        throw InvalidOperation("ttl must be positive; use del to remove a value now");
    Impl& s = *impl_;
    s.mutate<KvRegister>(key, IfAbsent::create, 0, [&](KvRegister& reg, Impl::Touched& t) {
        const Timestamp written = s.clock.tick();
        const std::uint64_t expires =
            ttl ? written.physical + static_cast<std::uint64_t>(ttl->count()) : 0;
        t.changed = true;
        t.bytes = 32 + value.size();
        reg.overwrite(s.lifecycle.writer(), KvValue{written, std::move(value), expires});
        return 0;
    });
    detail::bump(s.counters.puts);
    if (s.retirements.any()) s.retirements.refold(key);
    s.notify(key, ChangeKind::put);
}

std::optional<std::string> Store::get(std::string_view key) {
    std::optional<std::string> out(std::in_place);
    if (!get(key, *out)) out.reset();
    return out;
}

bool Store::get(std::string_view key, std::string& out) {
    Impl& s = *impl_;
    detail::bump(s.counters.gets);
    return s.read<KvRegister>(key, [&](const KvRegister* reg) {
        const KvValue* winner = reg ? winning_write(*reg) : nullptr;
        // The clock is read only for a value that can expire.
        if (winner == nullptr || (winner->expires_ms != 0 && winner->expired_at(s.clock.now_ms())))
            return false;
        out.assign(winner->bytes);
        return true;
    });
}

bool Store::del(std::string_view key) {
    Impl& s = *impl_;
    const std::uint64_t now = s.clock.now_ms();
    enum class Outcome { absent, removed_expired, removed_live };
    const Outcome outcome = s.mutate<KvRegister>(
        key, IfAbsent::skip, Outcome::absent, [&](KvRegister& reg, Impl::Touched& t) {
            const KvValue* winner = winning_write(reg);
            if (winner == nullptr) return Outcome::absent;
            const bool live = !winner->expired_at(now);
            reg.clear();
            t.changed = true;
            t.bytes = 16;
            return live ? Outcome::removed_live : Outcome::removed_expired;
        });
    detail::bump(s.counters.dels);
    if (outcome != Outcome::absent && s.retirements.any()) s.retirements.refold(key);
    if (outcome != Outcome::absent) s.notify(key, ChangeKind::del);
    return outcome == Outcome::removed_live;
}

std::int64_t Store::Counter::increment(std::uint64_t n) {
    Impl& s = *store_.impl_;
    return s.counter_op(key_, [&](PNCounter& c) { c.increment(s.lifecycle.writer(), n); });
}

std::int64_t Store::Counter::decrement(std::uint64_t n) {
    Impl& s = *store_.impl_;
    return s.counter_op(key_, [&](PNCounter& c) { c.decrement(s.lifecycle.writer(), n); });
}

std::int64_t Store::Counter::value() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.counter_ops);
    return s.read<PNCounter>(key_, [](const PNCounter* c) { return c ? c->value() : 0; });
}

void Store::Set::add(std::string member) {
    Impl& s = *store_.impl_;
    s.mutate<StringSet>(key_, IfAbsent::create, 0, [&](StringSet& set, Impl::Touched& t) {
        t.bytes = 8 + member.size();
        t.set_delta = set.add(s.lifecycle.writer(), std::move(member));
        t.changed = true;
        return 0;
    });
    detail::bump(s.counters.set_ops);
    s.notify(key_, ChangeKind::set);
}

bool Store::Set::remove(std::string_view member) {
    Impl& s = *store_.impl_;
    const bool removed =
        s.mutate<StringSet>(key_, IfAbsent::skip, false, [&](StringSet& set, Impl::Touched& t) {
            const std::string m(member);
            if (!set.contains(m)) return false;
            t.set_delta = set.remove(m);
            t.bytes = 8;
            t.changed = true;
            return true;
        });
    detail::bump(s.counters.set_ops);
    if (removed && s.retirements.any()) s.retirements.refold(key_);
    if (removed) s.notify(key_, ChangeKind::set);
    return removed;
}

bool Store::Set::contains(std::string_view member) {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.set_ops);
    return s.read<StringSet>(key_, [&](const StringSet* set) {
        return set != nullptr && set->contains(std::string(member));
    });
}

std::vector<std::string> Store::Set::elements() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.set_ops);
    return s.read<StringSet>(key_, [](const StringSet* set) {
        return set ? set->elements() : std::vector<std::string>{};
    });
}

Subscription Store::subscribe(std::string prefix, ChangeCallback callback) {
    const std::uint64_t id = impl_->subscribers->add(std::move(prefix), std::move(callback));
    return Subscription(impl_->subscribers, id);
}

std::size_t Store::sweep_expired(std::size_t max_keys) {
    Impl& s = *impl_;
    const std::vector<std::string> expired = s.keyspace.sweep_expired(s.clock.now_ms(), max_keys);
    detail::bump(s.counters.expired_keys, expired.size());
    for (const std::string& key : expired)
        s.notify(key, ChangeKind::expire);
    return expired.size();
}

void Store::add_peer(ReplicaId peer) {
    if (!impl_->options.transport)
        throw InvalidOperation("add_peer needs a transport: set Options::transport");
    impl_->replicator.add_peer(peer);
}

void Store::remove_peer(ReplicaId peer) {
    impl_->replicator.remove_peer(peer);
}

std::vector<ReplicaId> Store::peers() const {
    return impl_->replicator.peers();
}

void Store::sync() {
    impl_->replicator.sync();
}

bool Store::tick(std::size_t sweep_budget) {
    if (sweep_budget > 0) sweep_expired(sweep_budget);
    if (!impl_->options.transport) return false;
    return impl_->replicator.sync_if_due();
}

bool Store::receive(std::string_view frame) {
    std::vector<Change> changes;
    const bool accepted = impl_->replicator.receive(frame, changes);
    for (const Change& change : changes)
        impl_->subscribers->notify(change);
    return accepted;
}

std::vector<std::string> Store::keys(std::string_view prefix) const {
    return impl_->keyspace.visible_keys(prefix, impl_->clock.now_ms());
}

std::uint64_t Store::state_hash() const {
    return impl_->replicator.repair().state_hash();
}

std::optional<KeyInspection> Store::inspect(std::string_view key) const {
    return impl_->keyspace.inspect(key);
}

void Store::inspect_each(
    const std::function<void(std::string_view, const KeyInspection&)>& fn) const {
    impl_->keyspace.inspect_each(fn);
}

void Store::inspect_changed(
    ChangeCursor& cursor,
    const std::function<void(std::string_view, const KeyInspection&)>& fn) const {
    impl_->keyspace.inspect_changed(cursor, fn);
}

Metrics Store::metrics() const {
    Impl& s = *impl_;
    Metrics m;
    s.counters.copy_to(m);
    m.keys = s.keyspace.key_count();
    s.replicator.repair().with_digests([](const detail::DigestTree&) { return 0; });  // sizes keys
    s.replicator.peer_metrics(m);
    m.writer = s.lifecycle.writer();
    s.retirements.metrics(m);
    for (std::size_t i = 0; i < s.keyspace.stripe_count(); ++i) {
        const Stripe& stripe = s.keyspace.stripe(i);
        std::shared_lock lock(stripe.mutex);
        using detail::MetadataKind;
        m.metadata_bytes.values += stripe.metadata_bytes[static_cast<int>(MetadataKind::value)];
        m.metadata_bytes.counters += stripe.metadata_bytes[static_cast<int>(MetadataKind::counter)];
        m.metadata_bytes.sets += stripe.metadata_bytes[static_cast<int>(MetadataKind::set)];
    }
    return m;
}

}  // namespace converge::store
