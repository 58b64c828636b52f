#include <array>
#include <cassert>

#include <sim/fault_table.hpp>

namespace converge::sim {
namespace {

constexpr std::string_view partition_keys[] = {"at", "kind", "groups"};
constexpr std::string_view oneway_keys[] = {"at", "kind", "from", "to"};
constexpr std::string_view heal_keys[] = {"at", "kind"};
constexpr std::string_view crash_keys[] = {"at", "kind", "replica", "keep_storage"};
constexpr std::string_view skew_keys[] = {"at", "kind", "replica", "offset"};
constexpr std::string_view drift_keys[] = {"at", "kind", "replica", "ppm"};
constexpr std::string_view replica_keys[] = {"at", "kind", "replica"};
constexpr std::string_view restore_keys[] = {"at", "kind", "replica", "from"};

using K = FaultKind;
using T = FaultTarget;
using B = BandEffect;

// In FaultKind's order.
const std::array<FaultSpec, 13> table{{
    {K::partition, "partition", partition_keys, T::groups, K::heal, true, B::open},
    {K::oneway, "oneway", oneway_keys, T::link, K::heal, true, B::open},
    {K::isolate, "isolate", replica_keys, T::region_or_replica, K::heal, true, B::open},
    {K::heal, "heal", heal_keys, T::none, std::nullopt, false, B::close},
    {K::crash, "crash", crash_keys, T::replica, K::restart, true, B::open},
    {K::restart, "restart", replica_keys, T::replica, std::nullopt, false, B::close},
    {K::skew, "skew", skew_keys, T::replica, std::nullopt, true, B::none},
    {K::drift, "drift", drift_keys, T::replica, std::nullopt, true, B::none},
    {K::pause, "pause", replica_keys, T::replica, K::resume, true, B::open},
    {K::resume, "resume", replica_keys, T::replica, std::nullopt, false, B::close},
    {K::retire, "retire", replica_keys, T::replica, std::nullopt, false, B::open},
    {K::restore, "restore", restore_keys, T::replica, std::nullopt, false, B::none},
    {K::clone, "clone", replica_keys, T::replica, std::nullopt, false, B::none},
}};

}  // namespace

const FaultSpec& fault_spec(FaultKind kind) {
    const FaultSpec& spec = table.at(static_cast<std::size_t>(kind));
    assert(spec.kind == kind && "the table is in FaultKind's order");
    return spec;
}

std::span<const FaultSpec> fault_table() {
    return table;
}

std::optional<FaultKind> fault_kind_named(std::string_view name) {
    for (const FaultSpec& spec : table)
        if (spec.name == name) return spec.kind;
    return std::nullopt;
}

std::string fault_kind_list(bool drawable_only) {
    std::vector<std::string_view> names;
    for (const FaultSpec& spec : table)
        if (spec.drawable || !drawable_only) names.push_back(spec.name);
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
        out += std::string(i == 0                  ? ""
                           : i + 1 == names.size() ? " or "
                                                   : ", ") +
               std::string(names[i]);
    return out;
}

std::string_view name(FaultKind kind) {
    return fault_spec(kind).name;
}

std::string describe(const Fault& f) {
    std::string out(name(f.kind));
    for (std::size_t g = 0; g < f.groups.size(); ++g) {
        out += g == 0 ? " " : " | ";
        for (std::size_t i = 0; i < f.groups[g].size(); ++i)
            out += (i ? "," : "") + f.groups[g][i];
    }
    if (!f.from.empty()) out += " " + f.from + " -> " + f.to;
    if (!f.replica.empty()) out += " " + f.replica;
    if (f.kind == FaultKind::crash && !f.keep_storage) out += " (storage lost)";
    if (f.kind == FaultKind::skew) out += " by " + format_duration(f.offset);
    if (f.kind == FaultKind::drift) out += " at " + std::to_string(f.ppm) + " ppm";
    if (f.kind == FaultKind::restore) out += " from " + format_duration(f.since);
    return out;
}

std::string band_label(const Fault& f) {
    switch (f.kind) {
        case FaultKind::partition:
        case FaultKind::oneway:
        case FaultKind::isolate:
            return "cut: " + describe(f);
        case FaultKind::heal:
            return "cut: ";
        case FaultKind::crash:
            return f.replica + " down" + (f.keep_storage ? "" : ", storage lost");
        case FaultKind::restart:
            return f.replica + " down";
        case FaultKind::pause:
        case FaultKind::resume:
            return f.replica + " paused";
        case FaultKind::retire:
            return f.replica + " retired";
        case FaultKind::skew:
        case FaultKind::drift:
        case FaultKind::restore:
        case FaultKind::clone:
            break;
    }
    return {};
}

}  // namespace converge::sim
