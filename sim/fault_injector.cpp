#include <numeric>

#include <sim/fault_injector.hpp>
#include <sim/fault_table.hpp>

namespace converge::sim {

void FaultInjector::apply(const Fault& f) {
    recorder_.mix(static_cast<std::uint64_t>(f.kind) + 100);
    if (recorder_.tracing()) recorder_.line("fault " + describe(f));
    switch (fault_spec(f.kind).band) {
        case BandEffect::open:
            recorder_.open_band(band_label(f));
            break;
        case BandEffect::close:
            recorder_.close_bands(band_label(f));
            break;
        case BandEffect::none:
            break;
    }
    const FaultTarget target = fault_spec(f.kind).target;
    if (target == FaultTarget::replica)
        apply_to_replica(f);
    else
        apply_to_network(f);
}

void FaultInjector::apply_to_network(const Fault& f) {
    switch (f.kind) {
        case FaultKind::partition: {
            std::vector<std::vector<std::size_t>> groups;
            for (const auto& g : f.groups) {
                std::vector<std::size_t> m;
                for (const std::string& name : g)
                    for (std::size_t i : replicas_.members(name))
                        m.push_back(i);
                groups.push_back(std::move(m));
            }
            for (std::size_t x = 0; x < groups.size(); ++x)
                for (std::size_t y = 0; y < groups.size(); ++y)
                    if (x != y) network_.cut(groups[x], groups[y]);
            break;
        }
        case FaultKind::oneway:
            network_.cut(replicas_.members(f.from), replicas_.members(f.to));
            break;
        case FaultKind::isolate: {
            std::vector<std::size_t> all(replicas_.size());
            std::iota(all.begin(), all.end(), std::size_t{0});
            const auto one = replicas_.members(f.replica);
            network_.cut(one, all);
            network_.cut(all, one);
            break;
        }
        case FaultKind::heal:
            network_.heal();
            break;
        default:
            break;  // the replica kinds: apply_to_replica
    }
}

void FaultInjector::apply_to_replica(const Fault& f) {
    const std::size_t i = replicas_.index(f.replica);
    SimReplica& rep = replicas_[i];
    switch (f.kind) {
        case FaultKind::crash:
            replicas_.crash(i, f.keep_storage);
            break;
        case FaultKind::restart:
            replicas_.restart(i);
            break;
        case FaultKind::skew:
            rep.offset += f.offset;
            break;
        case FaultKind::drift:
            rep.offset += rep.drift_since(time_.now());
            rep.drifting_from = time_.now();
            rep.drift_ppm = f.ppm;
            break;
        case FaultKind::pause:
            rep.paused = true;
            break;
        case FaultKind::resume:
            rep.paused = false;
            break;
        case FaultKind::retire:
            replicas_.retire(i);
            break;
        case FaultKind::restore: {
            const auto snapshot = snapshots_.find({f.replica, f.at});
            if (snapshot != snapshots_.end()) replicas_.restore(i, *snapshot->second);
            break;
        }
        case FaultKind::clone:
            replicas_.clone(i);
            break;
        default:
            break;  // the network kinds: apply_to_network
    }
}

void FaultInjector::snapshot(const Fault& restore) {
    const SimReplica& rep = replicas_[replicas_.index(restore.replica)];
    if (rep.storage) snapshots_[{restore.replica, restore.at}] = rep.storage->copy();
}

void FaultInjector::end_all() {
    recorder_.close_bands("");  // paused replicas resume; bands of replicas still down end here
    network_.heal();
    for (std::size_t i = 0; i < replicas_.size(); ++i)
        replicas_[i].paused = false;
}

}  // namespace converge::sim
