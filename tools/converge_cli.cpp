// converge-cli: talks to a converge-node's client port. Its commands and exit statuses are a
// contract that scripts rely on (docs/node.md):
//
//   converge-cli --node HOST:PORT [--password P] put KEY VALUE [--ttl 30s]
//   converge-cli --node HOST:PORT get KEY          # the value; nothing and exit 1 when absent
//   converge-cli --node HOST:PORT del KEY
//   converge-cli --node HOST:PORT expire KEY 30s   # a value, or a whole counter, set, hash, ...
//   converge-cli --node HOST:PORT ttl KEY          # ms left; nothing and exit 1 when none
//   converge-cli --node HOST:PORT persist KEY      # removes the expiry
//   converge-cli --node HOST:PORT incr KEY [N]     # prints the new value (decr likewise)
//   converge-cli --node HOST:PORT sadd KEY MEMBER...   (srem likewise)
//   converge-cli --node HOST:PORT smembers KEY     # one member a line, sorted
//   converge-cli --node HOST:PORT hset KEY FIELD VALUE   (hget KEY FIELD, hdel KEY FIELD...,
//                                 hgetall KEY, hincrby KEY FIELD N)
//   converge-cli --node HOST:PORT zadd KEY SCORE MEMBER  (zincrby KEY N MEMBER, zscore KEY MEMBER,
//                                 zrem KEY MEMBER..., zrange KEY START STOP [--withscores])
//   converge-cli --node HOST:PORT pfadd KEY ELEMENT...   (pfcount KEY)
//   converge-cli --node HOST:PORT writer           # the writer id the node's run writes under
//   converge-cli --node HOST:PORT retire WRITER    # declare a writer id retired (docs/replicas.md)
//
// Lists print one item a line (hgetall: field, value, field, ...; zrange --withscores: member,
// score, ...). Exit status: 0 done, 1 get, hget or zscore found nothing (or ttl found no expiry),
// 2 an error (printed on stderr).
#include <array>
#include <cstdio>

#include "node/client_protocol.hpp"
#include "node/node_config.hpp"
#include <CLI/CLI.hpp>
#include <asio.hpp>

#include <crdt/error.hpp>
#include <sim/duration.hpp>
#include <sim/error.hpp>

namespace {

using namespace converge;

// Reads one response line from socket, as fields.
std::vector<std::string> response(asio::ip::tcp::socket& socket) {
    std::string line;
    const std::size_t n =
        asio::read_until(socket, asio::dynamic_buffer(line, tools::line_bytes_max), '\n');
    return tools::decode_line(std::string_view(line).substr(0, n - 1));
}

// Sends request to the node at address (after auth, with a password) and returns the response's
// fields.
std::vector<std::string> call(const tools::Address& address, const std::string& password,
                              const std::vector<std::string>& request) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    try {
        asio::ip::tcp::resolver resolver(io);
        asio::connect(socket, resolver.resolve(address.host, std::to_string(address.port)));
        if (!password.empty()) {
            asio::write(socket, asio::buffer(tools::encode_line({"auth", password})));
            std::vector<std::string> answer = response(socket);
            if (answer.at(0) != "ok") return answer;
        }
        asio::write(socket, asio::buffer(tools::encode_line(request)));
        return response(socket);
    } catch (const std::system_error& e) {
        throw Error("cannot talk to the node at " + address.host + ":" +
                    std::to_string(address.port) + ": " + e.code().message() +
                    "; is converge-node running there (its [node] client address)?");
    }
}

// What the command line says.
struct Arguments {
    std::string node = "127.0.0.1:8001";
    std::string password;
    std::string key, value, ttl, writer;
    std::vector<std::string> members;
    std::uint64_t n = 1;
    std::array<std::string, 3> words;  // a hash, sorted set or HyperLogLog command's arguments
    bool withscores = false;
};

// The hash, sorted set and HyperLogLog commands: name, help, positional arguments after KEY (the
// last one taking one or more when it ends in "...").
struct RecordCommand {
    const char* name;
    const char* help;
    std::vector<const char*> arguments;
};
const std::vector<RecordCommand> record_commands{
    {"hset", "set a hash field", {"field", "value"}},
    {"hget", "print a hash field", {"field"}},
    {"hdel", "delete hash fields", {"field..."}},
    {"hgetall", "print a hash: field, value, field, ... one a line", {}},
    {"hincrby", "add N to a hash counter field (negative subtracts)", {"field", "n"}},
    {"zadd", "set a member's score in a sorted set", {"score", "member"}},
    {"zincrby", "add N to a member's score (negative subtracts)", {"n", "member"}},
    {"zscore", "print a member's score", {"member"}},
    {"zrem", "remove members from a sorted set", {"member..."}},
    {"zrange", "print members ranked START to STOP (-1: the last)", {"start", "stop"}},
    {"pfadd", "add elements to a HyperLogLog", {"element..."}},
    {"pfcount", "print a HyperLogLog's estimate of distinct elements", {}},
};

const RecordCommand* record_command(const std::string& command) {
    for (const RecordCommand& c : record_commands)
        if (command == c.name) return &c;
    return nullptr;
}

