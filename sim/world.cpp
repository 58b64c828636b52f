#include <algorithm>
#include <cstdio>
#include <set>

#include <sim/error.hpp>
#include <sim/oracle.hpp>
#include <sim/random.hpp>
#include <sim/world.hpp>
#include <store/store.hpp>

namespace converge::sim {
namespace {

struct Event {
    Micros at;
    std::uint64_t seq;  // ties at one time keep the order they were scheduled in
    std::function<void()> run;
    bool operator>(const Event& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
};

std::uint64_t fnv(std::string_view text) {
    std::uint64_t h = 0xCBF29CE484222325;
    for (char c : text)
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3;
    return h;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2);
    return h * 0x100000001B3;
}

}  // namespace

bool Report::ok() const {
    return converged && violations.empty() &&
           std::all_of(expectations.begin(), expectations.end(),
                       [](const ExpectationResult& e) { return e.met; });
}

struct World::Impl {
    struct Replica;

    // The clock a replica sees, in milliseconds: virtual time plus its skew and its drift.
    struct SimClock final : store::Clock {
        SimClock(const Impl& w, const Replica& r) : world(w), rep(r) {}
        std::uint64_t now_ms() override {
            const Micros t = world.now + rep.offset + rep.drift_since(world.now);
            return t <= 0 ? 0 : static_cast<std::uint64_t>(t / 1000);
        }
        const Impl& world;
        const Replica& rep;
    };

    struct SimTransport final : store::Transport {
        SimTransport(Impl& w, std::size_t f) : world(w), from(f) {}
        void send(ReplicaId to, std::string frame) override {
            world.send(from, to, std::move(frame));
        }
        Impl& world;
        std::size_t from;
    };

    struct Replica {
        std::string name;
        std::size_t region = 0;
        ReplicaId id;
        Micros offset = 0;
        double drift_ppm = 0;
        Micros drifting_from = 0;
        bool up = true;

        // What drift added to the clock since it last changed.
        Micros drift_since(Micros at) const {
            return static_cast<Micros>(static_cast<double>(at - drifting_from) * drift_ppm / 1e6);
        }
        bool paused = false;
        std::uint32_t generation = 0;
        std::unique_ptr<store::Store> store;
        store::ChangeCursor checked{};  // where the last oracle check of its store got to
    };

    explicit Impl(Scenario s)
        : scenario(std::move(s)), random(scenario.seed), oracle(scenario.seed) {
        if (scenario.regions.empty()) throw ScenarioError("the scenario has no [[region]]");
        for (std::size_t r = 0; r < scenario.regions.size(); ++r) {
            const Region& region = scenario.regions[r];
            if (region.replicas == 0)
                throw ScenarioError("region \"" + region.name + "\" has no replicas");
            for (std::size_t i = 1; i <= region.replicas; ++i) {
                auto rep = std::make_unique<Replica>();
                rep->name = replica_name(region, i);
                rep->region = r;
                replicas.push_back(std::move(rep));
            }
        }
        if (scenario.sync_interval <= 0) throw ScenarioError("sync_interval must be positive");
        for (std::size_t i = 0; i < replicas.size(); ++i)
            start_replica(i, /*fresh_id=*/true);
        latency_base.assign(
            scenario.regions.size(),
            std::vector<Micros>(scenario.regions.size(), scenario.latency.default_base));
        for (std::size_t r = 0; r < scenario.regions.size(); ++r)
            latency_base[r][r] = scenario.latency.within_region;
        for (const LatencyLink& link : scenario.latency.links)
            latency_base[region_index(link.from)][region_index(link.to)] = link.base;
        for (const Fault& f : scenario.faults)
            check_names(f);
        for (const Op& op : scenario.ops)
            replica_index(op.replica);
    }

    // Throws ScenarioError if a name in f stands for no replica (or region, where one fits), so
    // a scenario built in code fails before the run rather than when the fault fires.
    void check_names(const Fault& f) const {
        switch (f.kind) {
            case FaultKind::partition:
                for (const auto& group : f.groups)
                    for (const std::string& name : group)
                        members(name);
                break;
            case FaultKind::oneway:
                members(f.from);
                members(f.to);
                break;
            case FaultKind::isolate:
                members(f.replica);
                break;
            case FaultKind::heal:
                break;
            default:
                replica_index(f.replica);
        }
    }

