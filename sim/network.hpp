// File: sim/network.hpp
// Network: the simulated WAN between a run's replicas. Each frame a replica sends goes through the
// network model (store/testing/network_model.hpp: cut links, loss, duplication, reordering), is
// delayed by its regions' one-way latency plus jitter, and is delivered to the replica that holds
// the id then, unless it is down or restarted under another id. Traffic is counted in the
// Recorder's stats and timeline.
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sim/event_queue.hpp>
#include <sim/random.hpp>
#include <sim/recorder.hpp>
#include <sim/replica_set.hpp>
#include <sim/scenario.hpp>
#include <store/testing/network_model.hpp>

namespace converge::sim {

class Network {
  public:
    // replicas is set later (set_replicas): the replicas' transports come from here.
    Network(const Scenario& scenario, EventQueue& queue, Random& random, Recorder& recorder);

    void set_replicas(ReplicaSet& replicas) { replicas_ = &replicas; }
    // The transport replica from sends through.
    std::shared_ptr<store::Transport> transport(std::size_t from);

    // Cuts every link from a replica in a to one in b (a replica's link to itself stays).
    void cut(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b);
    void heal() { model_.heal(); }

  private:
    void send(std::size_t from, ReplicaId to_id, std::string frame);
    void send_copy(std::size_t from, std::size_t to, ReplicaId to_id, std::string frame,
                   bool duplicate);
    void deliver(std::size_t from, std::size_t to, ReplicaId to_id, const std::string& frame);
    void dropped(std::size_t from, std::optional<std::size_t> to, std::size_t bytes,
                 const char* why);

    const Scenario& scenario_;
    EventQueue& queue_;
    Random& random_;
    Recorder& recorder_;
    ReplicaSet* replicas_ = nullptr;
    store::NetworkModel model_;
    std::vector<std::vector<Micros>> latency_;  // one-way base latency, region by region
};

}  // namespace converge::sim
