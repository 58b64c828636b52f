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
constexpr std::array<std::uint64_t, leaves_per_range> no_leaves{};
}  // namespace

std::uint64_t DigestTree::placed_leaf_hash(std::uint16_t leaf, std::uint64_t value) noexcept {
    if (value == 0) return 0;
    char bytes[16];
    for (std::size_t b = 0; b < 8; ++b) {
        bytes[b] = static_cast<char>((std::uint64_t{leaf} >> (8 * b)) & 0xFF);
        bytes[8 + b] = static_cast<char>((value >> (8 * b)) & 0xFF);
    }
    return range_hasher.hash(std::string_view(bytes, sizeof bytes));
}

std::span<const std::uint64_t, leaves_per_range> DigestTree::range(std::size_t r) const noexcept {
    return ranges_[r] ? std::span<const std::uint64_t, leaves_per_range>(*ranges_[r])
                      : std::span<const std::uint64_t, leaves_per_range>(no_leaves);
}

}  // namespace converge::store::detail
