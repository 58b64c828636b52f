#include <algorithm>

#include <store/subscription.hpp>

namespace converge::store {

std::uint64_t SubscriberList::add(std::string prefix, ChangeCallback callback) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_id_++;
    entries_.push_back(
        Entry{id, std::move(prefix), std::make_shared<const ChangeCallback>(std::move(callback))});
    count_.store(entries_.size(), std::memory_order_release);
    return id;
}

void SubscriberList::remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [id](const Entry& e) { return e.id == id; });
    count_.store(entries_.size(), std::memory_order_release);
}

void SubscriberList::notify(const Change& change) const {
    std::vector<std::shared_ptr<const ChangeCallback>> matching;
    {
        std::lock_guard lock(mutex_);
        for (const Entry& e : entries_)
            if (std::string_view(change.key).starts_with(e.prefix)) matching.push_back(e.callback);
    }
    for (const auto& callback : matching)
        (*callback)(change);
}

}  // namespace converge::store
