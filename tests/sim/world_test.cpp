#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sim/error.hpp>
#include <sim/random.hpp>
#include <sim/world.hpp>

namespace converge::sim {
namespace {

using ::testing::HasSubstr;

constexpr const char* kThreeRegions = R"(
[sim]
seed = 42
duration = "10s"
sync_interval = "200ms"

[[region]]
name = "us-east"
replicas = 2
[[region]]
name = "eu-west"
replicas = 2
[[region]]
name = "ap-south"
replicas = 1

[latency]
default = "80ms"
jitter = "10ms"
within_region = "1ms"
[[latency.link]]
from = "us-east"
to = "eu-west"
base = "40ms"

[network]
loss = 0.01
duplicate = 0.01
reorder = 0.05

[[fault]]
at = "2s"
kind = "partition"
groups = [["us-east"], ["eu-west", "ap-south"]]
[[fault]]
at = "6s"
kind = "heal"

[[op]]
at = "3s"
replica = "us-east-1"
type = "set"
key = "cart"
action = "add"
value = "apple"
[[op]]
at = "3s"
replica = "eu-west-2"
type = "set"
key = "cart"
action = "add"
value = "pear"

[workload]
rate = 1000
keys = 100
distribution = "zipf"
mix = { counter = 0.3, set = 0.4, kv = 0.3 }

[[expect]]
key = "cart"
type = "set"
equals = ["pear", "apple"]
)";

TEST(World, APartitionedThreeRegionRunConvergesAndMeetsItsExpectations) {
    World world(parse_scenario(kThreeRegions));
    const Report r = world.run();
    EXPECT_TRUE(r.converged);
    ASSERT_TRUE(r.convergence_time.has_value());
    EXPECT_LT(*r.convergence_time, 5'000'000);
    EXPECT_TRUE(r.violations.empty()) << r.violations.front();
    ASSERT_EQ(r.expectations.size(), 1u);
    EXPECT_TRUE(r.expectations[0].met) << r.expectations[0].detail;
    EXPECT_EQ(r.replicas.size(), 5u);
    EXPECT_GE(r.stats.operations, 9'000u);
    EXPECT_GT(r.stats.messages_dropped, 0u);
    EXPECT_TRUE(r.ok());
}

TEST(World, TheSameSeedGivesTheSameTraceAndAnotherSeedAnother) {
    Scenario s = parse_scenario(kThreeRegions);
    const Report a = World(s).run();
    const Report b = World(s).run();
    EXPECT_GE(a.stats.operations, 10'000u);  // the issue's 10,000-operation scenario
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    EXPECT_EQ(a.stats.messages_sent, b.stats.messages_sent);
    EXPECT_EQ(a.replicas, b.replicas);
    s.seed = 43;
    const Report c = World(s).run();
    EXPECT_NE(a.trace_hash, c.trace_hash);
}

// A replica that fails after reaching only some peers leaves changes that no log will resend:
// the periodic digest comparison spreads them (without it this run never agrees).
TEST(World, TheTraceAndTimelineAreTheSameForTheSameSeed) {
    auto traced = [](std::uint64_t seed) {
        Scenario s = parse_scenario(kThreeRegions);
        s.seed = seed;
        World world(s);
        std::string text;
        world.trace_to([&](std::string_view line) { (text += line) += '\n'; });
        world.record_timeline();
        Report r = world.run();
        return std::pair{text, std::move(r)};
    };
    const auto [a, ra] = traced(42);
    const auto [b, rb] = traced(42);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, traced(43).first);
    EXPECT_THAT(a, HasSubstr("fault partition us-east | eu-west,ap-south\n"));
    EXPECT_THAT(a, HasSubstr(" op us-east-1 set add cart apple\n"));
    EXPECT_THAT(a, HasSubstr(" drop us-east-"));
    ASSERT_TRUE(ra.timeline);
    ASSERT_EQ(ra.timeline->bands.size(), 1u);
    EXPECT_EQ(ra.timeline->bands[0].from, 2'000'000);
    EXPECT_EQ(ra.timeline->bands[0].to, 6'000'000);
    EXPECT_TRUE(ra.timeline->key_convergence.contains("cart"));
    std::uint64_t sent = 0;
    for (const auto& bucket : ra.timeline->buckets)
        sent += bucket.messages;
    EXPECT_EQ(sent, ra.stats.messages_sent);
    EXPECT_EQ(ra.trace_hash, rb.trace_hash);
}

TEST(World, ACrashWithoutStorageRestartsUnderANewIdAndCatchesUp) {
    Scenario s = parse_scenario(kThreeRegions);
    s.faults.push_back(Fault{
        .at = 4'000'000, .kind = FaultKind::crash, .replica = "eu-west-1", .keep_storage = false});
    s.faults.push_back(Fault{.at = 5'000'000, .kind = FaultKind::restart, .replica = "eu-west-1"});
    const Report r = World(s).run();
    EXPECT_TRUE(r.converged) << (r.violations.empty() ? "" : r.violations.front());
    EXPECT_EQ(r.replicas.size(), 5u);
    EXPECT_TRUE(r.expectations[0].met) << r.expectations[0].detail;
}

TEST(World, AReplicaLeftDownIsLeftOutOfTheAgreement) {
    Scenario s = parse_scenario(kThreeRegions);
    s.faults.push_back(Fault{.at = 1'000'000, .kind = FaultKind::crash, .replica = "ap-south-1"});
    const Report r = World(s).run();
    EXPECT_TRUE(r.converged);
    EXPECT_EQ(r.replicas.size(), 4u);
    EXPECT_FALSE(r.replicas.contains("ap-south-1"));
}

TEST(World, AnUnmetExpectationIsReported) {
    Scenario s = parse_scenario(kThreeRegions);
    s.expectations[0].members = {"apple"};
    const Report r = World(s).run();
    EXPECT_TRUE(r.converged);
    EXPECT_FALSE(r.expectations[0].met);
    EXPECT_FALSE(r.ok());
}

TEST(World, ClockSkewStillConverges) {
    Scenario s = parse_scenario(kThreeRegions);
    s.faults.push_back(
        Fault{.at = 0, .kind = FaultKind::skew, .replica = "ap-south-1", .offset = -3'000'000});
    s.faults.push_back(
        Fault{.at = 0, .kind = FaultKind::skew, .replica = "us-east-2", .offset = 2'000'000});
    EXPECT_TRUE(World(s).run().ok());
}

TEST(World, ADriftingClockDecidesLastWriterWins) {
    // a-1's clock runs at half speed from the start: at 4 s it reads 2 s, so its later write
    // carries the earlier timestamp (the partition keeps its hybrid clock from catching up).
    const std::string world = R"(
[sim]
duration = "8s"
[[region]]
name = "a"
replicas = 2
[[fault]]
at = "0s"
kind = "partition"
groups = [["a-1"], ["a-2"]]
[[fault]]
at = "6s"
kind = "heal"
[[op]]
at = "3s"
replica = "a-2"
type = "kv"
key = "k"
action = "put"
value = "first"
[[op]]
at = "4s"
replica = "a-1"
type = "kv"
key = "k"
action = "put"
value = "second"
)";
    const std::string drift =
        "[[fault]]\nat = \"0s\"\nkind = \"drift\"\nreplica = \"a-1\"\nppm = -500000\n";
    const Report steady = World(parse_scenario(world)).run();
    const Report drifting = World(parse_scenario(world + drift)).run();
    ASSERT_TRUE(steady.ok() && drifting.ok());
    EXPECT_EQ(steady.replicas.at("a-1").at("k"), FinalValue(std::string("second")));
    EXPECT_EQ(drifting.replicas.at("a-1").at("k"), FinalValue(std::string("first")));
    EXPECT_EQ(drifting.replicas.at("a-2").at("k"), FinalValue(std::string("first")));
}

TEST(World, ChaosDrawsTheSameFaultsForTheSameSeedAndTheWorldConverges) {
    Scenario s = parse_scenario(std::string(kThreeRegions) + R"(
[chaos]
every = "1s"
lasts = "500ms"
kinds = ["partition", "crash", "isolate"]
lose_storage = 0.5
)");
    const std::vector<Fault> drawn = draw_chaos(s);
    EXPECT_EQ(drawn, draw_chaos(s));
    s.seed += 1;
    EXPECT_NE(drawn, draw_chaos(s));
    std::size_t starts = 0;
    for (const Fault& f : drawn) {
        EXPECT_LT(f.at, s.duration);
        if (f.kind == FaultKind::partition || f.kind == FaultKind::crash ||
            f.kind == FaultKind::isolate)
            ++starts;
        else
            EXPECT_TRUE(f.kind == FaultKind::heal || f.kind == FaultKind::restart);
    }
    EXPECT_GE(starts, 4u);  // about one a second over 10 s
    EXPECT_LE(starts, 20u);
    World world(s);
    std::string trace;
    world.trace_to([&](std::string_view line) { (trace += line) += '\n'; });
    const Report r = world.run();
    EXPECT_TRUE(r.ok()) << (r.violations.empty() ? "" : r.violations[0]);
    EXPECT_THAT(trace, HasSubstr(" fault crash "));
}

TEST(World, AWorkloadPerRegionMakesItsOperationsOnlyThere) {
    std::string text = kThreeRegions;
    const std::string table =
        "[workload]\nrate = 1000\nkeys = 100\ndistribution = \"zipf\"\nmix = { counter = 0.3, "
        "set = 0.4, kv = 0.3 }\n";
    ASSERT_NE(text.find(table), std::string::npos);
    text.replace(text.find(table), table.size(), R"(
[[workload]]
region = "eu-west"
rate = 300
keys = 10
[[workload]]
region = "ap-south-1"
rate = 100
keys = 10
mix = { counter = 1 }
)");
    const Scenario s = parse_scenario(text);
    ASSERT_EQ(s.workloads.size(), 2u);
    EXPECT_EQ(s.workloads[1].region, "ap-south-1");
    World world(s);
    world.record_operations();
    const Report r = world.run();
    EXPECT_TRUE(r.ok()) << (r.violations.empty() ? "" : r.violations[0]);
    std::map<std::string, std::size_t> by_replica;
    std::size_t ap_south_counters = 0;
    for (const Op& op : world.operations()) {
        if (op.key == "cart") continue;  // the scripted ones
        ++by_replica[op.replica];
        if (op.replica == "ap-south-1" && op.type == OpType::counter) ++ap_south_counters;
    }
    EXPECT_EQ(by_replica.size(), 3u);  // eu-west-1, eu-west-2, ap-south-1
    EXPECT_GT(by_replica["eu-west-1"], 1000u);
    EXPECT_GT(by_replica["eu-west-2"], 1000u);
    EXPECT_EQ(ap_south_counters, by_replica["ap-south-1"]);
    EXPECT_GT(ap_south_counters, 800u);
}

void expect_error(const std::string& toml, const std::string& fragment) {
    try {
        parse_scenario(toml, "bad.toml");
        ADD_FAILURE() << "accepted: " << toml;
    } catch (const ScenarioError& e) {
        EXPECT_THAT(e.what(), HasSubstr(fragment));
    }
}

TEST(Scenario, AMillionLevelsOfNestingAreRefusedAtTheParsersDepthLimit) {
    expect_error("a = " + std::string(1'000'000, '[') + std::string(1'000'000, ']') + "\n",
                 "maximum nested value depth");
    std::string tables = "a = ";
    for (int i = 0; i < 1'000'000; ++i)
        tables += "{ b = ";
    expect_error(tables, "maximum nested value depth");
}

TEST(Scenario, BadFilesAreRejectedWithTheLineAndTheReason) {
    expect_error("[sim]\nseed = 1\n", "no [[region]]");
    expect_error("[[region]]\nname = \"a\"\n[sim]\nduration = \"5 parsecs\"\n", "bad.toml:4");
    expect_error("[[region]]\nname = \"a\"\n[sim]\nduration = \"5 parsecs\"\n", "unknown unit");
    expect_error("[[region]]\nname = \"a\"\n[[fault]]\nat = \"1s\"\nkind = \"meteor\"\n",
                 "fault kind \"meteor\"");
    expect_error(
        "[[region]]\nname = \"a\"\n[[op]]\nat = \"1s\"\nreplica = \"a-1\"\ntype = "
        "\"set\"\nkey = \"k\"\naction = \"put\"\nvalue = \"v\"\n",
        "does not fit the type");
    expect_error("[[region]]\nname = \"a\"\n[network]\nloss = 2\n", "bad.toml:4");
    expect_error("[[region]\nname = \"a\"\n", "bad.toml:1");
    expect_error("[[region]]\nname = \"a\"\n[sim]\nduraton = \"5s\"\n",
                 "bad.toml:4: unknown key \"duraton\" in [sim] (known keys: seed, duration");
    expect_error("[[region]]\nname = \"a\"\nreplica = 2\n", "bad.toml:3: unknown key \"replica\"");
    expect_error("[[region]]\nname = \"a\"\n[chaos]\nevery = \"1s\"\nkinds = [\"heal\"]\n",
                 "bad.toml:5: chaos kind \"heal\" is not partition");
    expect_error("[[region]]\nname = \"a\"\n[chaos]\nevery = \"1s\"\nkinds = []\n",
                 "bad.toml:5: chaos kinds is empty");
    expect_error("[[region]]\nname = \"a\"\n[chaos]\nlasts = \"1s\"\n",
                 "bad.toml:3: missing key \"every\"");
    expect_error("[[region]]\nname = \"a\"\n[[workload]]\nrate = 5\nregion = \"b\"\n",
                 "bad.toml:5: no region or replica named \"b\"");
    expect_error("[[region]]\nname = \"a\"\n[[workload]]\nrate = 5\nregions = \"a\"\n",
                 "bad.toml:5: unknown key \"regions\" in [workload]");
    expect_error("[[region]]\nname = \"a\"\n[netwrk]\nloss = 0.1\n",
                 "unknown key \"netwrk\" in the file");
    // Found by the scenario_toml fuzz target: toml++'s value<int64_t>() cast 1.1e19 unchecked.
    expect_error("[[region]]\nname = \"a\"\nreplicas = 11111111111111111110.05\n",
                 "bad.toml:3: \"replicas\" must be an integer from 1 to 1000");
    expect_error("[[region]]\nname = \"a\"\nreplicas = 2.0\n", "bad.toml:3: \"replicas\" must be");
}

TEST(Scenario, ToTomlReadsBackToTheSameScenario) {
    Scenario s = parse_scenario(kThreeRegions);
    s.faults.push_back(
        Fault{.at = 1'500, .kind = FaultKind::skew, .replica = "eu-west-1", .offset = -3'000'000});
    s.faults.push_back(
        Fault{.at = 7, .kind = FaultKind::oneway, .from = "us-east", .to = "ap-south"});
    s.faults.push_back(
        Fault{.at = 8, .kind = FaultKind::drift, .replica = "us-east-1", .ppm = -250.5});
    s.faults.push_back(
        Fault{.at = 8, .kind = FaultKind::crash, .replica = "us-east-2", .keep_storage = false});
    s.ops.push_back(Op{.at = 9,
                       .replica = "us-east-1",
                       .type = OpType::kv,
                       .key = "quote\"d",
                       .action = OpAction::put,
                       .value = "line\nbreak",
                       .ttl = 250'000});
    s.ops.push_back(Op{.at = 10,
                       .replica = "us-east-1",
                       .type = OpType::counter,
                       .key = "c",
                       .action = OpAction::decrement,
                       .value = "4"});
    s.ops.push_back(Op{
        .at = 11, .replica = "us-east-1", .type = OpType::kv, .key = "k", .action = OpAction::del});
    s.expectations.push_back(Expectation{.key = "c", .type = OpType::counter, .number = -4});
    s.expectations.push_back(Expectation{.key = "k", .type = OpType::kv});
    s.network.loss = 0.1 + 0.2;  // not exactly 0.3
    s.chaos = Chaos{
        .every = 3'000'000, .kinds = {FaultKind::crash, FaultKind::drift}, .lose_storage = 0.25};
    const std::string one = to_toml(s);
    EXPECT_THAT(one, HasSubstr("\n[workload]\n"));
    EXPECT_EQ(parse_scenario(one), s) << one;
    s.workloads.push_back(Workload{.rate = 12.5, .region = "ap-south", .keys = 3, .kv = 0});
    const std::string text = to_toml(s, "first line\nsecond line");
    EXPECT_THAT(text, ::testing::StartsWith("# first line\n# second line\n"));
    EXPECT_EQ(parse_scenario(text), s) << text;
}

TEST(Scenario, UnknownNamesInAScenarioBuiltInCodeAreRejectedBeforeTheRun) {
    const Scenario base = parse_scenario(kThreeRegions);
    const std::vector<Fault> bad = {
        Fault{.at = 1, .kind = FaultKind::crash, .replica = "mars-1"},
        Fault{.at = 1, .kind = FaultKind::skew, .replica = ""},
        Fault{.at = 1, .kind = FaultKind::oneway, .from = "us-east", .to = "mars"},
        Fault{.at = 1, .kind = FaultKind::partition, .groups = {{"us-east"}, {"mars"}}},
        Fault{.at = 1, .kind = FaultKind::isolate, .replica = "mars"},
    };
    for (const Fault& f : bad) {
        Scenario s = base;
        s.faults.push_back(f);
        EXPECT_THROW(World{s}, ScenarioError) << to_toml(s);
    }
    Scenario s = base;
    s.ops.push_back(
        Op{.at = 1, .replica = "mars-1", .type = OpType::kv, .key = "k", .action = OpAction::del});
    EXPECT_THROW(World{s}, ScenarioError);
}

// Found by the scenario_toml fuzz target: a fault on replica "" was accepted, and to_toml left
// the empty name out, so the written file no longer read back.
TEST(Scenario, EveryNameIsCheckedAgainstTheRegionsWithItsLine) {
    const std::string regions =
        "[[region]]\nname = \"a\"\nreplicas = 2\n[[region]]\nname = \"b\"\n";
    expect_error(
        regions + "[[fault]]\nat = \"0s\"\nkind = \"skew\"\nreplica = \"\"\noffset = \"1s\"\n",
        "bad.toml:9: no replica named \"\" (replica names are like \"a-1\")");
    expect_error(regions + "[[fault]]\nat = \"0s\"\nkind = \"crash\"\nreplica = \"a\"\n",
                 "bad.toml:9: no replica named \"a\"");
    expect_error(regions + "[[fault]]\nat = \"0s\"\nkind = \"isolate\"\nreplica = \"c\"\n",
                 "bad.toml:9: no region or replica named \"c\"");
    expect_error(regions + "[[fault]]\nat = \"0s\"\nkind = \"oneway\"\nfrom = \"a\"\nto = \"c\"\n",
                 "bad.toml:10: no region or replica named \"c\"");
    expect_error(
        regions + "[[fault]]\nat = \"0s\"\nkind = \"partition\"\ngroups = [[\"a\"], [\"b-2\"]]\n",
        "bad.toml:9: no region or replica named \"b-2\"");
    expect_error(regions +
                     "[[op]]\nat = \"1s\"\nreplica = \"c-1\"\ntype = \"kv\"\nkey = \"k\"\naction = "
                     "\"del\"\n",
                 "bad.toml:8: no replica named \"c-1\"");
    expect_error(
        regions + "[latency]\n[[latency.link]]\nfrom = \"a\"\nto = \"a-1\"\nbase = \"1ms\"\n",
        "bad.toml:9: no region named \"a-1\"");
    expect_error("[[region]]\nname = \"\"\n", "bad.toml:2: a region's name must not be empty");
    expect_error(regions + "[[region]]\nname = \"a\"\n", "bad.toml:7: region \"a\" clashes");
    expect_error(regions + "[[region]]\nname = \"a-2\"\n", "bad.toml:7: region \"a-2\" clashes");
    // Found by the scenario_toml fuzz target: keep_storage on a drift was read and then lost
    // by to_toml. A key the fault's kind does not read is refused.
    expect_error(regions +
                     "[[fault]]\nat = \"0s\"\nkind = \"drift\"\nreplica = \"a-1\"\nppm = 5\n"
                     "keep_storage = false\n",
                 "bad.toml:11: unknown key \"keep_storage\" in a [[fault]] of kind drift (known "
                 "keys: at, kind, replica, ppm)");
    expect_error(regions + "[[fault]]\nat = \"0s\"\nkind = \"heal\"\nreplica = \"a-1\"\n",
                 "bad.toml:9: unknown key \"replica\" in a [[fault]] of kind heal");
    expect_error(regions +
                     "[[op]]\nat = \"1s\"\nreplica = \"a-1\"\ntype = \"counter\"\nkey = "
                     "\"k\"\naction = \"increment\"\nttl = \"1s\"\n",
                 "bad.toml:12: ttl applies only to a kv put, not to a counter increment");
    expect_error(regions +
                     "[[op]]\nat = \"1s\"\nreplica = \"a-1\"\ntype = \"kv\"\nkey = "
                     "\"k\"\naction = \"del\"\nvalue = \"v\"\n",
                 "bad.toml:12: a kv del takes no value");
    const Scenario ok = parse_scenario(
        regions + "[[fault]]\nat = \"0s\"\nkind = \"partition\"\ngroups = [[\"a\"], [\"b-1\"]]\n");
    EXPECT_EQ(parse_scenario(to_toml(ok)), ok);
}

TEST(Duration, ParsesEveryUnitAndRejectsTheRest) {
    EXPECT_EQ(parse_duration("250ms"), 250'000);
    EXPECT_EQ(parse_duration("1.5s"), 1'500'000);
    EXPECT_EQ(parse_duration("2m"), 120'000'000);
    EXPECT_EQ(parse_duration("100us"), 100);
    EXPECT_THROW(parse_duration("5"), ScenarioError);
    EXPECT_THROW(parse_duration("ms"), ScenarioError);
    EXPECT_EQ(format_duration(1'250'000), "1.250 s");
}

TEST(Random, IsDeterministicAndUniformEnough) {
    Random a(7), b(7);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(a.next(), b.next());
    std::vector<int> counts(10);
    Random r(1);
    for (int i = 0; i < 100'000; ++i)
        ++counts[r.below(10)];
    for (int c : counts)
        EXPECT_NEAR(c, 10'000, 500);
    Zipf z(100);
    std::vector<int> ranks(100);
    for (int i = 0; i < 100'000; ++i)
        ++ranks[z(r)];
    EXPECT_GT(ranks[0], ranks[1]);
    EXPECT_GT(ranks[1], ranks[50]);
}

}  // namespace
}  // namespace converge::sim
