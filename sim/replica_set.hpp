// File: sim/replica_set.hpp
// ReplicaSet: a run's replicas: each a real store::Store with a simulated clock (virtual time plus
// its skew and drift), started, crashed and restarted as the faults say, and found by name, by
// region or by id.
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sim/event_queue.hpp>
#include <sim/random.hpp>
#include <sim/scenario.hpp>
#include <store/storage/storage.hpp>
#include <store/store.hpp>

namespace converge::sim {

struct SimReplica {
    std::string name;
    std::size_t region = 0;
    ReplicaId id;
    std::uint32_t generation = 0;  // how many ids it has had
    bool up = true;
    bool paused = false;
    bool retired = false;                 // stopped for good by a retire fault
    std::optional<std::size_t> clone_of;  // a clone's original
    // Where its store keeps its state, for the replicas a restore or a clone reads (null: none).
    std::shared_ptr<store::MemoryStorage> storage;
    std::uint32_t stores = 0;  // Store objects it has run so far (a restore starts another)
    Micros offset = 0;         // its clock's skew, drift so far included
    double drift_ppm = 0;
    Micros drifting_from = 0;
    std::unique_ptr<store::Store> store;
    store::ChangeCursor checked{};  // where the last oracle check of its store got to

    // What drift added to the clock since it last changed.
    Micros drift_since(Micros at) const {
        return static_cast<Micros>(static_cast<double>(at - drifting_from) * drift_ppm / 1e6);
    }
};

class ReplicaSet {
  public:
    // The transport replica i sends through.
    using TransportFor = std::function<std::shared_ptr<store::Transport>(std::size_t i)>;
    // Called when replica i gives up its id (a restart without storage): its writes are gone.
    using Retired = std::function<void(std::size_t i)>;

    // Starts one replica per region slot, all peers of each other. The scenario must be valid.
    ReplicaSet(const Scenario& scenario, const EventQueue& time, Random& random,
               TransportFor transport_for, Retired retired);

    std::size_t size() const noexcept { return replicas_.size(); }
    SimReplica& operator[](std::size_t i) { return *replicas_[i]; }
    const SimReplica& operator[](std::size_t i) const { return *replicas_[i]; }
    // The replica named name; throws ScenarioError if there is none.
    std::size_t index(const std::string& name) const;
    // The replicas a region or replica name stands for; throws ScenarioError if none.
    std::vector<std::size_t> members(const std::string& name) const;
    // The replica holding id now; nullopt if no replica has it (any more).
    std::optional<std::size_t> holding(ReplicaId id) const;
    // Replica i made a change: its store's writer id is noted as its.
    void wrote(std::size_t i);
    // The replica whose store (still running, up) made changes under writer; nullopt if none.
    std::optional<std::size_t> writing(ReplicaId writer) const;

    // Replica i stops; without its storage, everything it held is gone.
    void crash(std::size_t i, bool keep_storage);
    // Replica i comes back: where it stopped if its storage survived, else under a new id (it must
    // never reuse an old dot), as a fresh peer of every other. A retired replica stays down.
    void restart(std::size_t i);
    // Replica i stops for good: every other stops peering with it and retires its writer id.
    void retire(std::size_t i);
    // Replica i crashes and restarts (under its id) from storage, a copy of its storage as it
    // was earlier.
    void restore(std::size_t i, const store::MemoryStorage& storage);
    // Starts the clone of replica i (the slot named "<i>+clone") from a copy of i's storage now,
    // in i's region, under an id of its own.
    void clone(std::size_t i);
    // Whether replicas i and j peer (every pair in a mesh; a hub with everyone in a hub topology).
    bool linked(std::size_t i, std::size_t j) const;
    // Whether every live replica holds the same state (state hashes).
    bool agreed() const;

  private:
    // A fresh network id and store for replica i, over storage (null: memory only), peered as
    // the topology says.
    void start(std::size_t i, std::shared_ptr<store::MemoryStorage> storage = nullptr);
    void open(std::size_t i, std::shared_ptr<store::MemoryStorage> storage);

    const Scenario& scenario_;
    const EventQueue& time_;
    Random& random_;
    TransportFor transport_for_;
    Retired retired_;
    std::vector<std::unique_ptr<SimReplica>> replicas_;
    std::map<ReplicaId, std::size_t> by_id_;
    std::map<ReplicaId, std::pair<std::size_t, std::uint32_t>> by_writer_;  // replica, its store
    std::vector<bool> hub_;  // by replica, in a hub topology
};

}  // namespace converge::sim
