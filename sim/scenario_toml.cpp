#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <sstream>

#include <toml++/toml.h>

#include <sim/error.hpp>
#include <sim/fault_table.hpp>
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

// One file's sections, read in order into a Scenario; each name is checked against the regions
// and replicas with its line.
class ScenarioParser {
  public:
    ScenarioParser(const toml::table& root, std::string_view source) : root_(root), in_(source) {}

    Scenario parse() {
        in_.only(root_,
                 {"sim", "region", "topology", "latency", "network", "fault", "chaos", "op",
                  "workload", "expect"},
                 "the file");
        read_sim();
        read_regions();
        read_clone_names();
        read_topology();
        read_latency();
        read_network();
        for (const toml::table* t : in_.tables(root_, "fault"))
            s_.faults.push_back(read_fault(*t));
        read_chaos();
        for (const toml::table* t : in_.tables(root_, "op"))
            s_.ops.push_back(read_op(*t));
        read_workloads();
        for (const toml::table* t : in_.tables(root_, "expect"))
            s_.expectations.push_back(read_expectation(*t));
        return std::move(s_);
    }

  private:
    void read_sim() {
        const toml::table* sim = root_["sim"].as_table();
        if (sim == nullptr) return;
        in_.only(*sim, {"seed", "duration", "sync_interval", "settle_limit", "check_interval"},
                 "[sim]");
        s_.seed = static_cast<std::uint64_t>(in_.integer(*sim, "seed", 1, 0, INT64_MAX));
        s_.duration = in_.duration(*sim, "duration", s_.duration);
        s_.sync_interval = in_.duration(*sim, "sync_interval", s_.sync_interval);
        s_.settle_limit = in_.duration(*sim, "settle_limit", s_.settle_limit);
        s_.check_interval = in_.duration(*sim, "check_interval", s_.check_interval);
        if (s_.sync_interval <= 0)
            in_.fail(sim->get("sync_interval"), "sync_interval must be positive");
    }

    void read_regions() {
        std::vector<const toml::node*> name_at;
        for (const toml::table* t : in_.tables(root_, "region")) {
            in_.only(*t, {"name", "replicas"}, "[[region]]");
            name_at.push_back(t->get("name"));
            s_.regions.push_back(
                Region{in_.text(*t, "name", {}, true),
                       static_cast<std::size_t>(in_.integer(*t, "replicas", 1, 1, 1000))});
        }
        if (s_.regions.empty()) in_.fail(nullptr, "no [[region]]: a scenario needs at least one");
        for (const Region& r : s_.regions)
            regions_.push_back(r.name);
        replicas_ = replica_names(s_);
        all_ = regions_;
        all_.insert(all_.end(), replicas_.begin(), replicas_.end());
        std::set<std::string> taken;
        for (std::size_t r = 0; r < s_.regions.size(); ++r) {
            if (regions_[r].empty()) in_.fail(name_at[r], "a region's name must not be empty");
            bool fresh = taken.insert(regions_[r]).second;
            for (std::size_t i = 1; fresh && i <= s_.regions[r].replicas; ++i)
                fresh = taken.insert(replica_name(s_.regions[r], i)).second;
            if (!fresh)
                in_.fail(name_at[r], "region \"" + regions_[r] +
                                         "\" clashes with a name taken before it (region and "
                                         "replica names, like \"" +
                                         regions_[r] + "-1\", must all differ)");
        }
    }

    void read_latency() {
        const toml::table* lat = root_["latency"].as_table();
        if (lat == nullptr) return;
        in_.only(*lat, {"default", "jitter", "within_region", "link"}, "[latency]");
        s_.latency.default_base = in_.duration(*lat, "default", s_.latency.default_base);
        s_.latency.jitter = in_.duration(*lat, "jitter", s_.latency.jitter);
        s_.latency.within_region = in_.duration(*lat, "within_region", s_.latency.within_region);
        for (const toml::table* l : in_.tables(*lat, "link"))
            in_.only(*l, {"from", "to", "base"}, "[[latency.link]]");
        for (const toml::table* l : in_.tables(*lat, "link"))
            s_.latency.links.push_back(LatencyLink{in_.name(*l, "from", regions_, "region"),
                                                   in_.name(*l, "to", regions_, "region"),
                                                   in_.duration(*l, "base", 0, true)});
    }

