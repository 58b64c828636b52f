#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <sstream>

#include <toml++/toml.h>

#include <sim/error.hpp>
#include <sim/scenario.hpp>

namespace converge::sim {
namespace {

// Reads the tables of one file, turning every problem into a ScenarioError with its line.
class Reader {
  public:
    explicit Reader(std::string_view source) : source_(source) {}

    [[noreturn]] void fail(const toml::node* at, const std::string& why) const {
        std::string where(source_);
        if (at != nullptr) where += ":" + std::to_string(at->source().begin.line);
        throw ScenarioError(where + ": " + why);
    }

    // Fails on the first key of t not in known: a typo is an error, not a silent default.
    void only(const toml::table& t, std::initializer_list<std::string_view> known,
              std::string_view where) const {
        only(t, std::span(known.begin(), known.size()), where);
    }
    void only(const toml::table& t, std::span<const std::string_view> known,
              std::string_view where) const {
        for (const auto& [key, node] : t) {
            if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
            std::string list;
            for (std::string_view k : known)
                list += (list.empty() ? "" : ", ") + std::string(k);
            fail(&node, "unknown key \"" + std::string(key.str()) + "\" in " + std::string(where) +
                            " (known keys: " + list + ")");
        }
    }

    std::string text(const toml::table& t, std::string_view key, const std::string& fallback = {},
                     bool required = false) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required) fail(&t, "missing key \"" + std::string(key) + "\"");
            return fallback;
        }
        if (!n->is_string()) fail(n, "\"" + std::string(key) + "\" must be a string");
        return std::string(*n->value<std::string_view>());
    }

    Micros duration(const toml::table& t, std::string_view key, Micros fallback,
                    bool required = false) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            if (required) fail(&t, "missing key \"" + std::string(key) + "\"");
            return fallback;
        }
        if (!n->is_string())
            fail(n, "\"" + std::string(key) + "\" must be a duration string like \"250ms\"");
        try {
            return parse_duration(*n->value<std::string_view>());
        } catch (const ScenarioError& e) {
            fail(n, e.what());
        }
    }

    double number(const toml::table& t, std::string_view key, double fallback, double min,
                  double max) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return fallback;
        const auto v = n->value<double>();
        if (!v || *v < min || *v > max)
            fail(n, "\"" + std::string(key) + "\" must be a number from " + std::to_string(min) +
                        " to " + std::to_string(max));
        return *v;
    }

    std::int64_t integer(const toml::table& t, std::string_view key, std::int64_t fallback,
                         std::int64_t min, std::int64_t max) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return fallback;
        // value_exact: toml++'s converting value<int64_t>() casts a float like 1e19 to an integer
        // unchecked (undefined behaviour, found by the scenario_toml fuzz target).
        const auto v = n->value_exact<std::int64_t>();
        if (!v || *v < min || *v > max)
            fail(n, "\"" + std::string(key) + "\" must be an integer from " + std::to_string(min) +
                        " to " + std::to_string(max));
        return *v;
    }

    // The tables of an array of tables ([[name]]); none if absent.
    std::vector<const toml::table*> tables(const toml::table& t, std::string_view key) const {
        std::vector<const toml::table*> out;
        const toml::node* n = t.get(key);
        if (n == nullptr) return out;
        const toml::array* a = n->as_array();
        if (a == nullptr)
            fail(n, "\"" + std::string(key) + "\" must be written [[" + std::string(key) + "]]");
        for (const toml::node& e : *a) {
            if (!e.is_table()) fail(&e, "each [[" + std::string(key) + "]] must be a table");
            out.push_back(e.as_table());
        }
        return out;
    }

    std::vector<std::string> strings(const toml::node& n, const std::string& what) const {
        std::vector<std::string> out;
        const toml::array* a = n.as_array();
        if (a == nullptr) fail(&n, what + " must be an array of strings");
        for (const toml::node& e : *a) {
            if (!e.is_string()) fail(&e, what + " must be an array of strings");
            out.emplace_back(*e.value<std::string_view>());
        }
        return out;
    }

    // Fails at `at` unless name is one of known; what names the kind ("replica", "region").
    void known_name(const toml::node* at, const std::string& name,
                    const std::vector<std::string>& known, const std::string& what) const {
        if (std::find(known.begin(), known.end(), name) != known.end()) return;
        std::string hint;
        if (!known.empty()) hint = " (" + what + " names are like \"" + known.front() + "\")";
        fail(at, "no " + what + " named \"" + name + "\"" + hint);
    }

    // Reads the required string at key and fails unless it is one of known.
    std::string name(const toml::table& t, std::string_view key,
                     const std::vector<std::string>& known, const std::string& what) const {
        std::string n = text(t, key, {}, true);
        known_name(t.get(key), n, known, what);
        return n;
    }

    OpType op_type(const toml::table& t) const {
        const std::string type = text(t, "type", {}, true);
        if (type == "counter") return OpType::counter;
        if (type == "set") return OpType::set;
        if (type == "kv") return OpType::kv;
        fail(t.get("type"), "type \"" + type + "\" is not counter, set or kv");
    }

  private:
    std::string_view source_;
};

