// Store: the facade over one replica's parts (keyspace/, replication/, storage/durability). A
// local operation runs on its key's slot under the stripe lock, enters the delta log, is handed to
// the storage, and returns once durable; subscribers hear of it with no lock held.
#include <cassert>
#include <charconv>

#include <spdlog/spdlog.h>

#include <store/store_impl.hpp>

namespace converge::store {

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
        t.changed = true;
        t.bytes = s.write_value(reg, std::move(value), ttl);
        return 0;
    });
    detail::bump(s.counters.puts);
    if (s.retirements.any()) s.retirements.refold(key);
    s.notify(key, ChangeKind::put);
}

namespace {

// Copies reg's winning write into out unless there is none or it expired (the clock is read only
// for a value that can expire); returns whether it did.
bool copy_live(const KvRegister& reg, const detail::ReplicaClock& clock, std::string& out) {
    const KvValue* winner = winning_write(reg);
    if (winner == nullptr || (winner->expires_ms != 0 && winner->expired_at(clock.now_ms())))
        return false;
    out.assign(winner->bytes);
    return true;
}

// from + n, for key; throws InvalidOperation when it overflows 64 bits.
std::int64_t checked_sum(const std::string& key, std::int64_t from, std::int64_t n) {
    std::int64_t total = 0;
    if (__builtin_add_overflow(from, n, &total))
        throw InvalidOperation("key \"" + key + "\": " + std::to_string(from) + " + " +
                               std::to_string(n) + " overflows a 64-bit integer");
    return total;
}

}  // namespace

std::optional<std::string> Store::get(std::string_view key) {
    std::optional<std::string> out(std::in_place);
    if (!get(key, *out)) out.reset();
    return out;
}

bool Store::get(std::string_view key, std::string& out) {
    Impl& s = *impl_;
    detail::bump(s.counters.gets);
    return s.read<KvRegister>(key, [&](const KvRegister* reg) {
        return reg != nullptr && copy_live(*reg, s.clock, out);
    });
}

bool Store::get_text(std::string_view key, std::string& out) {
    Impl& s = *impl_;
    detail::bump(s.counters.gets);
    const detail::HashedKey k = s.keyspace.hashed(key);
    const detail::Stripe& stripe = s.keyspace.stripe_of(k);
    std::shared_lock lock(stripe.mutex);
    const detail::Slot* slot = stripe.find(k);
    if (slot == nullptr) return false;
    const Value& held = slot->value;
    if (const auto* counter = held.get_if<ResettableCounter>()) {
        if (counter->empty() || s.past_deadline(*counter)) return false;  // deleted or expired
        out = std::to_string(counter->value());
        return true;
    }
    const auto* reg = held.get_if<KvRegister>();
    if (reg == nullptr) {
        if (!detail::visible_at(held, s.clock.now_ms())) return false;  // an emptied set, say
        s.mismatch(key, held, "a value or a counter");
    }
    return copy_live(*reg, s.clock, out);
}

std::optional<KeyInspection::Type> Store::type(std::string_view key) const {
    return impl_->keyspace.visible_type(key, impl_->clock.now_ms());
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
    return s.counter_op(key_,
                        [&](ResettableCounter& c) { return c.increment(s.lifecycle.writer(), n); });
}

std::int64_t Store::Counter::decrement(std::uint64_t n) {
    Impl& s = *store_.impl_;
    return s.counter_op(key_,
                        [&](ResettableCounter& c) { return c.decrement(s.lifecycle.writer(), n); });
}

std::int64_t Store::Counter::add_converting(std::int64_t n) {
    Impl& s = *store_.impl_;
    s.durability.admit();
    const detail::HashedKey k = s.keyspace.hashed(key_);
    detail::Stripe& stripe = s.keyspace.stripe_of(k);
    std::unique_lock lock(stripe.mutex);
    detail::Slot* found = stripe.find(k);
    const KvRegister* reg = found == nullptr ? nullptr : found->value.get_if<KvRegister>();
    if (reg == nullptr) {
        lock.unlock();
        const std::uint64_t magnitude = n < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(n)
                                              : static_cast<std::uint64_t>(n);
        return s.counter_op(key_, [&](ResettableCounter& c) {
            checked_sum(key_, c.value(), n);
            return n < 0 ? c.decrement(s.lifecycle.writer(), magnitude)
                         : c.increment(s.lifecycle.writer(), magnitude);
        });
    }
    std::int64_t from = 0;
    const KvValue* winner = winning_write(*reg);
    if (winner != nullptr && !winner->expired_at(s.clock.now_ms())) {
        const std::string& text = winner->bytes;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), from);
        if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
            throw InvalidOperation("key \"" + key_ + "\" holds a value that is not an integer");
    }
    const std::int64_t total = checked_sum(key_, from, n);
    ResettableCounter counter;
    if (total > 0) counter.increment(s.lifecycle.writer(), static_cast<std::uint64_t>(total));
    if (total < 0)
        counter.decrement(s.lifecycle.writer(),
                          std::uint64_t{0} - static_cast<std::uint64_t>(total));
    if (winner != nullptr && winner->expires_ms != 0 && !winner->expired_at(s.clock.now_ms()))
        counter.expire(s.clock.tick(), winner->expires_ms);
    detail::Slot& slot = *found;
    slot.value = Value(std::move(counter));
    slot.delta.reset();
    Impl::Touched touched;
    touched.changed = true;
    touched.bytes = 48;
    const std::uint64_t written = s.record_local(stripe, slot, touched);
    lock.unlock();
    s.await(written);
    detail::bump(s.counters.counter_ops);
    s.notify(key_, ChangeKind::counter);
    return total;
}

