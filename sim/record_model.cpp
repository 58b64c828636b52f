#include <algorithm>
#include <numeric>

#include <sim/record_model.hpp>

namespace converge::sim {

std::string RecordModel::operation(const Op& op, ReplicaId writer,
                                   const std::optional<store::KeyInspection>& before,
                                   const store::KeyInspection& after) {
    writers_.insert(writer);
    if (op.type == OpType::hll) {
        const auto [index, rank] = HyperLogLog::locate(op.value);
        registers_[index] = std::max(registers_[index], rank);
        return {};
    }
    const std::string& name = op.type == OpType::hash ? op.field : op.member;
    Member& m = members_[name];
    const bool resets = op.action != OpAction::increment;
    if (resets && before)
        for (auto& [dot, entry] : m.entries)
            if (before->context.contains(dot)) entry.reset = true;
    if (op.action == OpAction::del || op.action == OpAction::remove) return {};

    const auto made = std::find_if(after.live.begin(), after.live.end(), [&](const auto& l) {
        return l.dot.replica == writer && l.bytes == name &&
               !(before && before->context.contains(l.dot));
    });
    if (made == after.live.end())
        return "a " + std::string(sim::name(op.type)) + " " + std::string(sim::name(op.action)) +
               " of " + name + " made no new dot";
    Entry e;
    e.increment = op.action == OpAction::increment;
    e.written = made->written;
    if (op.type == OpType::zset)
        e.score = op.score;
    else if (e.increment)
        e.n = std::stoll(op.value);
    else
        e.value = op.value;
    m.entries.emplace(made->dot, std::move(e));
    return {};
}

FinalValue RecordModel::expected(OpType type) const {
    if (type == OpType::hll) return static_cast<std::int64_t>(HyperLogLog::estimate(registers_));
    Pairs out;
    std::vector<std::pair<std::string, double>> ranked;
    for (const auto& [name, m] : members_) {
        const Entry* put = nullptr;
        bool counted = false;
        std::int64_t n = 0;
        double increments = 0;
        for (const auto& [dot, e] : m.entries) {
            if (e.reset) continue;
            if (e.increment) {
                counted = true;
                n += e.n;
                increments += e.score;
            } else if (put == nullptr || put->written < e.written) {
                put = &e;
            }
        }
        if (put == nullptr && !counted) continue;
        if (type == OpType::hash)
            out.emplace_back(name, counted ? std::to_string(n) : put->value);
        else
            ranked.emplace_back(name, (put ? put->score : 0.0) + increments);
    }
    if (type == OpType::hash) return out;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second < b.second; });
    return scored(ranked);
}

}  // namespace converge::sim
