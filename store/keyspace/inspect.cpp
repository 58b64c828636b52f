#include <store/detail/store_impl.hpp>

namespace converge::store {
namespace {

KeyInspection state_of(const detail::Value& value) {
    KeyInspection out;
    if (const auto* reg = std::get_if<KvRegister>(&value)) {
        out.type = KeyInspection::Type::value;
        out.context = reg->context();
        reg->for_each_dot([&](const Dot& dot, const KvValue& v) {
            out.live.push_back({dot, v.bytes, v.written, v.expires_ms});
        });
    } else if (const auto* set = std::get_if<detail::StringSet>(&value)) {
        out.type = KeyInspection::Type::set;
        out.context = set->context();
        set->for_each([&](const std::string& member) {
            for (const Dot& dot : set->dots(member))
                out.live.push_back({dot, member});
        });
    } else {
        const auto& counter = std::get<PNCounter>(value);
        out.type = KeyInspection::Type::counter;
        out.increments = counter.increments().slots();
        out.decrements = counter.decrements().slots();
    }
    std::sort(
        out.live.begin(), out.live.end(),
        [](const KeyInspection::Live& a, const KeyInspection::Live& b) { return a.dot < b.dot; });
    return out;
}

}  // namespace

std::optional<KeyInspection> Store::inspect(std::string_view key) const {
    const Impl& s = *impl_;
    const detail::HashedKey k = s.hashed(key);
    const auto& shard = s.shard_of(k);
    std::shared_lock lock(shard.mutex);
    const auto it = shard.map.find(k);
    if (it == shard.map.end()) return std::nullopt;
    return state_of(it->second.value);
}

void Store::inspect_each(
    const std::function<void(std::string_view, const KeyInspection&)>& fn) const {
    for (const auto& shard : impl_->shards) {
        std::shared_lock lock(shard->mutex);
        for (const auto& [key, slot] : shard->map)
            fn(key, state_of(slot.value));
    }
}

void Store::inspect_changed(
    ChangeCursor& cursor,
    const std::function<void(std::string_view, const KeyInspection&)>& fn) const {
    const auto& shards = impl_->shards;
    cursor.stripes.resize(shards.size());
    for (std::size_t p = 0; p < shards.size(); ++p) {
        std::shared_lock lock(shards[p]->mutex);
        for (const auto& [key, slot] : shards[p]->map)
            if (slot.changed > cursor.stripes[p]) fn(key, state_of(slot.value));
        cursor.stripes[p] = shards[p]->changes;
    }
}

}  // namespace converge::store
