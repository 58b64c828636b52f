// Store::time_to_live, expire, persist and sweep_expired: keys that expire. A value carries its
// expiry in its write; a counter, set, hash, sorted set or HyperLogLog carries a deadline for the
// whole key (crdt/deadline.hpp), and each replica expires such a key on its own once its hybrid
// clock passes the deadline, as a logged change (detail::expire_whole).
#include <store/store_impl.hpp>

namespace converge::store {

namespace {

using Type = KeyInspection::Type;
using std::chrono::milliseconds;

// The time left before expires_ms at now_ms; nullopt when it never expires or has passed.
std::optional<milliseconds> left(std::uint64_t expires_ms, std::uint64_t now_ms) {
    if (expires_ms == 0 || expires_ms <= now_ms) return std::nullopt;
    return milliseconds(static_cast<std::int64_t>(expires_ms - now_ms));
}

ChangeKind kind_of(Type type) {
    switch (type) {
        case Type::counter:
            return ChangeKind::counter;
        case Type::set:
            return ChangeKind::set;
        case Type::hash:
            return ChangeKind::hash;
        case Type::sorted_set:
            return ChangeKind::sorted_set;
        case Type::hyperloglog:
            return ChangeKind::hyperloglog;
        default:
            return ChangeKind::put;
    }
}

// Sets the whole key's deadline to expires_ms (0: never) if it shows something and (for a
// persist) has one; returns whether it did. (Impl is Store::Impl, a private name.)
template <class T, class Impl>
bool set_deadline(Impl& s, std::string_view key, std::optional<milliseconds> ttl) {
    return s.template mutate<T>(key, IfAbsent::skip, false, [&](T& value, auto& t) {
        if (value.empty() || (!ttl && value.deadline().expires_ms == 0)) return false;
        const Timestamp now = s.clock.tick();
        t.delta = value.expire(now, s.expires_after(now, ttl));
        t.changed = true;
        t.bytes = 32;
        return true;
    });
}

// Rewrites the live value at key with the expiry ttl after now (none: never); returns whether
// there was a live value.
template <class Impl>
bool set_value_expiry(Impl& s, std::string_view key, std::optional<milliseconds> ttl) {
    return s.template mutate<KvRegister>(key, IfAbsent::skip, false, [&](KvRegister& reg, auto& t) {
        const KvValue* winner = winning_write(reg);
        if (winner == nullptr || winner->expired_at(s.clock.now_ms())) return false;
        if (!ttl && winner->expires_ms == 0) return false;
        t.bytes = s.write_value(reg, winner->bytes, ttl);
        t.changed = true;
        return true;
    });
}

// expire (ttl) or persist (nullopt) on whatever key holds.
template <class Impl>
bool change_expiry(Impl& s, std::string_view key, std::optional<milliseconds> ttl) {
    const auto type = s.keyspace.visible_type(key, s.clock.now_ms());
    if (!type) return false;
    bool changed = false;
    switch (*type) {
        case Type::value:
            changed = set_value_expiry(s, key, ttl);
            break;
        case Type::counter:
            changed = set_deadline<ResettableCounter>(s, key, ttl);
            break;
        case Type::set:
            changed = set_deadline<detail::StringSet>(s, key, ttl);
            break;
        case Type::hash:
            changed = set_deadline<ORHash>(s, key, ttl);
            break;
        case Type::sorted_set:
            changed = set_deadline<converge::SortedSet>(s, key, ttl);
            break;
        case Type::hyperloglog:
            changed = set_deadline<converge::HyperLogLog>(s, key, ttl);
            break;
    }
    if (!changed) return false;
    if (s.retirements.any()) s.retirements.refold(key);
    s.notify(key, kind_of(*type));
    return true;
}

// Expires the whole key at key if its deadline passed here; returns whether it did.
template <class T, class Impl>
bool expire_due(Impl& s, std::string_view key) {
    return s.template mutate<T>(key, IfAbsent::skip, false,
                                [](T&, auto& t) { return t.expiry.has_value(); });
}

}  // namespace

std::optional<milliseconds> Store::time_to_live(std::string_view key) const {
    Impl& s = *impl_;
    const detail::HashedKey k = s.keyspace.hashed(key);
    const Stripe& stripe = s.keyspace.stripe_of(k);
    std::shared_lock lock(stripe.mutex);
    const Slot* slot = stripe.find(k);
    const std::uint64_t now = s.clock.now_ms();
    if (slot == nullptr || !detail::visible_at(slot->value, now)) return std::nullopt;
    return left(detail::shown_expiry_ms(slot->value), now);
}

bool Store::expire(std::string_view key, milliseconds ttl) {
    if (ttl.count() <= 0)
        throw InvalidOperation("ttl must be positive; delete the key to remove it now");
    return change_expiry(*impl_, key, ttl);
}

bool Store::persist(std::string_view key) {
    return change_expiry(*impl_, key, std::nullopt);
}

std::size_t Store::sweep_expired(std::size_t max_keys) {
    Impl& s = *impl_;
    const detail::Keyspace::Swept swept = s.keyspace.sweep_expired(s.clock.now_ms(), max_keys);
    detail::bump(s.counters.expired_keys, swept.values.size());
    std::size_t expired = swept.values.size();
    for (const std::string& key : swept.values)
        s.notify(key, ChangeKind::expire);
    for (const auto& [key, type] : swept.due) {
        bool done = false;
        try {
            if (type == Type::counter)
                done = expire_due<ResettableCounter>(s, key);
            else if (type == Type::set)
                done = expire_due<detail::StringSet>(s, key);
            else if (type == Type::hash)
                done = expire_due<ORHash>(s, key);
            else if (type == Type::sorted_set)
                done = expire_due<converge::SortedSet>(s, key);
            else if (type == Type::hyperloglog)
                done = expire_due<converge::HyperLogLog>(s, key);
        } catch (const TypeMismatch&) {        // a peer's type took the key since the sweep saw it
        } catch (const StorageUnavailable&) {  // it shows nothing now; expired once writes resume
            break;
        }
        if (!done) continue;
        ++expired;
        if (s.retirements.any()) s.retirements.refold(key);
        s.notify(key, ChangeKind::expire);
    }
    return expired;
}

}  // namespace converge::store
