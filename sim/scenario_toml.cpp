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
#include <sim/toml_reader.hpp>

namespace converge::sim {
namespace {

using detail::Reader;

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
        in_.only(
            t,
            {"at", "replica", "type", "key", "action", "value", "ttl", "field", "member", "score"},
            "[[op]]");
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
                                          "set: add|remove, kv: put|del, hash: set|del|increment, "
                                          "zset: add|increment|remove, hll: add)");
        op.action = *known;
        if (op.type == OpType::hash || op.type == OpType::zset) {
            read_record_op(t, op);
            return op;
        }
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

    // A hash op's field and value (an increment's a whole number), or a zset op's member and
    // score.
    void read_record_op(const toml::table& t, Op& op) const {
        for (const char* key : {"ttl", op.type == OpType::hash ? "member" : "field",
                                op.type == OpType::hash ? "score" : "value"})
            if (t.get(key) != nullptr)
                in_.fail(t.get(key), std::string(key) + " does not apply to a " +
                                         std::string(name(op.type)) + " operation");
        if (op.type == OpType::zset) {
            op.member = in_.text(t, "member", {}, true);
            if (op.action != OpAction::remove) op.score = in_.number(t, "score", 0, -1e300, 1e300);
            if (op.action == OpAction::remove && t.get("score"))
                in_.fail(t.get("score"), "a zset remove takes no score");
            return;
        }
        op.field = in_.text(t, "field", {}, true);
        if (op.action == OpAction::increment)
            op.value = std::to_string(in_.integer(t, "value", 1, INT64_MIN / 2, INT64_MAX / 2));
        else if (op.action == OpAction::set)
            op.value = in_.text(t, "value", {}, true);
        else if (t.get("value"))
            in_.fail(t.get("value"), "a hash del takes no value");
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
            in_.only(*mix, {"counter", "set", "kv", "hash", "zset", "hll"}, "the workload's mix");
            wl.counter = in_.number(*mix, "counter", 0, 0, 1e9);
            wl.set = in_.number(*mix, "set", 0, 0, 1e9);
            wl.kv = in_.number(*mix, "kv", 0, 0, 1e9);
            wl.hash = in_.number(*mix, "hash", 0, 0, 1e9);
            wl.zset = in_.number(*mix, "zset", 0, 0, 1e9);
            wl.hll = in_.number(*mix, "hll", 0, 0, 1e9);
            if (wl.total() <= 0) in_.fail(w.get("mix"), "the mix must give some weight to a type");
        }
        if (!wl.region.empty())
            in_.known_name(w.get("region"), wl.region, all_, "region or replica");
        return wl;
    }

    Expectation read_expectation(const toml::table& t) const {
        in_.only(t, {"key", "type", "equals", "within"}, "[[expect]]");
        Expectation e;
        e.key = in_.text(t, "key", {}, true);
        e.type = in_.op_type(t);
        const toml::node* eq = t.get("equals");
        if (t.get("within") && e.type != OpType::hll)
            in_.fail(t.get("within"), "within applies only to an hll expectation");
        if (is_record(e.type)) {
            read_record_expectation(t, e);
        } else if (e.type == OpType::counter) {
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

    // equals: a hash's table of fields, a zset's [member, score] pairs in rank order, or an
    // hll's count (within: the relative tolerance, 0.05 for 5 %).
    void read_record_expectation(const toml::table& t, Expectation& e) const {
        const toml::node* eq = t.get("equals");
        if (e.type == OpType::hll) {
            if (eq == nullptr) in_.fail(&t, "an hll expectation needs equals = COUNT");
            e.number = in_.integer(t, "equals", 0, 0, INT64_MAX);
            e.within = in_.number(t, "within", 0, 0, 1);
            return;
        }
        if (e.type == OpType::hash) {
            const toml::table* fields = eq ? eq->as_table() : nullptr;
            if (fields == nullptr)
                in_.fail(&t, "a hash expectation needs equals = { field = \"value\" }");
            for (const auto& [field, value] : *fields) {
                if (!value.is_string())
                    in_.fail(&value, "a hash field's expected value is a string");
                e.fields.emplace_back(std::string(field.str()), *value.value<std::string>());
            }
            std::sort(e.fields.begin(), e.fields.end());
            return;
        }
        const toml::array* pairs = eq ? eq->as_array() : nullptr;
        if (pairs == nullptr)
            in_.fail(&t, "a zset expectation needs equals = [[\"member\", score], ...]");
        for (const toml::node& pair : *pairs) {
            const toml::array* p = pair.as_array();
            if (p == nullptr || p->size() != 2 || !(*p)[0].is_string() || !(*p)[1].is_number())
                in_.fail(&pair, "each zset entry is [\"member\", score]");
            e.scores.emplace_back(*(*p)[0].value<std::string>(), *(*p)[1].value<double>());
        }
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
