// File: store/keyspace/keyed_hash.hpp
// SipHash-2-4 (Aumasson and Bernstein), a keyed hash: without the 128-bit key, nobody can craft
// keys that collide, so a store hashing its keys with a secret key cannot be hash-flooded.
//
//   KeyedHash h(key0, key1);  std::size_t bucket = h("cart");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace converge::store {

class KeyedHash {
  public:
    KeyedHash(std::uint64_t key0, std::uint64_t key1) noexcept : key0_(key0), key1_(key1) {}

    // The 64-bit SipHash-2-4 of data under this key.
    std::uint64_t hash(std::string_view data) const noexcept;

    std::size_t operator()(std::string_view data) const noexcept {
        return static_cast<std::size_t>(hash(data));
    }

  private:
    std::uint64_t key0_;
    std::uint64_t key1_;
};

}  // namespace converge::store
