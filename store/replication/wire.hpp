// File: store/replication/wire.hpp
// The frame every replication message travels in:
//
//   magic (1 byte 0xC7) | version (1) | type (1) | sender (varint) | payload length (varint)
//   | payload | CRC-32C of everything before it (4 bytes, little-endian)
//
// open() checks a frame completely before anyone reads its payload; a frame that fails any check
// is rejected with a reason, and nothing of it is used.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <crdt/replica_id.hpp>

namespace converge::store::wire {

inline constexpr std::uint8_t magic = 0xC7;
// Version 7: a counter carries reset baselines and a deadline (DEL and EXPIRE on a counter; tags
// 13 and 21). Version 6: a set carries its deadline (EXPIRE on a set; tags 12 and 20). Version 5:
// a counter travels as its changed slots (tag 11). Version 4: hashes, sorted sets and
// HyperLogLogs carry their deadline (EXPIRE on a whole key).
inline constexpr std::uint8_t version = 7;
// Bytes a frame adds around its payload when the sender id and the length fit in one byte each.
inline constexpr std::size_t overhead_min = 9;

enum class MessageType : std::uint8_t {
    deltas = 1,         // changes from the sender's delta log; answered by an ack
    ack = 2,            // which delta ranges the sender has applied
    digest_top = 3,     // repair: hashes of the sender's top key ranges
    digest_leaves = 4,  // repair: leaf hashes of the ranges that differ
    key_states = 5,     // repair: full states of the keys in differing leaves
    repair_ack = 6,     // repair: one key_states message applied
    retirement = 7,     // the sender's writer id, retired table and pending retirements
};
inline constexpr std::uint8_t message_type_max = 7;

enum class RejectReason : std::uint8_t {
    bad_magic,
    unknown_version,
    unknown_type,
    truncated,
    oversized,
    bad_checksum,
    malformed,           // a well-formed frame whose payload does not decode
    own_id,              // the frame claims to come from the replica receiving it
    out_of_range,        // it carries dot counters or counter totals past detail::counter_limit
    retired_writer,      // its sender writes under an id this replica has retired
    retirements_differ,  // its sender folded writers this replica has not (yet): sent again later
};
inline constexpr std::size_t reject_reason_count = 11;

// A short snake_case name of reason, for metrics labels and logs.
const char* to_string(RejectReason reason) noexcept;

// A frame that passed every check. payload views the bytes given to open().
struct Frame {
    ReplicaId sender;
    MessageType type;
    std::string_view payload;
};

struct Rejection {
    RejectReason reason;
    std::string detail;  // what exactly was wrong, for the log
};

// The CRC-32C (Castagnoli) of data: with SSE4.2's CRC32 instruction where the CPU has it.
std::uint32_t crc32c(std::string_view data) noexcept;
// The same, table-driven (Boost.CRC): the fallback, and the reference the tests compare with.
std::uint32_t crc32c_without_hardware(std::string_view data) noexcept;

// Wraps payload in a frame from sender.
std::string seal(ReplicaId sender, MessageType type, std::string_view payload);

// The sender bytes' header names, read without checking the rest (open() does that): for a
// transport that must match it to the peer it authenticated. nullopt if the header does not parse.
std::optional<ReplicaId> sender_of(std::string_view bytes);

// Checks bytes as one whole frame of at most frame_bytes_max; returns it or why it was rejected.
std::variant<Frame, Rejection> open(std::string_view bytes, std::size_t frame_bytes_max);

}  // namespace converge::store::wire
