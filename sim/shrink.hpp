// File: sim/shrink.hpp
// Shrinking a failing scenario: shorten the run, drop faults and operations, slow and then
// replace the random workload with the operations it made, calm the network and remove
// replicas, keeping each change while the scenario still fails the same way. The result is a
// scenario to save with to_toml and replay with converge-sim run.
//
//   sim::Shrunk small = sim::shrink(failing);   // small.scenario fails as failing did
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include <crdt/error.hpp>
#include <sim/scenario.hpp>
#include <sim/world.hpp>

namespace converge::sim {

struct ShrinkOptions {
    std::size_t max_runs = 500;  // simulations to try at most
    // Whether a report shows the failure to keep; empty: the same kind of failure as the
    // original's (an oracle violation, no convergence, or the same unmet expectation).
    std::function<bool(const Report&)> fails;
    // Called after each simulation with the runs so far and the smallest failing scenario.
    std::function<void(std::size_t runs, const Scenario& smallest)> progress;
};

struct Shrunk {
    Scenario scenario;  // the smallest failing scenario found (the original if nothing shrank)
    Report report;      // its report
    std::size_t runs = 0;
};

// Shrinks failing, which must fail (throws InvalidOperation if it does not).
Shrunk shrink(const Scenario& failing, const ShrinkOptions& options = {});

// What kind of failure a report shows, as the default ShrinkOptions::fails compares it: "a
// violation", "no convergence", "expectation KEY not met", or empty when the report is ok.
std::string failure_kind(const Report& report);

}  // namespace converge::sim
