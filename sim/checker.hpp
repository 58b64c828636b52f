// File: sim/checker.hpp
// Checker: what a run's replicas are checked against and the Report it ends with. While the run
// goes it has the oracle check every live replica's changed keys and that replicas with the same
// state of a key show the same value; with a timeline, it measures each key's time to agree; once
// the replicas agree it checks every key of every live replica against the model; then it builds
// the report (final values, expectations, violations).
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <sim/event_queue.hpp>
#include <sim/oracle.hpp>
#include <sim/recorder.hpp>
#include <sim/replica_set.hpp>
#include <sim/world.hpp>

namespace converge::sim {

class Checker {
  public:
    Checker(const Scenario& scenario, const EventQueue& time, ReplicaSet& replicas,
            Recorder& recorder)
        : scenario_(scenario),
          time_(time),
          replicas_(replicas),
          recorder_(recorder),
          oracle_(scenario.seed) {}

    // Op ran on replica i and changed its key from before to after.
    void operation(std::size_t i, const Op& op, const std::optional<store::KeyInspection>& before,
                   const store::KeyInspection& after);
    // Replica i gave up its id: the model forgets what it checked there.
    void forget(std::size_t i) { oracle_.forget(i); }

    // The oracle's checks of every live replica's changed keys, now.
    void check_replicas();
    // Timeline: records the keys that now have one state on every live replica, since their last
    // operation.
    void check_key_convergence();
    // The end of the run (writes stop, partitions heal): comparisons from here on are counted as
    // after the end.
    void end_of_run();
    // The report of a run that ended at now; settle_from is when it began to settle, converged_at
    // when the replicas agreed (nullopt: never). Runs the final checks if they agreed.
    Report report(Micros settle_from, std::optional<Micros> converged_at);

  private:
    void check_final();
    // Whether every operation written under writer must be present at the end: the replica whose
    // store writes under it is up.
    bool durable(ReplicaId writer) const;
    void add_final_values(Report& r);
    void add_expectations(Report& r);
    void add_divergence(Report& r);

    const Scenario& scenario_;
    const EventQueue& time_;
    ReplicaSet& replicas_;
    Recorder& recorder_;
    Oracle oracle_;
    std::map<std::string, Micros> unsettled_;  // timeline: key -> its last operation's time
    // Each live replica's differing comparisons with each peer at the end of the run.
    std::map<std::pair<std::size_t, ReplicaId>, std::uint64_t> differing_at_end_of_run_;
};

// What key shows on s read as type; null if s holds it as another type.
FinalValue final_value(store::Store& s, const std::string& key, OpType type);

}  // namespace converge::sim