    std::size_t region_index(const std::string& name) const {
        for (std::size_t r = 0; r < scenario.regions.size(); ++r)
            if (scenario.regions[r].name == name) return r;
        throw ScenarioError("no region named \"" + name + "\"");
    }
    std::size_t replica_index(const std::string& name) const {
        for (std::size_t i = 0; i < replicas.size(); ++i)
            if (replicas[i]->name == name) return i;
        throw ScenarioError("no replica named \"" + name + "\" (replicas are named like \"" +
                            replicas.front()->name + "\")");
    }
    // The replicas a region or replica name stands for.
    std::vector<std::size_t> members(const std::string& name) const {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < replicas.size(); ++i)
            if (replicas[i]->name == name || scenario.regions[replicas[i]->region].name == name)
                out.push_back(i);
        if (out.empty()) throw ScenarioError("no region or replica named \"" + name + "\"");
        return out;
    }

    // A replica restarted without its storage takes a new id: it must never reuse old dots.
    void start_replica(std::size_t i, bool fresh_id) {
        Replica& rep = *replicas[i];
        if (fresh_id) {
            if (rep.generation > 0) {
                oracle.forget(i);
                by_id.erase(rep.id);
                for (auto& other : replicas)
                    if (other->store) other->store->remove_peer(rep.id);
            }
            rep.id = ReplicaId{(std::uint64_t{rep.generation} << 32) | (i + 1)};
            ++rep.generation;
        }
        store::Options o;
        o.replica = rep.id;
        o.clock = std::make_shared<SimClock>(*this, rep);
        o.rng = std::make_shared<store::SeededRng>(random.next());
        o.transport = std::make_shared<SimTransport>(*this, i);
        o.log = [](std::string_view) {};
        o.stripes = 8;
        rep.store = std::make_unique<store::Store>(o);
        rep.checked = {};
        by_id[rep.id] = i;
        rep.up = true;
        for (std::size_t j = 0; j < replicas.size(); ++j) {
            if (j == i || !replicas[j]->store) continue;
            rep.store->add_peer(replicas[j]->id);
            replicas[j]->store->add_peer(rep.id);
        }
    }

    // The event queue: a binary heap on a vector, so an event leaves it by move, not by copy.
    void at(Micros t, std::function<void()> fn) {
        queue.push_back(Event{t, next_seq++, std::move(fn)});
        std::push_heap(queue.begin(), queue.end(), std::greater<>{});
    }
    Event pop_event() {
        std::pop_heap(queue.begin(), queue.end(), std::greater<>{});
        Event e = std::move(queue.back());
        queue.pop_back();
        return e;
    }

