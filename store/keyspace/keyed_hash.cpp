#include <cstring>

#include <store/keyspace/keyed_hash.hpp>

namespace converge::store {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept {
    return (x << b) | (x >> (64 - b));
}

std::uint64_t load_le64(const unsigned char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

struct State {
    std::uint64_t v0, v1, v2, v3;
    void round() noexcept {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void absorb(std::uint64_t m) noexcept {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace

std::uint64_t KeyedHash::hash(std::string_view data) const noexcept {
    State s{key0_ ^ 0x736f6d6570736575ull, key1_ ^ 0x646f72616e646f6dull,
            key0_ ^ 0x6c7967656e657261ull, key1_ ^ 0x7465646279746573ull};
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t full = data.size() & ~std::size_t{7};
    for (std::size_t i = 0; i < full; i += 8)
        s.absorb(load_le64(bytes + i));
    unsigned char tail[8] = {};
    std::memcpy(tail, bytes + full, data.size() - full);
    std::uint64_t last = load_le64(tail);
    last |= static_cast<std::uint64_t>(data.size() & 0xFF) << 56;
    s.absorb(last);
    s.v2 ^= 0xFF;
    for (int i = 0; i < 4; ++i)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace converge::store
