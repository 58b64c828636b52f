// File: tools/node/client_protocol.hpp
// The protocol between converge-cli and converge-node: one request line, one response line. A line
// is fields separated by tabs; inside a field a backslash, a tab and a newline are written \\, \t
// and \n, so keys, values and members may hold any bytes.
//
//   request:  put <key> <value> [<ttl ms>] | get <key> | del <key> | incr <key> <n> |
//             decr <key> <n> | sadd <key> <member>... | srem <key> <member>... | smembers <key> |
//             the hash, sorted set and HyperLogLog commands of record_commands.hpp
//   response: ok [<value>...] | none | error <message>
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace converge::tools {

// The longest line either side accepts.
inline constexpr std::size_t line_bytes_max = 64 * 1024 * 1024;

// fields as one line, newline included.
std::string encode_line(const std::vector<std::string>& fields);
// The fields of line (without its newline); throws converge::Error on a bad escape.
std::vector<std::string> decode_line(std::string_view line);

}  // namespace converge::tools
