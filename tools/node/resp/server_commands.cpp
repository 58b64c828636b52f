// RESP connection and server commands: PING ECHO HELLO AUTH QUIT SELECT CLIENT COMMAND CONFIG
// INFO TIME.
#include <chrono>

#include "glob_match.hpp"
#include "resp_commands.hpp"
#include <malloc.h>

namespace converge::tools {
namespace {

// The version clients see (they gate features on it); converge speaks Redis 7's protocol.
constexpr std::string_view redis_version = "7.0.0";

void ping(RespContext&, RespClient&, const RespArgs& a, RespWriter& out) {
    if (a.size() > 2) throw RespCommandError("ERR wrong number of arguments for 'ping' command");
    a.size() == 2 ? out.bulk(a[1]) : out.simple("PONG");
}

void echo(RespContext&, RespClient&, const RespArgs& a, RespWriter& out) {
    out.bulk(a[1]);
}

// Whether given is the password, in time independent of where they differ.
bool password_matches(const std::string& password, std::string_view given) {
    unsigned char differ = password.size() != given.size();
    for (std::size_t i = 0; i < given.size(); ++i)
        differ |= static_cast<unsigned char>(
            given[i] ^ password[i % std::max<std::size_t>(password.size(), 1)]);
    return differ == 0;
}

void authenticate(RespContext& c, RespClient& client, std::string_view user,
                  std::string_view given) {
    if (!c.password)
        throw RespCommandError(
            "ERR AUTH <password> called without any password configured for "
            "the default user. Are you sure your configuration is correct?");
    if (user != "default" || !password_matches(*c.password, given)) {
        ++c.stats.auth_failures;
        throw RespCommandError("WRONGPASS invalid username-password pair or user is disabled.");
    }
    client.authenticated = true;
}

void auth(RespContext& c, RespClient& client, const RespArgs& a, RespWriter& out) {
    if (a.size() > 3) resp_syntax_error();
    authenticate(c, client, a.size() == 3 ? std::string_view(a[1]) : "default", a.back());
    out.ok();
}

void check_client_name(std::string_view name) {
    for (const char ch : name)
        if (ch < '!' || ch > '~')
            throw RespCommandError(
                "ERR Client names cannot contain spaces, newlines or special characters.");
}

void hello(RespContext& c, RespClient& client, const RespArgs& a, RespWriter& out) {
    int protocol = client.protocol;
    std::size_t i = 1;
    if (a.size() > 1) {
        const std::int64_t asked = resp_integer(a[1]);
        if (asked != 2 && asked != 3)
            throw RespCommandError("NOPROTO unsupported protocol version");
        protocol = static_cast<int>(asked);
        i = 2;
    }
    std::optional<std::string> name;
    for (; i < a.size(); ++i) {
        const std::string option = resp_lower(a[i]);
        if (option == "auth" && i + 2 < a.size()) {
            authenticate(c, client, a[i + 1], a[i + 2]);
            i += 2;
        } else if (option == "setname" && i + 1 < a.size()) {
            check_client_name(a[++i]);
            name = a[i];
        } else {
            throw RespCommandError("ERR Syntax error in HELLO option '" + a[i] + "'");
        }
    }
    if (c.password && !client.authenticated)
        throw RespCommandError(
            "NOAUTH HELLO must be called with the client already "
            "authenticated, otherwise the HELLO <proto> AUTH <user> <pass> "
            "option can be used to authenticate the client and select the "
            "RESP protocol version at the same time");
    if (name) client.name = *name;
    client.protocol = protocol;
    out.set_protocol(protocol);
    out.map(7);
    out.bulk("server"), out.bulk("redis");
    out.bulk("version"), out.bulk(redis_version);
    out.bulk("proto"), out.integer(protocol);
    out.bulk("id"), out.integer(static_cast<std::int64_t>(client.id));
    out.bulk("mode"), out.bulk("standalone");
    out.bulk("role"), out.bulk("master");
    out.bulk("modules"), out.array(0);
}

void quit(RespContext&, RespClient& client, const RespArgs&, RespWriter& out) {
    client.closing = true;
    out.ok();
}

void select(RespContext&, RespClient&, const RespArgs& a, RespWriter& out) {
    if (resp_integer(a[1]) != 0) throw RespCommandError("ERR DB index is out of range");
    out.ok();
}

std::string client_line(const RespClient& client) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now() - client.connected)
                         .count();
    return "id=" + std::to_string(client.id) + " addr=" + client.address + " name=" + client.name +
           " age=" + std::to_string(age) + " db=0 resp=" + std::to_string(client.protocol) + "\n";
}

void client(RespContext&, RespClient& client, const RespArgs& a, RespWriter& out) {
    const std::string sub = resp_lower(a[1]);
    if (sub == "setname" && a.size() == 3) {
        check_client_name(a[2]);
        client.name = a[2];
        return out.ok();
    }
    if (sub == "getname" && a.size() == 2)
        return client.name.empty() ? out.null() : out.bulk(client.name);
    if (sub == "id" && a.size() == 2) return out.integer(static_cast<std::int64_t>(client.id));
    if (sub == "setinfo" && a.size() == 4) return out.ok();
    if ((sub == "info" || sub == "list") && a.size() == 2) return out.bulk(client_line(client));
    throw RespCommandError("ERR unknown subcommand or wrong number of arguments for '" + a[1] +
                           "'. Try CLIENT HELP.");
}

