// World: the driver of one run. It owns the run's parts (the event queue, the replicas, the
// network, the fault injector, the workloads, the checker and the recorder), schedules what the
// scenario says, and runs events until the replicas agree after the end (or settle_limit passes).
#include <algorithm>

#include <sim/checker.hpp>
#include <sim/error.hpp>
#include <sim/fault_injector.hpp>
#include <sim/fault_table.hpp>
#include <sim/network.hpp>
#include <sim/recorder.hpp>
#include <sim/replica_set.hpp>
#include <sim/workload_driver.hpp>
#include <sim/world.hpp>

namespace converge::sim {
namespace {

std::uint64_t fnv(std::string_view text) {
    std::uint64_t h = 0xCBF29CE484222325;
    for (char c : text)
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3;
    return h;
}

Scenario validated(Scenario s) {
    validate(s);
    return s;
}

// Applies a hash, zset or hll op to s.
void mutate_record(store::Store& s, const Op& op) {
    if (op.type == OpType::hll) {
        s.hyperloglog(op.key).add(op.value);
    } else if (op.type == OpType::zset) {
        auto z = s.sorted_set(op.key);
        if (op.action == OpAction::add)
            z.add(op.member, op.score);
        else if (op.action == OpAction::increment)
            z.increment(op.member, op.score);
        else
            z.remove(op.member);
    } else {
        auto h = s.hash(op.key);
        if (op.action == OpAction::set)
            h.set(op.field, op.value);
        else if (op.action == OpAction::increment)
            h.increment(op.field, std::stoll(op.value));
        else
            h.del(op.field);
    }
}

// Applies op to s; throws TypeMismatch if its key holds another type there (or, in a hash, its
// field holds the other kind), InvalidOperation if a score would not be finite.
void mutate(store::Store& s, const Op& op) {
    if (is_record(op.type)) return mutate_record(s, op);
    switch (op.action) {
        case OpAction::increment:
        case OpAction::decrement: {
            const auto n =
                static_cast<std::uint64_t>(std::stoll(op.value.empty() ? "1" : op.value));
            if (op.action == OpAction::decrement)
                s.counter(op.key).decrement(n);
            else
                s.counter(op.key).increment(n);
            break;
        }
        case OpAction::add:
            s.set(op.key).add(op.value);
            break;
        case OpAction::remove:
            s.set(op.key).remove(op.value);
            break;
        case OpAction::put:
            if (op.ttl)
                s.put(op.key, op.value, std::chrono::milliseconds(*op.ttl / 1000));
            else
                s.put(op.key, op.value);
            break;
        case OpAction::del:
            s.del(op.key);
            break;
        case OpAction::set:
            assert(false && "set is a hash action");
            break;
    }
}

}  // namespace

bool Report::ok() const {
    return converged && violations.empty() &&
           std::all_of(expectations.begin(), expectations.end(),
                       [](const ExpectationResult& e) { return e.met; });
}

struct World::Impl {
    explicit Impl(Scenario s)
        : scenario(validated(std::move(s))),
          random(scenario.seed),
          recorder(queue),
          network(scenario, queue, random, recorder),
          replicas(
              scenario, queue, random, [this](std::size_t i) { return network.transport(i); },
              [this](std::size_t i) { checker.forget(i); }),
          faults(queue, network, replicas, recorder),
          workloads(scenario, queue, [this](const Op& op, std::size_t i) { apply_op(op, i); }),
          checker(scenario, queue, replicas, recorder) {
        network.set_replicas(replicas);
    }

    // Applies op to its replica and to the model; ops on a down or paused replica do not happen,
    // and one on a key the replica holds as another type is refused (its state unchanged).
    void apply_op(const Op& op, std::size_t i) {
        SimReplica& rep = replicas[i];
        if (!rep.up || rep.paused) return;
        recorder.mix(fnv(op.key) ^ (i << 8) ^ static_cast<std::uint64_t>(op.type));
        store::Store& s = *rep.store;
        std::optional<store::KeyInspection> before = s.inspect(op.key);
        try {
            mutate(s, op);
        } catch (const TypeMismatch&) {
            ++recorder.stats.operations_refused;
            return;
        } catch (const InvalidOperation&) {  // a score that would not be finite
            ++recorder.stats.operations_refused;
            return;
        }
        ++recorder.stats.operations;
        if (Timeline::Bucket* b = recorder.bucket()) ++b->operations;
        if (recorder.tracing())
            recorder.line("op " + rep.name + " " + std::string(name(op.type)) + " " +
                          std::string(name(op.action)) + " " + op.key +
                          (op.field.empty() ? "" : " " + op.field) +
                          (op.member.empty() ? "" : " " + op.member) +
                          (op.value.empty() ? "" : " " + op.value) +
                          (op.type == OpType::zset && op.action != OpAction::remove
                               ? " " + format_score(op.score)
                               : ""));
        if (recording) {
            recorded.push_back(op);
            recorded.back().at = queue.now();
            recorded.back().replica = rep.name;
        }
        // A remove of an absent key leaves none: the operation then saw and did nothing.
        const std::optional<store::KeyInspection> after = s.inspect(op.key);
        checker.operation(i, op, before, after ? *after : store::KeyInspection{});
    }

    // Replica i's sync rounds, every sync_interval from t until hard_end. (Each event captures
    // only [this, i], which std::function holds without allocating.)
    void schedule_sync(std::size_t i, Micros t) {
        queue.at(t, [this, i] {
            SimReplica& rep = replicas[i];
            if (rep.up && !rep.paused) {
                if (recorder.tracing()) recorder.line("sync " + rep.name);
                rep.store->sync();
            }
            if (queue.now() < hard_end) schedule_sync(i, queue.now() + scenario.sync_interval);
        });
    }

