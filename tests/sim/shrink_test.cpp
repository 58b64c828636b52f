#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sim/shrink.hpp>

namespace converge::sim {
namespace {

Op increment(Micros at, std::string replica, std::string key) {
    return Op{.at = at,
              .replica = std::move(replica),
              .type = OpType::counter,
              .key = std::move(key),
              .action = OpAction::increment,
              .value = "1"};
}

Scenario noisy() {
    Scenario s;
    s.seed = 3;
    s.duration = 8'000'000;
    s.settle_limit = 5'000'000;
    s.regions = {{"a", 3}, {"b", 2}};
    s.network = {.loss = 0.05, .duplicate = 0.05, .reorder = 0.1};
    for (int i = 0; i < 5; ++i)
        s.ops.push_back(increment(100'000 + i * 1'000'000, "a-1", "n"));
    for (int i = 0; i < 40; ++i)
        s.ops.push_back(increment(50'000 + i * 150'000, i % 2 ? "a-2" : "b-2", "noise"));
    std::stable_sort(s.ops.begin(), s.ops.end(),
                     [](const Op& x, const Op& y) { return x.at < y.at; });
    s.faults = {
        Fault{.at = 1'000'000, .kind = FaultKind::partition, .groups = {{"a"}, {"b"}}},
        Fault{.at = 2'000'000, .kind = FaultKind::heal},
        Fault{.at = 3'000'000, .kind = FaultKind::crash, .replica = "b-1"},
        Fault{.at = 4'000'000, .kind = FaultKind::restart, .replica = "b-1"},
        Fault{.at = 5'000'000, .kind = FaultKind::pause, .replica = "a-3"},
        Fault{.at = 6'000'000, .kind = FaultKind::resume, .replica = "a-3"},
    };
    s.workloads = {Workload{.rate = 50, .keys = 10}};
    return s;
}

std::int64_t counter_on(const Report& r, const std::string& replica, const std::string& key) {
    const auto& keys = r.replicas.at(replica);
    const auto it = keys.find(key);
    return it == keys.end() ? 0 : std::get<std::int64_t>(it->second);
}

TEST(Shrink, KeepsOnlyWhatTheFailureNeeds) {
    ShrinkOptions options;
    options.fails = [](const Report& r) { return counter_on(r, "a-1", "n") >= 3; };
    std::size_t calls = 0;
    options.progress = [&](std::size_t, const Scenario&) { ++calls; };
    const Shrunk small = shrink(noisy(), options);

    EXPECT_TRUE(options.fails(small.report));
    EXPECT_THAT(small.scenario.faults, ::testing::IsEmpty());
    EXPECT_TRUE(small.scenario.workloads.empty());
    ASSERT_EQ(small.scenario.ops.size(), 3u);
    for (const Op& op : small.scenario.ops)
        EXPECT_EQ(op.key, "n");
    EXPECT_LT(small.scenario.duration, noisy().duration);
    EXPECT_EQ(small.scenario.network, LinkFaults{});
    EXPECT_EQ(small.scenario.regions.size(), 1u);
    EXPECT_EQ(small.scenario.regions[0].replicas, 1u);
    EXPECT_EQ(calls + 1, small.runs);
    EXPECT_LE(small.runs, options.max_runs);
}

TEST(Shrink, KeepsTheKindOfFailureAndReplaysFromItsToml) {
    Scenario s = noisy();
    s.expectations.push_back(Expectation{.key = "n", .type = OpType::counter, .number = 99});
    ASSERT_EQ(failure_kind(World(s).run()), "expectation n not met");
    const Shrunk small = shrink(s);
    EXPECT_EQ(failure_kind(small.report), "expectation n not met");
    EXPECT_TRUE(small.scenario.ops.empty());
    EXPECT_TRUE(small.scenario.faults.empty());
    const Scenario replay = parse_scenario(to_toml(small.scenario));
    EXPECT_EQ(failure_kind(World(replay).run()), "expectation n not met");
    EXPECT_EQ(World(replay).run().trace_hash, small.report.trace_hash);
}

TEST(Shrink, RefusesAScenarioThatDoesNotFail) {
    EXPECT_THROW(shrink(noisy()), InvalidOperation);
}

}  // namespace
}  // namespace converge::sim
