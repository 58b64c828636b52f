// File: store/metrics/counters.hpp
// Counters: the running totals one replica's parts add to (relaxed atomics: each is exact, the set
// is not a snapshot), copied into Metrics by Store::metrics().
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include <store/metrics/metrics.hpp>
#include <store/replication/wire.hpp>

namespace converge::store::detail {

using Counter = std::atomic<std::uint64_t>;

inline void bump(Counter& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
}

struct Counters {
    Counter puts{0}, gets{0}, dels{0}, counter_ops{0}, set_ops{0}, hash_ops{0}, sorted_set_ops{0},
        hyperloglog_ops{0}, type_mismatches{0};
    Counter expired_keys{0};
    Counter merges{0}, merges_unchanged{0}, type_conflicts{0}, clock_drift_exceeded{0};
    Counter messages_out{0}, messages_in{0}, bytes_out{0}, bytes_in{0};
    std::array<Counter, wire::reject_reason_count> frames_rejected{};
    Counter log_dropped{0}, storage_failures{0}, writes_refused{0}, rekeys{0};
    Counter repairs_started{0}, repairs_completed{0}, repair_keys_sent{0};

    // Copies every total into m (the fields Metrics has for them; the rest are left as they are).
    void copy_to(Metrics& m) const {
        auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
        m.puts = get(puts);
        m.gets = get(gets);
        m.dels = get(dels);
        m.counter_ops = get(counter_ops);
        m.set_ops = get(set_ops);
        m.hash_ops = get(hash_ops);
        m.sorted_set_ops = get(sorted_set_ops);
        m.hyperloglog_ops = get(hyperloglog_ops);
        m.type_mismatches = get(type_mismatches);
        m.expired_keys = get(expired_keys);
        m.merges = get(merges);
        m.merges_unchanged = get(merges_unchanged);
        m.type_conflicts = get(type_conflicts);
        m.clock_drift_exceeded = get(clock_drift_exceeded);
        m.messages_out = get(messages_out);
        m.messages_in = get(messages_in);
        m.bytes_out = get(bytes_out);
        m.bytes_in = get(bytes_in);
        for (std::size_t r = 0; r < m.frames_rejected.size(); ++r)
            m.frames_rejected[r] = get(frames_rejected[r]);
        m.log_dropped = get(log_dropped);
        m.storage_failures = get(storage_failures);
        m.writes_refused = get(writes_refused);
        m.rekeys = get(rekeys);
        m.repairs_started = get(repairs_started);
        m.repairs_completed = get(repairs_completed);
        m.repair_keys_sent = get(repair_keys_sent);
    }
};

}  // namespace converge::store::detail
