// rapidcheck: random worlds (regions, latencies, link faults, fault schedules, workloads) always
// converge once the run ends and partitions heal, and every oracle holds. CI runs 1,000 of them.
#include <algorithm>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <sim/testing/generators.hpp>
#include <sim/world.hpp>

namespace converge::sim {
namespace {

RC_GTEST_PROP(SimulatedWorlds, ConvergeAndKeepEveryOracle, ()) {
    const Scenario s = *gen::scenario();
    const Report r = World(s).run();
    for (const std::string& v : r.violations)
        RC_LOG() << v << "\n";
    for (const Fault& f : s.faults)
        RC_LOG() << "fault at " << f.at << " kind " << static_cast<int>(f.kind) << " replica "
                 << f.replica << " keep " << f.keep_storage << "\n";
    RC_ASSERT(r.converged);
    RC_ASSERT(r.violations.empty());
    // Every live replica holds the member each live-or-restarted replica added (add-wins, never
    // removed): at least the ones whose replica never lost its storage before syncing.
    for (const auto& [name, keys] : r.replicas) {
        const auto it = keys.find("members");
        if (it == keys.end()) continue;
        const auto& members = std::get<std::vector<std::string>>(it->second);
        RC_ASSERT(std::is_sorted(members.begin(), members.end()));
        RC_ASSERT(keys == r.replicas.begin()->second);
    }
}

}  // namespace
}  // namespace converge::sim
