// Many threads on overlapping keys: every operation atomic, no lost update. Run under the tsan
// preset in CI.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <store/store.hpp>

namespace converge::store {
namespace {

TEST(StoreConcurrency, OverlappingOperationsLoseNoUpdate) {
    Store store(Options{.replica = ReplicaId{7}, .shards = 4});
    constexpr int threads = 4, rounds = 2'000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&store, t] {
            for (int i = 0; i < rounds; ++i) {
                const std::string k = "k" + std::to_string(i % 16);
                store.counter("hits").increment();
                store.counter("c" + std::to_string(i % 8)).increment(2);
                store.counter("c" + std::to_string(i % 8)).decrement(1);
                store.set("members").add("t" + std::to_string(t) + "-" + std::to_string(i % 50));
                store.put(k, std::to_string(t));
                static_cast<void>(store.get(k));
                if (i % 5 == 0) store.del(k);
                if (i % 100 == 0) store.sweep_expired(64);
            }
        });
    }
    for (auto& w : workers)
        w.join();
    EXPECT_EQ(store.counter("hits").value(), threads * rounds);
    std::int64_t total = 0;
    for (int c = 0; c < 8; ++c)
        total += store.counter("c" + std::to_string(c)).value();
    EXPECT_EQ(total, threads * rounds);
    EXPECT_EQ(store.set("members").elements().size(), static_cast<std::size_t>(threads * 50));
    EXPECT_EQ(store.metrics().puts, static_cast<std::uint64_t>(threads * rounds));
}

}  // namespace
}  // namespace converge::store
