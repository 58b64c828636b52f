#include <store/keyspace/keyed_hash.hpp>
#include <store/replication/digest_tree.hpp>

namespace converge::store::detail {
namespace {
// Fixed, public keys: every replica must compute the same digests.
const KeyedHash key_hasher(0x636F6E7665726765, 0x6B65792D68617368);
const KeyedHash range_hasher(0x636F6E7665726765, 0x72616E67652D6831);
}  // namespace

std::uint64_t digest_key_hash(std::string_view key) noexcept {
    return key_hasher.hash(key);
}

std::uint64_t digest_state_hash(std::uint64_t key_hash, std::string_view encoded_state) noexcept {
    // Keyed by the key's hash: two keys with swapped states do not cancel out in a leaf's XOR.
    const std::uint64_t h =
        KeyedHash(0x636F6E7665726765 ^ key_hash, 0x73746174652D6831).hash(encoded_state);
    return h == 0 ? 1 : h;
}

namespace {

std::uint64_t hash_leaves(std::span<const std::uint64_t, leaves_per_range> leaves) noexcept {
    char bytes[leaves_per_range * 8];
    for (std::size_t i = 0; i < leaves_per_range; ++i)
        for (std::size_t b = 0; b < 8; ++b)
            bytes[i * 8 + b] = static_cast<char>((leaves[i] >> (8 * b)) & 0xFF);
    return range_hasher.hash(std::string_view(bytes, sizeof bytes));
}

constexpr std::array<std::uint64_t, leaves_per_range> no_leaves{};

}  // namespace

std::array<std::uint64_t, digest_ranges> DigestTree::empty_range_hashes() noexcept {
    static const std::uint64_t empty = hash_leaves(no_leaves);
    std::array<std::uint64_t, digest_ranges> hashes;
    hashes.fill(empty);
    return hashes;
}

std::span<const std::uint64_t, leaves_per_range> DigestTree::range(std::size_t r) const noexcept {
    return ranges_[r] ? std::span<const std::uint64_t, leaves_per_range>(*ranges_[r])
                      : std::span<const std::uint64_t, leaves_per_range>(no_leaves);
}

std::uint64_t DigestTree::range_hash(std::size_t r) const noexcept {
    if (stale_[r]) {
        range_hashes_[r] = hash_leaves(range(r));
        stale_[r] = false;
    }
    return range_hashes_[r];
}

}  // namespace converge::store::detail
