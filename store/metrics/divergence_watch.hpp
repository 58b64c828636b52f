// File: store/metrics/divergence_watch.hpp
// DivergenceWatch: turns the per-peer digest comparison counters of successive Metrics into log
// lines: one for each peer whose comparisons found differing keys since the last check. A replica
// set that keeps logging these while nobody writes cannot agree (a broken merge, a version
// mismatch); converge-node logs them.
//
//   DivergenceWatch watch;
//   for (const std::string& line : watch.check(store.metrics())) spdlog::warn("{}", line);
//
// Not thread-safe: one watcher per thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <store/metrics/metrics.hpp>

namespace converge::store {

class DivergenceWatch {
  public:
    // The peers whose comparisons found differing keys since the previous call, one line each
    // (the first call reports everything so far). Peers not in m are forgotten.
    std::vector<std::string> check(const Metrics& m) {
        std::vector<std::string> lines;
        std::map<ReplicaId, Seen> now;
        for (const PeerMetrics& p : m.peers) {
            const Seen before = seen_.count(p.peer) ? seen_.at(p.peer) : Seen{};
            now[p.peer] = Seen{p.comparisons, p.comparisons_differing, p.keys_repaired};
            const std::uint64_t differing = p.comparisons_differing - before.differing;
            if (differing == 0) continue;
            lines.push_back(
                std::to_string(differing) + " of " +
                std::to_string(p.comparisons - before.comparisons) +
                " digest comparisons with replica " + std::to_string(p.peer.value) +
                " found differing keys (" + std::to_string(p.keys_repaired - before.keys_repaired) +
                " keys repaired); if this goes on while nobody writes, the replicas cannot agree "
                "(converge_digest_comparisons_total{outcome=\"differing\"})");
        }
        seen_ = std::move(now);
        return lines;
    }

  private:
    struct Seen {
        std::uint64_t comparisons = 0;
        std::uint64_t differing = 0;
        std::uint64_t keys_repaired = 0;
    };
    std::map<ReplicaId, Seen> seen_;
};

}  // namespace converge::store
