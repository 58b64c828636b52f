#include <algorithm>

#include <sim/error.hpp>
#include <sim/shrink.hpp>

namespace converge::sim {

std::string failure_kind(const Report& r) {
    // A run that did not converge reports that as its one violation besides the oracle's.
    if (r.violations.size() > (r.converged ? 0u : 1u)) return "a violation";
    if (!r.converged) return "no convergence";
    for (const auto& e : r.expectations)
        if (!e.met) return "expectation " + e.expectation.key + " not met";
    return {};
}

namespace {

class Shrinker {
  public:
    Shrinker(const Scenario& failing, const ShrinkOptions& options)
        : options_(options), best_{failing, World(failing).run(), 1} {
        const std::string kind = failure_kind(best_.report);
        if (!options_.fails && kind.empty())
            throw InvalidOperation("shrink: the scenario does not fail");
        if (options_.fails && !options_.fails(best_.report))
            throw InvalidOperation("shrink: the scenario does not fail");
        if (!options_.fails)
            options_.fails = [kind](const Report& r) { return failure_kind(r) == kind; };
    }

    Shrunk run() {
        for (bool progress = true; progress && budget();) {
            progress = false;
            progress |= shorten();
            progress |= script_chaos();
            progress |= drop_each(&Scenario::faults);
            progress |= drop_each(&Scenario::ops);
            progress |= simplify_workload();
            progress |= calm_network();
            progress |= fewer_replicas();
        }
        return std::move(best_);
    }

  private:
    bool budget() const { return best_.runs < options_.max_runs; }

    // Runs candidate; keeps it as the best if it still fails.
    bool attempt(const Scenario& candidate) {
        if (!budget() || candidate == best_.scenario) return false;
        try {
            validate(candidate);
        } catch (const ScenarioError&) {
            return false;  // dropping a clone fault leaves the clone's operations naming nobody
        }
        Report r = World(candidate).run();
        ++best_.runs;
        const bool kept = options_.fails(r);
        if (kept) {
            best_.scenario = candidate;
            best_.report = std::move(r);
        }
        if (options_.progress) options_.progress(best_.runs, best_.scenario);
        return kept;
    }

    // Halves the run while it still fails (faults and operations past the end go).
    bool shorten() {
        bool any = false;
        while (best_.scenario.duration > 1000) {
            Scenario c = best_.scenario;
            c.duration /= 2;
            std::erase_if(c.faults, [&](const Fault& f) { return f.at >= c.duration; });
            std::erase_if(c.ops, [&](const Op& o) { return o.at >= c.duration; });
            if (!attempt(c)) break;
            any = true;
        }
        return any;
    }

    // Turns the faults chaos draws into scripted ones, so they can be dropped one by one.
    bool script_chaos() {
        if (best_.scenario.chaos.every <= 0) return false;
        Scenario c = best_.scenario;
        const std::vector<Fault> drawn = draw_chaos(c);
        c.chaos.every = 0;
        c.faults.insert(c.faults.end(), drawn.begin(), drawn.end());
        std::stable_sort(c.faults.begin(), c.faults.end(),
                         [](const Fault& a, const Fault& b) { return a.at < b.at; });
        return attempt(c);
    }

    // Removes elements of one list in chunks, halving the chunk down to one element.
    template <class T>
    bool drop_each(std::vector<T> Scenario::*list) {
        bool any = false;
        for (std::size_t chunk = std::max<std::size_t>(1, (best_.scenario.*list).size() / 2);;
             chunk /= 2) {
            for (std::size_t at = 0; at < (best_.scenario.*list).size() && budget();) {
                Scenario c = best_.scenario;
                auto& items = c.*list;
                items.erase(items.begin() + static_cast<std::ptrdiff_t>(at),
                            items.begin() +
                                static_cast<std::ptrdiff_t>(std::min(items.size(), at + chunk)));
                if (attempt(c))
                    any = true;
                else
                    at += chunk;
            }
            if (chunk <= 1) break;
        }
        return any;
    }

