// Benchmarks of the simulator (issue "The deterministic multi-region simulator"). Run through
// scripts/bench.sh.
#include <benchmark/benchmark.h>

#include <sim/world.hpp>

namespace {

using namespace converge::sim;

// Runs s once per iteration and reports events and simulated seconds per wall second; returns the
// last run's report.
Report run(benchmark::State& state, const Scenario& s) {
    double events = 0, simulated = 0;
    Report r;
    for (auto _ : state) {
        r = World(s).run();
        events += static_cast<double>(r.stats.events);
        simulated += static_cast<double>(r.simulated) / 1e6;
    }
    if (!r.ok()) state.SkipWithError("the run did not converge or meet its expectations");
    state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
    state.counters["sim_over_wall"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
    return r;
}

// The main job's scenario. Goals: >= 2 M events/s; simulated time / wall time >= 1,000x.
// checks:1 is the scenario as written (the oracle checks every replica each simulated second);
// checks:0 checks only at the end, to show what the continuous checks cost.
void BM_SimThreeRegions(benchmark::State& state) {
    Scenario s = load_scenario(CONVERGE_SCENARIOS "/three-regions.toml");
    if (state.range(0) == 0) s.check_interval = 0;
    run(state, s);
}
BENCHMARK(BM_SimThreeRegions)->ArgName("checks")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

// 5 regions, 10 replicas, 100,000 operations over 50 simulated seconds, a partition from 10 s to
// 30 s. Goal: <= 2 s wall. checks as above.
void BM_SimTenReplicas100kOps(benchmark::State& state) {
    Scenario s;
    s.seed = 9;
    s.duration = 50'000'000;
    for (const char* name : {"r1", "r2", "r3", "r4", "r5"})
        s.regions.push_back(Region{name, 2});
    s.network = LinkFaults{.loss = 0.01, .duplicate = 0.01, .reorder = 0.05};
    s.faults.push_back(Fault{.at = 10'000'000,
                             .kind = FaultKind::partition,
                             .groups = {{"r1", "r2"}, {"r3", "r4", "r5"}}});
    s.faults.push_back(Fault{.at = 30'000'000, .kind = FaultKind::heal});
    s.workloads = {Workload{.rate = 2000, .keys = 1000, .zipf = true}};
    if (state.range(0) == 0) s.check_interval = 0;
    const Report r = run(state, s);
    state.counters["operations"] = static_cast<double>(r.stats.operations);
}
BENCHMARK(BM_SimTenReplicas100kOps)
    ->ArgName("checks")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
