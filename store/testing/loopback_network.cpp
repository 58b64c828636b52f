#include <algorithm>
#include <set>
#include <utility>

#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

namespace converge::store {

struct LoopbackNetwork::Shared {
    struct InFlight {
        std::uint64_t due;
        std::uint64_t order;  // send order: ties at one step keep it
        ReplicaId to;
        std::string frame;
        bool operator<(const InFlight& o) const {
            return std::tie(due, order) < std::tie(o.due, o.order);
        }
    };

    Shared(std::uint64_t seed, LoopbackFaults f)
        : random(seed), model(f.link), max_delay_steps(f.max_delay_steps) {}

    void send(ReplicaId from, ReplicaId to, std::string frame) {
        std::lock_guard lock(mutex);
        ++stats.sent;
        stats.bytes_sent += frame.size();
        const auto route = model.route(from.value, to.value, random);
        if (route.fate != NetworkModel::Fate::delivered) {
            ++stats.dropped;
            return;
        }
        stats.duplicated += route.copies - 1;
        for (std::uint32_t c = 0; c < route.copies; ++c) {
            const auto delay = static_cast<std::uint64_t>(model.delay(0, max_delay_steps, random));
            queue.insert(InFlight{now + delay, next_order++, to,
                                  c + 1 == route.copies ? std::move(frame) : frame});
        }
    }

    mutable std::mutex mutex;
    Random random;
    NetworkModel model;
    std::uint32_t max_delay_steps;
    std::map<ReplicaId, Store*> stores;
    std::multiset<InFlight> queue;
    std::uint64_t now = 0;
    std::uint64_t next_order = 0;
    Stats stats;
};

struct LoopbackNetwork::Link final : Transport {
    Link(std::weak_ptr<Shared> s, ReplicaId f) : shared(std::move(s)), from(f) {}
    void send(ReplicaId to, std::string frame) override {
        if (auto s = shared.lock()) s->send(from, to, std::move(frame));
    }
    std::weak_ptr<Shared> shared;
    ReplicaId from;
};

LoopbackNetwork::LoopbackNetwork(std::uint64_t seed, LoopbackFaults faults)
    : shared_(std::make_shared<Shared>(seed, faults)) {}
LoopbackNetwork::~LoopbackNetwork() = default;

std::shared_ptr<Transport> LoopbackNetwork::transport(ReplicaId from) {
    return std::make_shared<Link>(shared_, from);
}

void LoopbackNetwork::attach(ReplicaId id, Store& store) {
    std::lock_guard lock(shared_->mutex);
    shared_->stores[id] = &store;
}

void LoopbackNetwork::detach(ReplicaId id) {
    std::lock_guard lock(shared_->mutex);
    shared_->stores.erase(id);
}

void LoopbackNetwork::set_faults(LoopbackFaults faults) {
    std::lock_guard lock(shared_->mutex);
    shared_->model.set_faults(faults.link);
    shared_->max_delay_steps = faults.max_delay_steps;
}

void LoopbackNetwork::set_link(ReplicaId from, ReplicaId to, bool up) {
    std::lock_guard lock(shared_->mutex);
    if (up)
        shared_->model.restore(from.value, to.value);
    else
        shared_->model.cut(from.value, to.value);
}

std::size_t LoopbackNetwork::step() {
    std::vector<std::pair<Store*, std::string>> due;
    {
        std::lock_guard lock(shared_->mutex);
        auto& q = shared_->queue;
        while (!q.empty() && q.begin()->due <= shared_->now) {
            auto node = q.extract(q.begin());
            auto it = shared_->stores.find(node.value().to);
            if (it == shared_->stores.end()) {
                ++shared_->stats.dropped;
                continue;
            }
            due.emplace_back(it->second, std::move(node.value().frame));
        }
        shared_->stats.delivered += due.size();
        ++shared_->now;
    }
    for (auto& [store, frame] : due)
        store->receive(frame);
    return due.size();
}

std::size_t LoopbackNetwork::run_until_idle(std::size_t max_steps) {
    std::size_t delivered = 0;
    for (std::size_t i = 0; i < max_steps && in_flight() > 0; ++i)
        delivered += step();
    return delivered;
}

std::size_t LoopbackNetwork::in_flight() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->queue.size();
}

LoopbackNetwork::Stats LoopbackNetwork::stats() const {
    std::lock_guard lock(shared_->mutex);
    return shared_->stats;
}

}  // namespace converge::store
