// File: tests/store/cluster.hpp
// A full mesh of Store replicas on one LoopbackNetwork, with a manual clock, for tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

namespace converge::store::testing {

// Keeps a copy of every frame sent, and forwards it to inner if there is one.
struct RecordingTransport final : Transport {
    explicit RecordingTransport(std::shared_ptr<Transport> to = nullptr) : inner(std::move(to)) {}
    void send(ReplicaId to, std::string frame) override {
        frames.push_back(frame);
        if (inner) inner->send(to, std::move(frame));
    }
    std::shared_ptr<Transport> inner;
    std::vector<std::string> frames;
};

struct Cluster {
    explicit Cluster(std::size_t n, std::uint64_t seed = 1, LoopbackFaults faults = {},
                     Options base = {})
        : net(seed, faults) {
        for (std::size_t i = 0; i < n; ++i) {
            Options o = base;
            o.replica = ReplicaId{i + 1};
            o.clock = clock;
            o.rng = std::make_shared<SeededRng>(seed * 1000 + i);
            o.transport = net.transport(o.replica);
            replicas.push_back(std::make_unique<Store>(o));
            net.attach(o.replica, *replicas.back());
        }
        for (auto& a : replicas)
            for (auto& b : replicas)
                if (a != b) a->add_peer(b->replica());
    }

    Store& operator[](std::size_t i) { return *replicas[i]; }

    // One sync round on every replica, then the network runs until quiet.
    void round() {
        for (auto& r : replicas)
            r->sync();
        net.run_until_idle();
    }

    // Turns faults off and runs rounds until every replica holds the same state; returns the
    // number of rounds taken, or max_rounds + 1 if they never agreed.
    std::size_t settle(std::size_t max_rounds = 50) {
        net.set_faults({});
        for (std::size_t i = 1; i <= max_rounds; ++i) {
            round();
            if (converged()) return i;
        }
        return max_rounds + 1;
    }

    bool converged() const {
        for (const auto& r : replicas)
            if (r->state_hash() != replicas.front()->state_hash()) return false;
        return true;
    }

    std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(1'700'000'000'000);
    LoopbackNetwork net;
    std::vector<std::unique_ptr<Store>> replicas;
};

}  // namespace converge::store::testing
