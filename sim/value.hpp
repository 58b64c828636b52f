// File: sim/value.hpp
// FinalValue: what a key shows on one replica, as the simulator reports it.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace converge::sim {

// Null (a value absent), a counter (or a HyperLogLog's count), a set's members (sorted), a value,
// a hash's fields and values (by field) or a sorted set's members and scores (in rank order, the
// scores as converge-cli prints them).
using Pairs = std::vector<std::pair<std::string, std::string>>;
using FinalValue =
    std::variant<std::monostate, std::int64_t, std::vector<std::string>, std::string, Pairs>;

// A score as converge-cli and Redis print it: the shortest text that reads back as the same double.
inline std::string format_score(double score) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, score);
    return std::string(text, ec == std::errc{} ? end : text);
}

// A sorted set's members and scores (in rank order) as it is reported.
inline Pairs scored(const std::vector<std::pair<std::string, double>>& ranked) {
    Pairs out;
    out.reserve(ranked.size());
    for (const auto& [member, score] : ranked)
        out.emplace_back(member, format_score(score));
    return out;
}

}  // namespace converge::sim
