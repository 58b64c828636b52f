// Scenario files with hash, zset and hll operations, expectations and workload weights: they load,
// write back to equal TOML, refuse what does not fit with the line, and run with the oracle.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sim/error.hpp>
#include <sim/scenario.hpp>
#include <sim/world.hpp>

namespace converge::sim {
namespace {

using ::testing::HasSubstr;

constexpr const char* kRecords = R"(
[sim]
duration = "3s"
[[region]]
name = "a"
replicas = 2
[[op]]
at = "100ms"
replica = "a-1"
type = "hash"
key = "h"
action = "set"
field = "name"
value = "ada"
[[op]]
at = "200ms"
replica = "a-2"
type = "hash"
key = "h"
action = "increment"
field = "n"
value = -4
[[op]]
at = "300ms"
replica = "a-1"
type = "zset"
key = "z"
action = "add"
member = "ada"
score = 1.5
[[op]]
at = "400ms"
replica = "a-2"
type = "zset"
key = "z"
action = "increment"
member = "ada"
score = 2
[[op]]
at = "500ms"
replica = "a-2"
type = "hll"
key = "v"
action = "add"
value = "x"
[workload]
rate = 50
keys = 4
mix = { hash = 1, zset = 1, hll = 1 }
[[expect]]
key = "h"
type = "hash"
equals = { name = "ada", n = "-4" }
[[expect]]
key = "z"
type = "zset"
equals = [["ada", 3.5]]
[[expect]]
key = "v"
type = "hll"
equals = 1
within = 0.5
)";

TEST(RecordsScenario, LoadsWritesBackEqualAndRunsWithTheOracle) {
    const Scenario s = parse_scenario(kRecords);
    ASSERT_EQ(s.ops.size(), 5u);
    EXPECT_EQ(s.ops[1].field, "n");
    EXPECT_EQ(s.ops[3].score, 2.0);
    EXPECT_EQ(s.workloads.at(0).hash, 1.0);
    EXPECT_EQ(s.workloads.at(0).counter, 0.0);
    EXPECT_EQ(parse_scenario(to_toml(s)), s) << to_toml(s);
    const Report r = World(s).run();
    EXPECT_TRUE(r.ok()) << (r.violations.empty() ? "" : r.violations.front());
    for (const auto& e : r.expectations)
        EXPECT_TRUE(e.met) << e.expectation.key << ": " << e.detail;
}

TEST(RecordsScenario, WhatDoesNotFitIsRefusedWithItsLine) {
    const auto refused = [](const std::string& text, const std::string& why) {
        try {
            parse_scenario("[[region]]\nname = \"a\"\nreplicas = 1\n" + text);
            ADD_FAILURE() << "accepted: " << text;
        } catch (const ScenarioError& e) {
            EXPECT_THAT(e.what(), HasSubstr(why)) << text;
        }
    };
    const std::string op = "[[op]]\nat = \"1s\"\nreplica = \"a-1\"\nkey = \"k\"\n";
    refused(op + "type = \"zset\"\naction = \"add\"\nmember = \"m\"\nscore = 1\nvalue = \"x\"\n",
            ":12: value does not apply to a zset operation");
    refused(op + "type = \"hash\"\naction = \"del\"\nfield = \"f\"\nvalue = \"x\"\n",
            "a hash del takes no value");
    refused(op + "type = \"hll\"\naction = \"remove\"\nvalue = \"x\"\n", "hll: add");
    refused(op + "type = \"hash\"\naction = \"put\"\nfield = \"f\"\nvalue = \"x\"\n",
            "does not fit the type");
    refused("[[expect]]\nkey = \"k\"\ntype = \"set\"\nequals = []\nwithin = 0.1\n",
            "within applies only to an hll expectation");
    refused("[[expect]]\nkey = \"k\"\ntype = \"zset\"\nequals = [[\"m\"]]\n",
            "each zset entry is [\"member\", score]");
}

}  // namespace
}  // namespace converge::sim
