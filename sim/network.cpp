#include <cassert>

#include <sim/error.hpp>
#include <sim/network.hpp>

namespace converge::sim {
namespace {

class SimTransport final : public store::Transport {
  public:
    SimTransport(std::function<void(ReplicaId, std::string)> send) : send_(std::move(send)) {}
    void send(ReplicaId to, std::string frame) override { send_(to, std::move(frame)); }

  private:
    std::function<void(ReplicaId, std::string)> send_;
};

std::size_t region_index(const Scenario& s, const std::string& name) {
    for (std::size_t r = 0; r < s.regions.size(); ++r)
        if (s.regions[r].name == name) return r;
    throw ScenarioError("no region named \"" + name + "\"");
}

}  // namespace

Network::Network(const Scenario& scenario, EventQueue& queue, Random& random, Recorder& recorder)
    : scenario_(scenario),
      queue_(queue),
      random_(random),
      recorder_(recorder),
      model_(scenario.network),
      latency_(scenario.regions.size(),
               std::vector<Micros>(scenario.regions.size(), scenario.latency.default_base)) {
    for (std::size_t r = 0; r < scenario.regions.size(); ++r)
        latency_[r][r] = scenario.latency.within_region;
    for (const LatencyLink& link : scenario.latency.links)
        latency_[region_index(scenario, link.from)][region_index(scenario, link.to)] = link.base;
}

std::shared_ptr<store::Transport> Network::transport(std::size_t from) {
    return std::make_shared<SimTransport>(
        [this, from](ReplicaId to, std::string frame) { send(from, to, std::move(frame)); });
}

void Network::cut(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) {
    for (std::size_t x : a)
        for (std::size_t y : b)
            model_.cut(x, y);
}

void Network::send(std::size_t from, ReplicaId to_id, std::string frame) {
    assert(replicas_ != nullptr);
    Stats& stats = recorder_.stats;
    ++stats.messages_sent;
    stats.bytes_sent += frame.size();
    if (Timeline::Bucket* b = recorder_.bucket()) {
        ++b->messages;
        b->bytes += frame.size();
    }
    const auto to = replicas_->holding(to_id);
    if (!to) {
        dropped(from, std::nullopt, frame.size(), "to a replica gone");
        return;
    }
    const SimReplica& a = (*replicas_)[from];
    const SimReplica& b = (*replicas_)[*to];
    stats.bytes_by_route[scenario_.regions[a.region].name + " -> " +
                         scenario_.regions[b.region].name] += frame.size();
    const auto route = model_.route(from, *to, random_);
    if (route.fate != store::NetworkModel::Fate::delivered) {
        dropped(from, to, frame.size(),
                route.fate == store::NetworkModel::Fate::cut ? "cut" : "lost");
        return;
    }
    stats.messages_duplicated += route.copies - 1;
    for (std::uint32_t c = 0; c < route.copies; ++c)
        send_copy(from, *to, to_id, c + 1 == route.copies ? std::move(frame) : frame, c > 0);
}

void Network::send_copy(std::size_t from, std::size_t to, ReplicaId to_id, std::string frame,
                        bool duplicate) {
    const SimReplica& a = (*replicas_)[from];
    const SimReplica& b = (*replicas_)[to];
    const Micros delay =
        model_.delay(latency_[a.region][b.region], scenario_.latency.jitter, random_);
    if (recorder_.tracing())
        recorder_.line("send " + a.name + " -> " + b.name + " " + std::to_string(frame.size()) +
                       " B, arrives in " + format_duration(delay) +
                       (duplicate ? " (duplicate)" : ""));
    queue_.at(queue_.now() + delay, [this, from, to, to_id, bytes = std::move(frame)] {
        deliver(from, to, to_id, bytes);
    });
}

void Network::deliver(std::size_t from, std::size_t to, ReplicaId to_id, const std::string& frame) {
    SimReplica& target = (*replicas_)[to];
    if (!target.up || target.id != to_id) {
        dropped(from, to, frame.size(), "the receiver is down");
        return;
    }
    ++recorder_.stats.messages_delivered;
    recorder_.mix(static_cast<std::uint64_t>(queue_.now()));
    recorder_.mix(frame.size() * 1000 + to);
    const bool accepted = target.store->receive(frame);
    if (recorder_.tracing())
        recorder_.line("deliver " + (*replicas_)[from].name + " -> " + target.name + " " +
                       std::to_string(frame.size()) + " B" + (accepted ? "" : " (rejected)"));
}

void Network::dropped(std::size_t from, std::optional<std::size_t> to, std::size_t bytes,
                      const char* why) {
    ++recorder_.stats.messages_dropped;
    if (Timeline::Bucket* b = recorder_.bucket()) ++b->dropped;
    if (recorder_.tracing())
        recorder_.line("drop " + (*replicas_)[from].name + " -> " +
                       (to ? (*replicas_)[*to].name : "?") + " " + std::to_string(bytes) +
                       " B: " + why);
}

}  // namespace converge::sim
