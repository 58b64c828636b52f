#include "resp_commands.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace converge::tools {

std::int64_t resp_integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        throw RespCommandError("ERR value is not an integer or out of range");
    return value;
}

double resp_real(std::string_view text) {
    const std::string lower = resp_lower(text);
    double value = 0;
    if (lower == "+inf" || lower == "inf" || lower == "-inf")
        value = lower[0] == '-' ? -INFINITY : INFINITY;
    else {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || end != text.data() + text.size() || text.empty() ||
            std::isnan(value))
            throw RespCommandError("ERR value is not a valid float");
    }
    return value;
}

std::string resp_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

void resp_wrong_type() {
    throw RespCommandError("WRONGTYPE Operation against a key holding the wrong kind of value");
}

void resp_syntax_error() {
    throw RespCommandError("ERR syntax error");
}

RespCommands::RespCommands() {
    add_server_commands(table_);
    add_key_commands(table_);
    add_string_commands(table_);
    add_set_commands(table_);
    add_record_commands(table_);
    std::sort(table_.begin(), table_.end(),
              [](const RespCommand& a, const RespCommand& b) { return a.name < b.name; });
    assert(std::adjacent_find(table_.begin(), table_.end(), [](const auto& a, const auto& b) {
               return a.name == b.name;
           }) == table_.end());
}

const RespCommands& RespCommands::instance() {
    static const RespCommands commands;
    return commands;
}

const RespCommand* RespCommands::find(std::string_view name) const {
    const auto it =
        std::lower_bound(table_.begin(), table_.end(), name,
                         [](const RespCommand& c, std::string_view n) { return c.name < n; });
    return it != table_.end() && it->name == name ? &*it : nullptr;
}

namespace {

// Redis's text for an unknown command: its name and the first arguments, quoted.
std::string unknown_command(const RespArgs& args) {
    std::string message =
        "ERR unknown command '" + args[0].substr(0, 128) + "', with args beginning with: ";
    for (std::size_t i = 1; i < args.size() && message.size() < 256; ++i)
        message += "'" + args[i].substr(0, 64) + "' ";
    return message;
}

bool allowed_before_auth(const RespCommand& command) {
    return command.flags.find("noauth") != std::string_view::npos;
}

}  // namespace

void RespCommands::execute(RespContext& context, RespClient& client, const RespArgs& args,
                           RespWriter& out) const {
    assert(!args.empty());
    ++context.stats.commands_processed;
    const RespCommand* command = find(resp_lower(args[0]));
    if (command == nullptr) return out.error(unknown_command(args));
    if (context.password && !client.authenticated && !allowed_before_auth(*command))
        return out.error("NOAUTH Authentication required.");
    const auto n = static_cast<int>(std::min<std::size_t>(args.size(), INT32_MAX));
    if ((command->arity > 0 && n != command->arity) || (command->arity < 0 && n < -command->arity))
        return out.error("ERR wrong number of arguments for '" + std::string(command->name) +
                         "' command");
    const std::size_t mark = out.mark();
    try {
        command->handler(context, client, args, out);
    } catch (const RespCommandError& e) {
        out.rewind(mark);
        out.error(e.what());
    } catch (const TypeMismatch&) {
        out.rewind(mark);
        out.error("WRONGTYPE Operation against a key holding the wrong kind of value");
    } catch (const Error& e) {
        out.rewind(mark);
        out.error(std::string("ERR ") + e.what());
    }
}

}  // namespace converge::tools