    void read_network() {
        const toml::table* net = root_["network"].as_table();
        if (net == nullptr) return;
        in_.only(*net, {"loss", "duplicate", "reorder"}, "[network]");
        s_.network.loss = in_.number(*net, "loss", 0, 0, 1);
        s_.network.duplicate = in_.number(*net, "duplicate", 0, 0, 1);
        s_.network.reorder = in_.number(*net, "reorder", 0, 0, 1);
    }

    // The processes clone faults start are replicas too ("<replica>+clone"), from the first line:
    // any fault, operation or workload may name them.
    void read_clone_names() {
        for (const toml::table* t : in_.tables(root_, "fault")) {
            const toml::node* kind = t->get("kind");
            const toml::node* replica = t->get("replica");
            if (kind == nullptr || replica == nullptr || kind->value<std::string>() != "clone" ||
                !replica->is_string())
                continue;
            const std::string name = clone_name(*replica->value<std::string>());
            if (std::find(replicas_.begin(), replicas_.end(), name) != replicas_.end()) continue;
            replicas_.push_back(name);
            all_.push_back(name);
        }
    }

    void read_topology() {
        const toml::table* t = root_["topology"].as_table();
        if (t == nullptr) return;
        in_.only(*t, {"kind", "hubs"}, "[topology]");
        const std::string kind = in_.text(*t, "kind", "mesh");
        if (kind == "hub")
            s_.topology.kind = Topology::Kind::hub;
        else if (kind != "mesh")
            in_.fail(t->get("kind"), "topology kind \"" + kind + "\" is not mesh or hub");
        if (const toml::node* hubs = t->get("hubs")) {
            s_.topology.hubs = in_.strings(*hubs, "hubs");
            for (std::size_t i = 0; i < s_.topology.hubs.size(); ++i)
                in_.known_name(hubs->as_array()->get(i), s_.topology.hubs[i], all_,
                               "region or replica");
        }
        if (s_.topology.kind == Topology::Kind::hub && s_.topology.hubs.empty())
            in_.fail(t, "a hub topology needs hubs = [\"replica or region\", ...]");
        if (s_.topology.kind == Topology::Kind::mesh && !s_.topology.hubs.empty())
            in_.fail(t->get("hubs"), "hubs are for kind = \"hub\"");
    }

    FaultKind fault_kind(const toml::table& t) const {
        const std::string kind = in_.text(t, "kind", {}, true);
        if (const auto k = fault_kind_named(kind)) return *k;
        in_.fail(t.get("kind"),
                 "fault kind \"" + kind + "\" is not " + fault_kind_list(/*drawable_only=*/false));
    }

