#include <algorithm>
#include <cmath>

#include <sim/error.hpp>
#include <sim/fault_table.hpp>
#include <sim/random.hpp>
#include <sim/scenario.hpp>

namespace converge::sim {

namespace {

// Fills in what a drawn fault of f.kind acts on (and how much); false when the world has no two
// sides for a partition. Throws ScenarioError for a kind chaos does not draw.
bool fill_drawn(Fault& f, const Chaos& c, const std::vector<std::string>& regions,
                const std::vector<std::string>& replicas, Random& random) {
    auto pick = [&](const std::vector<std::string>& from) {
        return from[random.below(from.size())];
    };
    switch (f.kind) {
        case FaultKind::partition: {
            // Two non-empty sides, of regions when there are several, else of replicas.
            const auto& names = regions.size() > 1 ? regions : replicas;
            if (names.size() < 2) return false;
            std::vector<std::string> a, b;
            const std::size_t first = random.below(names.size());
            for (std::size_t i = 0; i < names.size(); ++i)
                (i == first || (i != (first + 1) % names.size() && random.chance(0.5)) ? a : b)
                    .push_back(names[i]);
            f.groups = {a, b};
            break;
        }
        case FaultKind::oneway:
            f.from = pick(regions);
            f.to = pick(regions);
            break;
        case FaultKind::isolate:
            f.replica = pick(replicas);
            break;
        case FaultKind::crash:
            f.replica = pick(replicas);
            f.keep_storage = !random.chance(c.lose_storage);
            break;
        case FaultKind::pause:
            f.replica = pick(replicas);
            break;
        case FaultKind::skew:
            f.replica = pick(replicas);
            f.offset = static_cast<Micros>(random.below(10'000'001)) - 5'000'000;
            break;
        case FaultKind::drift:
            f.replica = pick(replicas);
            f.ppm = static_cast<double>(random.below(4001)) - 2000;
            break;
        case FaultKind::heal:
        case FaultKind::restart:
        case FaultKind::resume:
        case FaultKind::retire:
        case FaultKind::restore:
        case FaultKind::clone:
            throw ScenarioError("[chaos] kinds: " + std::string(name(f.kind)) +
                                " is not drawn by chaos (it ends another fault, or is "
                                "scripted only)");
    }
    return true;
}

}  // namespace

std::vector<Fault> draw_chaos(const Scenario& s) {
    std::vector<Fault> out;
    const Chaos& c = s.chaos;
    if (c.every <= 0 || c.kinds.empty()) return out;
    if (c.lasts <= 0) throw ScenarioError("[chaos] lasts must be positive");
    const std::vector<std::string> replicas = replica_names(s);
    std::vector<std::string> regions;
    for (const Region& r : s.regions)
        regions.push_back(r.name);
    Random random(s.seed ^ 0x6368616F73ull);  // its own stream: "chaos"
    const double mean = static_cast<double>(c.every);
    for (Micros t = 0;;) {
        t += static_cast<Micros>(-std::log(1.0 - random.unit()) * mean) + 1;
        if (t >= s.duration) break;
        const Micros end = std::min(t + c.lasts, s.duration);
        Fault f{.at = t, .kind = c.kinds[random.below(c.kinds.size())]};
        if (!fill_drawn(f, c, regions, replicas, random)) continue;
        out.push_back(f);
        if (const auto ended_by = fault_spec(f.kind).ended_by) {
            Fault undo{.at = end, .kind = *ended_by};
            if (fault_spec(undo.kind).target == FaultTarget::replica) undo.replica = f.replica;
            out.push_back(std::move(undo));
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Fault& a, const Fault& b) { return a.at < b.at; });
    return out;
}

}  // namespace converge::sim
