// File: tools/node/client_server.hpp
// The client side of converge-node: converge-cli's requests (client_protocol.hpp) and
// `GET /metrics` (Prometheus text), on one TCP port, served by one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "node_config.hpp"

#include <store/store.hpp>

namespace converge::tools {

class ClientServer {
  public:
    // Binds address (throws converge::Error if it cannot); metrics() renders GET /metrics. With a
    // password, a connection's first request must be "auth <password>" (GET /metrics needs none).
    ClientServer(store::Store& store, const Address& address, std::function<std::string()> metrics,
                 std::optional<std::string> password = std::nullopt);
    // Stops (as stop()).
    ~ClientServer();
    ClientServer(const ClientServer&) = delete;
    ClientServer& operator=(const ClientServer&) = delete;

    // Serves on a thread of its own until stop().
    void start();
    // Closes the port and every client connection, and joins the thread.
    void stop();

    // The answer to one request (its fields), as a response line.
    static std::string answer(store::Store& store, const std::vector<std::string>& request);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::tools
