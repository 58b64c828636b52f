// File: store/subscription.hpp
// Change notifications. A Subscription is an RAII handle: while it lives, its callback is called
// (outside every store lock) for each change to a key starting with its prefix.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace converge::store {

enum class ChangeKind { put, del, expire, counter, set, hash, sorted_set, hyperloglog };

struct Change {
    std::string key;
    ChangeKind kind;
    bool remote = false;  // true when the change arrived from a peer
};

using ChangeCallback = std::function<void(const Change&)>;

// The callbacks of one store. Thread-safe.
class SubscriberList {
  public:
    // Adds a callback for keys starting with prefix; returns its id.
    std::uint64_t add(std::string prefix, ChangeCallback callback);
    void remove(std::uint64_t id);
    // Calls every matching callback. Must be called with no store lock held.
    void notify(const Change& change) const;
    // Whether any callback is registered: a change with no one to hear of it need not build its
    // Change (its key's copy) nor take the list's lock. Lock-free.
    bool any() const noexcept { return count_.load(std::memory_order_acquire) != 0; }

  private:
    struct Entry {
        std::uint64_t id;
        std::string prefix;
        std::shared_ptr<const ChangeCallback> callback;
    };
    mutable std::mutex mutex_;
    std::vector<Entry> entries_;
    std::atomic<std::size_t> count_{0};  // entries_.size(), readable without the lock
    std::uint64_t next_id_ = 1;
};

// Unsubscribes when destroyed. Movable; safe to outlive the store.
class Subscription {
  public:
    Subscription() = default;
    Subscription(std::weak_ptr<SubscriberList> list, std::uint64_t id)
        : list_(std::move(list)), id_(id) {}
    Subscription(Subscription&& other) noexcept { *this = std::move(other); }
    Subscription& operator=(Subscription&& other) noexcept {
        if (this != &other) {
            reset();
            list_ = std::move(other.list_);
            id_ = std::exchange(other.id_, 0);
        }
        return *this;
    }
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription() { reset(); }

    // Stops the callback now.
    void reset() {
        if (auto list = list_.lock(); list && id_ != 0) list->remove(id_);
        id_ = 0;
    }

  private:
    std::weak_ptr<SubscriberList> list_;
    std::uint64_t id_ = 0;
};

}  // namespace converge::store
