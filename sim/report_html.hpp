// File: sim/report_html.hpp
// A run's report as one self-contained HTML page with SVG charts: messages, drops and bytes over
// time with fault bands (partitions, replicas down or paused) on the timeline, and each key's
// convergence time after its last operation. The charts need Report::timeline
// (World::record_timeline); without it the page holds the summary only.
#pragma once

#include <string>

#include <sim/scenario.hpp>
#include <sim/world.hpp>

namespace converge::sim {

std::string report_html(const Report& report, const Scenario& scenario);

}  // namespace converge::sim
