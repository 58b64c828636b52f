// validate(): the rules a scenario keeps, whether it was read from a file or built in code.
#include <algorithm>
#include <set>

#include <sim/error.hpp>
#include <sim/fault_table.hpp>
#include <sim/scenario.hpp>

namespace converge::sim {
namespace {

class Names {
  public:
    explicit Names(const Scenario& s) : replicas_(replica_names(s)) {
        for (const Region& r : s.regions)
            regions_.push_back(r.name);
    }
    void region(const std::string& name) const {
        if (!contains(regions_, name)) throw ScenarioError("no region named \"" + name + "\"");
    }
    void replica(const std::string& name) const {
        if (!contains(replicas_, name))
            throw ScenarioError("no replica named \"" + name + "\" (replicas are named like \"" +
                                replicas_.front() + "\")");
    }
    void region_or_replica(const std::string& name) const {
        if (!contains(regions_, name) && !contains(replicas_, name))
            throw ScenarioError("no region or replica named \"" + name + "\"");
    }

  private:
    static bool contains(const std::vector<std::string>& v, const std::string& name) {
        return std::find(v.begin(), v.end(), name) != v.end();
    }
    std::vector<std::string> regions_;
    std::vector<std::string> replicas_;
};

void validate_regions(const Scenario& s) {
    if (s.regions.empty()) throw ScenarioError("the scenario has no [[region]]");
    std::set<std::string> taken;
    for (const Region& region : s.regions) {
        if (region.name.empty()) throw ScenarioError("a region's name must not be empty");
        if (region.replicas == 0)
            throw ScenarioError("region \"" + region.name + "\" has no replicas");
        bool fresh = taken.insert(region.name).second;
        for (std::size_t i = 1; fresh && i <= region.replicas; ++i)
            fresh = taken.insert(replica_name(region, i)).second;
        if (!fresh)
            throw ScenarioError("region \"" + region.name +
                                "\" clashes with another region's or replica's name");
    }
}

void validate_fault(const Fault& f, const Names& names) {
    switch (fault_spec(f.kind).target) {
        case FaultTarget::none:
            break;
        case FaultTarget::groups:
            for (const auto& group : f.groups)
                for (const std::string& name : group)
                    names.region_or_replica(name);
            break;
        case FaultTarget::link:
            names.region_or_replica(f.from);
            names.region_or_replica(f.to);
            break;
        case FaultTarget::region_or_replica:
            names.region_or_replica(f.replica);
            break;
        case FaultTarget::replica:
            names.replica(f.replica);
            break;
    }
    if (f.kind == FaultKind::restore && (f.since < 0 || f.since >= f.at))
        throw ScenarioError("a restore of " + f.replica + " at " + format_duration(f.at) +
                            " must restore from an earlier time, not " + format_duration(f.since));
}

void validate_lifecycle(const Scenario& s) {
    std::set<std::string> cloned;
    for (const Fault& f : s.faults) {
        if (f.kind != FaultKind::clone) continue;
        if (f.replica.find('+') != std::string::npos)
            throw ScenarioError("a clone (" + f.replica + ") cannot be cloned again");
        if (!cloned.insert(f.replica).second)
            throw ScenarioError(f.replica + " is cloned twice; one clone a replica");
    }
}

void validate_topology(const Topology& t, const Names& names) {
    for (const std::string& hub : t.hubs)
        names.region_or_replica(hub);
    if (t.kind == Topology::Kind::hub && t.hubs.empty())
        throw ScenarioError("a hub topology needs at least one hub");
    if (t.kind == Topology::Kind::mesh && !t.hubs.empty())
        throw ScenarioError("hubs are for a hub topology");
}

void validate_chaos(const Chaos& c) {
    if (c.every <= 0) return;
    if (c.lasts <= 0) throw ScenarioError("[chaos] lasts must be positive");
    for (FaultKind k : c.kinds)
        if (!fault_spec(k).drawable)
            throw ScenarioError("[chaos] kinds: " + std::string(name(k)) +
                                " is not drawn by chaos (it ends another fault, or is scripted "
                                "only); draw from " +
                                fault_kind_list(/*drawable_only=*/true));
}

}  // namespace

void validate(const Scenario& s) {
    validate_regions(s);
    if (s.sync_interval <= 0) throw ScenarioError("sync_interval must be positive");
    const Names names(s);
    for (const LatencyLink& link : s.latency.links) {
        names.region(link.from);
        names.region(link.to);
    }
    for (const Fault& f : s.faults)
        validate_fault(f, names);
    validate_lifecycle(s);
    validate_topology(s.topology, names);
    validate_chaos(s.chaos);
    for (const Op& op : s.ops) {
        names.replica(op.replica);
        if (!fits(op.type, op.action))
            throw ScenarioError("a " + std::string(name(op.type)) + " operation cannot " +
                                std::string(name(op.action)));
    }
    for (const Workload& w : s.workloads) {
        if (!w.region.empty()) names.region_or_replica(w.region);
        if (w.rate > 0 && w.keys > 0 && w.total() <= 0)
            throw ScenarioError("the workload's mix is all zero");
    }
}

}  // namespace converge::sim
