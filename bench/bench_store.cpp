// Benchmarks of one store replica (issue "The replicated key-value store"). Run through
// scripts/bench.sh, or scripts/bench-fast-paths.sh for issue 18's table. Gets, puts, the mixed
// runs and memory per key compare the store with the maps of baseline_maps.hpp in the same binary.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "baseline_maps.hpp"
#include "store/cluster.hpp"
#include "store/std_hash_collisions.hpp"
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <store/replication/messages.hpp>
#include <store/replication/wire.hpp>
#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

namespace {

using namespace converge::store;
using converge::bench::GlobalLockMap;
using converge::store::testing::RecordingTransport;
#ifdef CONVERGE_HAVE_TBB
using converge::bench::TbbMap;
#endif
constexpr std::size_t kKeys = 1'000'000;
// Thread counts for the mixed benchmark: 1, 2 here; 1 to 16 where CONVERGE_BENCH_THREADS says so
// (the 16-core machine).
const int kMaxThreads = [] {
    const char* env = std::getenv("CONVERGE_BENCH_THREADS");
    return env ? std::max(1, std::atoi(env)) : 2;
}();

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
// Puts the first 100,000 of keys in turn, for as long as state runs.
void put_each_key(benchmark::State& state, Store& store,
                  const std::vector<std::string>& k = keys()) {
    std::size_t i = 0;
    for (auto _ : state) {
        store.put(k[i], kValue);
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_StorePut(benchmark::State& state) {
    Store store(Options{.replica = converge::ReplicaId{1}});
    put_each_key(state, store);
}
BENCHMARK(BM_StorePut);

// Hash flooding: puts into a fresh store of 100,000 keys that all collide under std::hash (arg 1)
// against 100,000 ordinary keys (arg 0). Goal: colliding keys at most 2x slower.
void BM_StorePutFlood(benchmark::State& state) {
    static const std::vector<std::string> colliding =
        converge::store::testing::std_hash_collisions(100'000);
    const auto& k = state.range(0) == 1 ? colliding : keys();
    for (auto _ : state) {
        Store store(Options{.replica = converge::ReplicaId{1}});
        for (std::size_t i = 0; i < 100'000; ++i)
            store.put(k[i], kValue);
        benchmark::DoNotOptimize(store.metrics().keys);
    }
    state.SetItemsProcessed(state.iterations() * 100'000);
}
BENCHMARK(BM_StorePutFlood)->ArgName("colliding")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// A scratch database file named for this process, and its removal with SQLite's WAL files.
std::filesystem::path scratch_database(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("converge-bench-" + name + std::to_string(::getpid()) + ".db");
}
void remove_database(const std::filesystem::path& file) {
    for (const char* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(file.string() + suffix);
}

// Puts into a store over SqliteStorage in a scratch file: arg 0 commits every write (durable when
// put returns: one fsync each, shared by concurrent writers), arg 1 commits in groups every 10 ms.
void BM_StorePutSqlite(benchmark::State& state) {
    const auto file = scratch_database("");
    remove_database(file);
    {
        const bool group = state.range(0) == 1;
        Store store(Options{
            .replica = converge::ReplicaId{1},
            .storage = std::make_shared<SqliteStorage>(
                file, SqliteOptions{.commit = group ? SqliteOptions::Commit::group
                                                    : SqliteOptions::Commit::every_write})});
        put_each_key(state, store);
    }
    remove_database(file);
}
BENCHMARK(BM_StorePutSqlite)->ArgName("group")->Arg(0)->Arg(1)->UseRealTime();

// Puts the first 100,000 keys into store; returns all the keys.
const std::vector<std::string>& fill(Store& store) {
    const auto& k = keys();
    for (std::size_t i = 0; i < 100'000; ++i)
        store.put(k[i], kValue);
    return k;
}

// Goal: >= 20 M gets/s on one thread.
void BM_StoreGet(benchmark::State& state) {
    Store store(Options{.replica = converge::ReplicaId{1}});
    const auto& k = fill(store);
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(store.get(k[i]));
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreGet);

// The same through get(key, out): the caller's buffer is reused, no allocation per call.
void BM_StoreGetInto(benchmark::State& state) {
    Store store(Options{.replica = converge::ReplicaId{1}});
    const auto& k = fill(store);
    std::string out;
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(store.get(k[i], out));
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreGetInto);

// A map of Map's type (the store or a baseline) holding every key of keys(), made once.
template <class Map>
Map& prefilled() {
    static Map* map = [] {
        Map* m = nullptr;
        if constexpr (std::is_same_v<Map, Store>)
            m = new Map(Options{.replica = converge::ReplicaId{1}});
        else
            m = new Map;
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
BENCHMARK(BM_Mixed90Get10Put<GlobalLockMap>)->ThreadRange(1, kMaxThreads)->UseRealTime();
#ifdef CONVERGE_HAVE_TBB
BENCHMARK(BM_Mixed90Get10Put<TbbMap>)->ThreadRange(1, kMaxThreads)->UseRealTime();
#endif
BENCHMARK(BM_Mixed90Get10Put<Store>)->ThreadRange(1, kMaxThreads)->UseRealTime();

// The baselines of BM_StoreGet and BM_StorePut: the same 100,000 keys, one thread.
template <class Map>
void BM_BaselineGet(benchmark::State& state) {
    Map map;
    const auto& k = keys();
    for (std::size_t i = 0; i < 100'000; ++i)
        map.put(k[i], kValue);
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(map.get(k[i]));
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}
template <class Map>
void BM_BaselinePut(benchmark::State& state) {
    Map map;
    const auto& k = keys();
    std::size_t i = 0;
    for (auto _ : state) {
        map.put(k[i], kValue);
        i = (i + 1) % 100'000;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BaselineGet<GlobalLockMap>);
BENCHMARK(BM_BaselinePut<GlobalLockMap>);
#ifdef CONVERGE_HAVE_TBB
BENCHMARK(BM_BaselineGet<TbbMap>);
BENCHMARK(BM_BaselinePut<TbbMap>);
#endif

// glibc's bytes in use: its heap's and its mmapped chunks' (a large table or block of any map
// here may be either, by size and by glibc's moving threshold).
std::size_t heap_bytes_in_use() {
    const struct mallinfo2 heap = mallinfo2();
    return heap.uordblks + heap.hblkhd;
}

// Memory per key: the growth of glibc's bytes in use (heap_bytes_in_use) over putting 1,000,000
// keys of 16 bytes with 16-byte values into a fresh map, divided by the keys. The store's causal metadata is
// in its figure; scripts/bench-fast-paths.sh sets it beside redis-server's used_memory.
template <class Map>
void BM_MemoryPerKey(benchmark::State& state) {
    for (auto _ : state) {
        const std::size_t before = heap_bytes_in_use();
        auto map = [] {
            if constexpr (std::is_same_v<Map, Store>)
                return std::make_unique<Map>(Options{.replica = converge::ReplicaId{1}});
            else
                return std::make_unique<Map>();
        }();
        for (const std::string& k : keys())
            map->put(k, kValue);
        const std::size_t after = heap_bytes_in_use();
        state.counters["bytes_per_key"] =
            static_cast<double>(after - before) / static_cast<double>(kKeys);
    }
}
BENCHMARK(BM_MemoryPerKey<Store>)->Iterations(1)->Unit(benchmark::kMillisecond);
// (Not TbbMap: TBB allocates from pools of its own, which mallinfo2 does not see.)
BENCHMARK(BM_MemoryPerKey<GlobalLockMap>)->Iterations(1)->Unit(benchmark::kMillisecond);

// Counts the frames and bytes a replica sends; delivers nothing.
struct CountingTransport final : Transport {
    void send(converge::ReplicaId, std::string frame) override {
        ++frames;
        bytes += frame.size();
    }
    std::uint64_t frames = 0, bytes = 0;
};

// Put on a replica with one peer over the loopback network: every put enters the delta log, and
// every 1,000 puts a sync round sends them and the peer applies and acknowledges them (the peer's
// work is in the time too).
void BM_StorePutReplicated(benchmark::State& state) {
    LoopbackNetwork net(1);
    const converge::ReplicaId a_id{1}, b_id{2};
    Store a(Options{.replica = a_id, .transport = net.transport(a_id)});
    Store b(Options{.replica = b_id, .transport = net.transport(b_id)});
    net.attach(a_id, a);
    net.attach(b_id, b);
    a.add_peer(b_id);
    const auto& k = keys();
    std::size_t i = 0;
    for (auto _ : state) {
        a.put(k[i], kValue);
        i = (i + 1) % 100'000;
        if (i % 1000 == 0) {
            a.sync();
            net.run_until_idle();
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["wire_bytes_per_put"] = benchmark::Counter(
        static_cast<double>(a.metrics().bytes_out) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_StorePutReplicated);

// A replica receiving one sync round's frames from a peer: 3,000 keys changed once each (types =
// 0: a value put, a set add, a counter increment; types = 1: a hash field set, a sorted set add,
// a HyperLogLog add). resent = 0: the receiver lacks them (each key is merged
// into a fresh replica); resent = 1: it has them already (a resend after a lost acknowledgement,
// a duplicate, the same change relayed by a second hub). sqlite = 1: the receiver stores into
// SqliteStorage (group commit) in a scratch file, as converge-node does; its acknowledgements
// wait for the commit. Items: keys received.
void BM_StoreReceive(benchmark::State& state) {
    const converge::ReplicaId a_id{1};
    auto transport = std::make_shared<RecordingTransport>();  // keeps the frames
    Store a(Options{.replica = a_id, .transport = transport});
    a.add_peer(converge::ReplicaId{2});
    const auto& k = keys();
    const bool resent = state.range(0) == 1, sqlite = state.range(1) == 1;
    for (std::size_t i = 0; i < 1000; ++i) {
        if (state.range(2) == 0) {
            a.put(k[3 * i], kValue);
            a.set(k[3 * i + 1]).add(kValue);
            a.counter(k[3 * i + 2]).increment(1);
        } else {
            a.hash(k[3 * i]).set("field", kValue);
            a.sorted_set(k[3 * i + 1]).add(kValue, 1.5);
            a.hyperloglog(k[3 * i + 2]).add(kValue);
        }
    }
    a.sync();
    const auto file = scratch_database("receive-");
    const auto receiver = [&] {
        std::shared_ptr<Storage> storage;
        if (sqlite)
            storage = std::make_shared<SqliteStorage>(
                file, SqliteOptions{.commit = SqliteOptions::Commit::group});
        auto b =
            std::make_unique<Store>(Options{.replica = converge::ReplicaId{2},
                                            .transport = std::make_shared<RecordingTransport>(),
                                            .storage = std::move(storage)});
        b->add_peer(a_id);  // its acknowledgements wait for the storage, as a node's do
        return b;
    };
    const auto receive_all = [&](Store& b) {
        for (const std::string& frame : transport->frames)
            b.receive(frame);
    };
    remove_database(file);
    auto b = receiver();
    if (resent) receive_all(*b);
    for (auto _ : state) {
        if (!resent) {
            state.PauseTiming();
            b.reset();
            remove_database(file);
            b = receiver();
            state.ResumeTiming();
        }
        receive_all(*b);
    }
    state.SetItemsProcessed(state.iterations() * 3000);
    b.reset();
    remove_database(file);
}
BENCHMARK(BM_StoreReceive)
    ->ArgNames({"resent", "sqlite", "types"})
    ->ArgsProduct({{0, 1}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Bytes on the wire for one replicated put of a 16-byte value (envelope included), with a 7-byte
// key and with a 16-byte key. Goal: <= 48.
void BM_WireBytesOnePut(benchmark::State& state) {
    const std::string key = state.range(0) == 16 ? key_of(42) : "user:42";
    double bytes = 0;
    for (auto _ : state) {
        auto transport = std::make_shared<CountingTransport>();
        Store store(Options{.replica = converge::ReplicaId{1}, .transport = transport});
        store.add_peer(converge::ReplicaId{2});
        store.sync();
        const std::uint64_t before = transport->bytes;
        store.put(key, kValue);
        store.sync();
        bytes = static_cast<double>(transport->bytes - before);
    }
    state.counters["key_bytes"] = static_cast<double>(key.size());
    state.counters["wire_bytes"] = bytes;
}
BENCHMARK(BM_WireBytesOnePut)->Arg(7)->Arg(16)->Iterations(1);

// Two replicas of 1,000,000 keys that differ in one key; the one that has it repairs the other
// by digest exchange. Reports the bytes both sent and the time taken. Goal: <= 64 KiB.
void BM_RepairOneKeyIn1M(benchmark::State& state) {
    for (auto _ : state) {
        state.PauseTiming();
        auto net = std::make_unique<LoopbackNetwork>(1);
        const converge::ReplicaId a_id{1}, b_id{2};
        auto a =
            std::make_unique<Store>(Options{.replica = a_id, .transport = net->transport(a_id)});
        auto b =
            std::make_unique<Store>(Options{.replica = b_id, .transport = net->transport(b_id)});
        net->attach(a_id, *a);
        net->attach(b_id, *b);
        a->add_peer(b_id);
        b->add_peer(a_id);
        for (const std::string& k : keys())
            a->put(k, kValue);
        a->sync();
        net->run_until_idle();
        // b misses one write, and a's log forgets it: b must be repaired.
        net->set_link(a_id, b_id, false);
        a->put(key_of(7), "changed-value-16");
        a->remove_peer(b_id);
        a->sync();
        a->add_peer(b_id);
        net->set_link(a_id, b_id, true);
        static_cast<void>(a->state_hash());  // digests of the fill are built before timing
        static_cast<void>(b->state_hash());
        const Metrics a0 = a->metrics(), b0 = b->metrics();
        state.ResumeTiming();
        for (int round = 0; round < 5 && a->state_hash() != b->state_hash(); ++round) {
            a->sync();
            b->sync();
            net->run_until_idle();
        }
        state.PauseTiming();
        if (b->get(key_of(7)) != std::optional<std::string>("changed-value-16"))
            state.SkipWithError("repair did not deliver the differing key");
        const Metrics a1 = a->metrics(), b1 = b->metrics();
        state.counters["repair_bytes"] =
            static_cast<double>(a1.bytes_out + b1.bytes_out - a0.bytes_out - b0.bytes_out);
        state.counters["keys_sent"] =
            static_cast<double>(a1.repair_keys_sent - a0.repair_keys_sent);
        a.reset();
        b.reset();
        net.reset();
        state.ResumeTiming();
    }
}
BENCHMARK(BM_RepairOneKeyIn1M)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

// Issue 15: a hub holding `clients` idle peers, all caught up (the hub sent them its 1,000 keys and
// they acknowledged every position): the memory each costs it (the growth in allocated bytes over
// adding and catching them up, divided by their number; the same hub with 10 clients is the
// baseline of the same run) and the time of one sync round (heartbeats only). Memory is glibc's
// count of bytes in use (heap_bytes_in_use), not the resident set, which earlier runs leave grown.
std::size_t resident_bytes() {
    return heap_bytes_in_use();
}

struct Discard final : converge::store::Transport {
    void send(converge::ReplicaId, std::string) override {}
};

void BM_HubIdleClients(benchmark::State& state) {
    using namespace converge;
    const auto clients = static_cast<std::uint64_t>(state.range(0));
    auto clock = std::make_shared<store::ManualClock>(1'700'000'000'000);
    const std::size_t before = resident_bytes();
    store::Store hub(store::Options{.replica = ReplicaId{1},
                                    .clock = clock,
                                    .rng = std::make_shared<store::SeededRng>(1),
                                    .transport = std::make_shared<Discard>()});
    for (std::uint64_t i = 0; i < 1000; ++i)
        hub.put("key" + std::to_string(i), "value");
    const std::size_t with_keys = resident_bytes();
    for (std::uint64_t c = 0; c < clients; ++c)
        hub.add_peer(ReplicaId{1000 + c});
    hub.sync();  // sends each client every key
    for (std::uint64_t c = 0; c < clients; ++c) {
        store::detail::Ack ack{.incarnation = c + 1, .ranges = {}};
        for (std::uint32_t stripe = 0; stripe < store::Options{}.stripes; ++stripe)
            ack.ranges.push_back({stripe, 0, UINT64_MAX});  // (capped at what was sent)
        hub.receive(store::wire::seal(ReplicaId{1000 + c}, store::wire::MessageType::ack,
                                      store::detail::encode(ack)));
    }
    const std::size_t with_clients = resident_bytes();
    for (const auto& peer : hub.metrics().peers)
        if (peer.deltas_pending != 0) state.SkipWithError("a client is not caught up");
    for (auto _ : state)
        hub.sync();
    state.counters["clients"] = static_cast<double>(clients);
    state.counters["bytes_per_client"] =
        static_cast<double>(with_clients - with_keys) / static_cast<double>(clients);
    state.counters["hub_keys_bytes"] = static_cast<double>(with_keys - before);
}
BENCHMARK(BM_HubIdleClients)->Arg(10)->Arg(10'000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
