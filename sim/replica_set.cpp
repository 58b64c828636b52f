#include <cassert>

#include <sim/error.hpp>
#include <sim/replica_set.hpp>

namespace converge::sim {
namespace {

// The clock a replica sees, in milliseconds: virtual time plus its skew and its drift.
class SimClock final : public store::Clock {
  public:
    SimClock(const EventQueue& time, const SimReplica& replica) : time_(time), replica_(replica) {}
    std::uint64_t now_ms() override {
        const Micros now = time_.now();
        const Micros t = now + replica_.offset + replica_.drift_since(now);
        return t <= 0 ? 0 : static_cast<std::uint64_t>(t / 1000);
    }

  private:
    const EventQueue& time_;
    const SimReplica& replica_;
};

}  // namespace

ReplicaSet::ReplicaSet(const Scenario& scenario, const EventQueue& time, Random& random,
                       TransportFor transport_for, Retired retired)
    : scenario_(scenario),
      time_(time),
      random_(random),
      transport_for_(std::move(transport_for)),
      retired_(std::move(retired)) {
    for (std::size_t r = 0; r < scenario.regions.size(); ++r)
        for (std::size_t i = 1; i <= scenario.regions[r].replicas; ++i) {
            auto rep = std::make_unique<SimReplica>();
            rep->name = replica_name(scenario.regions[r], i);
            rep->region = r;
            replicas_.push_back(std::move(rep));
        }
    assert(!replicas_.empty() && "validate() refuses a scenario without replicas");
    for (std::size_t i = 0; i < replicas_.size(); ++i)
        start(i);
}

std::size_t ReplicaSet::index(const std::string& name) const {
    for (std::size_t i = 0; i < replicas_.size(); ++i)
        if (replicas_[i]->name == name) return i;
    throw ScenarioError("no replica named \"" + name + "\" (replicas are named like \"" +
                        replicas_.front()->name + "\")");
}

std::vector<std::size_t> ReplicaSet::members(const std::string& name) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < replicas_.size(); ++i)
        if (replicas_[i]->name == name || scenario_.regions[replicas_[i]->region].name == name)
            out.push_back(i);
    if (out.empty()) throw ScenarioError("no region or replica named \"" + name + "\"");
    return out;
}

std::optional<std::size_t> ReplicaSet::writing(ReplicaId writer) const {
    const auto it = by_writer_.find(writer);
    if (it == by_writer_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::size_t> ReplicaSet::holding(ReplicaId id) const {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
}

// A fresh id and store for replica i, peered with every other live store.
void ReplicaSet::start(std::size_t i) {
    SimReplica& rep = *replicas_[i];
    if (rep.generation > 0) {
        retired_(i);
        by_id_.erase(rep.id);
        by_writer_.erase(rep.store ? rep.store->writer() : rep.writer);
        for (auto& other : replicas_)
            if (other->store) other->store->remove_peer(rep.id);
    }
    rep.id = ReplicaId{(std::uint64_t{rep.generation} << 32) | (i + 1)};
    ++rep.generation;
    store::Options o;
    o.replica = rep.id;
    o.clock = std::make_shared<SimClock>(time_, rep);
    o.rng = std::make_shared<store::SeededRng>(random_.next());
    o.transport = transport_for_(i);
    o.log = [](std::string_view) {};
    o.stripes = 8;
    rep.store = std::make_unique<store::Store>(o);
    rep.checked = {};
    by_id_[rep.id] = i;
    rep.writer = rep.store->writer();
    by_writer_[rep.writer] = i;
    rep.up = true;
    for (std::size_t j = 0; j < replicas_.size(); ++j) {
        if (j == i || !replicas_[j]->store) continue;
        rep.store->add_peer(replicas_[j]->id);
        replicas_[j]->store->add_peer(rep.id);
    }
}

void ReplicaSet::crash(std::size_t i, bool keep_storage) {
    SimReplica& rep = *replicas_[i];
    rep.up = false;
    if (!keep_storage) rep.store.reset();
}

void ReplicaSet::restart(std::size_t i) {
    SimReplica& rep = *replicas_[i];
    if (rep.up) return;
    if (rep.store)
        rep.up = true;  // its storage survived: it carries on where it stopped
    else
        start(i);
}

bool ReplicaSet::agreed() const {
    std::optional<std::uint64_t> first;
    for (const auto& rep : replicas_) {
        if (!rep->up) continue;
        const std::uint64_t h = rep->store->state_hash();
        if (!first) first = h;
        if (h != *first) return false;
    }
    return true;
}

}  // namespace converge::sim