bool Store::Counter::clear() {
    Impl& s = *store_.impl_;
    return s.clear_whole<ResettableCounter>(key_, s.counters.counter_ops, ChangeKind::counter);
}

std::int64_t Store::Counter::value() {
    Impl& s = *store_.impl_;
    detail::bump(s.counters.counter_ops);
    return s.read<ResettableCounter>(key_,
                                     [](const ResettableCounter* c) { return c ? c->value() : 0; });
}

void Store::Set::add(std::string member) {
    Impl& s = *store_.impl_;
    s.mutate<StringSet>(key_, IfAbsent::create, 0, [&](StringSet& set, Impl::Touched& t) {
        t.bytes = 8 + member.size();
        t.delta = set.add(s.lifecycle.writer(), std::move(member));
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
            t.delta = s.forget_deadline_if_emptied(set, set.remove(m));
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

bool Store::Set::clear() {
    Impl& s = *store_.impl_;
    return s.clear_whole<StringSet>(key_, s.counters.set_ops, ChangeKind::set);
}

Subscription Store::subscribe(std::string prefix, ChangeCallback callback) {
    const std::uint64_t id = impl_->subscribers->add(std::move(prefix), std::move(callback));
    return Subscription(impl_->subscribers, id);
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

thread_local Store::Impl::Batching Store::Impl::batching;

void Store::batch(const std::function<void()>& fn) {
    Impl& s = *impl_;
    if (Impl::batching.store == &s) return fn();
    std::exception_ptr failed;
    const std::uint64_t written = s.run_batch(fn, failed);
    s.durability.await(written);
    if (failed) std::rethrow_exception(failed);
}

std::uint64_t Store::apply_batch(const std::function<void()>& fn) {
    Impl& s = *impl_;
    if (Impl::batching.store == &s) {
        fn();
        return 0;  // the outer batch waits
    }
    std::exception_ptr failed;
    const std::uint64_t written = s.run_batch(fn, failed);
    if (failed) std::rethrow_exception(failed);
    return written;
}

void Store::await_durable(std::uint64_t written) {
    impl_->durability.await(written);
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
    if (impl_->subscribers->any())
        for (const Change& change : changes)
            impl_->subscribers->notify(change);
    return accepted;
}

std::vector<std::string> Store::keys(std::string_view prefix) const {
    return impl_->keyspace.visible_keys(prefix, impl_->clock.now_ms());
}

Store::KeyCount Store::key_count() const {
    const auto count = impl_->keyspace.visible_count(impl_->clock.now_ms());
    return {.keys = count.keys,
            .expiring = count.expiring,
            .time_left = std::chrono::milliseconds(static_cast<std::int64_t>(count.time_left_ms))};
}

Store::ScanPage Store::scan(std::uint64_t cursor, std::size_t count) const {
    auto step =
        impl_->keyspace.scan(cursor, std::max<std::size_t>(count, 1), impl_->clock.now_ms());
    return {.cursor = step.cursor, .keys = std::move(step.keys)};
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
        const auto& held = stripe.metadata_bytes;
        using K = detail::MetadataKind;
        m.metadata_bytes.values += held[static_cast<int>(K::value)];
        m.metadata_bytes.counters += held[static_cast<int>(K::counter)];
        m.metadata_bytes.sets += held[static_cast<int>(K::set)];
        m.metadata_bytes.hashes += held[static_cast<int>(K::hash)];
        m.metadata_bytes.sorted_sets += held[static_cast<int>(K::sorted_set)];
        m.metadata_bytes.hyperloglogs += held[static_cast<int>(K::hyperloglog)];
    }
    return m;
}

}  // namespace converge::store