void command_info(const RespCommand& command, RespWriter& out) {
    out.array(10);
    out.bulk(command.name);
    out.integer(command.arity);
    std::vector<std::string_view> flags;
    for (std::size_t from = 0; from < command.flags.size();) {
        const std::size_t to = std::min(command.flags.find(' ', from), command.flags.size());
        flags.push_back(command.flags.substr(from, to - from));
        from = to + 1;
    }
    out.set(flags.size());
    for (const std::string_view flag : flags)
        out.simple(flag);
    out.integer(command.first_key);
    out.integer(command.last_key);
    out.integer(command.step);
    for (int empty = 0; empty < 4; ++empty)  // ACL categories, tips, key specs, subcommands
        out.array(0);
}

void command(RespContext&, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto& all = RespCommands::instance().all();
    const std::string sub = a.size() > 1 ? resp_lower(a[1]) : "";
    if (sub.empty()) {
        out.array(all.size());
        for (const RespCommand& cmd : all)
            command_info(cmd, out);
        return;
    }
    if (sub == "count") return out.integer(static_cast<std::int64_t>(all.size()));
    std::vector<const RespCommand*> chosen;
    for (std::size_t i = 2; i < a.size(); ++i)
        chosen.push_back(RespCommands::instance().find(resp_lower(a[i])));
    if (a.size() == 2)
        for (const RespCommand& cmd : all)
            chosen.push_back(&cmd);
    if (sub == "info") {
        out.array(chosen.size());
        for (const RespCommand* cmd : chosen)
            cmd ? command_info(*cmd, out) : out.null_array();
        return;
    }
    if (sub != "docs")
        throw RespCommandError("ERR unknown subcommand '" + a[1] + "'. Try COMMAND HELP.");
    std::erase(chosen, nullptr);
    out.map(chosen.size());
    for (const RespCommand* cmd : chosen) {
        out.bulk(cmd->name);
        out.map(2);
        out.bulk("summary"), out.bulk(cmd->summary);
        out.bulk("group"), out.bulk("converge");
    }
}

void config(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::string sub = resp_lower(a[1]);
    if (sub == "resetstat" && a.size() == 2) return out.ok();
    if (sub != "get")
        throw RespCommandError("ERR converge: CONFIG " + a[1] +
                               " is not supported; settings live in the node's TOML file "
                               "(docs/node.md)");
    if (a.size() < 3)
        throw RespCommandError("ERR wrong number of arguments for 'config|get' command");
    const std::vector<std::pair<std::string, std::string>> settings{
        {"appendonly", "no"},
        {"databases", "1"},
        {"maxmemory", "0"},
        {"maxmemory-policy", "noeviction"},
        {"port", std::to_string(c.port)},
        {"proto-max-bulk-len", std::to_string(c.bulk_max)},
        {"save", ""},
        {"timeout", "0"}};
    std::vector<const std::pair<std::string, std::string>*> found;
    for (const auto& setting : settings)
        for (std::size_t i = 2; i < a.size(); ++i)
            if (glob_match(resp_lower(a[i]), setting.first)) {
                found.push_back(&setting);
                break;
            }
    out.map(found.size());
    for (const auto* setting : found)
        out.bulk(setting->first), out.bulk(setting->second);
}

void time(RespContext&, RespClient&, const RespArgs&, RespWriter& out) {
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    out.array(2);
    out.bulk(std::to_string(now / 1'000'000));
    out.bulk(std::to_string(now % 1'000'000));
}

}  // namespace

// INFO (info_command.cpp).
void resp_info(RespContext& c, RespClient& client, const RespArgs& a, RespWriter& out);

void add_server_commands(std::vector<RespCommand>& t) {
    t.push_back({"ping", -1, "fast", 0, 0, 0, ping, "PONG, or the message given"});
    t.push_back({"echo", 2, "fast", 0, 0, 0, echo, "the message given"});
    t.push_back({"hello", -1, "noauth fast", 0, 0, 0, hello,
                 "handshake [protover [AUTH user pass] [SETNAME name]]"});
    t.push_back({"auth", -2, "noauth fast", 0, 0, 0, auth, "authenticate [user] password"});
    t.push_back({"quit", -1, "noauth fast", 0, 0, 0, quit, "close the connection"});
    t.push_back({"select", 2, "fast", 0, 0, 0, select, "database 0 (the only one)"});
    t.push_back({"client", -2, "admin", 0, 0, 0, client,
                 "SETNAME GETNAME ID INFO LIST SETINFO of this connection"});
    t.push_back({"command", -1, "", 0, 0, 0, command, "COUNT DOCS INFO of the commands"});
    t.push_back({"config", -2, "admin", 0, 0, 0, config, "GET a setting (read-only)"});
    t.push_back(
        {"info", -1, "", 0, 0, 0, resp_info, "server clients memory stats keyspace crdt sections"});
    t.push_back({"time", 1, "fast", 0, 0, 0, time, "the server's unix time"});
}

}  // namespace converge::tools
