// Benchmarks of one store replica (issue "The replicated key-value store"). Run through
// scripts/bench.sh. Multi-threaded runs compare the store with a one-global-mutex hash map in
// the same binary.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include <store/store.hpp>

namespace {

using namespace converge::store;
constexpr std::size_t kKeys = 1'000'000;

// "key-000000000042": 16 bytes, like the values.
std::string key_of(std::size_t i) {
    std::string digits = std::to_string(i);
    return "key-" + std::string(12 - digits.size(), '0') + digits;
}

const std::vector<std::string>& keys() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> out;
        out.reserve(kKeys);
        for (std::size_t i = 0; i < kKeys; ++i)
            out.push_back(key_of(i));
        return out;
    }();
    return all;
}

const std::string kValue = "value-0123456789";  // 16 bytes

// Goal: >= 3 M puts/s on one thread.
void BM_StorePut(benchmark::State& state) {
    Store store(Options{.replica = converge::ReplicaId{1}});
    const auto& k = keys();
    std::size_t i = 0;
    for (auto _ : state) {
        store.put(k[i], kValue);
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StorePut);

// Goal: >= 20 M gets/s on one thread.
void BM_StoreGet(benchmark::State& state) {
    Store store(Options{.replica = converge::ReplicaId{1}});
    const auto& k = keys();
    for (std::size_t i = 0; i < 100'000; ++i)
        store.put(k[i], kValue);
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(store.get(k[i]));
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreGet);

// The baseline: one mutex around one hash map.
class GlobalLockMap {
  public:
    void put(const std::string& k, const std::string& v) {
        std::lock_guard lock(mutex_);
        map_[k] = v;
    }
    std::optional<std::string> get(const std::string& k) {
        std::lock_guard lock(mutex_);
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        return it->second;
    }

  private:
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> map_;
};

template <class Map>
Map& prefilled() {
    static Map* map = [] {
        auto* m = new Map(Options{.replica = converge::ReplicaId{1}});
        for (const std::string& k : keys())
            m->put(k, kValue);
        return m;
    }();
    return *map;
}
template <>
GlobalLockMap& prefilled<GlobalLockMap>() {
    static GlobalLockMap* map = [] {
        auto* m = new GlobalLockMap;
        for (const std::string& k : keys())
            m->put(k, kValue);
        return m;
    }();
    return *map;
}

// 90% get / 10% put over 1,000,000 keys. Goal: the store >= 1.6x the global lock at 2 threads.
template <class Map>
void BM_Mixed90Get10Put(benchmark::State& state) {
    Map& map = prefilled<Map>();
    const auto& k = keys();
    std::uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(state.thread_index() + 1);
    for (auto _ : state) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift: cheap, per thread
        const std::string& key = k[x % kKeys];
        if (x % 10 == 0)
            map.put(key, kValue);
        else
            benchmark::DoNotOptimize(map.get(key));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Mixed90Get10Put<GlobalLockMap>)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Mixed90Get10Put<Store>)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
