// File: store/keyspace/slot.hpp
// Slot: one key of a stripe: its value, its place in the stripe's delta log (LogEntry) and what
// the digest tree and the metadata gauges last saw of it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include <boost/container/string.hpp>

#include <store/keyspace/delta_log.hpp>
#include <store/keyspace/value.hpp>

namespace converge::store::detail {

// The kind of value a slot's metadata bytes are counted under (Metrics::metadata_bytes).
// (In the order of Value's alternatives.)
enum class MetadataKind : std::uint8_t { value, counter, set, hash, sorted_set, hyperloglog };
inline constexpr std::size_t metadata_kinds = Value::alternatives;
inline MetadataKind metadata_kind_of(const Value& v) {
    return static_cast<MetadataKind>(v.index());
}

// The fields are ordered to pack: the first fills LogEntry's tail padding, the last ones share
// eight bytes (a slot is most of a key's memory).
struct Slot : LogEntry {
    Slot(std::string_view k, std::uint32_t indexed, Value v, std::uint64_t digest_key_hash)
        : index_hash(indexed),
          stored_key(k.data(), k.size()),
          value(std::move(v)),
          key_hash(digest_key_hash) {}

    std::string_view key() const noexcept { return {stored_key.data(), stored_key.size()}; }

    std::uint32_t index_hash;  // the stripe index's hash of key (Stripe::index_hash_of)
    // Boost's string keeps up to 22 bytes inline (std::string: 15), so a typical key costs no heap
    // block and no extra cache miss when a lookup compares it.
    boost::container::string stored_key;
    Value value;

    std::uint64_t key_hash;        // the public digest hash of the key
    std::uint64_t state_hash = 0;  // as last added to the digest tree; 0: not added
    std::uint64_t changed = 0;     // its stripe's change number when the state last changed
    std::uint32_t metadata = 0;    // metadata bytes as of state_hash, counted in its stripe
    // Storage (Durability::persist): the bytes of the state last written whole, and of the deltas
    // appended over it since.
    std::uint32_t stored_bytes = 0;
    std::uint32_t appended_bytes = 0;
    bool digest_dirty = false;  // the state changed since state_hash was computed
    MetadataKind metadata_kind = MetadataKind::value;  // the value's type then
};

}  // namespace converge::store::detail
