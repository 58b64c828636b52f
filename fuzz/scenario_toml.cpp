// Fuzz target: the scenario loader (sim/scenario_toml.cpp over toml++). Input: TOML text.
// A scenario it accepts must write back (to_toml) to text that reads back equal.
#include "check.hpp"

#include <sim/error.hpp>
#include <sim/scenario.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    converge::sim::Scenario scenario;
    try {
        scenario = converge::sim::parse_scenario(text, "fuzz");
    } catch (const converge::sim::ScenarioError&) {
        return 0;
    }
    FUZZ_CHECK(converge::sim::parse_scenario(converge::sim::to_toml(scenario), "fuzz") == scenario);
    return 0;
}