    // Drops the workloads, or slows them; once small enough, replaces them with the operations
    // they made so those can be dropped one by one.
    bool simplify_workload() {
        std::vector<Workload>& ws = best_.scenario.workloads;
        if (ws.empty()) return false;
        Scenario none = best_.scenario;
        none.workloads.clear();
        if (attempt(none)) return true;
        bool any = false;
        for (std::size_t i = ws.size(); i-- > 0 && ws.size() > 1;) {
            Scenario c = best_.scenario;
            c.workloads.erase(c.workloads.begin() + static_cast<std::ptrdiff_t>(i));
            any |= attempt(c);
        }
        const double seconds = static_cast<double>(best_.scenario.duration) / 1e6;
        for (std::size_t i = 0; i < ws.size(); ++i) {
            for (;;) {
                Scenario c = best_.scenario;
                c.workloads[i].rate /= 2;
                if (c.workloads[i].rate * seconds < 1 || !attempt(c)) break;
                any = true;
            }
            for (;;) {
                Scenario c = best_.scenario;
                c.workloads[i].keys /= 2;
                if (c.workloads[i].keys == 0 || !attempt(c)) break;
                any = true;
            }
        }
        double expected_ops = 0;
        for (const Workload& w : ws)
            expected_ops += w.rate * seconds;
        if (expected_ops <= 2000 && budget()) {
            World world(best_.scenario);
            world.record_operations();
            world.run();
            Scenario c = best_.scenario;
            c.workloads.clear();
            c.ops = world.operations();  // the scripted ones that happened, and the drawn ones
            any |= attempt(c);
        }
        return any;
    }

    bool calm_network() {
        bool any = false;
        for (double LinkFaults::*p :
             {&LinkFaults::loss, &LinkFaults::duplicate, &LinkFaults::reorder}) {
            if (best_.scenario.network.*p == 0) continue;
            Scenario c = best_.scenario;
            c.network.*p = 0;
            any |= attempt(c);
        }
        if (best_.scenario.latency.jitter != 0) {
            Scenario c = best_.scenario;
            c.latency.jitter = 0;
            any |= attempt(c);
        }
        return any;
    }

    // Removes a region's last replica when no fault, operation or workload names it.
    bool fewer_replicas() {
        bool any = false;
        for (std::size_t r = 0; r < best_.scenario.regions.size(); ++r) {
            const Region& region = best_.scenario.regions[r];
            if (region.replicas <= 1 && best_.scenario.regions.size() == 1) continue;
            const std::string last = replica_name(region, region.replicas);
            if (named(last)) continue;
            Scenario c = best_.scenario;
            if (region.replicas > 1) {
                --c.regions[r].replicas;
            } else {
                if (named(region.name)) continue;
                std::erase_if(c.latency.links, [&](const LatencyLink& l) {
                    return l.from == region.name || l.to == region.name;
                });
                c.regions.erase(c.regions.begin() + static_cast<std::ptrdiff_t>(r));
            }
            if (attempt(c)) {
                any = true;
                --r;  // look at the same place again
            }
        }
        return any;
    }

    bool named(const std::string& name) const {
        const Scenario& s = best_.scenario;
        if (std::find(s.topology.hubs.begin(), s.topology.hubs.end(), name) !=
            s.topology.hubs.end())
            return true;
        for (const Fault& f : s.faults) {
            if (f.replica == name || f.from == name || f.to == name) return true;
            for (const auto& g : f.groups)
                if (std::find(g.begin(), g.end(), name) != g.end()) return true;
        }
        return std::any_of(s.ops.begin(), s.ops.end(),
                           [&](const Op& o) { return o.replica == name; }) ||
               std::any_of(s.workloads.begin(), s.workloads.end(),
                           [&](const Workload& w) { return w.region == name; });
    }

    ShrinkOptions options_;
    Shrunk best_;
};

}  // namespace

Shrunk shrink(const Scenario& failing, const ShrinkOptions& options) {
    return Shrinker(failing, options).run();
}

}  // namespace converge::sim
