// File: tools/node/record_commands.hpp
// converge-node's commands for hashes, sorted sets and HyperLogLogs (client_protocol.hpp):
//
//   hset KEY FIELD VALUE | hget KEY FIELD | hdel KEY FIELD... | hgetall KEY | hincrby KEY FIELD N
//   zadd KEY SCORE MEMBER | zincrby KEY N MEMBER | zscore KEY MEMBER | zrem KEY MEMBER... |
//   zrange KEY START STOP [withscores]
//   pfadd KEY ELEMENT... | pfcount KEY
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <store/store.hpp>

namespace converge::tools {

// The response line to request when it names one of these commands; nullopt otherwise. Throws
// converge::Error (InvalidOperation for a bad number or arity, TypeMismatch) for the caller to
// answer as an error.
std::optional<std::string> answer_record(store::Store& store,
                                         const std::vector<std::string>& request);

// Scores as Redis prints them: the shortest text that reads back as the same double.
std::string format_score(double score);

}  // namespace converge::tools
