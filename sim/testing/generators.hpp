// File: sim/testing/generators.hpp
// rapidcheck generators of whole simulated worlds: regions, a mesh or hub topology, latencies,
// link faults, fault schedules (partitions, one-way cuts, isolation, crashes with or without
// storage, restarts, clock skew, pauses, replicas retired, restored from an older copy of their
// storage or cloned) and workloads. A property over them shrinks a failing world to a small one:
//
//   RC_GTEST_PROP(MyApp, Converges, ()) {
//       const auto scenario = *converge::sim::gen::scenario();
//       RC_ASSERT(converge::sim::World(scenario).run().converged);
//   }
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include <sim/scenario.hpp>

namespace converge::sim {

// rapidcheck prints a failing case's scenario as the TOML converge-sim run replays.
inline void showValue(const Scenario& s, std::ostream& os) {
    os << to_toml(s);
}

}  // namespace converge::sim

namespace converge::sim::gen {

struct Limits {
    std::size_t regions_max = 3;
    std::size_t replicas_per_region_max = 2;
    std::size_t faults_max = 6;
    Micros duration_max = 4'000'000;
    double rate_max = 200;  // workload operations per simulated second
};

// A random fault at a time in [0, duration) against the named regions and replicas.
inline rc::Gen<Fault> fault(Micros duration, std::vector<std::string> regions,
                            std::vector<std::string> replicas) {
    return rc::gen::exec([=] {
        Fault f;
        f.at = *rc::gen::inRange<Micros>(0, duration);
        f.kind = *rc::gen::element(FaultKind::partition, FaultKind::oneway, FaultKind::isolate,
                                   FaultKind::heal, FaultKind::crash, FaultKind::restart,
                                   FaultKind::skew, FaultKind::drift, FaultKind::pause,
                                   FaultKind::resume, FaultKind::retire, FaultKind::restore,
                                   FaultKind::clone);
        const std::string replica = *rc::gen::elementOf(replicas);
        switch (f.kind) {
            case FaultKind::partition: {
                std::vector<std::string> a, b;
                for (const std::string& r : regions)
                    (*rc::gen::arbitrary<bool>() ? a : b).push_back(r);
                if (a.empty() || b.empty()) return Fault{.at = f.at, .kind = FaultKind::heal};
                f.groups = {a, b};
                break;
            }
            case FaultKind::oneway:
                f.from = *rc::gen::elementOf(regions);
                f.to = *rc::gen::elementOf(regions);
                break;
            case FaultKind::heal:
                break;
            case FaultKind::skew:
                f.replica = replica;
                f.offset = *rc::gen::inRange<Micros>(-3'000'000, 3'000'000);
                break;
            case FaultKind::drift:
                f.replica = replica;
                f.ppm = *rc::gen::inRange(-2000, 2001);
                break;
            case FaultKind::crash:
                f.replica = replica;
                f.keep_storage = *rc::gen::arbitrary<bool>();
                break;
            case FaultKind::restore:
                if (f.at == 0) return Fault{.at = f.at, .kind = FaultKind::heal};
                f.replica = replica;
                f.since = *rc::gen::inRange<Micros>(0, f.at);
                break;
            default:
                f.replica = replica;
                break;
        }
        return f;
    });
}

// A random world within limits, with a workload and one scripted operation per replica.
inline rc::Gen<Scenario> scenario(Limits limits = {}) {
    return rc::gen::exec([limits] {
        Scenario s;
        s.seed = *rc::gen::arbitrary<std::uint32_t>();
        s.duration = *rc::gen::inRange<Micros>(500'000, limits.duration_max);
        s.sync_interval = *rc::gen::element<Micros>(50'000, 100'000, 200'000);
        s.settle_limit = 30'000'000;
        const auto regions = *rc::gen::inRange<std::size_t>(1, limits.regions_max + 1);
        std::vector<std::string> region_names, replica_names;
        for (std::size_t r = 0; r < regions; ++r) {
            const std::string name = "r" + std::to_string(r);
            const auto n = *rc::gen::inRange<std::size_t>(1, limits.replicas_per_region_max + 1);
            s.regions.push_back(Region{name, n});
            region_names.push_back(name);
            for (std::size_t i = 1; i <= n; ++i)
                replica_names.push_back(replica_name(s.regions.back(), i));
        }
        s.latency.default_base = *rc::gen::inRange<Micros>(1'000, 150'000);
        s.latency.jitter = *rc::gen::inRange<Micros>(0, 30'000);
        s.network.loss = *rc::gen::inRange(0, 30) / 100.0;
        s.network.duplicate = *rc::gen::inRange(0, 20) / 100.0;
        s.network.reorder = *rc::gen::inRange(0, 30) / 100.0;
        s.faults = *rc::gen::container<std::vector<Fault>>(
            *rc::gen::inRange<std::size_t>(0, limits.faults_max + 1),
            fault(s.duration, region_names, replica_names));
        // A replica is cloned once at most.
        std::vector<std::string> cloned;
        std::erase_if(s.faults, [&](const Fault& f) {
            if (f.kind != FaultKind::clone) return false;
            if (std::find(cloned.begin(), cloned.end(), f.replica) != cloned.end()) return true;
            cloned.push_back(f.replica);
            return false;
        });
        if (replica_names.size() > 1 && *rc::gen::arbitrary<bool>()) {
            // Clients reach each other through the hub only: it stays up to the end.
            const std::string hub = *rc::gen::elementOf(replica_names);
            s.topology = Topology{.kind = Topology::Kind::hub, .hubs = {hub}};
            std::erase_if(s.faults, [&](const Fault& f) {
                return f.replica == hub &&
                       (f.kind == FaultKind::crash || f.kind == FaultKind::retire);
            });
        }
        s.workloads.push_back(Workload{.rate = static_cast<double>(*rc::gen::inRange(
                                           0, static_cast<int>(limits.rate_max) + 1)),
                                       .keys = *rc::gen::inRange<std::size_t>(1, 20),
                                       .zipf = *rc::gen::arbitrary<bool>()});
        if (*rc::gen::arbitrary<bool>())  // a second workload, busy in one region only
            s.workloads.push_back(Workload{.rate = static_cast<double>(*rc::gen::inRange(
                                               0, static_cast<int>(limits.rate_max / 2) + 1)),
                                           .region = *rc::gen::elementOf(region_names),
                                           .keys = *rc::gen::inRange<std::size_t>(1, 20),
                                           .hash = 0.5,
                                           .zset = 0.5,
                                           .hll = 0.25});
        for (const std::string& replica : replica_names)
            s.ops.push_back(Op{.at = *rc::gen::inRange<Micros>(0, s.duration),
                               .replica = replica,
                               .type = OpType::set,
                               .key = "members",
                               .action = OpAction::add,
                               .value = replica});
        return s;
    });
}

}  // namespace converge::sim::gen
