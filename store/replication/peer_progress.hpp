// File: store/replication/peer_progress.hpp
// What a replica knows of one peer: per partition of its delta log, how far the peer has
// acknowledged and what is in flight; and the state of a digest repair of that peer.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace converge::store::detail {

// Log positions one peer has acknowledged in one partition: a prefix and ranges beyond it
// (acks of later messages that overtook an earlier one).
class AckedPositions {
  public:
    std::uint64_t prefix() const noexcept { return prefix_; }
    bool contains(std::uint64_t position) const noexcept {
        if (position <= prefix_) return true;
        auto it = ranges_.upper_bound(position);
        return it != ranges_.begin() && std::prev(it)->second >= position &&
               std::prev(it)->first < position;
    }
    // Records that positions (from, to] were applied by the peer.
    void add(std::uint64_t from, std::uint64_t to) {
        if (to <= prefix_) return;
        if (from <= prefix_) {
            prefix_ = to;
        } else if (ranges_.size() < max_ranges) {
            auto [it, inserted] = ranges_.try_emplace(from, to);
            if (!inserted && it->second < to) it->second = to;
        }
        // Absorb the ranges the prefix now reaches.
        for (auto it = ranges_.begin(); it != ranges_.end() && it->first <= prefix_;) {
            if (it->second > prefix_) prefix_ = it->second;
            it = ranges_.erase(it);
        }
    }
    void reset() noexcept {
        prefix_ = 0;
        ranges_.clear();
    }

  private:
    static constexpr std::size_t max_ranges = 256;  // more are dropped: they only save resends
    std::uint64_t prefix_ = 0;
    std::map<std::uint64_t, std::uint64_t> ranges_;  // from -> to, (from, to]
};

struct PartitionProgress {
    AckedPositions acked;
    std::uint64_t sent_to = 0;     // the last position sent
    std::uint64_t sent_round = 0;  // the sync round of the last send from the acked prefix
};

struct RepairState {
    enum class Phase { idle, awaiting_leaves, awaiting_acks };
    Phase phase = Phase::idle;
    std::uint64_t id = 0;
    std::uint32_t cursor = 0;             // first range of the current pass
    std::uint32_t next_cursor = 0;        // where the pass after the current leaves resumes
    std::vector<std::uint64_t> heads;     // log positions per partition when the repair began
    std::set<std::uint32_t> outstanding;  // key_states chunks not yet acknowledged
    std::uint64_t since_round = 0;        // the sync round of the last progress
};

struct Peer {
    explicit Peer(std::size_t partitions) : parts(partitions) {}
    std::vector<PartitionProgress> parts;
    std::uint64_t incarnation = 0;        // 0: not yet heard from
    std::uint64_t last_sent_round = 0;    // the sync round of the last message sent to it
    std::uint64_t last_repair_round = 0;  // the sync round the last digest repair began
    // Resends wait resend_after_syncs times this; it doubles (to 64) while resends go
    // unacknowledged, so a dead peer is not sent the whole log every few rounds.
    std::uint64_t backoff = 1;
    // The last storage write number recorded as acknowledged by this peer (Storage::mark_synced).
    std::uint64_t synced_mark = 0;
    RepairState repair;
    void reset() {
        for (PartitionProgress& p : parts)
            p = PartitionProgress{};
        repair = RepairState{};
        backoff = 1;
    }
};

}  // namespace converge::store::detail