    void schedule_checks(Micros t) {
        queue.at(t, [this] {
            checker.check_replicas();
            if (queue.now() < hard_end) schedule_checks(queue.now() + scenario.check_interval);
        });
    }

    void schedule_key_convergence(Micros t) {
        queue.at(t, [this] {
            checker.check_key_convergence();
            if (queue.now() < hard_end)
                schedule_key_convergence(queue.now() + scenario.sync_interval);
        });
    }

    // Samples every live replica's metadata bytes once a simulated second, keeping the peak.
    void sample_metadata() {
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            const SimReplica& rep = replicas[i];
            if (!rep.up) continue;
            const store::MetadataBytes m = rep.store->metrics().metadata_bytes;
            std::uint64_t& peak = recorder.stats.peak_metadata_bytes[rep.name];
            peak = std::max(peak, m.total());
        }
        if (queue.now() < scenario.duration)
            queue.at(queue.now() + 1'000'000, [this] { sample_metadata(); });
    }

    void schedule_scenario() {
        for (std::size_t i = 0; i < replicas.size(); ++i)
            schedule_sync(i, static_cast<Micros>(
                                 random.below(static_cast<std::uint64_t>(scenario.sync_interval))));
        for (const Fault& f : scenario.faults) {
            if (f.kind == FaultKind::restore) queue.at(f.since, [this, f] { faults.snapshot(f); });
            queue.at(f.at, [this, f] { faults.apply(f); });
        }
        for (const Fault& f : draw_chaos(scenario))
            queue.at(f.at, [this, f] { faults.apply(f); });
        for (const Op& op : scenario.ops)
            queue.at(op.at, [this, op, i = replicas.index(op.replica)] { apply_op(op, i); });
        workloads.start(random, replicas);
        queue.at(0, [this] { sample_metadata(); });
        if (scenario.check_interval > 0) schedule_checks(scenario.check_interval);
        if (recorder.timeline()) {
            recorder.timeline()->bucket = std::max<Micros>(100'000, scenario.duration / 200);
            schedule_key_convergence(0);
        }
        // The end of the run: every partition heals, paused replicas resume, crashed ones stay
        // down; then the replicas are checked for agreement every sync interval.
        queue.at(scenario.duration, [this] {
            if (recorder.tracing())
                recorder.line("end of the run: every partition heals, paused replicas resume");
            faults.end_all();
            checker.end_of_run();
            settle_from = queue.now();
            sample_metadata();
            check_agreement();
        });
    }

    void check_agreement() {
        if (replicas.agreed()) {
            converged_at = queue.now();
            return;
        }
        if (queue.now() < hard_end)
            queue.at(queue.now() + scenario.sync_interval, [this] { check_agreement(); });
    }

    // The lifecycle figures of Stats, from every store still held.
    void measure_lifecycle() {
        Stats& st = recorder.stats;
        std::uint64_t metadata = 0, keys = 0;
        for (std::size_t i = 0; i < replicas.size(); ++i) {
            const SimReplica& rep = replicas[i];
            if (!rep.store) continue;
            const store::Metrics m = rep.store->metrics();
            st.clones_detected += m.rekeys + m.frames_rejected[static_cast<std::size_t>(
                                                 store::wire::RejectReason::retired_writer)];
            if (!rep.up) continue;
            metadata += m.metadata_bytes.total();
            keys += m.keys;
            rep.store->inspect_each([&](std::string_view, const store::KeyInspection& k) {
                std::vector<ReplicaId> ids;
                for (const auto& e : k.context.compact())
                    ids.push_back(e.replica);
                for (const Dot* d = k.context.cloud_begin(); d != k.context.cloud_end(); ++d)
                    ids.push_back(d->replica);
                for (const VersionVector* v : {&k.increments, &k.decrements})
                    for (const auto& e : *v)
                        if (e.replica != retired_writers) ids.push_back(e.replica);
                std::sort(ids.begin(), ids.end());
                const auto distinct =
                    static_cast<std::uint64_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
                st.ids_per_key_max = std::max(st.ids_per_key_max, distinct);
            });
        }
        st.metadata_bytes_per_key =
            keys == 0 ? 0 : static_cast<double>(metadata) / static_cast<double>(keys);
    }

    Report run(const std::function<void(Micros, Micros)>& progress) {
        hard_end = scenario.duration + scenario.settle_limit;
        schedule_scenario();
        Micros next_progress = 0;
        while (!queue.empty() && !converged_at) {
            std::function<void()> event = queue.pop();
            if (queue.now() > hard_end) break;
            ++recorder.stats.events;
            event();
            if (progress && queue.now() >= next_progress) {
                progress(queue.now(), scenario.duration);
                next_progress = queue.now() + scenario.duration / 100 + 1;
            }
        }
        measure_lifecycle();
        return checker.report(settle_from, converged_at);
    }

    Scenario scenario;
    Random random;
    EventQueue queue;
    Recorder recorder;
    Network network;
    ReplicaSet replicas;
    FaultInjector faults;
    WorkloadDriver workloads;
    Checker checker;
    bool recording = false;
    std::vector<Op> recorded;
    Micros hard_end = 0;
    Micros settle_from = 0;
    std::optional<Micros> converged_at;
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
    impl_->recorder.record_timeline();
}
void World::trace_to(std::function<void(std::string_view)> line) {
    impl_->recorder.trace_to(std::move(line));
}
const std::vector<Op>& World::operations() const {
    return impl_->recorded;
}

}  // namespace converge::sim
