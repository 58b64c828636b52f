// File: tools/node/resp/resp_command.hpp
// What every RESP command handler sees: the connection it serves (RespClient), the node's shared
// state (RespContext), the command's arguments, and a RespWriter for its reply. A handler reports
// a failure by throwing: RespCommandError carries Redis's exact text, TypeMismatch becomes
// WRONGTYPE, any other converge::Error an "ERR" reply (RespCommands::execute).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resp_writer.hpp"

#include <crdt/error.hpp>
#include <store/store.hpp>

namespace converge::tools {

using RespArgs = std::vector<std::string>;

// A reply error with Redis's text, code first ("ERR syntax error", "NOAUTH ...").
class RespCommandError : public Error {
  public:
    using Error::Error;
};

// One client connection's state.
struct RespClient {
    std::uint64_t id = 0;
    std::string address;  // "host:port" of the client
    std::string name;     // CLIENT SETNAME
    int protocol = 2;     // HELLO 3 moves it to 3
    bool authenticated = false;
    bool closing = false;  // QUIT: close after this reply
    std::chrono::steady_clock::time_point connected = std::chrono::steady_clock::now();
};

// Figures the server keeps for INFO.
struct RespStats {
    std::uint64_t connections_received = 0;
    std::uint64_t connected_clients = 0;
    std::uint64_t commands_processed = 0;
    std::uint64_t rejected_connections = 0;
    std::uint64_t protocol_errors = 0;
    std::uint64_t auth_failures = 0;
};

// What the node shares with every connection; used from the server's one thread.
struct RespContext {
    store::Store& store;
    std::optional<std::string> password;  // client_password; nullopt: no AUTH needed
    std::uint16_t port = 0;               // the RESP port, for INFO
    std::string config_file;              // for INFO
    std::size_t bulk_max = 0;             // RespLimits::bulk_max, for CONFIG GET
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    RespStats stats;
    // Extra "name:value" lines for INFO's crdt section (the transport's peers), may be empty.
    std::function<std::vector<std::string>()> peer_lines;
};

using RespHandler = void (*)(RespContext&, RespClient&, const RespArgs&, RespWriter&);

// One command: Redis's arity (n: exactly n words, name included; -n: at least n), flags as
// COMMAND INFO shows them, the key positions, and what it does (for COMMAND DOCS).
struct RespCommand {
    std::string_view name;
    int arity;
    std::string_view flags;  // space-separated: write readonly fast noauth admin
    int first_key, last_key, step;
    RespHandler handler;
    std::string_view summary;
};

// The argument as a 64-bit integer; throws "ERR value is not an integer or out of range".
std::int64_t resp_integer(std::string_view text);
// The argument as a finite double; throws "ERR value is not a valid float".
double resp_real(std::string_view text);
// text in lower case (ASCII).
std::string resp_lower(std::string_view text);
// Throws "WRONGTYPE Operation against a key holding the wrong kind of value".
[[noreturn]] void resp_wrong_type();
// Throws "ERR syntax error".
[[noreturn]] void resp_syntax_error();
// Deletes what this replica has seen at key, whatever its type (DEL); returns whether it held
// anything.
bool resp_delete_key(store::Store& store, const std::string& key);
// Replies how many of the arguments after the key remove(argument) reports removed (SREM, HDEL,
// ZREM).
template <class Remove>
void reply_removed(const RespArgs& a, RespWriter& out, Remove&& remove) {
    std::int64_t removed = 0;
    for (std::size_t i = 2; i < a.size(); ++i)
        removed += remove(a[i]) ? 1 : 0;
    out.integer(removed);
}

// The command groups, each appending its commands to a table.
void add_server_commands(std::vector<RespCommand>& table);
void add_key_commands(std::vector<RespCommand>& table);
void add_string_commands(std::vector<RespCommand>& table);
void add_set_commands(std::vector<RespCommand>& table);
void add_record_commands(std::vector<RespCommand>& table);

}  // namespace converge::tools
