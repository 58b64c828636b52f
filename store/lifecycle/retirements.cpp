#include <algorithm>
#include <cassert>

#include <store/lifecycle/retirements.hpp>
#include <store/replication/digest_tree.hpp>

namespace converge::store::detail {

Retirements::Retirements(Lifecycle& lifecycle, Keyspace& keyspace, Durability& durability,
                         std::uint32_t levels_needed)
    : lifecycle_(lifecycle),
      keyspace_(keyspace),
      durability_(durability),
      levels_needed_(std::max<std::uint32_t>(levels_needed, 1)),
      table_(lifecycle.retired()),
      learned_(lifecycle.learned()),
      fingerprint_(fingerprint_of(table_)),
      any_(!table_.empty()) {}

void Retirements::start() {
    std::unique_lock table_lock(table_mutex_);
    if (!table_.empty()) fold_keys();
}

TableFingerprint Retirements::fingerprint() const {
    std::shared_lock lock(table_mutex_);
    return fingerprint_;
}

std::map<ReplicaId, std::uint64_t> Retirements::footprints(
    const std::vector<ReplicaId>& pending) const {
    std::map<ReplicaId, std::uint64_t> out;
    for (ReplicaId id : pending)
        out[id] = 0;
    codec::Writer w;
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        const Stripe& stripe = keyspace_.stripe(i);
        std::shared_lock lock(stripe.mutex);
        for (const Slot& slot : stripe.slots) {
            for (auto& [id, sum] : out) {
                const ReplicaId writer = id;  // (clang 14 lambdas cannot capture a binding)
                w = codec::Writer();
                const bool held =
                    slot.value.visit([&](const auto& v) { return encode_footprint(w, v, writer); });
                if (held) sum += digest_state_hash(slot.key_hash, w.bytes());
            }
        }
    }
    return out;
}

void Retirements::round(const std::vector<ReplicaId>& peers, ReplicaId own_writer) {
    const std::vector<ReplicaId> pending = lifecycle_.pending();
    std::lock_guard lock(mutex_);
    mine_.clear();
    if (pending.empty()) return;
    const std::map<ReplicaId, std::uint64_t> prints = footprints(pending);
    std::vector<ReplicaId> agreed;
    for (const auto& [id, footprint] : prints) {
        std::uint32_t least = levels_needed_;
        bool all_same = id != own_writer;
        for (ReplicaId p : peers) {
            auto it = peers_.find(p);
            if (it == peers_.end() || !it->second.heard || it->second.writer == id) {
                all_same = false;
                break;
            }
            auto theirs = it->second.pending.find(id);
            if (theirs == it->second.pending.end() || theirs->second.footprint != footprint) {
                all_same = false;
                break;
            }
            least = std::min(least, theirs->second.level);
        }
        const std::uint32_t level = !all_same       ? 0
                                    : peers.empty() ? levels_needed_
                                                    : std::min(least + 1, levels_needed_);
        mine_[id] = RetirementReport::Pending{id, footprint, level};
        if (level >= levels_needed_) {
            agreed.push_back(id);
            std::unique_lock table_lock(table_mutex_);
            agreed_[id] = footprint;
        }
    }
    if (!agreed.empty()) {
        fold(agreed, false);
        for (ReplicaId id : agreed)
            mine_.erase(id);
    }
}

std::optional<RetirementReport> Retirements::report_for(ReplicaId peer, ReplicaId own_writer,
                                                        bool even_if_idle) const {
    std::lock_guard lock(mutex_);
    const TableFingerprint mine = fingerprint();
    auto it = peers_.find(peer);
    const bool heard = it != peers_.end() && it->second.heard;
    const bool table_differs = heard ? it->second.table != mine : mine.count != 0;
    if (mine_.empty() && !table_differs && !even_if_idle) return std::nullopt;
    RetirementReport r;
    r.writer = own_writer;
    r.table = mine;
    for (const auto& [id, p] : mine_)
        r.pending.push_back(p);
    std::shared_lock table_lock(table_mutex_);
    r.learned = learned_;
    if (table_differs && mine.count != 0) {
        r.full_table = table_;
        for (ReplicaId id : table_.ids()) {
            auto agreed = agreed_.find(id);
            r.agreed_footprints.push_back(agreed == agreed_.end() ? 0 : agreed->second);
        }
    }
    return r;
}

