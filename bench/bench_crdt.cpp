// Benchmarks of the CRDT core (issue "The CRDT core"). Run through scripts/bench.sh, which reports
// the median of 3 repetitions as JSON. Each benchmark states the goal it measures against.
#include <algorithm>
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

// Issue 15: one key's encoded bytes after `writers` replicas wrote it (every one of them: the
// baseline, measured in the same run), and after all but the last 10 are retired and folded out;
// and the retired table's bytes per retired id. Goal: at most 64 bytes plus 8 per live writer; the
// table at most 16 bytes per retired id. The time measured is the fold of the three keys.
template <class T>
std::size_t encoded_size(const T& value) {
    codec::Writer w;
    value.encode(w);
    return w.bytes().size();
}

void BM_RetiredWritersFoldOutOfAKey(benchmark::State& state) {
    const auto writers = static_cast<std::uint64_t>(state.range(0));
    // range(1): 0 numbers the writers 1, 2, 3, ...; 1 draws them at random from 63 bits, as the
    // store mints writer ids (each takes 9 bytes as a varint instead of 1 or 2).
    const bool random_ids = state.range(1) != 0;
    std::uint64_t seed = 0x9E3779B97F4A7C15;
    const auto id_of = [&](std::uint64_t i) {
        if (!random_ids) return ReplicaId{i};
        std::uint64_t z = (seed += 0x9E3779B97F4A7C15);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return ReplicaId{((z ^ (z >> 31)) >> 1) | 1};
    };
    const std::uint64_t live = std::min<std::uint64_t>(writers, 10);
    PNCounter counter;
    ORSet<std::string> set;
    MVRegister<std::string> value;
    RetiredIds retired;
    for (std::uint64_t i = 1; i <= writers; ++i) {
        const ReplicaId w = id_of(i);
        counter.increment(w, 1 + i % 3);
        set.add(w, "e" + std::to_string(i));
        if (i + live <= writers) set.remove("e" + std::to_string(i));  // 10 stay live
        value.assign(w, "v" + std::to_string(i));
        if (i + live <= writers) retired.insert(w);
    }
    const std::size_t before = encoded_size(counter) + encoded_size(set) + encoded_size(value);
    PNCounter c;
    ORSet<std::string> s;
    MVRegister<std::string> v;
    for (auto _ : state) {
        state.PauseTiming();
        c = counter;
        s = set;
        v = value;
        state.ResumeTiming();
        fold(c, retired);
        fold(s, retired);
        fold(v, retired);
    }
    if (c.value() != counter.value() || s.elements() != set.elements() ||
        v.values() != value.values())
        state.SkipWithError("a fold changed what a key shows");
    state.counters["writers"] = static_cast<double>(writers);
    state.counters["counter_bytes_before"] = static_cast<double>(encoded_size(counter));
    state.counters["set_bytes_before"] = static_cast<double>(encoded_size(set));
    state.counters["value_bytes_before"] = static_cast<double>(encoded_size(value));
    state.counters["counter_bytes_after"] = static_cast<double>(encoded_size(c));
    state.counters["set_bytes_after"] = static_cast<double>(encoded_size(s));
    state.counters["value_bytes_after"] = static_cast<double>(encoded_size(v));
    state.counters["bytes_before"] = static_cast<double>(before);
    state.counters["bytes_after"] =
        static_cast<double>(encoded_size(c) + encoded_size(s) + encoded_size(v));
    state.counters["worst_key_bytes_after"] =
        static_cast<double>(std::max({encoded_size(c), encoded_size(s), encoded_size(v)}));
    state.counters["key_budget_bytes"] = static_cast<double>(64 + 8 * live);
    state.counters["table_bytes_per_retired_id"] =
        retired.empty()
            ? 0.0
            : static_cast<double>(encoded_size(retired)) / static_cast<double>(retired.size());
}
BENCHMARK(BM_RetiredWritersFoldOutOfAKey)
    ->ArgsProduct({{1, 100, 10'000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
