#include <store/detail/digest.hpp>
#include <store/keyed_hash.hpp>

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

std::uint64_t DigestTree::range_hash(std::size_t r) const noexcept {
    if (stale_[r]) {
        range_hashes_[r] = compute_range_hash(r);
        stale_[r] = false;
    }
    return range_hashes_[r];
}

std::uint64_t DigestTree::compute_range_hash(std::size_t r) const noexcept {
    const auto leaves = range(r);
    char bytes[leaves_per_range * 8];
    for (std::size_t i = 0; i < leaves_per_range; ++i)
        for (std::size_t b = 0; b < 8; ++b)
            bytes[i * 8 + b] = static_cast<char>((leaves[i] >> (8 * b)) & 0xFF);
    return range_hasher.hash(std::string_view(bytes, sizeof bytes));
}

}  // namespace converge::store::detail
