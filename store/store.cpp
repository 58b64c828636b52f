#include <spdlog/spdlog.h>

#include <store/detail/store_impl.hpp>

namespace converge::store {

using detail::StringSet;

namespace {
// opts with every null default filled in: the machine's clock and random source, spdlog.
Options with_defaults(Options opts) {
    if (!opts.clock) opts.clock = system_clock();
    if (!opts.rng) opts.rng = system_rng();
    if (!opts.log)
        opts.log = [](std::string_view message) { spdlog::warn("converge: {}", message); };
    return opts;
}
}  // namespace

Store::Impl::Impl(Options opts)
    : options(with_defaults(std::move(opts))),
      hash([&] {
          const std::uint64_t key0 = options.rng->next();
          return KeyedHash(key0, options.rng->next());
      }()),
      incarnation(options.rng->next() | 1),  // never 0, which means "not heard from"
      hlc(options.replica, options.max_clock_drift_ms) {
    const std::size_t count = std::bit_ceil(std::clamp<std::size_t>(options.shards, 1, 1 << 16));
    for (std::size_t i = 0; i < count; ++i)
        shards.push_back(std::make_unique<Shard>(&hash));
    log_entries_per_shard = std::max<std::size_t>(1, options.delta_buffer_entries / count);
    log_bytes_per_shard = std::max<std::size_t>(1, options.delta_buffer_bytes / count);
    if (options.storage) recover();
}

Timestamp Store::Impl::tick_clock() {
    std::lock_guard lock(clock_mutex);
    const Timestamp t = hlc.now(options.clock->now_ms());
    hlc_physical.store(t.physical, std::memory_order_relaxed);
    return t;
}

void Store::Impl::mismatch(std::string_view key, const Value& held, const char* wanted) {
    type_mismatches.fetch_add(1, std::memory_order_relaxed);
    throw TypeMismatch("key \"" + std::string(key) + "\" holds " + detail::type_name(held) +
                       ", not " + wanted + "; use it as " + detail::type_name(held) +
                       " or choose another key");
}

void Store::Impl::record_local(Shard& shard, Slot& slot, Touched& touched) {
    shard.mark_dirty(slot);
    if (!logging.load(std::memory_order_relaxed)) {
        // No peer to send it to: the change is not kept, and a peer added later is repaired.
        if (slot.position != 0) shard.log_remove(slot);
        shard.floor = ++shard.position;
        return;
    }
    std::size_t bytes = slot.key->size() + touched.bytes;
    if (touched.set_delta) {
        if (slot.set_delta)
            slot.set_delta->merge(*touched.set_delta);
        else
            slot.set_delta = std::make_unique<StringSet>(std::move(*touched.set_delta));
        bytes += slot.log_bytes;
    }
    shard.log_touch(slot, static_cast<std::uint32_t>(std::min<std::size_t>(bytes, UINT32_MAX)));
    trim_log(shard, &slot);
}

void Store::Impl::trim_log(Shard& shard, const Slot* keep) {
    while (shard.log_head != nullptr && shard.log_head != keep &&
           (shard.log_count > log_entries_per_shard || shard.log_bytes > log_bytes_per_shard)) {
        shard.log_remove(*shard.log_head);
        log_dropped.fetch_add(1, std::memory_order_relaxed);
    }
}

std::uint64_t Store::Impl::persist(const Slot& slot) {
    if (!options.storage) return 0;
    codec::Writer w;
    detail::encode_value(w, slot.value);
    return options.storage->write(*slot.key, w.bytes());
}

std::int64_t Store::Impl::add_to_counter(std::string_view key, std::uint64_t n, bool up) {
    const std::int64_t result =
        mutate<PNCounter>(key, true, std::int64_t{0}, [&](PNCounter& c, Touched& t) {
            if (up)
                c.increment(options.replica, n);
            else
                c.decrement(options.replica, n);
            t.changed = true;
            t.bytes = 48;
            return c.value();
        });
    counter_ops.fetch_add(1, std::memory_order_relaxed);
    notify(key, ChangeKind::counter);
    return result;
}

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
    s.mutate<KvRegister>(key, true, 0, [&](KvRegister& reg, Impl::Touched& t) {
        const Timestamp written = s.tick_clock();
        const std::uint64_t expires =
            ttl ? written.physical + static_cast<std::uint64_t>(ttl->count()) : 0;
        t.changed = true;
        t.bytes = 32 + value.size();
        reg.overwrite(s.options.replica, KvValue{written, std::move(value), expires});
        return 0;
    });
    s.puts.fetch_add(1, std::memory_order_relaxed);
    s.notify(key, ChangeKind::put);
}

std::optional<std::string> Store::get(std::string_view key) {
    std::optional<std::string> out(std::in_place);
    if (!get(key, *out)) out.reset();
    return out;
}

bool Store::get(std::string_view key, std::string& out) {
    Impl& s = *impl_;
    s.gets.fetch_add(1, std::memory_order_relaxed);
    return s.read<KvRegister>(key, [&](const KvRegister* reg) {
        const KvValue* winner = reg ? winning_write(*reg) : nullptr;
        // The clock is read only for a value that can expire.
        if (winner == nullptr || (winner->expires_ms != 0 && winner->expired_at(s.now_physical())))
            return false;
        out.assign(winner->bytes);
        return true;
    });
}

bool Store::del(std::string_view key) {
    Impl& s = *impl_;
    const std::uint64_t now = s.now_physical();
    const int outcome =
        s.mutate<KvRegister>(key, false, -1, [&](KvRegister& reg, Impl::Touched& t) {
            const KvValue* winner = winning_write(reg);
            if (winner == nullptr) return -1;
            const bool live = !winner->expired_at(now);
            reg.clear();
            t.changed = true;
            t.bytes = 16;
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
    s.mutate<StringSet>(key_, true, 0, [&](StringSet& set, Impl::Touched& t) {
        t.bytes = 8 + member.size();
        t.set_delta = set.add(s.options.replica, std::move(member));
        t.changed = true;
        return 0;
    });
    s.set_ops.fetch_add(1, std::memory_order_relaxed);
    s.notify(key_, ChangeKind::set);
}

bool Store::Set::remove(std::string_view member) {
    Impl& s = *store_.impl_;
    const bool removed =
        s.mutate<StringSet>(key_, false, false, [&](StringSet& set, Impl::Touched& t) {
            const std::string m(member);
            if (!set.contains(m)) return false;
            t.set_delta = set.remove(m);
            t.bytes = 8;
            t.changed = true;
            return true;
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
        Impl::Shard& shard = *s.shards[s.sweep_shard];
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
                auto* reg = std::get_if<KvRegister>(&it->second.value);
                if (reg == nullptr) continue;
                const KvValue* winner = winning_write(*reg);
                if (winner == nullptr || !winner->expired_at(now)) continue;
                // Every replica expires the value at the same time on its own: the context stays,
                // the bytes go, and nothing enters the log.
                reg->clear();
                shard.mark_dirty(it->second);
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

}  // namespace converge::store