    Fault read_fault(const toml::table& t) const {
        in_.only(t,
                 {"at", "kind", "groups", "from", "to", "replica", "keep_storage", "offset", "ppm"},
                 "[[fault]]");
        Fault f;
        f.at = in_.duration(t, "at", 0, true);
        f.kind = fault_kind(t);
        const FaultSpec& spec = fault_spec(f.kind);
        in_.only(t, spec.keys, "a [[fault]] of kind " + std::string(spec.name));
        read_fault_targets(t, spec.target, f);
        if (const toml::node* keep = t.get("keep_storage")) {
            if (!keep->is_boolean()) in_.fail(keep, "keep_storage must be true or false");
            f.keep_storage = *keep->value<bool>();
        }
        if (f.kind == FaultKind::skew) f.offset = signed_duration(t, "offset");
        if (f.kind == FaultKind::restore) {
            f.since = in_.duration(t, "from", 0, true);
            if (f.since >= f.at) in_.fail(t.get("from"), "a restore's from must be before its at");
        }
        if (f.kind == FaultKind::drift) {
            if (t.get("ppm") == nullptr) in_.fail(&t, "a drift needs ppm = <parts per million>");
            f.ppm = in_.number(t, "ppm", 0, -900'000, 1'000'000);
        }
        return f;
    }

    void read_fault_targets(const toml::table& t, FaultTarget target, Fault& f) const {
        const std::string region_or_replica = "region or replica";
        switch (target) {
            case FaultTarget::none:
                break;
            case FaultTarget::groups: {
                const toml::node* groups = t.get("groups");
                if (groups == nullptr || !groups->is_array())
                    in_.fail(&t, "a partition needs groups = [[\"region\", ...], [...]]");
                for (const toml::node& g : *groups->as_array()) {
                    f.groups.push_back(in_.strings(g, "each group"));
                    for (std::size_t i = 0; i < f.groups.back().size(); ++i)
                        in_.known_name(g.as_array()->get(i), f.groups.back()[i], all_,
                                       region_or_replica);
                }
                break;
            }
            case FaultTarget::link:
                f.from = in_.name(t, "from", all_, region_or_replica);
                f.to = in_.name(t, "to", all_, region_or_replica);
                break;
            case FaultTarget::region_or_replica:
                f.replica = in_.name(t, "replica", all_, region_or_replica);
                break;
            case FaultTarget::replica:
                f.replica = in_.name(t, "replica", replicas_, "replica");
                break;
        }
    }

    // A duration with an optional leading minus: "-2s".
    Micros signed_duration(const toml::table& t, std::string_view key) const {
        const std::string text = in_.text(t, key, {}, true);
        const bool negative = !text.empty() && text[0] == '-';
        try {
            const Micros d = parse_duration(negative ? text.substr(1) : text);
            return negative ? -d : d;
        } catch (const ScenarioError& e) {
            in_.fail(t.get(key), e.what());
        }
    }

    void read_chaos() {
        const toml::table* c = root_["chaos"].as_table();
        if (c == nullptr) return;
        in_.only(*c, {"every", "lasts", "kinds", "lose_storage"}, "[chaos]");
        s_.chaos.every = in_.duration(*c, "every", 0, true);
        s_.chaos.lasts = in_.duration(*c, "lasts", s_.chaos.lasts);
        s_.chaos.lose_storage = in_.number(*c, "lose_storage", 0, 0, 1);
        if (s_.chaos.every <= 0) in_.fail(c->get("every"), "every must be positive");
        if (s_.chaos.lasts <= 0) in_.fail(c->get("lasts"), "lasts must be positive");
        const toml::node* kinds = c->get("kinds");
        if (kinds == nullptr) return;
        s_.chaos.kinds.clear();
        for (const std::string& k : in_.strings(*kinds, "kinds")) {
            const auto kind = fault_kind_named(k);
            if (!kind || !fault_spec(*kind).drawable)
                in_.fail(kinds, "chaos kind \"" + k + "\" is not " +
                                    fault_kind_list(/*drawable_only=*/true));
            s_.chaos.kinds.push_back(*kind);
        }
        if (s_.chaos.kinds.empty())
            in_.fail(kinds, "chaos kinds is empty: name at least one, or leave kinds out");
    }

    Op read_op(const toml::table& t) const {
        in_.only(t, {"at", "replica", "type", "key", "action", "value", "ttl"}, "[[op]]");
        Op op;
        op.at = in_.duration(t, "at", 0, true);
        op.replica = in_.name(t, "replica", replicas_, "replica");
        op.type = in_.op_type(t);
        op.key = in_.text(t, "key", {}, true);
        const std::string action = in_.text(t, "action", {}, true);
        const auto known = op_action_named(op.type, action);
        if (!known)
            in_.fail(t.get("action"), "action \"" + action +
                                          "\" does not fit the type (counter: increment|decrement, "
                                          "set: add|remove, kv: put|del)");
        op.action = *known;
        if (op.type == OpType::counter)
            op.value = std::to_string(in_.integer(t, "value", 1, 0, INT64_MAX));
        else if (op.action != OpAction::del)
            op.value = in_.text(t, "value", {}, true);
        if (const toml::node* ttl = t.get("ttl")) {
            if (op.action != OpAction::put)
                in_.fail(ttl, "ttl applies only to a kv put, not to a " +
                                  std::string(name(op.type)) + " " + std::string(name(op.action)));
            op.ttl = in_.duration(t, "ttl", 0);
        }
        if (op.action == OpAction::del && t.get("value"))
            in_.fail(t.get("value"), "a kv del takes no value");
        return op;
    }

    // One [workload] table, or several [[workload]] entries (one per region, for instance).
    void read_workloads() {
        std::vector<const toml::table*> workloads;
        if (const toml::table* w = root_["workload"].as_table())
            workloads.push_back(w);
        else
            workloads = in_.tables(root_, "workload");
        for (const toml::table* w : workloads)
            s_.workloads.push_back(read_workload(*w));
    }

    Workload read_workload(const toml::table& w) const {
        in_.only(w, {"rate", "keys", "distribution", "mix", "region"}, "[workload]");
        Workload wl;
        wl.rate = in_.number(w, "rate", 0, 0, 1e9);
        wl.keys = static_cast<std::size_t>(in_.integer(w, "keys", 100, 1, 10'000'000));
        wl.region = in_.text(w, "region", {});
        const std::string dist = in_.text(w, "distribution", "uniform");
        if (dist != "uniform" && dist != "zipf")
            in_.fail(w.get("distribution"), "distribution must be \"uniform\" or \"zipf\"");
        wl.zipf = dist == "zipf";
        if (const toml::table* mix = w["mix"].as_table()) {
            in_.only(*mix, {"counter", "set", "kv"}, "the workload's mix");
            wl.counter = in_.number(*mix, "counter", 0, 0, 1e9);
            wl.set = in_.number(*mix, "set", 0, 0, 1e9);
            wl.kv = in_.number(*mix, "kv", 0, 0, 1e9);
            if (wl.counter + wl.set + wl.kv <= 0)
                in_.fail(w.get("mix"), "the mix must give some weight to counter, set or kv");
        }
        if (!wl.region.empty())
            in_.known_name(w.get("region"), wl.region, all_, "region or replica");
        return wl;
    }

    Expectation read_expectation(const toml::table& t) const {
        in_.only(t, {"key", "type", "equals"}, "[[expect]]");
        Expectation e;
        e.key = in_.text(t, "key", {}, true);
        e.type = in_.op_type(t);
        const toml::node* eq = t.get("equals");
        if (e.type == OpType::counter) {
            e.number = in_.integer(t, "equals", 0, INT64_MIN, INT64_MAX);
        } else if (e.type == OpType::set) {
            if (eq == nullptr) in_.fail(&t, "a set expectation needs equals = [\"member\", ...]");
            e.members = in_.strings(*eq, "equals");
            std::sort(e.members.begin(), e.members.end());
        } else if (eq != nullptr) {
            e.text = in_.text(t, "equals");
        }
        return e;
    }

    const toml::table& root_;
    const Reader in_;
    Scenario s_;
    std::vector<std::string> regions_, replicas_, all_;  // names, and both together
};

}  // namespace

Scenario parse_scenario(std::string_view text, std::string_view source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        throw ScenarioError(std::string(source) + ":" + std::to_string(e.source().begin.line) +
                            ": " + std::string(e.description()));
    }
    Scenario s = ScenarioParser(root, source).parse();
    try {
        validate(s);  // the rules of scenarios built in code too; the checks above gave lines
    } catch (const ScenarioError& e) {
        throw ScenarioError(std::string(source) + ": " + e.what());
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
