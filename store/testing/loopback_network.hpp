// File: store/testing/loopback_network.hpp
// LoopbackNetwork: an in-process network between Store replicas for tests, with seeded loss,
// duplication, reordering and delay. Time advances in steps: step() delivers every frame due and
// moves on; a frame sent during a delivery arrives one step later at the earliest.
//
//   LoopbackNetwork net(/*seed=*/42, {.link = {.loss = 0.1, .duplicate = 0.05}, .max_delay_steps =
//   3}); Store a(Options{.replica = ReplicaId{1}, .transport = net.transport(ReplicaId{1})});
//   net.attach(ReplicaId{1}, a);  ...
//   a.sync();  net.run_until_idle();
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <crdt/replica_id.hpp>
#include <store/environment.hpp>
#include <store/replication/transport.hpp>
#include <store/testing/network_model.hpp>

namespace converge::store {

class Store;

// The loopback's faults: the network model's, and a delay of 0..max_delay_steps steps per frame
// (the model's jitter).
struct LoopbackFaults {
    LinkFaults link{};
    std::uint32_t max_delay_steps = 0;
};

class LoopbackNetwork {
  public:
    struct Stats {
        std::uint64_t sent = 0;
        std::uint64_t delivered = 0;
        std::uint64_t dropped = 0;  // lost to faults, cut links or detached replicas
        std::uint64_t duplicated = 0;
        std::uint64_t bytes_sent = 0;
    };

    explicit LoopbackNetwork(std::uint64_t seed, LoopbackFaults faults = {});
    ~LoopbackNetwork();
    LoopbackNetwork(const LoopbackNetwork&) = delete;
    LoopbackNetwork& operator=(const LoopbackNetwork&) = delete;

    // The transport for the replica `from`; it may outlive the network (frames are then dropped).
    std::shared_ptr<Transport> transport(ReplicaId from);
    // Frames to id are delivered to store until detach(id); store must stay alive until then.
    void attach(ReplicaId id, Store& store);
    void detach(ReplicaId id);

    // Faults for frames sent from now on.
    void set_faults(LoopbackFaults faults);
    // Cuts (up = false) or restores the one-way link from -> to; frames on a cut link are lost.
    void set_link(ReplicaId from, ReplicaId to, bool up);

    // Delivers every frame due at this step, then advances one step. Returns frames delivered.
    std::size_t step();
    // Steps until no frame is in flight or max_steps have passed; returns frames delivered.
    std::size_t run_until_idle(std::size_t max_steps = 10'000);
    std::size_t in_flight() const;
    Stats stats() const;

  private:
    struct Link;
    struct Shared;
    std::shared_ptr<Shared> shared_;
};

}  // namespace converge::store
