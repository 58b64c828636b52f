// converge-node: one replica as a daemon. SQLite storage, authenticated TCP peers, a client
// port for converge-cli and GET /metrics, and a Redis (RESP) port for any Redis client, all from
// a TOML file (docs/node.md, docs/redis.md).
//
//   converge-node keygen > node1.key.toml     # a key pair: keep the secret, share the public key
//   converge-node run node1.toml              # until SIGTERM or SIGINT, then a clean stop
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>

#include "node/client_server.hpp"
#include "node/node_config.hpp"
#include "node/resp/resp_server.hpp"
#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <store/metrics/divergence_watch.hpp>
#include <store/metrics/prometheus.hpp>
#include <store/net/tcp_transport.hpp>
#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>

namespace {

using namespace converge;

// Writes the secret key to secret_file (readable by its owner only) and prints the public key; or,
// without a file, prints both as TOML lines.
int keygen(const std::string& secret_file) {
    const store::KeyPair keys = store::KeyPair::generate();
    if (!secret_file.empty()) {
        std::ofstream out(secret_file, std::ios::trunc);
        std::filesystem::permissions(
            secret_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        out << store::to_hex(keys.secret_key) << "\n";
        if (!out.flush()) throw Error("cannot write the secret key to " + secret_file);
        std::printf("%s\n", store::to_hex(keys.public_key).c_str());
        return 0;
    }
    std::printf("secret_key = \"%s\"\npublic_key = \"%s\"\n",
                store::to_hex(keys.secret_key).c_str(), store::to_hex(keys.public_key).c_str());
    return 0;
}

// The Redis front the config asks for ([node] resp), or null.
std::unique_ptr<tools::RespServer> resp_server(const tools::NodeConfig& config,
                                               const std::filesystem::path& config_file,
                                               store::Store& replica) {
    if (!config.resp) return nullptr;
    tools::RespServerOptions options;
    options.address = *config.resp;
    options.password = config.client_password;
    options.limits.bulk_max = config.resp_bulk_max;
    options.config_file = std::filesystem::absolute(config_file);
    return std::make_unique<tools::RespServer>(replica, std::move(options));
}

// How often the node logs digest comparisons that found differing keys (DivergenceWatch).
constexpr std::chrono::seconds divergence_log_interval{10};

// Runs the node until SIGTERM or SIGINT (blocked here, so every thread started later inherits
// the mask and the main thread alone takes the signal).
int run(const std::filesystem::path& config_file) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    const tools::NodeConfig config = tools::load_node_config(config_file);
    auto storage = std::make_shared<store::SqliteStorage>(config.data, config.storage);
    auto tcp = std::make_shared<store::TcpTransport>(
        store::TcpOptions{.replica = config.id,
                          .keys = store::KeyPair::from_secret(config.secret_key),
                          .listen_host = config.listen.host,
                          .listen_port = config.listen.port,
                          .peers = config.peers,
                          .encrypt = config.encrypt});
    store::Store replica(store::Options{.replica = config.id,
                                        .transport = tcp,
                                        .storage = storage,
                                        .sync_interval_ms = config.sync_interval_ms});
    tools::ClientServer clients(
        replica, config.client,
        [&] {
            return store::prometheus_text(replica.metrics(), replica.replica()) +
                   store::prometheus_text(tcp->stats(), config.id);
        },
        config.client_password);
    std::unique_ptr<tools::RespServer> resp = resp_server(config, config_file, replica);
    tcp->start([&](std::string frame) { replica.receive(frame); });
    for (const store::TcpPeer& p : config.peers)
        replica.add_peer(p.id);
    clients.start();
    if (resp) {
        resp->start();
        spdlog::info("node {}: Redis clients connect to {}:{}{}", config.id.value,
                     config.resp->host, resp->port(),
                     config.client_password ? " (AUTH needed)" : "");
    }
    spdlog::info("node {}: {} keys recovered from {}; peers connect to {}:{}, clients to {}:{}",
                 config.id.value, replica.metrics().keys, config.data.string(), config.listen.host,
                 tcp->port(), config.client.host, config.client.port);

    const timespec wait{
        0, static_cast<long>(std::min<std::uint64_t>(config.sync_interval_ms, 100) * 1'000'000)};
    int signal = -1;
    store::DivergenceWatch divergence;
    auto last_watch = std::chrono::steady_clock::now();
    while (signal < 0) {
        signal = sigtimedwait(&stop_signals, nullptr, &wait);
        try {
            replica.tick();
        } catch (const Error& e) {
            spdlog::error("node {}: {}", config.id.value, e.what());
        }
        if (std::chrono::steady_clock::now() - last_watch >= divergence_log_interval) {
            last_watch = std::chrono::steady_clock::now();
            for (const std::string& line : divergence.check(replica.metrics()))
                spdlog::warn("node {}: {}", config.id.value, line);
        }
    }
    spdlog::info("node {}: {} received, stopping", config.id.value,
                 signal == SIGTERM ? "SIGTERM" : "SIGINT");
    clients.stop();
    if (resp) resp->stop();
    replica.sync();  // a last round: what peers lack goes out if they are reachable
    tcp->stop();
    storage->flush();
    spdlog::info("node {}: stopped cleanly, {} keys stored", config.id.value,
                 replica.metrics().keys);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"converge-node: one converge replica with SQLite storage and TCP peers"};
    app.require_subcommand(1);
    auto* keygen_command =
        app.add_subcommand("keygen",
                           "make a key pair: print it as TOML lines, or write the "
                           "secret to a file and print the public key");
    std::string secret_file;
    keygen_command->add_option("--secret-file", secret_file,
                               "write the secret key here (mode 0600), print the public key");
    auto* run_command = app.add_subcommand("run", "run the node described by a config file");
    std::string config_file;
    run_command->add_option("config", config_file, "the node's TOML config file (docs/node.md)")
        ->required();
    CLI11_PARSE(app, argc, argv);
    try {
        if (app.got_subcommand("keygen")) return keygen(secret_file);
        return run(config_file);
    } catch (const converge::Error& e) {
        std::fprintf(stderr, "converge-node: %s\n", e.what());
        return 2;
    }
}
