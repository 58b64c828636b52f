#include <algorithm>
#include <bit>
#include <cassert>

#include <store/keyspace/keyspace.hpp>
#include <store/replication/digest_tree.hpp>

namespace converge::store::detail {
namespace {

template <class Store>
void add_members(KeyInspection& out, const Store& members) {
    members.for_each([&](const std::string& name, const auto& member) {
        for (const auto& [dot, entry] : member.live)
            out.live.push_back({dot, name, entry.written, 0});
    });
    // Every member's totals, the removed ones' included.
    codec::Writer totals;
    members.for_each_held([&](const std::string& name, const auto& member) {
        totals.string(name);
        for (const auto& [replica, t] : member.totals) {
            totals.varint(replica.value);
            for (const auto* n : {&t.up, &t.down, &t.reset_up, &t.reset_down})
                totals.raw(std::string_view(reinterpret_cast<const char*>(n), sizeof *n));
        }
    });
    out.totals_hash = std::hash<std::string>{}(totals.bytes());
}

KeyInspection state_of(const Value& value) {
    KeyInspection out;
    if (const auto* reg = value.get_if<KvRegister>()) {
        out.type = KeyInspection::Type::value;
        out.context = reg->context();
        reg->for_each_dot([&](const Dot& dot, const KvValue& v) {
            out.live.push_back({dot, v.bytes, v.written, v.expires_ms});
        });
    } else if (const auto* set = value.get_if<StringSet>()) {
        out.type = KeyInspection::Type::set;
        out.context = set->context();
        set->for_each([&](const std::string& member) {
            for (const Dot& dot : set->dots(member))
                out.live.push_back({dot, member});
        });
    } else if (const auto* counter = value.get_if<ResettableCounter>()) {
        out.type = KeyInspection::Type::counter;
        out.increments = counter->totals().increments().slots();
        out.decrements = counter->totals().decrements().slots();
        out.reset_increments = counter->baselines().increments().slots();
        out.reset_decrements = counter->baselines().decrements().slots();
    } else if (const auto* hash = value.get_if<ORHash>()) {
        out.type = KeyInspection::Type::hash;
        out.context = hash->context();
        add_members(out, hash->members_store());
    } else if (const auto* zset = value.get_if<SortedSet>()) {
        out.type = KeyInspection::Type::sorted_set;
        out.context = zset->context();
        add_members(out, zset->members_store());
    } else {
        out.type = KeyInspection::Type::hyperloglog;
        out.context = value.get<HyperLogLog>().context();
    }
    if (const Deadline* d = deadline_of(value)) out.deadline = *d;
    std::sort(
        out.live.begin(), out.live.end(),
        [](const KeyInspection::Live& a, const KeyInspection::Live& b) { return a.dot < b.dot; });
    return out;
}

KeyInspection::Type type_of(const Value& value) {
    static_assert(Value::alternatives == 6, "a Value alternative per KeyInspection::Type");
    return static_cast<KeyInspection::Type>(value.index());
}

}  // namespace

Keyspace::Keyspace(KeyedHash hash, std::size_t stripe_count, std::size_t log_entries_max,
                   std::size_t log_bytes_max)
    : hash_(hash) {
    const std::size_t count = std::bit_ceil(std::clamp<std::size_t>(stripe_count, 1, 1 << 16));
    for (std::size_t i = 0; i < count; ++i)
        stripes_.push_back(std::make_unique<Stripe>());
    log_entries_per_stripe_ = std::max<std::size_t>(1, log_entries_max / count);
    log_bytes_per_stripe_ = std::max<std::size_t>(1, log_bytes_max / count);
    assert(std::has_single_bit(stripes_.size()));
}

Slot& Keyspace::insert(Stripe& stripe, std::size_t keyed_hash, std::string_view key, Value value) {
    assert(keyed_hash == hash_(key));
    const std::uint64_t key_hash = digest_key_hash(key);
    Slot& slot = stripe.add(keyed_hash, key, std::move(value), key_hash);
    key_count_.fetch_add(1, std::memory_order_relaxed);
    stripe.mark_dirty(slot);
    return slot;
}

std::vector<std::uint64_t> Keyspace::log_heads() const {
    std::vector<std::uint64_t> heads;
    heads.reserve(stripes_.size());
    for (const auto& stripe : stripes_) {
        std::shared_lock lock(stripe->mutex);
        heads.push_back(stripe->log.head());
    }
    return heads;
}

Keyspace::Swept Keyspace::sweep_expired(std::uint64_t now_ms, std::size_t max_keys) {
    std::lock_guard sweep_lock(sweep_mutex_);
    Swept swept;
    std::size_t visited = 0;
    for (std::size_t n = 0; n < stripes_.size() && visited < max_keys; ++n) {
        Stripe& stripe = *stripes_[sweep_stripe_];
        std::unique_lock lock(stripe.mutex);
        // Resume at the slot where the last call stopped: no walk from the start of the stripe.
        for (; sweep_slot_ < stripe.slots.size() && visited < max_keys; ++sweep_slot_, ++visited) {
            Slot& slot = stripe.slots[sweep_slot_];
            if (whole_key_expired(slot.value, now_ms)) {
                swept.due.emplace_back(slot.key(), type_of(slot.value));
                continue;
            }
            auto* reg = slot.value.get_if<KvRegister>();
            if (reg == nullptr) continue;
            const KvValue* winner = winning_write(*reg);
            if (winner == nullptr || !winner->expired_at(now_ms)) continue;
            // Every replica expires the value at the same time on its own.
            reg->clear();
            stripe.mark_dirty(slot);
            swept.values.emplace_back(slot.key());
        }
        if (sweep_slot_ >= stripe.slots.size()) {
            sweep_stripe_ = (sweep_stripe_ + 1) % stripes_.size();
            sweep_slot_ = 0;
        }
    }
    return swept;
}

std::optional<KeyInspection> Keyspace::inspect(std::string_view key) const {
    const HashedKey k = hashed(key);
    const Stripe& stripe = stripe_of(k);
    std::shared_lock lock(stripe.mutex);
    const Slot* slot = stripe.find(k);
    if (slot == nullptr) return std::nullopt;
    return state_of(slot->value);
}

void Keyspace::inspect_each(const InspectFn& fn) const {
    for (const auto& stripe : stripes_) {
        std::shared_lock lock(stripe->mutex);
        for (const Slot& slot : stripe->slots)
            fn(slot.key(), state_of(slot.value));
    }
}

void Keyspace::inspect_changed(ChangeCursor& cursor, const InspectFn& fn) const {
    cursor.stripes.resize(stripes_.size());
    for (std::size_t i = 0; i < stripes_.size(); ++i) {
        const Stripe& stripe = *stripes_[i];
        std::shared_lock lock(stripe.mutex);
        for (const Slot& slot : stripe.slots)
            if (slot.changed > cursor.stripes[i]) fn(slot.key(), state_of(slot.value));
        cursor.stripes[i] = stripe.changes;
    }
}

std::vector<std::string> Keyspace::visible_keys(std::string_view prefix,
                                                std::uint64_t now_ms) const {
    std::vector<std::string> out;
    for (const auto& stripe : stripes_) {
        std::shared_lock lock(stripe->mutex);
        for (const Slot& slot : stripe->slots)
            if (slot.key().starts_with(prefix) && visible_at(slot.value, now_ms))
                out.emplace_back(slot.key());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Keyspace::VisibleCount Keyspace::visible_count(std::uint64_t now_ms) const {
    VisibleCount count;
    for (const auto& stripe : stripes_) {
        std::shared_lock lock(stripe->mutex);
        for (const Slot& slot : stripe->slots) {
            if (!visible_at(slot.value, now_ms)) continue;
            ++count.keys;
            const std::uint64_t expires_ms = shown_expiry_ms(slot.value);
            if (expires_ms == 0) continue;
            assert(expires_ms > now_ms && "a key shown has not expired");
            ++count.expiring;
            count.time_left_ms += expires_ms - now_ms;
        }
    }
    return count;
}

// A scan cursor: the stripe in its top bits, the slot in that stripe below (stripes number at
// most 2^16, so a cursor stays below 2^56 and fits a signed 64-bit integer).
constexpr unsigned scan_slot_bits = 40;

Keyspace::ScanStep Keyspace::scan(std::uint64_t cursor, std::size_t slots_max,
                                  std::uint64_t now_ms) const {
    assert(slots_max > 0);
    ScanStep step;
    std::size_t stripe = cursor >> scan_slot_bits;
    std::size_t at = cursor & ((std::uint64_t{1} << scan_slot_bits) - 1);
    std::size_t visited = 0;
    for (; stripe < stripes_.size(); ++stripe, at = 0) {
        std::shared_lock lock(stripes_[stripe]->mutex);
        const auto& slots = stripes_[stripe]->slots;
        for (; at < slots.size() && visited < slots_max; ++at, ++visited)
            if (visible_at(slots[at].value, now_ms)) step.keys.emplace_back(slots[at].key());
        if (at < slots.size()) break;  // the budget ran out inside this stripe
    }
    if (stripe < stripes_.size()) step.cursor = std::uint64_t{stripe} << scan_slot_bits | at;
    assert((step.cursor == 0 || step.cursor != cursor) && "a step always moves on");
    return step;
}

std::optional<KeyInspection::Type> Keyspace::visible_type(std::string_view key,
                                                          std::uint64_t now_ms) const {
    const HashedKey k = hashed(key);
    const Stripe& stripe = stripe_of(k);
    std::shared_lock lock(stripe.mutex);
    const Slot* slot = stripe.find(k);
    if (slot == nullptr || !visible_at(slot->value, now_ms)) return std::nullopt;
    return type_of(slot->value);
}

}  // namespace converge::store::detail
