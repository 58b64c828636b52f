// A project outside converge using each of the package's optional targets.
#include <cstdio>
#include <filesystem>

#include <sim/sim.hpp>
#include <store/metrics/prometheus.hpp>
#include <store/net/peer_keys.hpp>
#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

int main() {
    using namespace converge;
    const auto file = std::filesystem::temp_directory_path() / "converge-consumer-parts.db";
    std::filesystem::remove(file);
    store::LoopbackNetwork net(1);
    store::Store a(store::Options{.replica = ReplicaId{1},
                                  .transport = net.transport(ReplicaId{1}),
                                  .storage = std::make_shared<store::SqliteStorage>(file)});
    store::Store b(
        store::Options{.replica = ReplicaId{2}, .transport = net.transport(ReplicaId{2})});
    net.attach(ReplicaId{1}, a);
    net.attach(ReplicaId{2}, b);
    a.add_peer(ReplicaId{2});
    b.add_peer(ReplicaId{1});
    a.put("k", "v");
    a.sync();
    net.run_until_idle();
    const bool replicated = b.get("k") == "v";
    const bool exported =
        store::prometheus_text(b.metrics(), b.replica()).find("converge_keys") != std::string::npos;
    const bool keys = store::KeyPair::generate().public_key != store::PublicKey{};
    const sim::Report report =
        sim::World(sim::Scenario{.duration = 1'000'000, .regions = {{.name = "a", .replicas = 2}}})
            .run();
    std::printf("consumer_parts: replicated=%d exported=%d keys=%d simulated=%d\n", replicated,
                exported, keys, report.converged);
    std::filesystem::remove(file);
    return replicated && exported && keys && report.converged ? 0 : 1;
}
