// File: sim/workload_driver.hpp
// WorkloadDriver: runs a scenario's random workloads: each its own random stream, key
// distribution (uniform or Zipf), mix of types and replicas, drawing one operation every 1/rate
// seconds of virtual time until the run's end and handing it to apply.
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <sim/event_queue.hpp>
#include <sim/random.hpp>
#include <sim/replica_set.hpp>
#include <sim/scenario.hpp>

namespace converge::sim {

class WorkloadDriver {
  public:
    using Apply = std::function<void(const Op& op, std::size_t replica)>;

    WorkloadDriver(const Scenario& scenario, EventQueue& queue, Apply apply)
        : scenario_(scenario), queue_(queue), apply_(std::move(apply)) {}

    // Schedules the first operation of every workload with a rate and keys; each draws from a
    // stream split from random.
    void start(Random& random, const ReplicaSet& replicas);

  private:
    struct Run {
        const Workload* spec = nullptr;
        Random random;
        std::optional<Zipf> zipf{};
        std::vector<std::size_t> replicas{};
        Micros gap = 0;
    };
    void step(Run& run);
    static std::pair<Op, std::size_t> draw(Run& run);
    static void draw_record(Op& op, Random& r, const Workload& w, const std::string& k,
                            double pick);

    const Scenario& scenario_;
    EventQueue& queue_;
    Apply apply_;
    std::vector<std::unique_ptr<Run>> runs_;
};

}  // namespace converge::sim
