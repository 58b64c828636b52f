#include <cassert>

#include <sim/workload_driver.hpp>

namespace converge::sim {

void WorkloadDriver::start(Random& random, const ReplicaSet& replicas) {
    for (const Workload& w : scenario_.workloads) {
        if (w.rate <= 0 || w.keys == 0) continue;
        assert(w.total() > 0 && "validate() refuses an all-zero mix");
        auto run = std::make_unique<Run>(Run{.spec = &w, .random = random.split()});
        if (w.zipf) run->zipf.emplace(w.keys);
        if (w.region.empty()) {
            for (std::size_t i = 0; i < replicas.size(); ++i)
                run->replicas.push_back(i);
        } else {
            run->replicas = replicas.members(w.region);
        }
        run->gap = std::max<Micros>(1, static_cast<Micros>(1e6 / w.rate));
        runs_.push_back(std::move(run));
        step(*runs_.back());
    }
}

// Schedules the workload's next operation, unless the run ends first.
void WorkloadDriver::step(Run& run) {
    if (queue_.now() + run.gap >= scenario_.duration) return;
    queue_.at(queue_.now() + run.gap, [this, &run] {
        const auto [op, replica] = draw(run);
        apply_(op, replica);
        step(run);
    });
}

// The next random operation of a workload (a key from its distribution, a type from its mix) and
// the replica that makes it.
std::pair<Op, std::size_t> WorkloadDriver::draw(Run& run) {
    const Workload& w = *run.spec;
    Random& r = run.random;
    const std::size_t key = run.zipf ? (*run.zipf)(r) : r.below(w.keys);
    const double pick = r.unit() * w.total();
    Op op;
    const std::size_t replica = run.replicas[r.below(run.replicas.size())];
    const std::string k = std::to_string(key);
    if (pick < w.counter) {
        op.type = OpType::counter;
        op.key = "counter:" + k;
        op.action = r.chance(0.8) ? OpAction::increment : OpAction::decrement;
        op.value = std::to_string(1 + r.below(5));
    } else if (pick < w.counter + w.set) {
        op.type = OpType::set;
        op.key = "set:" + k;
        op.action = r.chance(0.7) ? OpAction::add : OpAction::remove;
        op.value = "m" + std::to_string(r.below(8));
    } else if (pick < w.counter + w.set + w.kv) {
        op.type = OpType::kv;
        op.key = "kv:" + k;
        op.action = r.chance(0.9) ? OpAction::put : OpAction::del;
        op.value = "v" + std::to_string(r.next() % 1000);
    } else {
        draw_record(op, r, w, k, pick - (w.counter + w.set + w.kv));
    }
    assert(fits(op.type, op.action));
    return {op, replica};
}

// A hash, zset or hll operation (pick: where the draw fell past the other types' weights). Scores
// and increments are multiples of 0.5, so every sum is exact and the oracle can compare scores.
void WorkloadDriver::draw_record(Op& op, Random& r, const Workload& w, const std::string& k,
                                 double pick) {
    if (pick < w.hash) {
        op.type = OpType::hash;
        op.key = "hash:" + k;
        const std::size_t field = r.below(6);  // fields 0-2 hold values, 3-5 counters
        op.field = "f" + std::to_string(field);
        if (r.chance(0.2)) {
            op.action = OpAction::del;
        } else if (field < 3) {
            op.action = OpAction::set;
            op.value = "v" + std::to_string(r.next() % 1000);
        } else {
            op.action = OpAction::increment;
            op.value = std::to_string(static_cast<std::int64_t>(r.below(9)) - 3);
        }
    } else if (pick < w.hash + w.zset) {
        op.type = OpType::zset;
        op.key = "zset:" + k;
        op.member = "m" + std::to_string(r.below(6));
        const double roll = r.unit();
        op.action = roll < 0.4   ? OpAction::add
                    : roll < 0.8 ? OpAction::increment
                                 : OpAction::remove;
        if (op.action != OpAction::remove) op.score = 0.5 * (static_cast<double>(r.below(41)) - 20);
    } else {
        op.type = OpType::hll;
        op.key = "hll:" + k;
        op.action = OpAction::add;
        op.value = "e" + std::to_string(r.below(5000));
    }
}

}  // namespace converge::sim
