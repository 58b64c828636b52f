// File: tools/node/resp/resp_server.hpp
// RespServer: converge-node's Redis front. Any Redis client (redis-cli, redis-benchmark, a
// language's client library) connects over TCP and speaks RESP2, or RESP3 after HELLO 3;
// pipelined commands are answered in order, in one write per batch read. Every client is served
// by one thread (Asio coroutines, no thread per client). Commands and their concurrent outcomes:
// docs/redis.md.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../node_config.hpp"
#include "resp_parser.hpp"

#include <store/store.hpp>

namespace converge::tools {

struct RespServerOptions {
    Address address;
    std::optional<std::string> password;  // AUTH needed when set
    RespLimits limits;
    std::size_t max_clients = 10'000;  // more connections are answered an error and closed
    std::string config_file;           // shown by INFO
    // Lines "name:value" added to INFO's crdt section (the transport's view of peers).
    std::function<std::vector<std::string>()> peer_lines;
};

class RespServer {
  public:
    // Binds options.address (throws converge::Error if it cannot).
    RespServer(store::Store& store, RespServerOptions options);
    // Stops (as stop()).
    ~RespServer();
    RespServer(const RespServer&) = delete;
    RespServer& operator=(const RespServer&) = delete;

    // The port bound (the one asked for, or the system's choice for port 0).
    std::uint16_t port() const;
    // Serves on a thread of its own until stop().
    void start();
    // Closes the port and every connection, and joins the thread.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::tools
