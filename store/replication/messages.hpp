// File: store/replication/messages.hpp
// The payloads of the replication messages (store/replication/wire.hpp frames them). Decoders read
// untrusted bytes: they check every count against the bytes left and throw DecodeError on anything
// malformed, before the caller applies any of it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <crdt/codec/limits.hpp>
#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/retired_ids.hpp>
#include <store/keyspace/value.hpp>
#include <store/replication/digest_tree.hpp>

namespace converge::store::detail {

struct KeyState {
    std::string key;
    Value value;
    // Whether value is the sender's whole state of the key (false: a delta, tag 4 for a set's,
    // 13 to 15 for a hash's, sorted set's or HyperLogLog's on the wire). A whole state of a
    // replica with this replica's retired table counts every dot of a retired writer as seen
    // (crdt/retired_ids.hpp).
    bool whole = true;
};

// Which writers a replica has retired, in brief: how many, and an order-free hash of them.
// Replicas with equal fingerprints hold (almost surely) the same table.
struct TableFingerprint {
    std::uint64_t count = 0;
    std::uint64_t hash = 0;
    friend bool operator==(const TableFingerprint&, const TableFingerprint&) = default;
};
TableFingerprint fingerprint_of(const RetiredIds& table);
// What a state message (deltas, key_states) begins with: the sender's table fingerprint, and the
// retired writers it adopted from a peer's table without yet holding all their changes (its
// states never count as covering those). On the wire: a varint count * 2 + (whether adopted ids
// follow), then (when the count is not 0) the 8-byte hash, then the adopted ids (RetiredIds).
struct StateHeader {
    TableFingerprint table;
    RetiredIds learned;
};
void encode_state_header(codec::Writer& w, const StateHeader& h);
// The header at the start of payload, and the payload after it.
std::pair<StateHeader, std::string_view> split_state_header(std::string_view payload,
                                                            const DecodeLimits& limits);

// What a replica tells its peers about retirements each round while one is pending (and whenever
// a peer's table differs): the writer id it writes under, its table's fingerprint, for each
// pending retirement what it holds of that writer (a footprint hash) and how far agreement has
// got (its level), and its whole table when the peer's differs.
struct RetirementReport {
    struct Pending {
        ReplicaId id;
        std::uint64_t footprint = 0;
        std::uint32_t level = 0;
        friend bool operator==(const Pending&, const Pending&) = default;
    };
    ReplicaId writer;
    TableFingerprint table;
    RetiredIds learned;            // as in StateHeader
    std::vector<Pending> pending;  // sorted by id
    std::optional<RetiredIds> full_table;
    // With full_table: for each of its ids, the footprint every replica agreed on when it folded
    // (0: not known to the sender), so an adopter can tell whether it holds all that writer's
    // changes.
    std::vector<std::uint64_t> agreed_footprints;
};
std::string encode(const RetirementReport& report);
RetirementReport decode_retirement(std::string_view payload, const DecodeLimits& limits);

// Positions (from, to] of one stripe of the sender's delta log.
struct LogRange {
    std::uint32_t stripe = 0;
    std::uint64_t from = 0;
    std::uint64_t to = 0;
};

// Deltas: a sequence of chunks, each covering one LogRange: the keys changed there, each with its
// joined delta or state.
struct DeltaChunk {
    LogRange range;
    std::vector<KeyState> keys;
};

struct Ack {
    std::uint64_t incarnation = 0;  // changes when the acknowledging replica restarts
    std::vector<LogRange> ranges;
};

// Repair step 1: the hashes of the repairing replica's ranges from cursor on.
struct DigestTop {
    std::uint64_t repair_id = 0;
    std::uint32_t cursor = 0;
    std::vector<std::uint64_t> range_hashes;  // ranges cursor, cursor + 1, ...
};

// Repair step 2: the leaf hashes of the ranges that differ, as many as fit in one message;
// next_cursor is the first range not yet compared (digest_ranges when all were).
struct DigestLeaves {
    struct Range {
        std::uint32_t index = 0;
        std::array<std::uint64_t, leaves_per_range> leaves{};
    };
    std::uint64_t repair_id = 0;
    std::uint32_t next_cursor = 0;
    std::vector<Range> ranges;
};

// Repair step 3: full states of keys in differing leaves; each message is acknowledged.
struct KeyStates {
    std::uint64_t repair_id = 0;
    std::uint32_t chunk = 0;
    std::vector<KeyState> keys;
};
struct RepairAck {
    std::uint64_t repair_id = 0;
    std::uint32_t chunk = 0;
};

void write_fixed64(codec::Writer& w, std::uint64_t v);
void encode_range(codec::Writer& w, const LogRange& range);
LogRange decode_range(codec::Reader& r);
std::uint64_t read_fixed64(codec::Reader& r, const char* what);

// One key and its value (any alternative of Value), as in deltas and key states.
template <class T>
void encode_key_state(codec::Writer& w, std::string_view key, const T& value) {
    w.string(key);
    encode_value(w, value);
}
// One key and a delta of its value (a set's, hash's, sorted set's or HyperLogLog's: tag 4, or the
// type's tag + 8; not the sender's whole state of it).
void encode_key_delta(codec::Writer& w, std::string_view key, const Value& delta);
// Appends one delta chunk whose keys (count of them) were encoded with encode_key_state.
void encode_delta_chunk(codec::Writer& w, const LogRange& range, std::size_t count,
                        std::string_view keys);

// The largest dot counter or counter total (increments or decrements) a peer may send: beyond any
// real history (2^62 writes), and far enough below 2^64 that no merge or later write overflows.
inline constexpr std::uint64_t counter_limit = std::uint64_t{1} << 62;
// What in v passes counter_limit (a dot counter, a counter's total), or null if nothing does.
const char* out_of_range(const Value& v);

std::vector<DeltaChunk> decode_deltas(std::string_view payload, const DecodeLimits& limits);
std::string encode(const Ack& ack);
Ack decode_ack(std::string_view payload, const DecodeLimits& limits);
std::string encode(const DigestTop& top);
DigestTop decode_digest_top(std::string_view payload, const DecodeLimits& limits);
// Appends one range to a digest_leaves payload begun with begin_digest_leaves.
void begin_digest_leaves(codec::Writer& w, std::uint64_t repair_id, std::uint32_t next_cursor);
void encode_leaf_range(codec::Writer& w, std::uint32_t index,
                       std::span<const std::uint64_t, leaves_per_range> leaves);
DigestLeaves decode_digest_leaves(std::string_view payload, const DecodeLimits& limits);
void begin_key_states(codec::Writer& w, std::uint64_t repair_id, std::uint32_t chunk);
KeyStates decode_key_states(std::string_view payload, const DecodeLimits& limits);
std::string encode(const RepairAck& ack);
RepairAck decode_repair_ack(std::string_view payload, const DecodeLimits& limits);

}  // namespace converge::store::detail