    void send(std::size_t from, ReplicaId to_id, std::string frame) {
        ++stats.messages_sent;
        stats.bytes_sent += frame.size();
        if (Timeline::Bucket* b = bucket()) {
            ++b->messages;
            b->bytes += frame.size();
        }
        const auto it = by_id.find(to_id);
        if (it == by_id.end()) {
            dropped(from, std::nullopt, frame.size(), "to a replica gone");
            return;
        }
        const std::size_t to = it->second;
        const Replica& a = *replicas[from];
        const Replica& b = *replicas[to];
        stats.bytes_by_route[scenario.regions[a.region].name + " -> " +
                             scenario.regions[b.region].name] += frame.size();
        if (cut.contains({from, to})) {
            dropped(from, to, frame.size(), "cut");
            return;
        }
        if (random.chance(scenario.network.loss)) {
            dropped(from, to, frame.size(), "lost");
            return;
        }
        const int copies = random.chance(scenario.network.duplicate) ? 2 : 1;
        stats.messages_duplicated += static_cast<std::uint64_t>(copies - 1);
        for (int c = 0; c < copies; ++c) {
            Micros delay = latency_base[a.region][b.region];
            if (scenario.latency.jitter > 0)
                delay += static_cast<Micros>(
                    random.below(static_cast<std::uint64_t>(scenario.latency.jitter) + 1));
            if (random.chance(scenario.network.reorder)) delay += delay / 2 + 1;
            if (tracer)
                log("send " + a.name + " -> " + b.name + " " + std::to_string(frame.size()) +
                    " B, arrives in " + format_duration(delay) + (c > 0 ? " (duplicate)" : ""));
            const ReplicaId id = to_id;
            std::string copy = c + 1 == copies ? std::move(frame) : frame;
            at(now + delay, [this, from, to, id, bytes = std::move(copy)] {
                Replica& target = *replicas[to];
                if (!target.up || target.id != id) {
                    dropped(from, to, bytes.size(), "the receiver is down");
                    return;
                }
                ++stats.messages_delivered;
                trace = mix(trace, mix(static_cast<std::uint64_t>(now), bytes.size() * 1000 + to));
                const bool accepted = target.store->receive(bytes);
                if (tracer)
                    log("deliver " + replicas[from]->name + " -> " + target.name + " " +
                        std::to_string(bytes.size()) + " B" + (accepted ? "" : " (rejected)"));
            });
        }
    }

    void dropped(std::size_t from, std::optional<std::size_t> to, std::size_t bytes,
                 const char* why) {
        ++stats.messages_dropped;
        if (Timeline::Bucket* b = bucket()) ++b->dropped;
        if (tracer)
            log("drop " + replicas[from]->name + " -> " + (to ? replicas[*to]->name : "?") + " " +
                std::to_string(bytes) + " B: " + why);
    }

    // The timeline's bucket for now; null when no timeline is recorded.
    Timeline::Bucket* bucket() {
        if (!timeline) return nullptr;
        const auto i = static_cast<std::size_t>(now / timeline->bucket);
        if (i >= timeline->buckets.size()) timeline->buckets.resize(i + 1);
        return &timeline->buckets[i];
    }

    void log(const std::string& line) {
        char t[32];
        std::snprintf(t, sizeof t, "%lld.%06lld ", static_cast<long long>(now / 1'000'000),
                      static_cast<long long>(now % 1'000'000));
        tracer(t + line);
    }

    // Opens a timeline band; close_bands ends those whose label starts with prefix.
    void open_band(std::string what) {
        if (timeline) timeline->bands.push_back({now, -1, std::move(what)});
    }
    void close_bands(std::string_view prefix) {
        if (!timeline) return;
        for (auto& band : timeline->bands)
            if (band.to < 0 && band.what.starts_with(prefix)) band.to = now;
    }

    void schedule_sync(std::size_t i, Micros t) {
        at(t, [this, i] {
            Replica& rep = *replicas[i];
            if (rep.up && !rep.paused) {
                if (tracer) log("sync " + rep.name);
                rep.store->sync();
            }
            if (now < hard_end) schedule_sync(i, now + scenario.sync_interval);
        });
    }

    void cut_between(const std::vector<std::size_t>& a, const std::vector<std::size_t>& b) {
        for (std::size_t x : a)
            for (std::size_t y : b)
                if (x != y) cut.insert({x, y});
    }

