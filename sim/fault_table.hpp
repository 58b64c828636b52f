// File: sim/fault_table.hpp
// The fault table: each kind of fault described once, for every part that handles faults: its
// name and the keys it reads in a scenario file (the loader refuses others, to_toml writes these),
// what its names must stand for (validate), how chaos ends it, and the timeline band it opens or
// closes. How World applies each kind is in sim/fault_injector.cpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <sim/scenario.hpp>

namespace converge::sim {

// Which of a Fault's name fields a kind reads, and what they must stand for.
enum class FaultTarget {
    none,               // heal
    groups,             // partition: groups of region or replica names
    link,               // oneway: from and to, region or replica names
    region_or_replica,  // isolate: replica, a region or replica name
    replica,            // the rest: replica, one replica's name
};

// What a fault does to the timeline's bands: opens one (labelled band_label), or ends those whose
// label starts with band_label.
enum class BandEffect { none, open, close };

struct FaultSpec {
    FaultKind kind;
    std::string_view name;                   // in scenario files and traces
    std::span<const std::string_view> keys;  // the [[fault]] keys it reads
    FaultTarget target;
    // The fault that ends it when chaos draws it (heal, restart, resume); nullopt: chaos draws it
    // and it lasts (skew, drift), or chaos never draws it (heal, restart, resume: drawable false).
    std::optional<FaultKind> ended_by;
    bool drawable;  // whether [chaos] kinds may name it
    BandEffect band;
};

// The spec of kind.
const FaultSpec& fault_spec(FaultKind kind);
// Every kind, in FaultKind's order.
std::span<const FaultSpec> fault_table();
// The kind named name, if any.
std::optional<FaultKind> fault_kind_named(std::string_view name);
// The names of every kind, or of the drawable ones: "partition, oneway, ... or resume".
std::string fault_kind_list(bool drawable_only);
// One line for traces: "partition us | eu,ap", "crash eu-1 (storage lost)", "skew a-1 by 2s".
std::string describe(const Fault& fault);
// The timeline band a fault opens ("cut: partition ...", "eu-1 down", "eu-1 paused"), or the
// label prefix of the bands it closes ("cut: ", "eu-1 down", "eu-1 paused").
std::string band_label(const Fault& fault);

}  // namespace converge::sim