Retirements::Heard Retirements::on_report(ReplicaId peer, RetirementReport&& report,
                                          ReplicaId own_writer) {
    Heard heard = Heard::nothing;
    // Folded there, not here: agreed, so adopt them; whole if this replica holds the footprint
    // they were agreed on, else partially (it lacks some of their changes).
    std::map<ReplicaId, std::uint64_t> adopted;
    if (report.full_table) {
        std::shared_lock table_lock(table_mutex_);
        const auto& ids = report.full_table->ids();
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (!table_.contains(ids[i])) adopted[ids[i]] = report.agreed_footprints.at(i);
    }
    if (adopted.contains(own_writer)) heard = Heard::own_writer_retiring;
    adopted.erase(own_writer);
    for (const RetirementReport::Pending& p : report.pending) {
        if (p.id == own_writer) {
            heard = Heard::own_writer_retiring;
            continue;
        }
        lifecycle_.retire(p.id);  // no change if pending or retired already
    }
    if (!adopted.empty()) {
        std::vector<ReplicaId> ids;
        for (const auto& [id, agreed] : adopted)
            ids.push_back(id);
        const std::map<ReplicaId, std::uint64_t> here = footprints(ids);
        std::vector<ReplicaId> whole, partial;
        for (const auto& [id, agreed] : adopted)
            (agreed != 0 && here.at(id) == agreed ? whole : partial).push_back(id);
        if (!whole.empty()) {
            {
                std::unique_lock table_lock(table_mutex_);
                for (ReplicaId id : whole)
                    agreed_[id] = adopted.at(id);
            }
            fold(whole, false);
        }
        if (!partial.empty()) fold(partial, true);
    }
    std::lock_guard lock(mutex_);
    PeerView& view = peers_[peer];
    view.heard = true;
    view.learned = std::move(report.learned);
    view.writer = report.writer;
    view.table = report.table;
    view.pending.clear();
    for (const RetirementReport::Pending& p : report.pending)
        view.pending[p.id] = p;
    return heard;
}

StateHeader Retirements::state_header() const {
    std::shared_lock table_lock(table_mutex_);
    return StateHeader{fingerprint_, learned_};
}

void Retirements::confirm(ReplicaId peer) {
    RetiredIds whole_there;
    {
        std::lock_guard lock(mutex_);
        auto it = peers_.find(peer);
        if (it == peers_.end() || !it->second.heard) return;
        std::shared_lock table_lock(table_mutex_);
        if (learned_.empty() || it->second.table != fingerprint_) return;
        for (ReplicaId id : learned_.ids())
            if (!it->second.learned.contains(id)) whole_there.insert(id);
    }
    if (whole_there.empty()) return;
    std::unique_lock table_lock(table_mutex_);
    for (ReplicaId id : whole_there.ids())
        learned_.erase(id);
    lifecycle_.set_learned(learned_);
}

bool Retirements::writes_retired(ReplicaId peer) const {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(peer);
    if (it == peers_.end() || !it->second.heard) return false;
    std::shared_lock table_lock(table_mutex_);
    return table_.contains(it->second.writer);
}

void Retirements::forget(ReplicaId peer) {
    std::lock_guard lock(mutex_);
    peers_.erase(peer);
}

void Retirements::fold(const std::vector<ReplicaId>& ids, bool learned) {
    // The record first: a crash before every key is folded finishes the fold on restart.
    lifecycle_.mark_folded(ids, learned);
    std::unique_lock table_lock(table_mutex_);
    for (ReplicaId id : ids) {
        table_.insert(id);
        if (learned) learned_.insert(id);
    }
    fingerprint_ = fingerprint_of(table_);
    any_.store(true, std::memory_order_relaxed);
    fold_keys();
}

void Retirements::refold(std::string_view key) {
    std::shared_lock table_lock(table_mutex_);
    const HashedKey k = keyspace_.hashed(key);
    Stripe& stripe = keyspace_.stripe_of(k);
    std::unique_lock lock(stripe.mutex);
    Slot* slot = stripe.find(k);
    if (slot == nullptr) return;
    fold_slot(stripe, *slot);
}

void Retirements::fold_keys() {
    for (std::size_t i = 0; i < keyspace_.stripe_count(); ++i) {
        Stripe& stripe = keyspace_.stripe(i);
        std::unique_lock lock(stripe.mutex);
        for (Slot& slot : stripe.slots)
            fold_slot(stripe, slot);
    }
}

void Retirements::fold_slot(Stripe& stripe, Slot& slot) {
    if (!slot.value.visit([&](auto& v) { return converge::fold(v, table_, &learned_); })) return;
    stripe.mark_dirty(slot);
    durability_.persist(slot);
}

void Retirements::metrics(Metrics& m) const {
    {
        std::shared_lock table_lock(table_mutex_);
        m.retired_writers = table_.size();
    }
    std::lock_guard lock(mutex_);
    for (const auto& [id, p] : mine_)
        m.retirements_pending.push_back({id, p.level, levels_needed_});
}

}  // namespace converge::store::detail