std::optional<FaultKind> fault_kind_named(std::string_view kind) {
    for (FaultKind k : {FaultKind::partition, FaultKind::oneway, FaultKind::isolate,
                        FaultKind::heal, FaultKind::crash, FaultKind::restart, FaultKind::skew,
                        FaultKind::drift, FaultKind::pause, FaultKind::resume})
        if (kind == name(k)) return k;
    return std::nullopt;
}

// The keys a fault of kind k reads: a key it would ignore is refused, and to_toml writes these.
std::span<const std::string_view> fault_keys(FaultKind k) {
    static constexpr std::string_view partition[] = {"at", "kind", "groups"};
    static constexpr std::string_view oneway[] = {"at", "kind", "from", "to"};
    static constexpr std::string_view heal[] = {"at", "kind"};
    static constexpr std::string_view crash[] = {"at", "kind", "replica", "keep_storage"};
    static constexpr std::string_view skew[] = {"at", "kind", "replica", "offset"};
    static constexpr std::string_view drift[] = {"at", "kind", "replica", "ppm"};
    static constexpr std::string_view one_replica[] = {"at", "kind", "replica"};
    switch (k) {
        case FaultKind::partition:
            return partition;
        case FaultKind::oneway:
            return oneway;
        case FaultKind::heal:
            return heal;
        case FaultKind::crash:
            return crash;
        case FaultKind::skew:
            return skew;
        case FaultKind::drift:
            return drift;
        case FaultKind::isolate:
        case FaultKind::restart:
        case FaultKind::pause:
        case FaultKind::resume:
            break;
    }
    return one_replica;
}

FaultKind fault_kind(const Reader& in, const toml::table& t) {
    const std::string kind = in.text(t, "kind", {}, true);
    if (const auto k = fault_kind_named(kind)) return *k;
    in.fail(t.get("kind"), "fault kind \"" + kind +
                               "\" is not partition, oneway, isolate, heal, crash, restart, skew, "
                               "drift, pause or resume");
}

}  // namespace