    void apply_fault(const Fault& f) {
        trace = mix(trace, static_cast<std::uint64_t>(f.kind) + 100);
        const std::string what = describe(f);
        if (tracer) log("fault " + what);
        switch (f.kind) {
            case FaultKind::partition:
            case FaultKind::oneway:
            case FaultKind::isolate:
                open_band("cut: " + what);
                break;
            case FaultKind::heal:
                close_bands("cut: ");
                break;
            case FaultKind::crash:
                open_band(f.replica + " down" + (f.keep_storage ? "" : ", storage lost"));
                break;
            case FaultKind::restart:
                close_bands(f.replica + " down");
                break;
            case FaultKind::pause:
                open_band(f.replica + " paused");
                break;
            case FaultKind::resume:
                close_bands(f.replica + " paused");
                break;
            case FaultKind::skew:
            case FaultKind::drift:
                break;
        }
        switch (f.kind) {
            case FaultKind::partition: {
                std::vector<std::vector<std::size_t>> groups;
                for (const auto& g : f.groups) {
                    std::vector<std::size_t> m;
                    for (const std::string& name : g)
                        for (std::size_t i : members(name))
                            m.push_back(i);
                    groups.push_back(std::move(m));
                }
                for (std::size_t x = 0; x < groups.size(); ++x)
                    for (std::size_t y = 0; y < groups.size(); ++y)
                        if (x != y) cut_between(groups[x], groups[y]);
                break;
            }
            case FaultKind::oneway:
                cut_between(members(f.from), members(f.to));
                break;
            case FaultKind::isolate: {
                std::vector<std::size_t> all(replicas.size());
                for (std::size_t i = 0; i < all.size(); ++i)
                    all[i] = i;
                const auto one = members(f.replica);
                cut_between(one, all);
                cut_between(all, one);
                break;
            }
            case FaultKind::heal:
                cut.clear();
                last_heal = now;
                break;
            case FaultKind::crash: {
                Replica& rep = *replicas[replica_index(f.replica)];
                rep.up = false;
                if (!f.keep_storage) rep.store.reset();  // everything it held is gone
                break;
            }
            case FaultKind::restart: {
                const std::size_t i = replica_index(f.replica);
                Replica& rep = *replicas[i];
                if (rep.up) break;
                if (rep.store)
                    rep.up = true;  // its storage survived: it carries on where it stopped
                else
                    start_replica(i, /*fresh_id=*/true);
                break;
            }
            case FaultKind::skew:
                replicas[replica_index(f.replica)]->offset += f.offset;
                break;
            case FaultKind::drift: {
                Replica& rep = *replicas[replica_index(f.replica)];
                rep.offset += rep.drift_since(now);
                rep.drifting_from = now;
                rep.drift_ppm = f.ppm;
                break;
            }
            case FaultKind::pause:
                replicas[replica_index(f.replica)]->paused = true;
                break;
            case FaultKind::resume:
                replicas[replica_index(f.replica)]->paused = false;
                break;
        }
    }

    // Applies op to its replica and to the model; ops on a down or paused replica do not happen,
    // and one on a key the replica holds as another type is refused (its state unchanged).
    void apply_op(const Op& op, std::size_t i) {
        Replica& rep = *replicas[i];
        if (!rep.up || rep.paused) return;
        trace = mix(trace, fnv(op.key) ^ (i << 8) ^ static_cast<std::uint64_t>(op.type));
        store::Store& s = *rep.store;
        std::optional<store::KeyInspection> before = s.inspect(op.key);
        try {
            mutate(s, op);
        } catch (const TypeMismatch&) {
            ++stats.operations_refused;
            return;
        }
        ++stats.operations;
        if (Timeline::Bucket* b = bucket()) ++b->operations;
        if (timeline) unsettled[op.key] = now;
        if (tracer)
            log("op " + rep.name + " " + std::string(name(op.type)) + " " + op.action + " " +
                op.key + (op.value.empty() ? "" : " " + op.value));
        if (recording) {
            recorded.push_back(op);
            recorded.back().at = now;
            recorded.back().replica = rep.name;
        }
        oracle.operation(now, rep.name, rep.id, op, before, *s.inspect(op.key));
    }

    static void mutate(store::Store& s, const Op& op) {
        switch (op.type) {
            case OpType::counter: {
                const auto n =
                    static_cast<std::uint64_t>(std::stoll(op.value.empty() ? "1" : op.value));
                if (op.action == "decrement")
                    s.counter(op.key).decrement(n);
                else
                    s.counter(op.key).increment(n);
                break;
            }
            case OpType::set:
                if (op.action == "remove")
                    s.set(op.key).remove(op.value);
                else
                    s.set(op.key).add(op.value);
                break;
            case OpType::kv:
                if (op.action == "del")
                    s.del(op.key);
                else if (op.ttl)
                    s.put(op.key, op.value, std::chrono::milliseconds(*op.ttl / 1000));
                else
                    s.put(op.key, op.value);
                break;
        }
    }

