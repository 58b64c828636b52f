// File: sim/sim.hpp
// The simulator's umbrella header: scenarios (in code or TOML), the World that runs one, its
// Report, the shrinker and the HTML report.
//
//   sim::World world(sim::load_scenario("examples/scenarios/three-regions.toml"));
//   sim::Report report = world.run();
#pragma once

#include <sim/duration.hpp>
#include <sim/error.hpp>
#include <sim/report_html.hpp>
#include <sim/scenario.hpp>
#include <sim/shrink.hpp>
#include <sim/world.hpp>