void define_record_commands(CLI::App& app, Arguments& a) {
    for (const RecordCommand& rc : record_commands) {
        auto* c = app.add_subcommand(rc.name, rc.help);
        c->add_option("key", a.key)->required();
        for (std::size_t i = 0; i < rc.arguments.size(); ++i) {
            const std::string name = rc.arguments[i];
            if (name.ends_with("..."))
                c->add_option(name.substr(0, name.size() - 3), a.members)->required();
            else
                c->add_option(name, a.words[i])->required();
        }
        if (std::string(rc.name) == "zrange")
            c->add_flag("--withscores", a.withscores, "print each member's score after it");
    }
}

void define_commands(CLI::App& app, Arguments& a) {
    app.add_option("--node", a.node, "the node's client address, HOST:PORT")->capture_default_str();
    app.add_option("--password", a.password,
                   "the node's client_password (or set CONVERGE_PASSWORD)")
        ->envname("CONVERGE_PASSWORD");
    app.require_subcommand(1);
    auto* put = app.add_subcommand("put", "write a value");
    put->add_option("key", a.key)->required();
    put->add_option("value", a.value)->required();
    put->add_option("--ttl", a.ttl, "expire after this long: 500ms, 30s, 5m, 1h");
    for (const char* name : {"get", "del", "smembers"})
        app.add_subcommand(name, std::string(name) == "get"   ? "print a value"
                                 : std::string(name) == "del" ? "delete a value or a counter"
                                                              : "print a set, one a line")
            ->add_option("key", a.key)
            ->required();
    auto* expire =
        app.add_subcommand("expire", "make a key (any type) expire; prints 1, or 0 if absent");
    expire->add_option("key", a.key)->required();
    expire->add_option("ttl", a.ttl, "after this long: 500ms, 30s, 5m, 1h")->required();
    app.add_subcommand("ttl", "print the milliseconds left before a key expires (exit 1: never)")
        ->add_option("key", a.key)
        ->required();
    app.add_subcommand("persist", "remove a key's expiry; prints 1, or 0 if it had none")
        ->add_option("key", a.key)
        ->required();
    for (const char* name : {"incr", "decr"}) {
        auto* c = app.add_subcommand(
            name, std::string(name) == "incr" ? "add to a counter" : "subtract from a counter");
        c->add_option("key", a.key)->required();
        c->add_option("n", a.n, "how much (default 1)");
    }
    for (const char* name : {"sadd", "srem"}) {
        auto* c = app.add_subcommand(
            name, std::string(name) == "sadd" ? "add members to a set" : "remove members");
        c->add_option("key", a.key)->required();
        c->add_option("members", a.members)->required();
    }
    app.add_subcommand("writer", "print the writer id this run of the node writes under");
    app.add_subcommand("retire",
                       "declare a writer id retired: it never writes again (a lost device, a "
                       "replica that left); every replica drops it once all hold its changes")
        ->add_option("writer", a.writer, "the writer id (converge-cli writer, on that node)")
        ->required();
    define_record_commands(app, a);
}

// The request line for command. Throws Error for a bad ttl.
std::vector<std::string> request_for(const std::string& command, const Arguments& a) {
    if (command == "writer") return {command};
    if (command == "retire") return {command, a.writer};
    std::vector<std::string> request{command, a.key};
    const auto ttl_ms = [&] {
        const sim::Micros micros = sim::parse_duration(a.ttl);
        if (micros < 1000) throw Error("the ttl must be at least 1ms");
        return std::to_string(micros / 1000);
    };
    if (command == "put") {
        request.push_back(a.value);
        if (!a.ttl.empty()) request.push_back(ttl_ms());
    } else if (command == "expire") {
        request.push_back(ttl_ms());
    } else if (command == "incr" || command == "decr") {
        request.push_back(std::to_string(a.n));
    } else if (command == "sadd" || command == "srem") {
        request.insert(request.end(), a.members.begin(), a.members.end());
    } else if (const RecordCommand* rc = record_command(command)) {
        for (std::size_t i = 0; i < rc->arguments.size(); ++i)
            if (!std::string_view(rc->arguments[i]).ends_with("...")) request.push_back(a.words[i]);
        request.insert(request.end(), a.members.begin(), a.members.end());
        if (a.withscores) request.push_back("withscores");
    }
    return request;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"converge-cli: read and write a converge-node's keys"};
    Arguments args;
    define_commands(app, args);
    CLI11_PARSE(app, argc, argv);

    try {
        const tools::Address address = tools::parse_address(args.node, "--node");
        const std::string command = app.get_subcommands().front()->get_name();
        const std::vector<std::string> reply =
            call(address, args.password, request_for(command, args));
        if (reply.at(0) == "none") return 1;
        if (reply.at(0) == "error") {
            std::fprintf(stderr, "converge-cli: %s\n", reply.size() > 1 ? reply[1].c_str() : "");
            return 2;
        }
        if (command == "retire" && reply.size() > 1 && reply[1] == "0")
            std::printf("already retiring or retired\n");
        const bool quiet = command == "put" || command == "del" || command == "sadd" ||
                           command == "srem" || command == "retire" || command == "hset" ||
                           command == "hdel" || command == "zadd" || command == "zrem" ||
                           command == "pfadd";
        if (!quiet)
            for (std::size_t i = 1; i < reply.size(); ++i)
                std::printf("%s\n", reply[i].c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "converge-cli: %s\n", e.what());
        return 2;
    }
}
