// Benchmarks of hashes and HyperLogLog (issue 16), each with its baseline in the same run: an
// unreplicated std::unordered_map for the hash, an exact std::unordered_set count for the
// HyperLogLog. scripts/bench-peers.sh runs the hash workloads on Yjs's and Loro's maps beside them.
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <crdt/crdt.hpp>

namespace {

using namespace converge;
const ReplicaId a{1}, b{2};
constexpr int field_count = 10'000;
constexpr int set_count = 100'000;
constexpr int distinct = 1'000'000;
// Puts are stamped with realistic hybrid-clock times (milliseconds since 1970: a 6-byte varint).
// Replica ids are 1 and 2, as in bench_crdt.cpp; a store's random 63-bit writer ids add up to 8
// bytes per dot.
constexpr std::uint64_t now_ms = 1'764'547'200'000;

std::vector<std::string> numbered(const char* prefix, int first, int count) {
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i)
        out.push_back(prefix + std::to_string(i));
    return out;
}

// Heap bytes in use now (glibc's count of allocated bytes).
std::size_t heap_bytes() {
    return mallinfo2().uordblks;
}

// 100,000 sets of 10,000 fields ("f<i mod 10000>" = "v<i>"), each returning its delta; the hash's
// encoded bytes per field after.
void BM_ORHashSetFields(benchmark::State& state) {
    const auto fields = numbered("f", 0, field_count);
    const auto values = numbered("v", 0, set_count);
    std::size_t encoded = 0;
    for (auto _ : state) {
        ORHash h;
        for (int i = 0; i < set_count; ++i)
            benchmark::DoNotOptimize(h.set(a,
                                           Timestamp{now_ms + static_cast<std::uint64_t>(i), 0, a},
                                           fields[static_cast<std::size_t>(i % field_count)],
                                           values[static_cast<std::size_t>(i)]));
        state.PauseTiming();
        encoded = encode(h).size();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * set_count);
    state.counters["encoded_bytes_per_field"] = static_cast<double>(encoded) / field_count;
}
BENCHMARK(BM_ORHashSetFields)->Unit(benchmark::kMillisecond);

// The baseline: the same sets into an unreplicated std::unordered_map.
void BM_UnorderedMapSetFields(benchmark::State& state) {
    const auto fields = numbered("f", 0, field_count);
    const auto values = numbered("v", 0, set_count);
    for (auto _ : state) {
        std::unordered_map<std::string, std::string> m;
        for (int i = 0; i < set_count; ++i)
            m[fields[static_cast<std::size_t>(i % field_count)]] =
                values[static_cast<std::size_t>(i)];
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations() * set_count);
}
BENCHMARK(BM_UnorderedMapSetFields)->Unit(benchmark::kMillisecond);

// Two replicas set 50,000 distinct fields each and exchange their deltas both ways: encode,
// decode and merge.
void BM_ORHashMergeTwoReplicas(benchmark::State& state) {
    ORHash base_a, base_b, delta_a, delta_b;
    for (const std::string& f : numbered("f", 0, 50'000))
        delta_a.merge(base_a.set(a, Timestamp{now_ms, 0, a}, f, "value"));
    for (const std::string& f : numbered("f", 50'000, 50'000))
        delta_b.merge(base_b.set(b, Timestamp{now_ms, 0, b}, f, "value"));
    std::size_t wire_bytes = 0;
    ORHash x, y;
    for (auto _ : state) {
        state.PauseTiming();
        x = base_a;
        y = base_b;
        state.ResumeTiming();
        const std::string to_y = encode(delta_a);
        const std::string to_x = encode(delta_b);
        y.merge(decode<ORHash>(to_y));
        x.merge(decode<ORHash>(to_x));
        wire_bytes = to_x.size() + to_y.size();
        benchmark::DoNotOptimize(x);
    }
    state.counters["delta_bytes_per_field"] = static_cast<double>(wire_bytes) / 100'000.0;
}
BENCHMARK(BM_ORHashMergeTwoReplicas)->Unit(benchmark::kMillisecond);

// 1,000,000 distinct elements into a HyperLogLog: adds per second, the estimate's error, its heap
// and encoded bytes.
void BM_HyperLogLogAddDistinct(benchmark::State& state) {
    const auto elements = numbered("user-", 0, distinct);
    double error = 0;
    std::size_t heap = 0, encoded = 0, entries = 0;
    for (auto _ : state) {
        const std::size_t before = heap_bytes();
        auto v = std::make_unique<HyperLogLog>();
        for (const std::string& e : elements)
            v->add(a, e);
        state.PauseTiming();
        heap = heap_bytes() - before;
        encoded = encode(*v).size();
        entries = v->entry_count();
        error = (static_cast<double>(v->count()) - distinct) / distinct;
        v.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * distinct);
    state.counters["error_percent"] = 100 * error;
    state.counters["heap_bytes"] = static_cast<double>(heap);
    state.counters["encoded_bytes"] = static_cast<double>(encoded);
    state.counters["entries"] = static_cast<double>(entries);
}
BENCHMARK(BM_HyperLogLogAddDistinct)->Unit(benchmark::kMillisecond);

// The baseline: an exact count of the same elements in a std::unordered_set.
void BM_ExactCountDistinct(benchmark::State& state) {
    const auto elements = numbered("user-", 0, distinct);
    std::size_t heap = 0;
    for (auto _ : state) {
        const std::size_t before = heap_bytes();
        auto seen = std::make_unique<std::unordered_set<std::string>>();
        for (const std::string& e : elements)
            seen->insert(e);
        state.PauseTiming();
        heap = heap_bytes() - before;
        benchmark::DoNotOptimize(seen->size());
        seen.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * distinct);
    state.counters["heap_bytes"] = static_cast<double>(heap);
}
BENCHMARK(BM_ExactCountDistinct)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
