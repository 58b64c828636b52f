// rapidcheck: 2 to 5 replicas on a LoopbackNetwork with random loss, duplication, reordering and
// delay run random operations interleaved with sync rounds; after rounds without faults every
// replica holds the same state, and that state matches a sequential reference model.
#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "arbitrary_faults.hpp"
#include "cluster.hpp"
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace converge::store {
namespace {

struct Step {
    std::uint32_t kind;  // what to do (see run)
    std::uint32_t replica;
    std::uint32_t key;
    std::uint32_t element;
};

// How a counterexample prints a step: what it did, on which replica, key and element.
void showValue(const Step& s, std::ostream& os) {
    static const char* const kinds[] = {"put",    "increment", "decrement",    "add",
                                        "remove", "sync",      "network step", "round"};
    os << kinds[s.kind % 8] << " r" << s.replica << " k" << s.key % 3 << " e" << s.element % 4;
}

// What the replicas must end with. Set adds carry a marker element "x@id" added right after x
// (shipped with it), so the model knows which adds a later add or remove of x observed: those
// whose markers its replica showed.
struct Model {
    std::map<std::string, std::int64_t> counters;
    std::map<std::string, std::string> registers;  // the last put (the clock moves before each)
    struct Add {
        std::string key, element, marker;
        bool covered = false;
    };
    std::vector<Add> adds;

    // The adds of element to key whose markers a replica showed (seen, sorted) are covered by
    // its next add or remove of element.
    void cover(const std::vector<std::string>& seen, const std::string& key,
               const std::string& element) {
        for (Add& a : adds)
            if (a.key == key && a.element == element &&
                std::binary_search(seen.begin(), seen.end(), a.marker))
                a.covered = true;
    }

    std::set<std::string> expected_set(const std::string& key) const {
        std::set<std::string> out;
        for (const Add& a : adds)
            if (a.key == key) {
                out.insert(a.marker);
                if (!a.covered) out.insert(a.element);
            }
        return out;
    }
};

void run(testing::Cluster& c, const std::vector<Step>& steps, Model& model) {
    const std::size_t n = c.replicas.size();
    for (const Step& s : steps) {
        Store& r = c[s.replica % n];
        const std::string k = std::to_string(s.key % 3);
        const std::string x = "e" + std::to_string(s.element % 4);
        switch (s.kind % 8) {
            case 0:
                c.clock->advance(1);
                r.put("reg" + k, "v" + std::to_string(model.adds.size() + model.registers.size()) +
                                     "." + std::to_string(s.element));
                model.registers["reg" + k] =
                    *r.get("reg" + k);  // strictly later time: this put wins everywhere
                break;
            case 1:
                r.counter("cnt" + k).increment(s.element % 10 + 1);
                model.counters["cnt" + k] += s.element % 10 + 1;
                break;
            case 2:
                r.counter("cnt" + k).decrement(s.element % 3 + 1);
                model.counters["cnt" + k] -= s.element % 3 + 1;
                break;
            case 3: {
                // Re-adding x replaces the dots of x this replica has seen (crdt/or_set.hpp): the
                // adds it observed live on only through this one, as if a remove had seen them.
                const std::string marker = x + "@" + std::to_string(model.adds.size());
                const std::vector<std::string> seen = r.set("set" + k).elements();
                r.set("set" + k).add(x);
                r.set("set" + k).add(marker);
                model.cover(seen, "set" + k, x);
                model.adds.push_back({"set" + k, x, marker});
                break;
            }
            case 4: {
                const std::vector<std::string> seen = r.set("set" + k).elements();
                r.set("set" + k).remove(x);
                model.cover(seen, "set" + k, x);
                break;
            }
            case 5:
                r.sync();
                break;
            case 6:
                c.net.step();
                break;
            default:
                c.round();
                break;
        }
    }
}

RC_GTEST_PROP(StoreConvergence, ReplicasConvergeAndMatchTheReferenceModel, ()) {
    const auto n = *rc::gen::inRange<std::size_t>(2, 6);
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const LoopbackFaults faults = testing::arbitrary_faults();
    // A tiny log in some cases, so that peers fall behind it and digest repair takes over.
    const std::size_t log_entries = *rc::gen::element<std::size_t>(2, 1'000'000);
    const auto steps = *rc::gen::container<std::vector<Step>>(rc::gen::construct<Step>(
        rc::gen::arbitrary<std::uint32_t>(), rc::gen::arbitrary<std::uint32_t>(),
        rc::gen::arbitrary<std::uint32_t>(), rc::gen::arbitrary<std::uint32_t>()));

    testing::Cluster c(
        n, seed, faults,
        Options{.log = [](std::string_view) {}, .stripes = 2, .delta_buffer_entries = log_entries});
    Model model;
    run(c, steps, model);
    RC_ASSERT(c.settle(60) <= 60u);

    for (std::size_t i = 0; i < n; ++i) {
        for (const auto& [key, sum] : model.counters)
            RC_ASSERT(c[i].counter(key).value() == sum);
        for (const auto& [key, value] : model.registers)
            RC_ASSERT(c[i].get(key) == std::optional<std::string>(value));
        for (int k = 0; k < 3; ++k) {
            const std::string key = "set" + std::to_string(k);
            const std::vector<std::string> got = c[i].set(key).elements();
            const std::set<std::string> want = model.expected_set(key);
            RC_ASSERT(std::set<std::string>(got.begin(), got.end()) == want);
        }
    }
}

}  // namespace
}  // namespace converge::store
