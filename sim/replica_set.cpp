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
    const std::size_t originals = replicas_.size();
    for (const std::string& name : replica_names(scenario)) {
        if (name.find('+') == std::string::npos) continue;
        auto rep = std::make_unique<SimReplica>();
        rep->name = name;
        rep->clone_of = index(name.substr(0, name.find('+')));
        rep->region = replicas_[*rep->clone_of]->region;
        rep->up = false;
        replicas_.push_back(std::move(rep));
    }
    assert(!replicas_.empty() && "validate() refuses a scenario without replicas");
    hub_.assign(replicas_.size(), false);
    for (const std::string& hub : scenario.topology.hubs)
        for (std::size_t i : members(hub))
            hub_[i] = true;
    // The replicas a restore or a clone reads keep their state in a storage.
    std::vector<bool> stored(replicas_.size(), false);
    for (const Fault& f : scenario.faults)
        if (f.kind == FaultKind::restore || f.kind == FaultKind::clone)
            stored[index(f.replica)] = true;
    for (std::size_t i = 0; i < originals; ++i)
        start(i, stored[i] ? std::make_shared<store::MemoryStorage>() : nullptr);
}

bool ReplicaSet::linked(std::size_t i, std::size_t j) const {
    return i != j && (scenario_.topology.kind == Topology::Kind::mesh || hub_[i] || hub_[j]);
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

void ReplicaSet::wrote(std::size_t i) {
    const SimReplica& rep = *replicas_[i];
    by_writer_[rep.store->writer()] = {i, rep.stores};
}

std::optional<std::size_t> ReplicaSet::writing(ReplicaId writer) const {
    const auto it = by_writer_.find(writer);
    if (it == by_writer_.end()) return std::nullopt;
    const auto [i, stores] = it->second;
    const SimReplica& rep = *replicas_[i];
    if (!rep.up || rep.stores != stores) return std::nullopt;
    return i;
}

std::optional<std::size_t> ReplicaSet::holding(ReplicaId id) const {
    const auto it = by_id_.find(id);
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
}

void ReplicaSet::start(std::size_t i, std::shared_ptr<store::MemoryStorage> storage) {
    SimReplica& rep = *replicas_[i];
    if (rep.generation > 0) {
        retired_(i);
        by_id_.erase(rep.id);
        for (auto& other : replicas_)
            if (other->store) other->store->remove_peer(rep.id);
    }
    rep.id = ReplicaId{(std::uint64_t{rep.generation} << 32) | (i + 1)};
    ++rep.generation;
    by_id_[rep.id] = i;
    open(i, std::move(storage));
}

// A store for replica i under its id, over storage, peered as the topology says.
void ReplicaSet::open(std::size_t i, std::shared_ptr<store::MemoryStorage> storage) {
    SimReplica& rep = *replicas_[i];
    store::Options o;
    o.replica = rep.id;
    o.clock = std::make_shared<SimClock>(time_, rep);
    o.rng = std::make_shared<store::SeededRng>(random_.next());
    o.transport = transport_for_(i);
    o.storage = storage;
    o.log = [](std::string_view) {};
    o.stripes = 8;
    rep.store.reset();
    rep.storage = std::move(storage);
    rep.store = std::make_unique<store::Store>(o);
    ++rep.stores;
    rep.checked = {};
    rep.up = true;
    for (std::size_t j = 0; j < replicas_.size(); ++j) {
        const SimReplica& other = *replicas_[j];
        if (!linked(i, j) || !other.store || other.retired) continue;
        rep.store->add_peer(other.id);
        other.store->add_peer(rep.id);
    }
}

void ReplicaSet::retire(std::size_t i) {
    SimReplica& rep = *replicas_[i];
    rep.up = false;
    rep.retired = true;
    for (auto& other : replicas_) {
        if (!other->store || other.get() == &rep) continue;
        other->store->remove_peer(rep.id);
        if (other->up && rep.store) other->store->retire(rep.store->writer());
    }
}

void ReplicaSet::restore(std::size_t i, const store::MemoryStorage& storage) {
    SimReplica& rep = *replicas_[i];
    if (rep.retired) return;
    retired_(i);  // what it held since the copy was taken may be gone
    open(i, storage.copy());
}

void ReplicaSet::clone(std::size_t i) {
    const SimReplica& original = *replicas_[i];
    const std::size_t c = index(clone_name(original.name));
    if (replicas_[c]->store || !original.storage) return;
    start(c, original.storage->copy());
}

void ReplicaSet::crash(std::size_t i, bool keep_storage) {
    SimReplica& rep = *replicas_[i];
    rep.up = false;
    if (!keep_storage) rep.store.reset();
}

void ReplicaSet::restart(std::size_t i) {
    SimReplica& rep = *replicas_[i];
    if (rep.up || rep.retired || (rep.clone_of && rep.generation == 0)) return;
    if (rep.store)
        rep.up = true;  // its storage survived: it carries on where it stopped
    else
        start(i, rep.storage ? std::make_shared<store::MemoryStorage>() : nullptr);
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
