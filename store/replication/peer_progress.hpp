// File: store/replication/peer_progress.hpp
// What a replica knows of one peer (PeerProgress): per stripe of its delta log, how far the peer
// has acknowledged and what is in flight; and the state of a digest repair of that peer.
//
// Not thread-safe: the Replicator keeps these under its peers lock.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace converge::store::detail {

// Log positions one peer has acknowledged in one stripe: a prefix and ranges beyond it (acks of
// later messages that overtook an earlier one).
class AckedPositions {
  public:
    std::uint64_t prefix() const noexcept { return prefix_; }
    // Whether positions past the prefix were acknowledged (a gap before them).
    bool has_ranges() const noexcept { return ranges_ != nullptr; }
    bool contains(std::uint64_t position) const noexcept {
        if (position <= prefix_) return true;
        if (!ranges_) return false;
        auto it = ranges_->upper_bound(position);
        return it != ranges_->begin() && std::prev(it)->second >= position &&
               std::prev(it)->first < position;
    }
    // Records that positions (from, to] were applied by the peer. The prefix never goes back.
    void add(std::uint64_t from, std::uint64_t to) {
        assert(from <= to && "a reversed range");
        [[maybe_unused]] const std::uint64_t before = prefix_;
        if (to <= prefix_) return;
        if (from <= prefix_) {
            prefix_ = to;
        } else {
            if (!ranges_) ranges_ = std::make_unique<Ranges>();
            if (ranges_->size() < ranges_max) {
                auto [it, inserted] = ranges_->try_emplace(from, to);
                if (!inserted && it->second < to) it->second = to;
            }
        }
        if (!ranges_) return;
        // Absorb the ranges the prefix now reaches.
        for (auto it = ranges_->begin(); it != ranges_->end() && it->first <= prefix_;) {
            if (it->second > prefix_) prefix_ = it->second;
            it = ranges_->erase(it);
        }
        assert(prefix_ >= before && (ranges_->empty() || ranges_->begin()->first > prefix_));
        if (ranges_->empty()) ranges_.reset();  // a caught-up peer costs 16 bytes a stripe
    }

    AckedPositions() = default;
    AckedPositions(const AckedPositions& o)
        : prefix_(o.prefix_), ranges_(o.ranges_ ? std::make_unique<Ranges>(*o.ranges_) : nullptr) {}
    AckedPositions& operator=(const AckedPositions& o) {
        if (this != &o) *this = AckedPositions(o);
        return *this;
    }
    AckedPositions(AckedPositions&&) noexcept = default;
    AckedPositions& operator=(AckedPositions&&) noexcept = default;

  private:
    static constexpr std::size_t ranges_max = 256;  // more are dropped: they only save resends
    using Ranges = std::map<std::uint64_t, std::uint64_t>;  // from -> to, (from, to]
    std::uint64_t prefix_ = 0;
    std::unique_ptr<Ranges> ranges_;  // null while none overtook the prefix (the usual case)
};

struct StripeProgress {
    AckedPositions acked;
    std::uint64_t sent_to = 0;     // the last position sent
    std::uint64_t sent_round = 0;  // the sync round of the last send from the acked prefix
};

// The progress of one peer in every stripe. While nothing is in flight to the peer (every position
// sent is acknowledged) only its acknowledged prefixes are kept, and shared with the other peers
// at the same positions: an idle, caught-up client of a hub costs a pointer here, not a
// StripeProgress a stripe. at() expands them into a StripeProgress a stripe.
class PeerStripes {
  public:
    using Prefixes = std::shared_ptr<const std::vector<std::uint64_t>>;