    // One random workload as it runs: its own random stream, key distribution and replicas.
    struct WorkloadRun {
        const Workload* spec = nullptr;
        Random random;
        std::optional<Zipf> zipf{};
        std::vector<std::size_t> replicas{};
        Micros gap = 0;
    };

    void schedule_workloads() {
        for (const Workload& w : scenario.workloads) {
            if (w.rate <= 0 || w.keys == 0) continue;
            if (w.counter + w.set + w.kv <= 0)
                throw ScenarioError("the workload's mix is all zero");
            auto run =
                std::make_unique<WorkloadRun>(WorkloadRun{.spec = &w, .random = random.split()});
            if (w.zipf) run->zipf.emplace(w.keys);
            if (w.region.empty()) {
                for (std::size_t i = 0; i < replicas.size(); ++i)
                    run->replicas.push_back(i);
            } else {
                run->replicas = members(w.region);
            }
            run->gap = std::max<Micros>(1, static_cast<Micros>(1e6 / w.rate));
            workloads.push_back(std::move(run));
            workload_step(*workloads.back());
        }
    }

    // Schedules the workload's next operation, unless the run ends first.
    void workload_step(WorkloadRun& run) {
        if (now + run.gap >= scenario.duration) return;
        at(now + run.gap, [this, &run] {
            const auto [op, replica] = draw_op(run);
            apply_op(op, replica);
            workload_step(run);
        });
    }

    // The next random operation of a workload (a key from its distribution, a type from its
    // mix) and the replica that makes it.
    static std::pair<Op, std::size_t> draw_op(WorkloadRun& run) {
        const Workload& w = *run.spec;
        Random& r = run.random;
        const std::size_t key = run.zipf ? (*run.zipf)(r) : r.below(w.keys);
        const double pick = r.unit() * (w.counter + w.set + w.kv);
        Op op;
        const std::size_t replica = run.replicas[r.below(run.replicas.size())];
        const std::string k = std::to_string(key);
        if (pick < w.counter) {
            op.type = OpType::counter;
            op.key = "counter:" + k;
            op.action = r.chance(0.8) ? "increment" : "decrement";
            op.value = std::to_string(1 + r.below(5));
        } else if (pick < w.counter + w.set) {
            op.type = OpType::set;
            op.key = "set:" + k;
            op.action = r.chance(0.7) ? "add" : "remove";
            op.value = "m" + std::to_string(r.below(8));
        } else {
            op.type = OpType::kv;
            op.key = "kv:" + k;
            op.action = r.chance(0.9) ? "put" : "del";
            op.value = "v" + std::to_string(r.next() % 1000);
        }
        return {op, replica};
    }

    // Samples every live replica's metadata bytes once a simulated second, keeping the peak.
    void sample_metadata() {
        for (const auto& rep : replicas) {
            if (!rep->up) continue;
            const store::MetadataBytes m = rep->store->metrics().metadata_bytes;
            std::uint64_t& peak = stats.peak_metadata_bytes[rep->name];
            peak = std::max(peak, m.values + m.counters + m.sets);
        }
        if (now < scenario.duration) at(now + 1'000'000, [this] { sample_metadata(); });
    }

    bool agreed() const {
        std::optional<std::uint64_t> first;
        for (const auto& rep : replicas) {
            if (!rep->up) continue;
            const std::uint64_t h = rep->store->state_hash();
            if (!first) first = h;
            if (h != *first) return false;
        }
        return true;
    }

