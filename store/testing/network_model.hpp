// File: store/testing/network_model.hpp
// NetworkModel: what an unreliable network does to each frame, the one model behind both the
// simulator's network (sim/network.hpp) and LoopbackNetwork. A frame on a cut link is dropped; one
// is lost with probability loss; one that gets through arrives twice with probability duplicate;
// each copy is delayed by its link's base delay plus a uniform jitter and, with probability
// reorder, held back by half as much again (so later frames overtake it).
//
//   NetworkModel model({.loss = 0.01});   model.cut(a, b);
//   const auto fate = model.route(a, b, random);   // Fate::cut, Fate::lost or copies to deliver
//   for (std::uint32_t c = 0; c < fate.copies; ++c) deliver_in(model.delay(base, jitter, random));
//
// Nodes are numbers the caller chooses (replica ids, indices). Not thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <utility>

#include <store/testing/random.hpp>

namespace converge::store {

struct LinkFaults {
    double loss = 0;       // probability that a frame is lost
    double duplicate = 0;  // probability that a frame arrives twice
    double reorder = 0;    // probability that a frame is held back behind later ones

    friend bool operator==(const LinkFaults&, const LinkFaults&) = default;
};

class NetworkModel {
  public:
    using Node = std::uint64_t;
    enum class Fate { delivered, cut, lost };
    struct Route {
        Fate fate = Fate::delivered;
        std::uint32_t copies = 0;  // 1 or 2 when delivered, else 0
    };

    explicit NetworkModel(LinkFaults faults = {}) : faults_(faults) {}

    // Faults for frames routed from now on.
    void set_faults(LinkFaults faults) { faults_ = faults; }
    const LinkFaults& faults() const noexcept { return faults_; }

    // Cuts the one-way link from -> to (a frame between a node and itself is never cut).
    void cut(Node from, Node to) {
        if (from != to) cut_.insert({from, to});
    }
    void restore(Node from, Node to) { cut_.erase({from, to}); }
    // Restores every link.
    void heal() { cut_.clear(); }
    bool is_cut(Node from, Node to) const { return cut_.contains({from, to}); }

    // The fate of one frame from -> to, drawn from random.
    Route route(Node from, Node to, Random& random) const {
        if (is_cut(from, to)) return {Fate::cut, 0};
        if (random.chance(faults_.loss)) return {Fate::lost, 0};
        return {Fate::delivered, random.chance(faults_.duplicate) ? 2u : 1u};
    }
    // The delay of one copy: base, plus uniform jitter in [0, jitter], plus (reordered) half of
    // that again and one.
    std::int64_t delay(std::int64_t base, std::int64_t jitter, Random& random) const {
        std::int64_t d = base;
        if (jitter > 0)
            d += static_cast<std::int64_t>(random.below(static_cast<std::uint64_t>(jitter) + 1));
        if (random.chance(faults_.reorder)) d += d / 2 + 1;
        return d;
    }

  private:
    LinkFaults faults_;
    std::set<std::pair<Node, Node>> cut_;
};

}  // namespace converge::store
