#include <algorithm>
#include <atomic>
#include <bit>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <variant>

#include <crdt/hybrid_clock.hpp>
#include <crdt/or_set.hpp>
#include <crdt/pn_counter.hpp>
#include <store/keyed_hash.hpp>
#include <store/kv_value.hpp>
#include <store/store.hpp>

namespace converge::store {
namespace {

using StringSet = ORSet<std::string>;
// What one key holds. Keys are never erased: a deleted or expired value leaves its causal
// context, so a late copy of an old write cannot bring it back.
using Entry = std::variant<KvRegister, PNCounter, StringSet>;

template <class T>
const char* type_name() {
    if constexpr (std::is_same_v<T, KvRegister>)
        return "a value";
    else if constexpr (std::is_same_v<T, PNCounter>)
        return "a counter";
    else
        return "a set";
}
const char* type_name(const Entry& e) {
    return std::visit([](const auto& held) { return type_name<std::decay_t<decltype(held)>>(); },
                      e);
}

struct KeyHasher {
    using is_transparent = void;
    const KeyedHash* hash;
    std::size_t operator()(std::string_view key) const noexcept { return (*hash)(key); }
};

struct Shard {
    explicit Shard(const KeyedHash* hash) : map(16, KeyHasher{hash}) {}
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, Entry, KeyHasher, std::equal_to<>> map;
};

}  // namespace

struct Store::Impl {
    explicit Impl(Options opts)
        : options(std::move(opts)),
          clock(options.clock ? options.clock : system_clock()),
          hash(seed(options)),
          hlc(options.replica, options.max_clock_drift_ms) {
        const std::size_t count =
            std::bit_ceil(std::clamp<std::size_t>(options.shards, 1, 1 << 16));
        for (std::size_t i = 0; i < count; ++i)
            shards.push_back(std::make_unique<Shard>(&hash));
    }

    static KeyedHash seed(const Options& options) {
        const std::shared_ptr<Rng> rng = options.rng ? options.rng : system_rng();
        const std::uint64_t key0 = rng->next();
        return KeyedHash(key0, rng->next());
    }

    Shard& shard_of(std::string_view key) {
        // The map buckets use the low bits of the same hash; stripes use the high ones.
        return *shards[(hash(key) >> 40) & (shards.size() - 1)];
    }

    Timestamp tick() {
        std::lock_guard lock(clock_mutex);
        const Timestamp t = hlc.now(clock->now_ms());
        hlc_physical.store(t.physical, std::memory_order_relaxed);
        return t;
    }
    // Physical time on the hybrid clock now, without taking its lock.
    std::uint64_t now_physical() {
        return std::max(clock->now_ms(), hlc_physical.load(std::memory_order_relaxed));
    }

    [[noreturn]] void mismatch(std::string_view key, const Entry& held, const char* wanted) {
        type_mismatches.fetch_add(1, std::memory_order_relaxed);
        throw TypeMismatch("key \"" + std::string(key) + "\" holds " + type_name(held) + ", not " +
                           wanted + "; use it as " + type_name(held) + " or choose another key");
    }

    // Runs fn(T&) on the value at key under the stripe's exclusive lock, creating it empty if
    // absent (create) or returning fallback (otherwise). fn must change nothing when it throws
    // (every converge mutator is all-or-nothing).
    template <class T, class Fn, class R = std::invoke_result_t<Fn, T&>>
    R mutate(std::string_view key, bool create, R fallback, Fn&& fn) {
        Shard& shard = shard_of(key);
        std::unique_lock lock(shard.mutex);
        auto it = shard.map.find(key);
        if (it == shard.map.end()) {
            if (!create) return fallback;
            T fresh;
            R result = fn(fresh);
            shard.map.emplace(std::string(key), Entry(std::move(fresh)));
            keys.fetch_add(1, std::memory_order_relaxed);
            return result;
        }
        T* value = std::get_if<T>(&it->second);
        if (value == nullptr) mismatch(key, it->second, type_name<T>());
        return fn(*value);  // converge's mutators change nothing when they throw
    }

