// File: sim/scenario.hpp
// A scenario: the world (regions, replicas, latencies, link faults), what happens in it (faults
// and operations at given times, a random workload) and what must hold at the end. Read from TOML
// by load_scenario (docs/scenarios.md) or built in code.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sim/duration.hpp>
#include <store/testing/network_model.hpp>

namespace converge::sim {

struct Region {
    std::string name;
    std::size_t replicas = 1;  // named "<region>-1", "<region>-2", ...

    friend bool operator==(const Region&, const Region&) = default;
};

// The name of a region's i-th replica (from 1): "<region>-<i>".
inline std::string replica_name(const Region& region, std::size_t i) {
    return region.name + "-" + std::to_string(i);
}

struct LatencyLink {
    std::string from, to;  // region names; one way
    Micros base = 0;

    friend bool operator==(const LatencyLink&, const LatencyLink&) = default;
};

struct Latency {
    Micros default_base = 80'000;
    Micros jitter = 10'000;
    Micros within_region = 1'000;
    std::vector<LatencyLink> links;

    friend bool operator==(const Latency&, const Latency&) = default;
};

// Loss, duplication and reordering on every link (the network model's, shared with the loopback).
using LinkFaults = store::LinkFaults;

enum class FaultKind {
    partition,
    oneway,
    isolate,
    heal,
    crash,
    restart,
    skew,
    drift,
    pause,
    resume,
    retire,   // the replica stops for good; the others retire its writer id
    restore,  // the replica restarts from its storage as it was at `since`
    clone     // a second process starts from a copy of the replica's storage: "<replica>+clone"
};

struct Fault {
    Micros at = 0;
    FaultKind kind = FaultKind::heal;
    std::vector<std::vector<std::string>> groups{};  // partition: region or replica names
    std::string from{}, to{};                        // oneway
    std::string replica{};                           // isolate, crash, restart, skew, pause, resume
    bool keep_storage = true;                        // crash
    Micros offset = 0;                               // skew: added to the replica's clock
    double ppm = 0;  // drift: the replica's clock runs fast (> 0) or slow by this many per million
    Micros since = 0;  // restore: the time whose storage it restarts from ("from" in files)

    friend bool operator==(const Fault&, const Fault&) = default;
};

enum class OpType { counter, set, kv, hash, zset, hll };
// What an operation does; each fits one type (fits()).
enum class OpAction { increment, decrement, add, remove, put, del, set };
// Whether action applies to type: increment and decrement to a counter, add and remove to a set,
// put and del to a kv, set, del and increment to a hash (on a field), add, increment and remove to
// a sorted set (zset, on a member), add to a HyperLogLog (hll).
constexpr bool fits(OpType type, OpAction action) {
    switch (type) {
        case OpType::counter:
            return action == OpAction::increment || action == OpAction::decrement;
        case OpType::set:
            return action == OpAction::add || action == OpAction::remove;
        case OpType::hash:
            return action == OpAction::set || action == OpAction::del ||
                   action == OpAction::increment;
        case OpType::zset:
            return action == OpAction::add || action == OpAction::increment ||
                   action == OpAction::remove;
        case OpType::hll:
            return action == OpAction::add;
        case OpType::kv:
            break;
    }
    return action == OpAction::put || action == OpAction::del;
}

// The types whose operations name a field or member (hash, zset) or an element (hll).
constexpr bool is_record(OpType type) {
    return type == OpType::hash || type == OpType::zset || type == OpType::hll;
}

struct Op {
    Micros at = 0;
    std::string replica;
    OpType type = OpType::kv;
    std::string key;
    OpAction action = OpAction::put;  // one that fits type
    // counter: n; set: the member; kv: the value; hash: the value set, or n; hll: the element
    std::string value{};
    std::optional<Micros> ttl{};
    std::string field{};   // hash
    std::string member{};  // zset
    double score = 0;      // zset: the score added, or the increment

    friend bool operator==(const Op&, const Op&) = default;
};

struct Workload {
    double rate = 0;       // operations per simulated second, spread over its replicas
    std::string region{};  // a region's (or one replica's) name; empty: every replica
    std::size_t keys = 100;
    bool zipf = false;
    double counter = 1.0 / 3, set = 1.0 / 3, kv = 1.0 / 3;  // the mix; normalised
    double hash = 0, zset = 0, hll = 0;
    double total() const noexcept { return counter + set + kv + hash + zset + hll; }