    // What key shows on s read as type; null if s holds it as another type.
    static FinalValue final_value(store::Store& s, const std::string& key, OpType type) {
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
            }
        } catch (const TypeMismatch&) {
        }
        return std::monostate{};
    }

    // The oracle's checks of every live replica against its model, every check_interval.
    void check_replicas() {
        std::vector<std::size_t> slots;
        std::vector<std::string> names;
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            Replica& rep = *replicas[i];
            if (!rep.up) continue;
            rep.store->inspect_changed(
                rep.checked, [&](std::string_view key, const store::KeyInspection& state) {
                    oracle.check_key(now, i, rep.name, std::string(key), state);
                });
            slots.push_back(i);
            names.push_back(rep.name);
        }
        if (slots.size() < 2) return;
        oracle.check_same_state_same_value(
            now, slots, names,
            [&](std::size_t i, const std::string& key, store::KeyInspection::Type type) {
                return final_value(*replicas[i]->store, key, op_type(type));
            });
    }

    // Timeline: keys whose state is now the same on every live replica, since their last op.
    void check_keys() {
        for (auto it = unsettled.begin(); it != unsettled.end();) {
            std::optional<store::KeyInspection> first;
            bool same = true;
            for (const auto& rep : replicas) {
                if (!rep->up) continue;
                auto state = rep->store->inspect(it->first);
                if (!state || (first && *state != *first)) {
                    same = false;
                    break;
                }
                if (!first) first = std::move(state);
            }
            if (same) {
                timeline->key_convergence[it->first] = now - it->second;
                it = unsettled.erase(it);
            } else {
                ++it;
            }
        }
        if (now < hard_end) at(now + scenario.sync_interval, [this] { check_keys(); });
    }

    std::string describe(const Fault& f) const {
        std::string out(name(f.kind));
        for (std::size_t g = 0; g < f.groups.size(); ++g) {
            out += g == 0 ? " " : " | ";
            for (std::size_t i = 0; i < f.groups[g].size(); ++i)
                out += (i ? "," : "") + f.groups[g][i];
        }
        if (!f.from.empty()) out += " " + f.from + " -> " + f.to;
        if (!f.replica.empty()) out += " " + f.replica;
        if (f.kind == FaultKind::crash && !f.keep_storage) out += " (storage lost)";
        if (f.kind == FaultKind::skew) out += " by " + format_duration(f.offset);
        if (f.kind == FaultKind::drift) out += " at " + std::to_string(f.ppm) + " ppm";
        return out;
    }

    void schedule_checks(Micros t) {
        at(t, [this] {
            check_replicas();
            schedule_checks(now + scenario.check_interval);
        });
    }

    // Whether every operation of replica id must be present at the end: it is up, with its storage.
    bool durable(ReplicaId id) const {
        const auto it = by_id.find(id);
        return it != by_id.end() && replicas[it->second]->up && replicas[it->second]->id == id;
    }

    // After convergence: every live replica's every key against the model.
    void check_final() {
        check_replicas();
        for (const auto& rep : replicas) {
            if (!rep->up) continue;
            for (const std::string& key : oracle.keys()) {
                const auto state = rep->store->inspect(key);
                const OpType type = state ? op_type(state->type) : oracle.type_of(key);
                oracle.check_final(now, rep->name, key, state, final_value(*rep->store, key, type),
                                   [this](ReplicaId id) { return durable(id); });
            }
        }
    }

    Report run(const std::function<void(Micros, Micros)>& progress) {
        hard_end = scenario.duration + scenario.settle_limit;
        for (std::size_t i = 0; i < replicas.size(); ++i)
            schedule_sync(i, static_cast<Micros>(
                                 random.below(static_cast<std::uint64_t>(scenario.sync_interval))));
        for (const Fault& f : scenario.faults)
            at(f.at, [this, f] { apply_fault(f); });
        for (const Fault& f : draw_chaos(scenario))
            at(f.at, [this, f] { apply_fault(f); });
        for (const Op& op : scenario.ops)
            at(op.at, [this, op, i = replica_index(op.replica)] { apply_op(op, i); });
        schedule_workloads();
        at(0, [this] { sample_metadata(); });
        if (scenario.check_interval > 0) schedule_checks(scenario.check_interval);
        if (timeline) {
            timeline->bucket = std::max<Micros>(100'000, scenario.duration / 200);
            at(0, [this] { check_keys(); });
        }
        // The end of the run: every partition heals, paused replicas resume, crashed ones stay
        // down; then the replicas are checked for agreement every sync interval.
        at(scenario.duration, [this] {
            if (tracer) log("end of the run: every partition heals, paused replicas resume");
            close_bands("");  // paused replicas resume; bands of replicas still down end here
            cut.clear();
            for (auto& rep : replicas)
                rep->paused = false;
            settle_from = now;
            sample_metadata();
            check_agreement();
        });

        Micros next_progress = 0;
        while (!queue.empty() && !done) {
            Event e = pop_event();
            now = e.at;
            if (now > hard_end) break;
            ++stats.events;
            e.run();
            if (progress && now >= next_progress) {
                progress(now, scenario.duration);
                next_progress = now + scenario.duration / 100 + 1;
            }
        }
        return report();
    }

    void check_agreement() {
        if (agreed()) {
            converged_at = now;
            done = true;
            return;
        }
        if (now < hard_end) at(now + scenario.sync_interval, [this] { check_agreement(); });
    }

    static FinalValue expected(const Expectation& e) {
        switch (e.type) {
            case OpType::counter:
                return e.number ? FinalValue(*e.number) : FinalValue();
            case OpType::set:
                return e.members;
            case OpType::kv:
                break;
        }
        return e.text ? FinalValue(*e.text) : FinalValue();
    }

    Report report() {
        Report r;
        r.converged = converged_at.has_value();
        if (converged_at) r.convergence_time = *converged_at - settle_from;
        r.simulated = now;
        for (const auto& rep : replicas) {
            if (!rep->up) continue;
            auto& keys = r.replicas[rep->name];
            for (const std::string& key : rep->store->keys())
                keys[key] = final_value(*rep->store, key, op_type(rep->store->inspect(key)->type));
        }
        r.stats = stats;
        r.trace_hash = trace;
        r.timeline = timeline;
        const std::string where =
            "seed " + std::to_string(scenario.seed) + ", at " + format_duration(now) + ": ";
        if (!r.converged)
            r.violations.push_back(where + "live replicas still differ " +
                                   format_duration(now - settle_from) +
                                   " after the end of the run");
        if (r.converged) check_final();
        for (std::string& v : oracle.violations())
            r.violations.push_back(std::move(v));
        for (const Expectation& e : scenario.expectations) {
            ExpectationResult result{e, true, {}};
            for (auto& rep : replicas) {
                if (!rep->up) continue;
                const bool met = final_value(*rep->store, e.key, e.type) == expected(e);
                if (!met && result.met) {
                    result.met = false;
                    result.detail = rep->name + " does not hold it";
                }
            }
            r.expectations.push_back(std::move(result));
        }
        return r;
    }

    Scenario scenario;
    Random random;
    Oracle oracle;
    bool recording = false;
    std::vector<Op> recorded;
    std::optional<Timeline> timeline;
    std::map<std::string, Micros> unsettled;  // timeline: key -> its last operation's time
    std::function<void(std::string_view)> tracer;
    std::vector<std::unique_ptr<Replica>> replicas;
    std::map<ReplicaId, std::size_t> by_id;
    std::vector<std::vector<Micros>> latency_base;
    std::set<std::pair<std::size_t, std::size_t>> cut;
    std::vector<Event> queue;
    std::uint64_t next_seq = 0;
    Micros now = 0;
    Micros hard_end = 0;
    Micros last_heal = 0;
    Micros settle_from = 0;
    std::optional<Micros> converged_at;
    bool done = false;
    std::vector<std::unique_ptr<WorkloadRun>> workloads;
    Stats stats;
    std::uint64_t trace = 0xCBF29CE484222325;
};

World::World(Scenario scenario) : impl_(std::make_unique<Impl>(std::move(scenario))) {}
World::~World() = default;

Report World::run(const std::function<void(Micros, Micros)>& progress) {
    return impl_->run(progress);
}

void World::record_operations() {
    impl_->recording = true;
}
void World::record_timeline() {
    impl_->timeline.emplace();
}
void World::trace_to(std::function<void(std::string_view)> line) {
    impl_->tracer = std::move(line);
}
const std::vector<Op>& World::operations() const {
    return impl_->recorded;
}

}  // namespace converge::sim
