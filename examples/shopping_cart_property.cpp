// An application's invariant, property-tested under random partitions, delays, loss, clock skew
// and crashes with converge's simulator and its rapidcheck generators.
//
// The app: a shared shopping cart, one replica per device. The invariant: once the network heals,
// every device's cart holds every item that some device added and no device removed (add wins
// over a concurrent remove). Devices keep their storage across a crash. A failing case shrinks
// to a small world, printed as a scenario file to replay with converge-sim run.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <sim/testing/generators.hpp>
#include <sim/world.hpp>

namespace {

using namespace converge::sim;

RC_GTEST_PROP(ShoppingCart, AnItemNobodyRemovedIsInEveryCart, ()) {
    Scenario world = *gen::scenario(gen::Limits{.faults_max = 8, .rate_max = 50});
    // Devices never lose their storage here: no crash loses it, none is restored from an older
    // copy.
    for (Fault& f : world.faults)
        f.keep_storage = true;
    std::erase_if(world.faults, [](const Fault& f) { return f.kind == FaultKind::restore; });
    const std::vector<std::string> devices = replica_names(world);

    // The app's edits: each item added on one device, some removed later on another.
    const auto items = *rc::gen::inRange<std::size_t>(1, 12);
    std::set<std::string> removed;
    for (std::size_t i = 0; i < items; ++i) {
        const std::string item = "item-" + std::to_string(i);
        const Micros added = *rc::gen::inRange<Micros>(0, world.duration);
        world.ops.push_back(Op{.at = added,
                               .replica = *rc::gen::elementOf(devices),
                               .type = OpType::set,
                               .key = "cart",
                               .action = OpAction::add,
                               .value = item});
        if (*rc::gen::arbitrary<bool>()) {
            world.ops.push_back(Op{.at = *rc::gen::inRange<Micros>(added, world.duration),
                                   .replica = *rc::gen::elementOf(devices),
                                   .type = OpType::set,
                                   .key = "cart",
                                   .action = OpAction::remove,
                                   .value = item});
            removed.insert(item);
        }
    }

    World sim(world);
    sim.record_operations();
    const Report report = sim.run();
    RC_ASSERT(report.converged);
    RC_ASSERT(report.violations.empty());

    // Items added on a device that is up at the end (one left down may never have sent them),
    // and applied (a device that was down or paused at that moment made no edit).
    std::set<std::string> must_hold;
    for (const Op& op : sim.operations())
        if (op.key == "cart" && op.action == OpAction::add && !removed.contains(op.value) &&
            report.replicas.contains(op.replica))
            must_hold.insert(op.value);
    for (const auto& [device, keys] : report.replicas) {
        const auto cart = keys.find("cart");
        const std::vector<std::string> held =
            cart == keys.end() ? std::vector<std::string>{}
                               : std::get<std::vector<std::string>>(cart->second);
        for (const std::string& item : must_hold)
            RC_ASSERT(std::binary_search(held.begin(), held.end(), item));
    }
}

}  // namespace
