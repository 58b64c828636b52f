// File: store/replication/transport.hpp
// Transport: how a replica's frames reach its peers. The replica hands each frame to send(); the
// transport delivers it, late, twice or never, by calling Store::receive on the peer's side.
// Implementations: LoopbackNetwork (in-process, seeded faults), the simulator's network, TCP.
#pragma once

#include <string>

#include <crdt/replica_id.hpp>

namespace converge::store {

class Transport {
  public:
    virtual ~Transport() = default;
    // Queues frame for delivery to peer `to`. Must not block on the network and must not call the
    // sending store back before returning. May drop the frame. Thread-safe.
    virtual void send(ReplicaId to, std::string frame) = 0;
};

}  // namespace converge::store
