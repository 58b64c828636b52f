// The simulator's parts on their own: the event queue, the fault table and validate().
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sim/error.hpp>
#include <sim/event_queue.hpp>
#include <sim/fault_table.hpp>
#include <sim/scenario.hpp>

namespace converge::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(EventQueue, RunsEventsInTimeOrderAndTiesInTheOrderScheduled) {
    EventQueue q;
    std::vector<std::string> ran;
    q.at(20, [&] { ran.push_back("b"); });
    q.at(10, [&] { ran.push_back("a"); });
    q.at(20, [&] { ran.push_back("c"); });
    while (!q.empty()) {
        auto event = q.pop();
        if (q.now() == 10) q.at(20, [&] { ran.push_back("d"); });  // scheduled later, runs later
        event();
    }
    EXPECT_THAT(ran, ElementsAre("a", "b", "c", "d"));
    EXPECT_EQ(q.now(), 20);
}

TEST(FaultTable, EveryKindIsDescribedOnceInItsOrder) {
    const auto table = fault_table();
    ASSERT_EQ(table.size(), 13u);
    for (std::size_t i = 0; i < table.size(); ++i) {
        const FaultSpec& spec = table[i];
        EXPECT_EQ(static_cast<std::size_t>(spec.kind), i);
        EXPECT_EQ(fault_kind_named(spec.name), spec.kind);
        EXPECT_EQ(spec.keys[0], "at");
        EXPECT_EQ(spec.keys[1], "kind");
        // What ends a drawn fault is never drawn itself, and ends no other fault.
        if (spec.ended_by) {
            EXPECT_TRUE(spec.drawable);
            EXPECT_FALSE(fault_spec(*spec.ended_by).drawable);
            EXPECT_EQ(fault_spec(*spec.ended_by).band, BandEffect::close);
        }
    }
    EXPECT_EQ(fault_kind_named("flood"), std::nullopt);
    EXPECT_EQ(fault_kind_list(true), "partition, oneway, isolate, crash, skew, drift or pause");
}

TEST(FaultTable, ABandIsClosedByTheFaultThatEndsIt) {
    const Fault crash{.kind = FaultKind::crash, .replica = "a-1", .keep_storage = false};
    const Fault restart{.kind = FaultKind::restart, .replica = "a-1"};
    EXPECT_EQ(band_label(crash), "a-1 down, storage lost");
    EXPECT_TRUE(band_label(crash).starts_with(band_label(restart)));
    const Fault cut{.kind = FaultKind::oneway, .from = "a", .to = "b"};
    EXPECT_EQ(describe(cut), "oneway a -> b");
    EXPECT_TRUE(band_label(cut).starts_with(band_label(Fault{.kind = FaultKind::heal})));
}

Scenario two_regions() {
    Scenario s;
    s.regions = {{.name = "a", .replicas = 2}, {.name = "b", .replicas = 1}};
    return s;
}

void expect_refused(const Scenario& s, const std::string& fragment) {
    try {
        validate(s);
        ADD_FAILURE() << "validate accepted:\n" << to_toml(s);
    } catch (const ScenarioError& e) {
        EXPECT_THAT(e.what(), HasSubstr(fragment));
    }
}

TEST(Validate, RefusesWhatWorldCannotRun) {
    EXPECT_NO_THROW(validate(two_regions()));
    expect_refused(Scenario{}, "no [[region]]");
    Scenario s = two_regions();
    s.regions[1].replicas = 0;
    expect_refused(s, "region \"b\" has no replicas");
    s = two_regions();
    s.regions[1].name = "a-1";
    expect_refused(s, "clashes");
    s = two_regions();
    s.sync_interval = 0;
    expect_refused(s, "sync_interval must be positive");
    s = two_regions();
    s.latency.links.push_back({"a", "c", 5});
    expect_refused(s, "no region named \"c\"");
    s = two_regions();
    s.faults.push_back(Fault{.kind = FaultKind::crash, .replica = "a"});
    expect_refused(s, "no replica named \"a\"");
    s = two_regions();
    s.faults.push_back(Fault{.kind = FaultKind::partition, .groups = {{"a"}, {"c"}}});
    expect_refused(s, "no region or replica named \"c\"");
    s = two_regions();
    s.ops.push_back(Op{.replica = "a-1", .type = OpType::set, .key = "k", .action = OpAction::put});
    expect_refused(s, "a set operation cannot put");
    s = two_regions();
    s.workloads.push_back(Workload{.rate = 10, .counter = 0, .set = 0, .kv = 0});
    expect_refused(s, "mix is all zero");
    s = two_regions();
    s.chaos.every = 1000;
    s.chaos.kinds = {FaultKind::restart};
    expect_refused(s, "restart is not drawn by chaos");
}

TEST(Validate, TheLoaderAppliesTheSameRulesAsWorld) {
    // A scenario that passes validate() writes to TOML that loads back equal, and is valid there.
    Scenario s = two_regions();
    s.faults.push_back(Fault{.at = 5, .kind = FaultKind::isolate, .replica = "b"});
    s.ops.push_back(Op{.at = 7,
                       .replica = "b-1",
                       .type = OpType::counter,
                       .key = "n",
                       .action = OpAction::decrement,
                       .value = "2"});
    validate(s);
    EXPECT_EQ(parse_scenario(to_toml(s)), s);
}

}  // namespace
}  // namespace converge::sim
