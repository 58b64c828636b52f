// What a simulated world does that its outcome alone would not show: a partition cuts both ways,
// a skewed clock decides which of two concurrent writes wins, a workload stays in its region, and
// the divergence of each pair of replicas is reported.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sim/world.hpp>

namespace converge::sim {
namespace {

using ::testing::HasSubstr;

Scenario two_regions(Micros duration) {
    Scenario s;
    s.duration = duration;
    s.sync_interval = 100'000;
    s.regions = {{.name = "a", .replicas = 1}, {.name = "b", .replicas = 1}};
    s.latency.default_base = 10'000;
    return s;
}

Op put(Micros at, std::string replica, std::string key, std::string value) {
    return Op{.at = at,
              .replica = std::move(replica),
              .type = OpType::kv,
              .key = std::move(key),
              .action = OpAction::put,
              .value = std::move(value)};
}

TEST(Partition, CutsTheLinksBothWays) {
    Scenario s = two_regions(3'000'000);
    s.faults.push_back(Fault{.at = 0, .kind = FaultKind::partition, .groups = {{"a"}, {"b"}}});
    s.ops.push_back(put(1'000'000, "a-1", "x", "1"));
    s.ops.push_back(put(1'000'000, "b-1", "y", "2"));
    World world(s);
    std::string trace;
    world.trace_to([&](std::string_view line) { (trace += line) += '\n'; });
    const Report r = world.run();
    EXPECT_TRUE(r.ok());
    EXPECT_THAT(trace, HasSubstr("drop a-1 -> b-1"));
    EXPECT_THAT(trace, HasSubstr("drop b-1 -> a-1"));
    const std::string during = trace.substr(0, trace.find("end of the run"));
    EXPECT_EQ(during.find("deliver "), std::string::npos) << "a frame crossed the partition";
}

TEST(ClockSkew, DecidesWhichOfTwoConcurrentWritesWins) {
    // a-1's clock runs 5 s ahead: its write at 2 s is stamped 7 s and beats b-1's at 4 s, which
    // never saw it (a partition keeps them apart until the end).
    Scenario s = two_regions(6'000'000);
    s.faults.push_back(
        Fault{.at = 0, .kind = FaultKind::skew, .replica = "a-1", .offset = 5'000'000});
    s.faults.push_back(
        Fault{.at = 1'000'000, .kind = FaultKind::partition, .groups = {{"a"}, {"b"}}});
    s.ops.push_back(put(2'000'000, "a-1", "owner", "earlier, skewed ahead"));
    s.ops.push_back(put(4'000'000, "b-1", "owner", "later"));
    s.expectations.push_back(
        Expectation{.key = "owner", .type = OpType::kv, .text = "earlier, skewed ahead"});
    const Report r = World(s).run();
    EXPECT_TRUE(r.ok()) << (r.expectations.empty() ? "" : r.expectations[0].detail);
}

TEST(Workload, DrawsItsOperationsOnItsRegionsReplicasOnly) {
    Scenario s = two_regions(2'000'000);
    s.regions = {{.name = "a", .replicas = 2}, {.name = "b", .replicas = 2}};
    s.workloads.push_back(Workload{.rate = 200, .region = "a", .keys = 10});
    World world(s);
    world.record_operations();
    EXPECT_TRUE(world.run().ok());
    ASSERT_GT(world.operations().size(), 100u);
    for (const Op& op : world.operations())
        EXPECT_TRUE(op.replica.starts_with("a-")) << op.replica;
}

TEST(Divergence, EveryPairThatComparedIsReportedAndAConvergedRunHasNoPairThatCannotAgree) {
    Scenario s = two_regions(8'000'000);
    s.faults.push_back(
        Fault{.at = 1'000'000, .kind = FaultKind::partition, .groups = {{"a"}, {"b"}}});
    s.faults.push_back(Fault{.at = 5'000'000, .kind = FaultKind::heal});
    s.workloads.push_back(Workload{.rate = 100, .keys = 20});
    const Report r = World(s).run();
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.divergence.size(), 2u);  // a-1 -> b-1 and b-1 -> a-1
    for (const PairDivergence& d : r.divergence) {
        EXPECT_GE(d.comparisons, 1u);
        EXPECT_LE(d.differing, d.comparisons);
        EXPECT_LE(d.differing_after_end, d.differing);
        EXPECT_FALSE(d.cannot_agree);
    }
}

}  // namespace
}  // namespace converge::sim