    // Runs fn(const T*) under the stripe's shared lock; the pointer is null when key is absent.
    template <class T, class Fn>
    auto read(std::string_view key, Fn&& fn) {
        Shard& shard = shard_of(key);
        std::shared_lock lock(shard.mutex);
        auto it = shard.map.find(key);
        if (it == shard.map.end()) return fn(static_cast<const T*>(nullptr));
        const T* value = std::get_if<T>(&it->second);
        if (value == nullptr) mismatch(key, it->second, type_name<T>());
        return fn(value);
    }

    // Adds n to (up) or subtracts n from the counter at key; returns its new value.
    std::int64_t add_to_counter(std::string_view key, std::uint64_t n, bool up) {
        const std::int64_t result =
            mutate<PNCounter>(key, true, std::int64_t{0}, [&](PNCounter& c) {
                if (up)
                    c.increment(options.replica, n);
                else
                    c.decrement(options.replica, n);
                return c.value();
            });
        counter_ops.fetch_add(1, std::memory_order_relaxed);
        notify(key, ChangeKind::counter);
        return result;
    }

    void notify(std::string_view key, ChangeKind kind) {
        subscribers->notify(Change{std::string(key), kind, false});
    }

    Options options;
    std::shared_ptr<Clock> clock;
    KeyedHash hash;
    std::vector<std::unique_ptr<Shard>> shards;
    std::mutex clock_mutex;
    HybridClock hlc;
    std::atomic<std::uint64_t> hlc_physical{0};
    std::shared_ptr<SubscriberList> subscribers = std::make_shared<SubscriberList>();

    std::mutex sweep_mutex;
    std::size_t sweep_shard = 0;
    std::size_t sweep_bucket = 0;
    std::size_t sweep_in_bucket = 0;

