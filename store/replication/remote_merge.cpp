#include <cassert>

#include <store/replication/remote_merge.hpp>

namespace converge::store::detail {
namespace {

ChangeKind kind_of(const Value& v) {
    if (const auto* reg = v.get_if<KvRegister>())
        return winning_write(*reg) ? ChangeKind::put : ChangeKind::del;
    switch (v.index()) {
        case 1:
            return ChangeKind::counter;
        case 2:
            return ChangeKind::set;
        case 3:
            return ChangeKind::hash;
        case 4:
            return ChangeKind::sorted_set;
        default:
            return ChangeKind::hyperloglog;
    }
}

// Whether merging theirs (of held's type) into held would change nothing.
bool includes(const Value& held, const Value& theirs) {
    return held.visit([&](const auto& mine) {
        return mine.includes(theirs.get<std::decay_t<decltype(mine)>>());
    });
}

}  // namespace

std::optional<std::string> RemoteMerge::out_of_range(const std::vector<KeyState>& keys) {
    for (const KeyState& k : keys)
        if (const char* what = detail::out_of_range(k.value))
            return "key \"" + k.key + "\" carries " + what;
    return std::nullopt;
}

void RemoteMerge::merge_all(std::vector<KeyState>&& keys, std::vector<Change>& changes,
                            const RetiredIds& retired, const RetiredIds& learned,
                            const RetiredIds& sender_learned) {
    assert(!out_of_range(keys) && "check out_of_range before merging");
    observe_remote(keys);
    for (KeyState& k : keys) {
        std::string key = k.key;
        if (auto kind = merge(std::move(k), retired, learned, sender_learned))
            changes.push_back({std::move(key), *kind, true});
    }
}

void RemoteMerge::observe_remote(const std::vector<KeyState>& keys) {
    const KvValue* latest = nullptr;
    for (const KeyState& k : keys)
        if (const auto* reg = k.value.get_if<KvRegister>())
            reg->for_each([&](const KvValue& v) {
                if (latest == nullptr || latest->written < v.written) latest = &v;
            });
    if (latest != nullptr && !clock_.observe(latest->written)) bump(counters_.clock_drift_exceeded);
}

std::optional<ChangeKind> RemoteMerge::merge(KeyState&& incoming, const RetiredIds& retired,
                                             const RetiredIds& learned,
                                             const RetiredIds& sender_learned) {
    bump(counters_.merges);
    // What becomes this replica's state as it is (a new key, a type conflict the incoming type
    // wins) is folded first; a merge folds as it joins.
    const auto fold_incoming = [&] {
        if (!retired.empty()) incoming.value.visit([&](auto& v) { fold(v, retired, &learned); });
    };
    const HashedKey k = keyspace_.hashed(incoming.key);
    Stripe& stripe = keyspace_.stripe_of(k);
    std::unique_lock lock(stripe.mutex);
    Slot* found = stripe.find(k);
    if (found == nullptr) {
        fold_incoming();
        Slot& slot = keyspace_.insert(stripe, k.hash, incoming.key, std::move(incoming.value));
        durability_.persist(slot);
        return kind_of(slot.value);
    }
    Slot& slot = *found;
    if (slot.value.index() != incoming.value.index()) {
        fold_incoming();
        return resolve_conflict(stripe, slot, std::move(incoming.value));
    }
    if (local_expiry_ && has_whole_key_deadline(slot.value) &&
        whole_key_expired(slot.value, clock_.now_ms()))
        local_expiry_(stripe, slot);
    if (retired.empty() && includes(slot.value, incoming.value)) {
        // A resent, duplicated or already relayed change: nothing to mark, store or report.
        bump(counters_.merges_unchanged);
        return std::nullopt;
    }
    const std::uint64_t before = change_mark(slot.value);
    slot.value.visit([&](auto& held) {
        auto& theirs = incoming.value.get<std::decay_t<decltype(held)>>();
        if (retired.empty())
            held.merge(theirs);
        else
            merge_folding(held, std::move(theirs), retired,
                          incoming.whole ? Seen::covering_retired : Seen::itself, &learned,
                          &sender_learned);
    });
    // The digest is refreshed whatever the change mark says: a merge can move dots between a
    // set's elements without changing any count the mark sees.
    stripe.mark_dirty(slot);
    // A delta merged as it came can be stored as it came; a whole state or a folded one cannot.
    durability_.persist(slot, !incoming.whole && retired.empty() ? &incoming.value : nullptr);
    if (change_mark(slot.value) == before) {
        bump(counters_.merges_unchanged);
        return std::nullopt;
    }
    return kind_of(slot.value);
}

// Replicas used the key as different types: every replica keeps the greater type tag.
std::optional<ChangeKind> RemoteMerge::resolve_conflict(Stripe& stripe, Slot& slot,
                                                        Value&& incoming) {
    bump(counters_.type_conflicts);
    conflict_logged_(
        log_, "key \"" + std::string(slot.key()) + "\" is " + type_name(slot.value) + " here and " +
                  type_name(incoming) +
                  " on a peer; every replica keeps the later type of docs/semantics.md's "
                  "order; further conflicts are only counted");
    if (incoming.index() < slot.value.index()) return std::nullopt;
    slot.value = std::move(incoming);
    slot.delta.reset();
    stripe.mark_dirty(slot);
    durability_.persist(slot);
    return kind_of(slot.value);
}

}  // namespace converge::store::detail
