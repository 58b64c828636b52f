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
    // Replica ids over the run (docs/replicas.md), measured at its end: writers that re-keyed
    // because their id was being retired (a clone's original, a replica told so) and frames
    // refused as coming from a retired writer; the most writer ids one key's metadata names on any
    // live replica; and the causal metadata bytes per key, averaged over the live replicas.
    std::uint64_t clones_detected = 0;
    std::uint64_t ids_per_key_max = 0;
    double metadata_bytes_per_key = 0;
};

// What happened over time, for charts (World::record_timeline).
struct Timeline {
    struct Bucket {
        std::uint64_t operations = 0;
        std::uint64_t messages = 0;  // sent
        std::uint64_t dropped = 0;
        std::uint64_t bytes = 0;  // sent
    };
    // A stretch of time a fault lasted: a partition, one-way cut or isolation until the next
    // heal; a replica down or paused.
    struct Band {
        Micros from = 0, to = 0;
        std::string what;
    };
    Micros bucket = 0;  // each bucket's span of virtual time
    std::vector<Bucket> buckets;
    std::vector<Band> bands;
    // For each key, the time from its last operation until every live replica held the same
    // state of it, measured each sync interval; keys that never got there are left out.
    std::map<std::string, Micros> key_convergence;
};

struct ExpectationResult {
    Expectation expectation;
    bool met = false;
    std::string detail;  // what a replica held instead, when not met
};

// Digest comparisons from one live replica with another (periodic ones and repairs) that found
// keys that differ. They are normal while writes run and replicas catch up; comparisons that keep
// finding differences after the end of the run, once every partition has healed and writes have
// stopped, while the run does not converge, are a pair that cannot agree.
struct PairDivergence {
    std::string from, to;  // replica names: from compared its digest with to's
    std::uint64_t comparisons = 0;
    std::uint64_t differing = 0;
    std::uint64_t keys_repaired = 0;        // key states from sent to to
    std::uint64_t differing_after_end = 0;  // of differing, those after the end of the run
    bool cannot_agree = false;  // not converged, and the last comparison, after the end, differed

    friend bool operator==(const PairDivergence&, const PairDivergence&) = default;
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
    std::optional<Timeline> timeline;     // when recorded
    // Every pair of live replicas that compared digests, and what the comparisons found.
    std::vector<PairDivergence> divergence;

    bool ok() const;  // converged, every expectation met, no violation
};

class World {
  public:
    // Starts the scenario's replicas. Throws ScenarioError if the scenario breaks a rule of
    // validate() (sim/scenario.hpp), before anything runs.
    explicit World(Scenario scenario);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // Runs the scenario to its end and then until the replicas agree (or settle_limit passes).
    // progress, if given, is called now and then with the virtual time reached and the end.
    Report run(const std::function<void(Micros now, Micros end)>& progress = {});

    // Keeps every operation run() applies (scripted and drawn by the workload), in order, for
    // operations(). Call before run().
    void record_operations();
    const std::vector<Op>& operations() const;
    // Fills Report::timeline. Call before run().
    void record_timeline();
    // Calls line with one line of text for each event run() handles: operations, faults,
    // messages sent, dropped and delivered, sync rounds. The same scenario gives the same lines.
    // Call before run().
    void trace_to(std::function<void(std::string_view line)> line);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::sim