    std::atomic<std::uint64_t> puts{0}, gets{0}, dels{0}, counter_ops{0}, set_ops{0},
        type_mismatches{0}, keys{0}, expired_keys{0};
};

Store::Store(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Store::~Store() = default;

ReplicaId Store::replica() const noexcept {
    return impl_->options.replica;
}

void Store::put(std::string_view key, std::string value,
                std::optional<std::chrono::milliseconds> ttl) {
    if (ttl && ttl->count() <= 0)
        throw InvalidOperation("ttl must be positive; use del to remove a value now");
    Impl& s = *impl_;
    s.mutate<KvRegister>(key, true, 0, [&](KvRegister& reg) {
        const Timestamp written = s.tick();
        const std::uint64_t expires =
            ttl ? written.physical + static_cast<std::uint64_t>(ttl->count()) : 0;
        reg.assign(s.options.replica, KvValue{written, std::move(value), expires});
        return 0;
    });
    s.puts.fetch_add(1, std::memory_order_relaxed);
    s.notify(key, ChangeKind::put);
}

std::optional<std::string> Store::get(std::string_view key) {
    Impl& s = *impl_;
    s.gets.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t now = s.now_physical();
    return s.read<KvRegister>(key, [now](const KvRegister* reg) -> std::optional<std::string> {
        const KvValue* winner = reg ? winning_write(*reg) : nullptr;
        if (winner == nullptr || winner->expired_at(now)) return std::nullopt;
        return winner->bytes;
    });
}

bool Store::del(std::string_view key) {
    Impl& s = *impl_;
    const std::uint64_t now = s.now_physical();
    const int outcome = s.mutate<KvRegister>(key, false, -1, [&](KvRegister& reg) {
        const KvValue* winner = winning_write(reg);
        if (winner == nullptr) return -1;
        const bool live = !winner->expired_at(now);
        reg.clear();
        return live ? 1 : 0;
    });
    s.dels.fetch_add(1, std::memory_order_relaxed);
    if (outcome >= 0) s.notify(key, ChangeKind::del);
    return outcome == 1;
}

std::int64_t Store::Counter::increment(std::uint64_t n) {
    return store_.impl_->add_to_counter(key_, n, /*up=*/true);
}

std::int64_t Store::Counter::decrement(std::uint64_t n) {
    return store_.impl_->add_to_counter(key_, n, /*up=*/false);
}

std::int64_t Store::Counter::value() {
    Impl& s = *store_.impl_;
    s.counter_ops.fetch_add(1, std::memory_order_relaxed);
    return s.read<PNCounter>(key_, [](const PNCounter* c) { return c ? c->value() : 0; });
}

void Store::Set::add(std::string member) {
    Impl& s = *store_.impl_;
    s.mutate<StringSet>(key_, true, 0, [&](StringSet& set) {
        set.add(s.options.replica, std::move(member));
        return 0;
    });
    s.set_ops.fetch_add(1, std::memory_order_relaxed);
    s.notify(key_, ChangeKind::set);
}

bool Store::Set::remove(std::string_view member) {
    Impl& s = *store_.impl_;
    const bool removed = s.mutate<StringSet>(key_, false, false, [&](StringSet& set) {
        const std::string m(member);
        const bool present = set.contains(m);
        set.remove(m);
        return present;
    });
    s.set_ops.fetch_add(1, std::memory_order_relaxed);
    if (removed) s.notify(key_, ChangeKind::set);
    return removed;
}

bool Store::Set::contains(std::string_view member) {
    Impl& s = *store_.impl_;
    s.set_ops.fetch_add(1, std::memory_order_relaxed);
    return s.read<StringSet>(key_, [&](const StringSet* set) {
        return set != nullptr && set->contains(std::string(member));
    });
}

std::vector<std::string> Store::Set::elements() {
    Impl& s = *store_.impl_;
    s.set_ops.fetch_add(1, std::memory_order_relaxed);
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
    std::lock_guard sweep_lock(s.sweep_mutex);
    const std::uint64_t now = s.now_physical();
    std::vector<std::string> expired;
    std::size_t visited = 0;
    for (std::size_t stripes = 0; stripes < s.shards.size() && visited < max_keys; ++stripes) {
        Shard& shard = *s.shards[s.sweep_shard];
        std::unique_lock lock(shard.mutex);
        // Resume at the bucket (and position in it) where the last call stopped: no walk from the
        // start of the stripe. A rehash in between only shifts which keys this pass sees first.
        const std::size_t buckets = shard.map.bucket_count();
        for (; s.sweep_bucket < buckets && visited < max_keys; ++s.sweep_bucket) {
            auto it = shard.map.begin(s.sweep_bucket);
            const auto bucket_end = shard.map.end(s.sweep_bucket);
            for (std::size_t skip = 0; skip < s.sweep_in_bucket && it != bucket_end; ++skip)
                ++it;
            for (; it != bucket_end && visited < max_keys; ++it, ++visited, ++s.sweep_in_bucket) {
                auto* reg = std::get_if<KvRegister>(&it->second);
                if (reg == nullptr) continue;
                const KvValue* winner = winning_write(*reg);
                if (winner == nullptr || !winner->expired_at(now)) continue;
                reg->clear();  // the causal context stays, the bytes go
                expired.push_back(it->first);
            }
            if (it != bucket_end) break;  // out of budget inside this bucket
            s.sweep_in_bucket = 0;
        }
        if (s.sweep_bucket >= buckets) {
            s.sweep_shard = (s.sweep_shard + 1) % s.shards.size();
            s.sweep_bucket = 0;
            s.sweep_in_bucket = 0;
        }
    }
    s.expired_keys.fetch_add(expired.size(), std::memory_order_relaxed);
    for (const std::string& key : expired)
        s.notify(key, ChangeKind::expire);
    return expired.size();
}

Metrics Store::metrics() const {
    const Impl& s = *impl_;
    auto get = [](const std::atomic<std::uint64_t>& a) {
        return a.load(std::memory_order_relaxed);
    };
    return Metrics{get(s.puts),        get(s.gets),        get(s.dels),
                   get(s.counter_ops), get(s.set_ops),     get(s.type_mismatches),
                   get(s.keys),        get(s.expired_keys)};
}

}  // namespace converge::store