    friend bool operator==(const Workload&, const Workload&) = default;
};

// Faults drawn at random from the seed, on top of the scripted ones: on average one every
// `every`, each lasting `lasts` before its heal, restart or resume.
struct Chaos {
    Micros every = 0;  // 0: none
    Micros lasts = 2'000'000;
    std::vector<FaultKind> kinds{FaultKind::partition, FaultKind::oneway, FaultKind::isolate,
                                 FaultKind::crash,     FaultKind::pause,  FaultKind::skew};
    double lose_storage = 0;  // the chance a crash loses the replica's storage

    friend bool operator==(const Chaos&, const Chaos&) = default;
};

struct Expectation {
    std::string key;
    OpType type = OpType::kv;
    // counter: a number; set: members, sorted; kv: the value (absent: the key holds nothing);
    // hash: fields and values, sorted by field; zset: members and scores, in rank order; hll: a
    // count, met within a relative tolerance.
    std::optional<std::int64_t> number{};
    std::vector<std::string> members{};
    std::optional<std::string> text{};
    std::vector<std::pair<std::string, std::string>> fields{};
    std::vector<std::pair<std::string, double>> scores{};
    double within = 0;

    friend bool operator==(const Expectation&, const Expectation&) = default;
};

// Who peers with whom: every replica with every other (mesh), or every replica with the hubs only
// and the hubs with everyone (hub).
struct Topology {
    enum class Kind { mesh, hub };
    Kind kind = Kind::mesh;
    std::vector<std::string> hubs{};  // replica or region names

    friend bool operator==(const Topology&, const Topology&) = default;
};

struct Scenario {
    std::uint64_t seed = 1;
    Micros duration = 60'000'000;
    Micros sync_interval = 200'000;
    // After the run and a final heal, how long the replicas get to agree before it counts as a
    // failure to converge.
    Micros settle_limit = 60'000'000;
    // How often the oracle checks every live replica against its model while the run goes; 0:
    // only at the end.
    Micros check_interval = 1'000'000;
    std::vector<Region> regions;
    Topology topology;
    Latency latency;
    LinkFaults network;
    std::vector<Fault> faults;
    std::vector<Op> ops;
    Chaos chaos;
    std::vector<Workload> workloads;
    std::vector<Expectation> expectations;

    friend bool operator==(const Scenario&, const Scenario&) = default;
};

// The name of the process a clone fault starts from replica's storage.
inline std::string clone_name(const std::string& replica) {
    return replica + "+clone";
}

// Every replica's name, region by region, then the clones the faults start, in fault order.
inline std::vector<std::string> replica_names(const Scenario& scenario) {
    std::vector<std::string> out;
    for (const Region& region : scenario.regions)
        for (std::size_t i = 1; i <= region.replicas; ++i)
            out.push_back(replica_name(region, i));
    for (const auto& f : scenario.faults)
        if (f.kind == FaultKind::clone &&
            std::find(out.begin(), out.end(), clone_name(f.replica)) == out.end())
            out.push_back(clone_name(f.replica));
    return out;
}

// Reads a scenario file. Throws ScenarioError with the file, line and reason (a mistyped or
// unknown key included).
Scenario load_scenario(const std::string& path);
// Reads a scenario from TOML text; source names it in errors.
Scenario parse_scenario(std::string_view toml, std::string_view source = "scenario");
// The faults chaos draws for this scenario (the same seed, the same faults), in time order:
// World runs them with the scripted ones.
std::vector<Fault> draw_chaos(const Scenario& scenario);

// The names scenario files use: "partition", "crash", ... (sim/fault_table.hpp); "counter", "set",
// "kv", "hash", "zset", "hll"; "increment", "add", "put", "set", ...
std::string_view name(FaultKind kind);
std::string_view name(OpType type);
std::string_view name(OpAction action);
// The action named name that fits type; nullopt if there is none.
std::optional<OpAction> op_action_named(OpType type, std::string_view name);

// Throws ScenarioError for a scenario World cannot run: no region, a region without replicas, a
// sync_interval that is not positive, a name (in a fault, an operation, a workload, a latency
// link) that stands for no region or replica as it must, an action that does not fit its type,
// a workload whose mix is all zero. The loader and World's constructor both call it.
void validate(const Scenario& scenario);

// The scenario as TOML that parse_scenario reads back to an equal scenario; comment, if given,
// goes first as # lines.
std::string to_toml(const Scenario& scenario, std::string_view comment = {});

}  // namespace converge::sim
