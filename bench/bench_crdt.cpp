// Benchmarks of the CRDT core (issue "The CRDT core"). Run through scripts/bench.sh, which reports
// the median of 3 repetitions as JSON. Each benchmark states the goal it measures against.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <crdt/crdt.hpp>

namespace {

using namespace converge;
const ReplicaId a{1}, b{2};

std::vector<std::string> keys(const char* prefix, int first, int count) {
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) {
        std::string key(prefix);
        key += std::to_string(i);
        out.push_back(std::move(key));
    }
    return out;
}

// Goal: >= 100 M increments/s, each returning its delta.
void BM_GCounterIncrement(benchmark::State& state) {
    GCounter g;
    g.increment(b, 7);
    for (auto _ : state) {
        GCounter delta = g.increment(a, 1);
        benchmark::DoNotOptimize(delta);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GCounterIncrement);

// Goal: >= 5 M ops/s for 100,000 adds of "k<i>" then 50,000 removes, one operation (and its
// delta) at a time; also the encoded size of the result (goal <= 10 bytes per live element).
void BM_ORSetAddThenRemove(benchmark::State& state) {
    const auto names = keys("k", 0, 100'000);
    std::size_t encoded_bytes = 0, live = 0;
    for (auto _ : state) {
        ORSet<std::string> s;
        for (const std::string& k : names)
            benchmark::DoNotOptimize(s.add(a, k));
        for (int i = 0; i < 50'000; ++i)
            benchmark::DoNotOptimize(s.remove(names[static_cast<std::size_t>(i)]));
        state.PauseTiming();
        encoded_bytes = encode(s).size();
        live = s.size();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * 150'000);
    state.counters["encoded_bytes_per_element"] =
        static_cast<double>(encoded_bytes) / static_cast<double>(live);
}
BENCHMARK(BM_ORSetAddThenRemove)->Unit(benchmark::kMillisecond);

// Goal: <= 20 ms for two replicas with 50,000 distinct adds each to exchange their deltas both
// ways: encode, decode and merge included (delta bytes per element goal: <= 8).
void BM_ORSetMergeTwoReplicas(benchmark::State& state) {
    ORSet<std::string> base_a, base_b, delta_a, delta_b;
    for (const std::string& k : keys("k", 0, 50'000))
        delta_a.merge(base_a.add(a, k));
    for (const std::string& k : keys("k", 50'000, 50'000))
        delta_b.merge(base_b.add(b, k));
    std::size_t wire_bytes = 0;
    ORSet<std::string> x, y;
    for (auto _ : state) {
        state.PauseTiming();
        x = base_a;  // the replicas' own copies are made, and later freed, outside the timing
        y = base_b;
        state.ResumeTiming();
        const std::string to_y = encode(delta_a);
        const std::string to_x = encode(delta_b);
        y.merge(decode<ORSet<std::string>>(to_y));
        x.merge(decode<ORSet<std::string>>(to_x));
        wire_bytes = to_x.size() + to_y.size();
        benchmark::DoNotOptimize(x);
        benchmark::DoNotOptimize(y);
    }
    state.counters["delta_bytes_per_element"] = static_cast<double>(wire_bytes) / 100'000.0;
}
BENCHMARK(BM_ORSetMergeTwoReplicas)->Unit(benchmark::kMillisecond);

// The in-memory join of the same two replicas alone, both ways (no encoding), for comparison with
// the C++ reference's join-only figure (~77 ms).
void BM_ORSetJoinTwoReplicas(benchmark::State& state) {
    ORSet<std::string> base_a, base_b;
    for (const std::string& k : keys("k", 0, 50'000))
        base_a.add(a, k);
    for (const std::string& k : keys("k", 50'000, 50'000))
        base_b.add(b, k);
    ORSet<std::string> x, y;
    for (auto _ : state) {
        state.PauseTiming();
        x = base_a;
        y = base_b;
        state.ResumeTiming();
        x.merge(base_b);
        y.merge(base_a);
        benchmark::DoNotOptimize(x);
        benchmark::DoNotOptimize(y);
    }
}
BENCHMARK(BM_ORSetJoinTwoReplicas)->Unit(benchmark::kMillisecond);

// Goal: <= 16 bytes for one LWW register overwrite sent as a delta, framing included. The frame
// planned for a delta inside a store message is a one-byte type tag and a varint length.
void BM_LWWRegisterOverwriteDelta(benchmark::State& state) {
    LWWRegister<std::string> r;
    HybridClock clock(a);
    std::uint64_t physical_ms = 1'795'000'000'000;  // November 2026, in ms since the epoch
    r.assign(clock.now(physical_ms), "red");
    std::size_t frame_bytes = 0;
    for (auto _ : state) {
        const auto delta = r.assign(clock.now(++physical_ms), "blue");
        const std::string payload = encode(delta);
        codec::Writer frame;
        frame.byte(0x05);
        frame.string(payload);
        frame_bytes = frame.bytes().size();
        benchmark::DoNotOptimize(frame_bytes);
    }
    state.counters["delta_frame_bytes"] = static_cast<double>(frame_bytes);
}
BENCHMARK(BM_LWWRegisterOverwriteDelta);

}  // namespace

BENCHMARK_MAIN();