Scenario parse_scenario(std::string_view text_in, std::string_view source) {
    toml::table root;
    try {
        root = toml::parse(text_in, source);
    } catch (const toml::parse_error& e) {
        throw ScenarioError(std::string(source) + ":" + std::to_string(e.source().begin.line) +
                            ": " + std::string(e.description()));
    }
    const Reader in(source);
    in.only(root,
            {"sim", "region", "latency", "network", "fault", "chaos", "op", "workload", "expect"},
            "the file");
    Scenario s;
    if (const toml::table* sim = root["sim"].as_table()) {
        in.only(*sim, {"seed", "duration", "sync_interval", "settle_limit", "check_interval"},
                "[sim]");
        s.seed = static_cast<std::uint64_t>(in.integer(*sim, "seed", 1, 0, INT64_MAX));
        s.duration = in.duration(*sim, "duration", s.duration);
        s.sync_interval = in.duration(*sim, "sync_interval", s.sync_interval);
        s.settle_limit = in.duration(*sim, "settle_limit", s.settle_limit);
        s.check_interval = in.duration(*sim, "check_interval", s.check_interval);
        if (s.sync_interval <= 0)
            in.fail(sim->get("sync_interval"), "sync_interval must be positive");
    }
    std::vector<const toml::node*> region_name_at;
    for (const toml::table* t : in.tables(root, "region")) {
        in.only(*t, {"name", "replicas"}, "[[region]]");
        region_name_at.push_back(t->get("name"));
        Region r;
        r.name = in.text(*t, "name", {}, true);
        r.replicas = static_cast<std::size_t>(in.integer(*t, "replicas", 1, 1, 1000));
        s.regions.push_back(std::move(r));
    }
    if (s.regions.empty()) in.fail(nullptr, "no [[region]]: a scenario needs at least one");
    std::vector<std::string> regions;
    for (const Region& r : s.regions)
        regions.push_back(r.name);
    const std::vector<std::string> replicas = replica_names(s);
    std::vector<std::string> all = regions;
    all.insert(all.end(), replicas.begin(), replicas.end());
    std::set<std::string> taken;
    for (std::size_t r = 0; r < s.regions.size(); ++r) {
        if (regions[r].empty()) in.fail(region_name_at[r], "a region's name must not be empty");
        bool fresh = taken.insert(regions[r]).second;
        for (std::size_t i = 1; fresh && i <= s.regions[r].replicas; ++i)
            fresh = taken.insert(replica_name(s.regions[r], i)).second;
        if (!fresh)
            in.fail(region_name_at[r], "region \"" + regions[r] +
                                           "\" clashes with a name taken before it (region and "
                                           "replica names, like \"" +
                                           regions[r] + "-1\", must all differ)");
    }
    const std::string region_or_replica = "region or replica";
    if (const toml::table* lat = root["latency"].as_table()) {
        in.only(*lat, {"default", "jitter", "within_region", "link"}, "[latency]");
        s.latency.default_base = in.duration(*lat, "default", s.latency.default_base);
        s.latency.jitter = in.duration(*lat, "jitter", s.latency.jitter);
        s.latency.within_region = in.duration(*lat, "within_region", s.latency.within_region);
        for (const toml::table* l : in.tables(*lat, "link"))
            in.only(*l, {"from", "to", "base"}, "[[latency.link]]");
        for (const toml::table* l : in.tables(*lat, "link"))
            s.latency.links.push_back(LatencyLink{in.name(*l, "from", regions, "region"),
                                                  in.name(*l, "to", regions, "region"),
                                                  in.duration(*l, "base", 0, true)});
    }
    if (const toml::table* net = root["network"].as_table()) {
        in.only(*net, {"loss", "duplicate", "reorder"}, "[network]");
        s.network.loss = in.number(*net, "loss", 0, 0, 1);
        s.network.duplicate = in.number(*net, "duplicate", 0, 0, 1);
        s.network.reorder = in.number(*net, "reorder", 0, 0, 1);
    }
    for (const toml::table* t : in.tables(root, "fault")) {
        in.only(*t,
                {"at", "kind", "groups", "from", "to", "replica", "keep_storage", "offset", "ppm"},
                "[[fault]]");
        Fault f;
        f.at = in.duration(*t, "at", 0, true);
        f.kind = fault_kind(in, *t);
        in.only(*t, fault_keys(f.kind), "a [[fault]] of kind " + std::string(name(f.kind)));
        if (f.kind == FaultKind::partition) {
            const toml::node* groups = t->get("groups");
            if (groups == nullptr || !groups->is_array())
                in.fail(t, "a partition needs groups = [[\"region\", ...], [...]]");
            for (const toml::node& g : *groups->as_array()) {
                f.groups.push_back(in.strings(g, "each group"));
                for (std::size_t i = 0; i < f.groups.back().size(); ++i)
                    in.known_name(g.as_array()->get(i), f.groups.back()[i], all, region_or_replica);
            }
        }
        if (f.kind == FaultKind::oneway) {
            f.from = in.name(*t, "from", all, region_or_replica);
            f.to = in.name(*t, "to", all, region_or_replica);
        }
        if (f.kind != FaultKind::partition && f.kind != FaultKind::oneway &&
            f.kind != FaultKind::heal)
            f.replica = f.kind == FaultKind::isolate
                            ? in.name(*t, "replica", all, region_or_replica)
                            : in.name(*t, "replica", replicas, "replica");
        if (const toml::node* keep = t->get("keep_storage")) {
            if (!keep->is_boolean()) in.fail(keep, "keep_storage must be true or false");
            f.keep_storage = *keep->value<bool>();
        }
        if (f.kind == FaultKind::skew) {
            const std::string offset = in.text(*t, "offset", {}, true);
            const bool negative = !offset.empty() && offset[0] == '-';
            try {
                f.offset = parse_duration(negative ? offset.substr(1) : offset);
            } catch (const ScenarioError& e) {
                in.fail(t->get("offset"), e.what());
            }
            if (negative) f.offset = -f.offset;
        }
        if (f.kind == FaultKind::drift) {
            if (t->get("ppm") == nullptr) in.fail(t, "a drift needs ppm = <parts per million>");
            f.ppm = in.number(*t, "ppm", 0, -900'000, 1'000'000);
        }
        s.faults.push_back(std::move(f));
    }
    if (const toml::table* c = root["chaos"].as_table()) {
        in.only(*c, {"every", "lasts", "kinds", "lose_storage"}, "[chaos]");
        s.chaos.every = in.duration(*c, "every", 0, true);
        s.chaos.lasts = in.duration(*c, "lasts", s.chaos.lasts);
        s.chaos.lose_storage = in.number(*c, "lose_storage", 0, 0, 1);
        if (s.chaos.every <= 0) in.fail(c->get("every"), "every must be positive");
        if (s.chaos.lasts <= 0) in.fail(c->get("lasts"), "lasts must be positive");
        if (const toml::node* kinds = c->get("kinds")) {
            s.chaos.kinds.clear();
            for (const std::string& k : in.strings(*kinds, "kinds")) {
                const auto kind = fault_kind_named(k);
                if (!kind || *kind == FaultKind::heal || *kind == FaultKind::restart ||
                    *kind == FaultKind::resume)
                    in.fail(kinds, "chaos kind \"" + k +
                                       "\" is not partition, oneway, isolate, crash, pause, skew "
                                       "or drift");
                s.chaos.kinds.push_back(*kind);
            }
            if (s.chaos.kinds.empty())
                in.fail(kinds, "chaos kinds is empty: name at least one, or leave kinds out");
        }
    }
    for (const toml::table* t : in.tables(root, "op")) {
        in.only(*t, {"at", "replica", "type", "key", "action", "value", "ttl"}, "[[op]]");
        Op op;
        op.at = in.duration(*t, "at", 0, true);
        op.replica = in.name(*t, "replica", replicas, "replica");
        op.type = in.op_type(*t);
        op.key = in.text(*t, "key", {}, true);
        op.action = in.text(*t, "action", {}, true);
        const bool ok = (op.type == OpType::counter &&
                         (op.action == "increment" || op.action == "decrement")) ||
                        (op.type == OpType::set && (op.action == "add" || op.action == "remove")) ||
                        (op.type == OpType::kv && (op.action == "put" || op.action == "del"));
        if (!ok)
            in.fail(t->get("action"), "action \"" + op.action +
                                          "\" does not fit the type (counter: increment|decrement, "
                                          "set: add|remove, kv: put|del)");
        const bool kv_del = op.type == OpType::kv && op.action == "del";
        if (op.type == OpType::counter)
            op.value = std::to_string(in.integer(*t, "value", 1, 0, INT64_MAX));
        else if (!kv_del)
            op.value = in.text(*t, "value", {}, true);
        if (const toml::node* ttl = t->get("ttl")) {
            if (op.type != OpType::kv || op.action != "put")
                in.fail(ttl, "ttl applies only to a kv put, not to a " +
                                 std::string(name(op.type)) + " " + op.action);
            op.ttl = in.duration(*t, "ttl", 0);
        }
        if (kv_del && t->get("value")) in.fail(t->get("value"), "a kv del takes no value");
        s.ops.push_back(std::move(op));
    }
    // One [workload] table, or several [[workload]] entries (one per region, for instance).
    std::vector<const toml::table*> workloads;
    if (const toml::table* w = root["workload"].as_table())
        workloads.push_back(w);
    else
        workloads = in.tables(root, "workload");
    for (const toml::table* w : workloads) {
        in.only(*w, {"rate", "keys", "distribution", "mix", "region"}, "[workload]");
        Workload wl;
        wl.rate = in.number(*w, "rate", 0, 0, 1e9);
        wl.keys = static_cast<std::size_t>(in.integer(*w, "keys", 100, 1, 10'000'000));
        wl.region = in.text(*w, "region", {});
        const std::string dist = in.text(*w, "distribution", "uniform");
        if (dist != "uniform" && dist != "zipf")
            in.fail(w->get("distribution"), "distribution must be \"uniform\" or \"zipf\"");
        wl.zipf = dist == "zipf";
        if (const toml::table* mix = (*w)["mix"].as_table()) {
            in.only(*mix, {"counter", "set", "kv"}, "the workload's mix");
            wl.counter = in.number(*mix, "counter", 0, 0, 1e9);
            wl.set = in.number(*mix, "set", 0, 0, 1e9);
            wl.kv = in.number(*mix, "kv", 0, 0, 1e9);
            if (wl.counter + wl.set + wl.kv <= 0)
                in.fail(w->get("mix"), "the mix must give some weight to counter, set or kv");
        }
        if (!wl.region.empty()) in.known_name(w->get("region"), wl.region, all, region_or_replica);
        s.workloads.push_back(std::move(wl));
    }
    for (const toml::table* t : in.tables(root, "expect")) {
        in.only(*t, {"key", "type", "equals"}, "[[expect]]");
        Expectation e;
        e.key = in.text(*t, "key", {}, true);
        e.type = in.op_type(*t);
        const toml::node* eq = t->get("equals");
        if (e.type == OpType::counter) {
            e.number = in.integer(*t, "equals", 0, INT64_MIN, INT64_MAX);
        } else if (e.type == OpType::set) {
            if (eq == nullptr) in.fail(t, "a set expectation needs equals = [\"member\", ...]");
            e.members = in.strings(*eq, "equals");
            std::sort(e.members.begin(), e.members.end());
        } else if (eq != nullptr) {
            e.text = in.text(*t, "equals");
        }
        s.expectations.push_back(std::move(e));
    }
    return s;
}

Scenario load_scenario(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw ScenarioError(path + ": cannot open the file");
    std::ostringstream text;
    text << file.rdbuf();
    return parse_scenario(text.str(), path);
}

}  // namespace converge::sim
