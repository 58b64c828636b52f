// File: store/replication/digest_tree.hpp
// The digest tree replicas compare to find the keys that differ (a two-level Merkle tree over a
// fixed, public partition of the key space): 65,536 leaves, each the XOR of the hashes of its
// keys' (key, state) pairs; 256 ranges of 256 leaves, each the XOR of a hash of every non-zero
// leaf with its place, kept as leaves change (a change costs two hashes of 16 bytes, not one of
// the range's 2 KiB). Every replica partitions keys the same way, so equal ranges mean equal keys
// and states there.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace converge::store::detail {

inline constexpr std::size_t digest_ranges = 256;
inline constexpr std::size_t leaves_per_range = 256;
inline constexpr std::size_t digest_leaves = digest_ranges * leaves_per_range;

// The public (unkeyed) 64-bit hash of a key; its top 16 bits are the key's leaf.
std::uint64_t digest_key_hash(std::string_view key) noexcept;
inline std::uint16_t leaf_of(std::uint64_t key_hash) noexcept {
    return static_cast<std::uint16_t>(key_hash >> 48);
}
// The hash of one key's state (type tag and canonical encoding); never 0.
std::uint64_t digest_state_hash(std::uint64_t key_hash, std::string_view encoded_state) noexcept;

class DigestTree {
  public:
    // Adds or removes (XOR is its own inverse) one key's state hash.
    void toggle(std::uint16_t leaf, std::uint64_t state_hash) {
        const std::size_t r = leaf / leaves_per_range;
        if (!ranges_[r]) ranges_[r] = std::make_unique<Leaves>();
        std::uint64_t& value = (*ranges_[r])[leaf % leaves_per_range];
        range_hashes_[r] ^=
            placed_leaf_hash(leaf, value) ^ placed_leaf_hash(leaf, value ^ state_hash);
        value ^= state_hash;
    }
    // Range r's leaves (all zero until one of its keys is added).
    std::span<const std::uint64_t, leaves_per_range> range(std::size_t r) const noexcept;
    // The hash of range r's leaves: 0 when they are all zero. Every replica computes the same.
    std::uint64_t range_hash(std::size_t r) const noexcept { return range_hashes_[r]; }

  private:
    using Leaves = std::array<std::uint64_t, leaves_per_range>;

    // A leaf's part of its range's hash: 0 for a zero leaf, else a hash of (leaf, value).
    static std::uint64_t placed_leaf_hash(std::uint16_t leaf, std::uint64_t value) noexcept;

    // A range's leaves are allocated when its first key arrives: a small store holds a few KiB of
    // digest, not 512 KiB.
    std::array<std::unique_ptr<Leaves>, digest_ranges> ranges_;
    std::array<std::uint64_t, digest_ranges> range_hashes_{};
};

}  // namespace converge::store::detail
