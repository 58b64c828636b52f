#include <cassert>
#include <cmath>

#include <sim/checker.hpp>

namespace converge::sim {
namespace {

FinalValue expected(const Expectation& e) {
    switch (e.type) {
        case OpType::counter:
            return e.number ? FinalValue(*e.number) : FinalValue();
        case OpType::set:
            return e.members;
        case OpType::hash:
            return e.fields;
        case OpType::zset:
            return scored(e.scores);
        case OpType::hll:
            return e.number ? FinalValue(*e.number) : FinalValue();
        case OpType::kv:
            break;
    }
    return e.text ? FinalValue(*e.text) : FinalValue();
}

// Whether a replica showing shown meets e: exactly, or for an hll within its tolerance.
bool meets(const Expectation& e, const FinalValue& shown) {
    if (e.type != OpType::hll || e.within <= 0) return shown == expected(e);
    const auto* count = std::get_if<std::int64_t>(&shown);
    const double want = static_cast<double>(e.number.value_or(0));
    return count != nullptr && std::abs(static_cast<double>(*count) - want) <= e.within * want;
}

}  // namespace

FinalValue final_value(store::Store& s, const std::string& key, OpType type) {
    try {
        switch (type) {
            case OpType::counter:
                return s.counter(key).value();
            case OpType::set:
                return s.set(key).elements();
            case OpType::kv: {
                auto v = s.get(key);
                return v ? FinalValue(*v) : FinalValue(std::monostate{});
            }
            case OpType::hash:
                return s.hash(key).fields();
            case OpType::zset:
                return scored(s.sorted_set(key).range(0, -1));
            case OpType::hll:
                return static_cast<std::int64_t>(s.hyperloglog(key).count());
        }
    } catch (const TypeMismatch&) {
    }
    return std::monostate{};
}

void Checker::operation(std::size_t i, const Op& op,
                        const std::optional<store::KeyInspection>& before,
                        const store::KeyInspection& after) {
    const SimReplica& rep = replicas_[i];
    replicas_.wrote(i);
    if (recorder_.timeline()) unsettled_[op.key] = time_.now();
    oracle_.operation(time_.now(), rep.name, rep.store->writer(), op, before, after);
}

void Checker::check_replicas() {
    std::vector<std::size_t> slots;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
        SimReplica& rep = replicas_[i];
        if (!rep.up) continue;
        const RetiredIds retired = rep.store->retired();
        rep.store->inspect_changed(
            rep.checked, [&](std::string_view key, const store::KeyInspection& state) {
                oracle_.check_key(time_.now(), i, rep.name, std::string(key), state, &retired);
            });
        slots.push_back(i);
        names.push_back(rep.name);
    }
    if (slots.size() < 2) return;
    oracle_.check_same_state_same_value(
        time_.now(), slots, names,
        [&](std::size_t i, const std::string& key, store::KeyInspection::Type type) {
            return final_value(*replicas_[i].store, key, op_type(type));
        });
}

void Checker::check_key_convergence() {
    assert(recorder_.timeline() && "key convergence is measured for the timeline");
    for (auto it = unsettled_.begin(); it != unsettled_.end();) {
        std::optional<store::KeyInspection> first;
        bool same = true;
        for (std::size_t i = 0; i < replicas_.size() && same; ++i) {
            if (!replicas_[i].up) continue;
            auto state = replicas_[i].store->inspect(it->first);
            same = state && (!first || *state == *first);
            if (!first) first = std::move(state);
        }
        if (same) {
            recorder_.timeline()->key_convergence[it->first] = time_.now() - it->second;
            it = unsettled_.erase(it);
        } else {
            ++it;
        }
    }
}

bool Checker::durable(ReplicaId writer) const {
    const auto i = replicas_.writing(writer);
    return i && replicas_[*i].up;
}

void Checker::check_final() {
    check_replicas();
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
        SimReplica& rep = replicas_[i];
        if (!rep.up) continue;
        for (const std::string& key : oracle_.keys()) {
            const auto state = rep.store->inspect(key);
            const OpType type = state ? op_type(state->type) : oracle_.type_of(key);
            oracle_.check_final(time_.now(), rep.name, key, state,
                                final_value(*rep.store, key, type),
                                [this](ReplicaId id) { return durable(id); });
        }
    }
}

Report Checker::report(Micros settle_from, std::optional<Micros> converged_at) {
    Report r;
    r.converged = converged_at.has_value();
    if (converged_at) r.convergence_time = *converged_at - settle_from;
    r.simulated = time_.now();
    add_final_values(r);
    r.stats = recorder_.stats;
    r.trace_hash = recorder_.trace_hash();
    r.timeline = recorder_.timeline();
    if (!r.converged)
        r.violations.push_back("seed " + std::to_string(scenario_.seed) + ", at " +
                               format_duration(time_.now()) + ": live replicas still differ " +
                               format_duration(time_.now() - settle_from) +
                               " after the end of the run");
    if (r.converged) check_final();
    for (std::string& v : oracle_.violations())
        r.violations.push_back(std::move(v));
    add_expectations(r);
    add_divergence(r);
    return r;
}

void Checker::end_of_run() {
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
        if (!replicas_[i].up) continue;
        for (const store::PeerMetrics& p : replicas_[i].store->metrics().peers)
            differing_at_end_of_run_[{i, p.peer}] = p.comparisons_differing;
    }
}

void Checker::add_divergence(Report& r) {
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
        SimReplica& rep = replicas_[i];
        if (!rep.up) continue;
        for (const store::PeerMetrics& p : rep.store->metrics().peers) {
            const auto j = replicas_.holding(p.peer);
            if (p.comparisons == 0 || !j || !replicas_[*j].up) continue;
            const auto at_end = differing_at_end_of_run_.find({i, p.peer});
            const std::uint64_t after =
                p.comparisons_differing -
                (at_end == differing_at_end_of_run_.end() ? 0 : at_end->second);
            r.divergence.push_back({rep.name, replicas_[*j].name, p.comparisons,
                                    p.comparisons_differing, p.keys_repaired, after,
                                    !r.converged && after > 0 && p.last_comparison_differed});
        }
    }
}

void Checker::add_final_values(Report& r) {
    for (std::size_t i = 0; i < replicas_.size(); ++i) {
        SimReplica& rep = replicas_[i];
        if (!rep.up) continue;
        auto& keys = r.replicas[rep.name];
        for (const std::string& key : rep.store->keys())
            keys[key] = final_value(*rep.store, key, op_type(rep.store->inspect(key)->type));
    }
}

void Checker::add_expectations(Report& r) {
    for (const Expectation& e : scenario_.expectations) {
        ExpectationResult result{e, true, {}};
        for (std::size_t i = 0; i < replicas_.size() && result.met; ++i) {
            SimReplica& rep = replicas_[i];
            if (!rep.up) continue;
            if (!meets(e, final_value(*rep.store, e.key, e.type))) {
                result.met = false;
                result.detail = rep.name + " does not hold it";
            }
        }
        r.expectations.push_back(std::move(result));
    }
}

}  // namespace converge::sim