    explicit PeerStripes(std::size_t count) : count_(count) {}
    std::size_t size() const noexcept { return count_; }
    // The acknowledged prefix of stripe i.
    std::uint64_t prefix(std::size_t i) const {
        assert(i < count_);
        if (expanded_) return (*expanded_)[i].acked.prefix();
        return prefixes_ ? (*prefixes_)[i] : 0;
    }
    // The last position of stripe i sent (the acknowledged prefix while compact: nothing is in
    // flight then).
    std::uint64_t sent_to(std::size_t i) const {
        assert(i < count_);
        if (expanded_) return (*expanded_)[i].sent_to;
        return prefixes_ ? (*prefixes_)[i] : 0;
    }
    // Stripe i's progress, to read or change.
    StripeProgress& at(std::size_t i) {
        assert(i < count_);
        if (!expanded_) expand();
        return (*expanded_)[i];
    }
    // Back to nothing acknowledged.
    void clear() {
        expanded_.reset();
        prefixes_.reset();
    }
    // Keeps only the prefixes if nothing is in flight: shared's when they are equal, else new
    // ones, which shared then holds for the next peer.
    void compact(Prefixes& shared) {
        if (!expanded_) return;
        for (const StripeProgress& s : *expanded_)
            if (s.sent_to != s.acked.prefix() || s.acked.has_ranges()) return;
        std::vector<std::uint64_t> prefixes(count_);
        bool any = false;
        for (std::size_t i = 0; i < count_; ++i) {
            prefixes[i] = (*expanded_)[i].acked.prefix();
            any = any || prefixes[i] != 0;
        }
        expanded_.reset();
        if (!any) {
            prefixes_.reset();
        } else if (shared && *shared == prefixes) {
            prefixes_ = shared;
        } else {
            prefixes_ = std::make_shared<const std::vector<std::uint64_t>>(std::move(prefixes));
            shared = prefixes_;
        }
    }

  private:
    void expand() {
        expanded_ = std::make_unique<std::vector<StripeProgress>>(count_);
        if (!prefixes_) return;
        for (std::size_t i = 0; i < count_; ++i) {
            (*expanded_)[i].acked.add(0, (*prefixes_)[i]);
            (*expanded_)[i].sent_to = (*prefixes_)[i];
        }
        prefixes_.reset();  // expanded_ holds them now
    }

    std::size_t count_;
    Prefixes prefixes_;  // while not expanded; null: every prefix is 0
    std::unique_ptr<std::vector<StripeProgress>> expanded_;
};

struct RepairState {
    enum class Phase { idle, awaiting_leaves, awaiting_acks };
    Phase phase = Phase::idle;
    std::uint64_t id = 0;
    std::uint32_t cursor = 0;       // first range of the current pass
    std::uint32_t next_cursor = 0;  // where the pass after the current leaves resumes
    // Log positions per stripe when the repair began; shared by the repairs that began at the same
    // positions (a hub starting one for each of thousands of clients holds one copy).
    std::shared_ptr<const std::vector<std::uint64_t>> heads;
    std::set<std::uint32_t> outstanding;  // key_states chunks not yet acknowledged
    std::uint64_t since_round = 0;        // the sync round of the last progress
};

struct PeerProgress {
    explicit PeerProgress(std::size_t stripe_count) : stripes(stripe_count) {}
    PeerStripes stripes;
    std::uint64_t incarnation = 0;        // 0: not yet heard from
    std::uint64_t last_sent_round = 0;    // the sync round of the last message sent to it
    std::uint64_t last_repair_round = 0;  // the sync round the last digest repair began
    // Resends wait resend_after_syncs times this; it doubles (to backoff_max) while resends go
    // unacknowledged, so a dead peer is not sent the whole log every few rounds.
    std::uint64_t backoff = 1;
    static constexpr std::uint64_t backoff_max = 64;
    // The last storage write number recorded as acknowledged by this peer (Storage::mark_synced).
    std::uint64_t synced_mark = 0;
    RepairState repair;
    // Digest comparisons answered by this peer, those that found differing keys, and the key
    // states sent to it to repair them (PeerMetrics); reset() keeps them.
    std::uint64_t comparisons = 0;
    std::uint64_t comparisons_differing = 0;
    std::uint64_t keys_repaired = 0;
    bool last_comparison_differed = false;

    void back_off() { backoff = std::min(backoff * 2, backoff_max); }
    // The peer restarted and may have lost what it acknowledged: start over.
    void reset() {
        stripes.clear();
        repair = RepairState{};
        backoff = 1;
    }
    // Whether the peer acknowledged every position up to heads (one per stripe).
    bool has_all(const std::vector<std::uint64_t>& heads) const {
        assert(heads.size() == stripes.size());
        for (std::size_t i = 0; i < stripes.size(); ++i)
            if (stripes.prefix(i) < heads[i]) return false;
        return true;
    }
};

}  // namespace converge::store::detail
