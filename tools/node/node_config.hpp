// File: tools/node/node_config.hpp
// converge-node's configuration file (TOML; docs/node.md):
//
//   [node]
//   id = 1
//   data = "node1.db"              # SQLite file, relative to this file
//   listen = "127.0.0.1:7001"      # peers connect here
//   client = "127.0.0.1:8001"      # converge-cli and GET /metrics
//   resp = "127.0.0.1:6379"        # Redis clients (absent: off; docs/redis.md)
//   client_password = "..."        # needed by converge-cli and RESP clients (AUTH) when set,
//                                  # and required to bind client or resp beyond loopback
//   resp_bulk_max = 536870912      # the longest argument a Redis client may send, bytes
//   secret_key_file = "node1.key"  # or secret_key = "<64 hex digits>"
//   commit = "every_write"         # or "group" (group_commit_ms = 10)
//   encrypt = false
//   sync_interval_ms = 100
//
//   [[peer]]
//   id = 2
//   address = "127.0.0.1:7002"
//   public_key = "<64 hex digits>"
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <crdt/replica_id.hpp>
#include <store/net/peer_keys.hpp>
#include <store/net/tcp_transport.hpp>
#include <store/storage/sqlite_storage.hpp>

namespace converge::tools {

struct Address {
    std::string host;
    std::uint16_t port = 0;
};

struct NodeConfig {
    ReplicaId id;
    std::filesystem::path data;
    Address listen;
    Address client;
    std::optional<Address> resp;
    std::optional<std::string> client_password;
    std::uint64_t resp_bulk_max = 512ULL * 1024 * 1024;
    store::SecretKey secret_key{};
    store::SqliteOptions storage;
    bool encrypt = false;
    std::uint64_t sync_interval_ms = 100;
    std::vector<store::TcpPeer> peers;
};

// Reads file; throws converge::Error naming the file, the line and what to write instead.
NodeConfig load_node_config(const std::filesystem::path& file);
// Whether host is a loopback address (127.0.0.0/8, ::1).
bool is_loopback(const std::string& host);
// "host:port"; throws converge::Error naming what (the field) otherwise.
Address parse_address(std::string_view text, const std::string& what);

}  // namespace converge::tools
