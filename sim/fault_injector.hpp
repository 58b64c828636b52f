// File: sim/fault_injector.hpp
// FaultInjector: applies a scenario's faults to a run: cuts and heals links on the Network,
// crashes, restarts, pauses and resumes replicas, skews and drifts their clocks, and marks each on
// the trace and the timeline (as the fault table says: sim/fault_table.hpp).
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include <sim/event_queue.hpp>
#include <sim/network.hpp>
#include <sim/recorder.hpp>
#include <sim/replica_set.hpp>

namespace converge::sim {

class FaultInjector {
  public:
    FaultInjector(const EventQueue& time, Network& network, ReplicaSet& replicas,
                  Recorder& recorder)
        : time_(time), network_(network), replicas_(replicas), recorder_(recorder) {}

    // Applies f now. Throws ScenarioError if a name in it stands for no replica or region.
    void apply(const Fault& f);
    // For restore, a restore fault: copies its replica's storage now (at restore.since), for the
    // restore to restart from.
    void snapshot(const Fault& restore);
    // The end of the run: every link heals and every paused replica resumes; crashed ones stay
    // down.
    void end_all();

  private:
    void apply_to_network(const Fault& f);
    void apply_to_replica(const Fault& f);

    const EventQueue& time_;
    Network& network_;
    ReplicaSet& replicas_;
    Recorder& recorder_;
    // The storage copies restores restart from, by (replica, the restore's time).
    std::map<std::pair<std::string, Micros>, std::shared_ptr<store::MemoryStorage>> snapshots_;
};

}  // namespace converge::sim
