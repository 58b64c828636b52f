// File: sim/world.hpp
// World: one deterministic run of a scenario. Every replica is a real converge::store::Store,
// driven through a simulated network (regions, latency, jitter, loss, duplication, reordering,
// partitions), a simulated clock per replica (skew) and virtual time on one event queue. The same
// scenario and seed give the same run, byte for byte (Report::trace_hash).
//
//   sim::World world(sim::load_scenario("examples/scenarios/three-regions.toml"));
//   sim::Report report = world.run();   // report.converged, report.violations, ...
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <sim/scenario.hpp>
#include <sim/value.hpp>

namespace converge::sim {

struct Stats {
    std::uint64_t events = 0;
    std::uint64_t operations = 0;
    std::uint64_t operations_refused = 0;  // a key used as another type on that replica
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_delivered = 0;
    std::uint64_t messages_dropped = 0;  // lost, cut by a partition, or to a down replica
    std::uint64_t messages_duplicated = 0;
    std::uint64_t bytes_sent = 0;
    std::map<std::string, std::uint64_t> bytes_by_route;       // "us-east -> eu-west"
    std::map<std::string, std::uint64_t> peak_metadata_bytes;  // per replica
};

struct ExpectationResult {
    Expectation expectation;
    bool met = false;
    std::string detail;  // what a replica held instead, when not met
};

struct Report {
    bool converged = false;
    // From the end of the run (the last operation, then a heal of every partition) until every
    // live replica held the same state.
    std::optional<Micros> convergence_time;
    Micros simulated = 0;  // virtual time the run covered, settling included
    Stats stats;
    std::map<std::string, std::map<std::string, FinalValue>> replicas;  // live replicas' keys
    std::vector<ExpectationResult> expectations;
    std::vector<std::string> violations;  // each with the seed, time, replicas and keys
    std::uint64_t trace_hash = 0;         // of every event in order: equal runs, equal hashes

    bool ok() const;  // converged, every expectation met, no violation
};

class World {
  public:
    explicit World(Scenario scenario);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // Runs the scenario to its end and then until the replicas agree (or settle_limit passes).
    // progress, if given, is called now and then with the virtual time reached and the end.
    Report run(const std::function<void(Micros now, Micros end)>& progress = {});

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::sim
