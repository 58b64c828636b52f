#include <cassert>
#include <sstream>

#include <toml++/toml.h>

#include <sim/fault_table.hpp>
#include <sim/scenario.hpp>

namespace converge::sim {
namespace {

// In the largest unit that keeps it exact, as parse_duration reads it.
std::string duration(Micros us) {
    const std::string sign = us < 0 ? "-" : "";
    const Micros a = us < 0 ? -us : us;
    if (a != 0 && a % 1'000'000 == 0) return sign + std::to_string(a / 1'000'000) + "s";
    if (a != 0 && a % 1000 == 0) return sign + std::to_string(a / 1000) + "ms";
    return sign + std::to_string(a) + "us";
}

toml::array strings(const std::vector<std::string>& v) {
    toml::array out;
    for (const std::string& s : v)
        out.push_back(s);
    return out;
}

// Writes key of f into t (the keys are its kind's, from the fault table).
void fault_key(toml::table& t, const Fault& f, std::string_view key) {
    if (key == "at") {
        t.insert("at", duration(f.at));
    } else if (key == "kind") {
        t.insert("kind", name(f.kind));
    } else if (key == "groups") {
        toml::array groups;
        for (const auto& g : f.groups)
            groups.push_back(strings(g));
        t.insert("groups", std::move(groups));
    } else if (key == "from" && f.kind == FaultKind::restore) {
        t.insert("from", duration(f.since));
    } else if (key == "from" || key == "to") {
        t.insert(key, key == "from" ? f.from : f.to);
    } else if (key == "replica") {
        t.insert("replica", f.replica);
    } else if (key == "keep_storage") {
        t.insert("keep_storage", f.keep_storage);
    } else if (key == "offset") {
        t.insert("offset", duration(f.offset));
    } else {
        assert(key == "ppm" && "a key the fault table names but to_toml does not write");
        t.insert("ppm", f.ppm);
    }
}

}  // namespace

std::string_view name(OpType t) {
    switch (t) {
        case OpType::counter:
            return "counter";
        case OpType::set:
            return "set";
        case OpType::hash:
            return "hash";
        case OpType::zset:
            return "zset";
        case OpType::hll:
            return "hll";
        case OpType::kv:
            break;
    }
    return "kv";
}

std::string_view name(OpAction a) {
    switch (a) {
        case OpAction::increment:
            return "increment";
        case OpAction::decrement:
            return "decrement";
        case OpAction::add:
            return "add";
        case OpAction::remove:
            return "remove";
        case OpAction::put:
            return "put";
        case OpAction::set:
            return "set";
        case OpAction::del:
            break;
    }
    return "del";
}

std::optional<OpAction> op_action_named(OpType type, std::string_view action_name) {
    for (OpAction a : {OpAction::increment, OpAction::decrement, OpAction::add, OpAction::remove,
                       OpAction::put, OpAction::del, OpAction::set})
        if (name(a) == action_name && fits(type, a)) return a;
    return std::nullopt;
}

namespace {

// Inserts array under key in root unless it is empty.
void insert_list(toml::table& root, std::string_view key, toml::array array) {
    if (!array.empty()) root.insert(key, std::move(array));
}

toml::table latency_table(const Latency& latency) {
    toml::table t{{"default", duration(latency.default_base)},
                  {"jitter", duration(latency.jitter)},
                  {"within_region", duration(latency.within_region)}};
    toml::array links;
    for (const LatencyLink& l : latency.links)
        links.push_back(toml::table{{"from", l.from}, {"to", l.to}, {"base", duration(l.base)}});
    insert_list(t, "link", std::move(links));
    return t;
}

toml::table op_table(const Op& op) {
    toml::table t{{"at", duration(op.at)},
                  {"replica", op.replica},
                  {"type", name(op.type)},
                  {"key", op.key},
                  {"action", name(op.action)}};
    if (op.type == OpType::zset) {
        t.insert("member", op.member);
        if (op.action != OpAction::remove) t.insert("score", op.score);
    } else if (op.type == OpType::hash) {
        t.insert("field", op.field);
        if (op.action == OpAction::increment)
            t.insert("value", static_cast<std::int64_t>(std::stoll(op.value)));
        else if (op.action == OpAction::set)
            t.insert("value", op.value);
    } else if (op.type == OpType::counter) {
        t.insert("value", static_cast<std::int64_t>(std::stoll(op.value)));
    } else if (op.action != OpAction::del) {
        t.insert("value", op.value);
    }
    if (op.ttl) t.insert("ttl", duration(*op.ttl));
    return t;
}

void insert_workloads(toml::table& root, const std::vector<Workload>& ws) {
    toml::array workloads;
    for (const Workload& w : ws) {
        toml::table t{{"rate", w.rate},
                      {"keys", static_cast<std::int64_t>(w.keys)},
                      {"distribution", w.zipf ? "zipf" : "uniform"},
                      {"mix", toml::table{{"counter", w.counter}, {"set", w.set}, {"kv", w.kv}}}};
        toml::table& mix = *t["mix"].as_table();
        for (const auto& [type, weight] :
             {std::pair{"hash", w.hash}, {"zset", w.zset}, {"hll", w.hll}})
            if (weight > 0) mix.insert(type, weight);
        if (!w.region.empty()) t.insert("region", w.region);
        workloads.push_back(std::move(t));
    }
    if (workloads.size() == 1 && ws[0].region.empty())
        root.insert("workload", std::move(*workloads[0].as_table()));
    else
        insert_list(root, "workload", std::move(workloads));
}

toml::table expectation_table(const Expectation& e) {
    toml::table t{{"key", e.key}, {"type", name(e.type)}};
    if (e.type == OpType::counter && e.number) t.insert("equals", *e.number);
    if (e.type == OpType::set) t.insert("equals", strings(e.members));
    if (e.type == OpType::kv && e.text) t.insert("equals", *e.text);
    if (e.type == OpType::hll) {
        t.insert("equals", e.number.value_or(0));
        if (e.within > 0) t.insert("within", e.within);
    }
    if (e.type == OpType::hash) {
        toml::table fields;
        for (const auto& [field, value] : e.fields)
            fields.insert(field, value);
        t.insert("equals", std::move(fields));
    }
    if (e.type == OpType::zset) {
        toml::array pairs;
        for (const auto& [member, score] : e.scores)
            pairs.push_back(toml::array{member, score});
        t.insert("equals", std::move(pairs));
    }
    return t;
}

toml::table scenario_table(const Scenario& s) {
    toml::table root;
    root.insert("sim", toml::table{{"seed", static_cast<std::int64_t>(s.seed)},
                                   {"duration", duration(s.duration)},
                                   {"sync_interval", duration(s.sync_interval)},
                                   {"settle_limit", duration(s.settle_limit)},
                                   {"check_interval", duration(s.check_interval)}});
    toml::array regions;
    for (const Region& r : s.regions)
        regions.push_back(
            toml::table{{"name", r.name}, {"replicas", static_cast<std::int64_t>(r.replicas)}});
    root.insert("region", std::move(regions));
    if (s.topology.kind == Topology::Kind::hub)
        root.insert("topology", toml::table{{"kind", "hub"}, {"hubs", strings(s.topology.hubs)}});
    root.insert("latency", latency_table(s.latency));
    root.insert("network", toml::table{{"loss", s.network.loss},
                                       {"duplicate", s.network.duplicate},
                                       {"reorder", s.network.reorder}});
    toml::array faults, ops, expectations;
    for (const Fault& f : s.faults) {
        toml::table t;
        for (std::string_view key : fault_spec(f.kind).keys)
            fault_key(t, f, key);
        faults.push_back(std::move(t));
    }
    insert_list(root, "fault", std::move(faults));
    if (s.chaos.every > 0) {
        toml::array kinds;
        for (FaultKind k : s.chaos.kinds)
            kinds.push_back(name(k));
        root.insert("chaos", toml::table{{"every", duration(s.chaos.every)},
                                         {"lasts", duration(s.chaos.lasts)},
                                         {"kinds", std::move(kinds)},
                                         {"lose_storage", s.chaos.lose_storage}});
    }
    for (const Op& op : s.ops)
        ops.push_back(op_table(op));
    insert_list(root, "op", std::move(ops));
    insert_workloads(root, s.workloads);
    for (const Expectation& e : s.expectations)
        expectations.push_back(expectation_table(e));
    insert_list(root, "expect", std::move(expectations));
    return root;
}

}  // namespace

std::string to_toml(const Scenario& s, std::string_view comment) {
    toml::table root = scenario_table(s);
    std::ostringstream out;
    std::istringstream lines{std::string(comment)};
    for (std::string line; std::getline(lines, line);)
        out << "# " << line << "\n";
    if (!comment.empty()) out << "\n";
    // One table at a time, in the order the docs list them (a table alone would sort its keys).
    for (std::string_view section : {"sim", "region", "topology", "latency", "network", "fault",
                                     "chaos", "op", "workload", "expect"})
        if (toml::node* n = root.get(section)) {
            toml::table one;
            one.insert(section, std::move(*n));
            out << one << "\n\n";
        }
    return out.str();
}

}  // namespace converge::sim
