// Many threads on overlapping keys: every operation atomic, no lost update. Run under the tsan
// preset in CI.
#include <atomic>
#include <thread>
#include <vector>

#include "cluster.hpp"
#include <gtest/gtest.h>

#include <store/metrics/prometheus.hpp>
#include <store/store.hpp>

namespace converge::store {
namespace {

TEST(StoreConcurrency, OverlappingOperationsLoseNoUpdate) {
    Store store(Options{.replica = ReplicaId{7}, .stripes = 4});
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

TEST(StoreConcurrency, ReplicationRunsAlongsideWritersAndLosesNothing) {
    testing::Cluster c(2, /*seed=*/3,
                       {.link = {.loss = 0.1, .duplicate = 0.1}, .max_delay_steps = 2},
                       Options{.stripes = 4});
    constexpr int writers_per_replica = 2, rounds = 1'500;
    std::atomic<bool> done{false};
    std::thread network([&] {
        while (!done.load()) {
            c[0].sync();
            c[1].sync();
            c.net.step();
            static_cast<void>(c[0].metrics());
            static_cast<void>(prometheus_text(c[1].metrics(), c[1].replica()));
        }
    });
    std::vector<std::thread> writers;
    for (int r = 0; r < 2; ++r)
        for (int t = 0; t < writers_per_replica; ++t)
            writers.emplace_back([&c, r, t] {
                Store& s = c[static_cast<std::size_t>(r)];
                for (int i = 0; i < rounds; ++i) {
                    s.counter("hits").increment();
                    s.counter("c" + std::to_string(i % 8)).increment(3);
                    s.set("members").add(std::to_string(r) + "." + std::to_string(t) + "." +
                                         std::to_string(i % 40));
                    s.put("k" + std::to_string(i % 32), std::to_string(i));
                    static_cast<void>(s.get("k" + std::to_string((i + 7) % 32)));
                    if (i % 7 == 0) s.del("k" + std::to_string(i % 32));
                }
            });
    for (std::thread& w : writers)
        w.join();
    done = true;
    network.join();
    EXPECT_LE(c.settle(), 10u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(c[i].counter("hits").value(), 2 * writers_per_replica * rounds);
        std::int64_t sum = 0;
        for (int k = 0; k < 8; ++k)
            sum += c[i].counter("c" + std::to_string(k)).value();
        EXPECT_EQ(sum, 3 * 2 * writers_per_replica * rounds);
        EXPECT_EQ(c[i].set("members").elements().size(), 2u * writers_per_replica * 40);
    }
}

}  // namespace
}  // namespace converge::store
