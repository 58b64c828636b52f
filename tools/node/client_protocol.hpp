// File: tools/node/client_protocol.hpp
// The protocol between converge-cli and converge-node: one request line, one response line. A line
// is fields separated by tabs; inside a field a backslash, a tab and a newline are written \\, \t
// and \n, so keys, values and members may hold any bytes.
//
//   request:  put <key> <value> [<ttl ms>] | get <key> | del <key> | expire <key> <ttl ms> |
//             ttl <key> | persist <key> | incr <key> <n> |
//             decr <key> <n> | sadd <key> <member>... | srem <key> <member>... | smembers <key> |
//             the hash, sorted set and HyperLogLog commands of record_commands.hpp
//   response: ok [<value>...] | none | error <message>
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include <crdt/error.hpp>

namespace converge::tools {

// The longest line either side accepts.
inline constexpr std::size_t line_bytes_max = 64 * 1024 * 1024;

// fields as one line, newline included.
std::string encode_line(const std::vector<std::string>& fields);
// The fields of line (without its newline); throws converge::Error on a bad escape.
std::vector<std::string> decode_line(std::string_view line);

// The response "ok" followed by values, as a line.
std::string ok_line(std::vector<std::string> values = {});
// The response "none" (nothing there), as a line.
std::string none_line();
// Throws InvalidOperation ("usage: " + usage) unless request has min to max fields.
void check_arity(const std::vector<std::string>& request, std::size_t min, std::size_t max,
                 const char* usage);
// text as a T (an integer type or double), all of it; throws InvalidOperation naming what and
// saying it is not a kind otherwise.
template <class T>
T parse_field(const std::string& text, const char* what, const char* kind) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw InvalidOperation(std::string(what) + " \"" + text + "\" is not " + kind);
    return value;
}

}  // namespace converge::tools
