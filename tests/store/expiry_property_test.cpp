// rapidcheck: whole keys with deadlines (Store::expire, persist) under a faulty network converge
// (tests/store/expiry_test.cpp has the concurrent cases one by one).
#include <chrono>
#include <string>
#include <vector>

#include "arbitrary_faults.hpp"
#include "cluster.hpp"
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace converge::store {
namespace {

using std::chrono::milliseconds;

// rapidcheck: 2 to 4 replicas over a faulty network set fields, increment, add to a sorted set, a
// set and a HyperLogLog, remove from the set, EXPIRE, PERSIST and delete whole keys while the clock
// moves past deadlines (their changes travel as deltas or, behind a tiny log, by digest repair).
// Once the faults stop, every replica holds the same state and shows the same thing; once the clock
// is past every deadline and each replica has swept, that is still so.
RC_GTEST_PROP(WholeKeyExpiry, ReplicasWithDeadlinesConvergeAndShowTheSame, ()) {
    const auto n = *rc::gen::inRange<std::size_t>(2, 5);
    const LoopbackFaults faults = testing::arbitrary_faults();
    // A tiny log in some cases, so that whole states travel by digest repair.
    const std::size_t log_entries = *rc::gen::element<std::size_t>(2, 1'000'000);
    testing::Cluster c(
        n, *rc::gen::arbitrary<std::uint64_t>(), faults,
        Options{.log = [](std::string_view) {}, .stripes = 2, .delta_buffer_entries = log_entries});
    const auto steps =
        *rc::gen::container<std::vector<std::uint32_t>>(rc::gen::arbitrary<std::uint32_t>());
    std::uint32_t written = 0;
    for (const std::uint32_t step : steps) {
        Store& r = c[step % n];
        const std::string key = "k" + std::to_string((step >> 3) % 2);
        const std::string field = "f" + std::to_string((step >> 5) % 3);
        switch ((step >> 8) % 14) {
            case 0:
                r.hash(key).set(field, "v" + std::to_string(++written));
                break;
            case 12:
                r.set("s").add(field);
                if ((step >> 12) % 4 == 0) r.expire("s", milliseconds(1 + (step >> 14) % 50));
                break;
            case 13:
                r.set("s").remove(field);
                break;
            case 1:
                r.hash(key).increment("n" + field, 1);
                break;
            case 2:
                r.sorted_set("z").increment(field, 1.0);
                break;
            case 3:
                r.hyperloglog("v").add(field + std::to_string(++written));
                break;
            case 4:
                r.expire((step >> 12) % 2 == 0 ? key : "z", milliseconds(1 + (step >> 13) % 50));
                r.expire("v", milliseconds(1 + (step >> 13) % 50));
                break;
            case 5:
                r.persist(key);
                break;
            case 6:
                r.hash(key).clear();
                break;
            case 7:
                c.clock->advance((step >> 12) % 20);
                break;
            case 8:
                r.sweep_expired();
                break;
            case 9:
                r.sync();
                break;
            case 10:
                c.net.step();
                break;
            default:
                c.round();
                break;
        }
    }
    const auto agree = [&] {
        RC_ASSERT(c.settle(60) <= 60u);
        for (std::size_t i = 1; i < n; ++i)
            for (const char* key : {"k0", "k1"}) {
                RC_ASSERT(c[i].hash(key).fields() == c[0].hash(key).fields());
                RC_ASSERT(c[i].time_to_live(key) == c[0].time_to_live(key));
                RC_ASSERT(c[i].sorted_set("z").range(0, -1) == c[0].sorted_set("z").range(0, -1));
                RC_ASSERT(c[i].hyperloglog("v").count() == c[0].hyperloglog("v").count());
                RC_ASSERT(c[i].set("s").elements() == c[0].set("s").elements());
                RC_ASSERT(c[i].time_to_live("s") == c[0].time_to_live("s"));
            }
    };
    agree();
    c.clock->advance(1000);
    for (std::size_t i = 0; i < n; ++i)
        c[i].sweep_expired();
    agree();
    for (std::size_t i = 0; i < n; ++i)
        RC_ASSERT(c[i].time_to_live("k0") == std::nullopt);
}

}  // namespace
}  // namespace converge::store
