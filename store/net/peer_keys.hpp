// File: store/net/peer_keys.hpp
// The key pair that identifies a replica to its peers over TCP (libsodium's crypto_kx, X25519),
// and the text form of keys in configuration files: 64 hexadecimal digits.
//
//   KeyPair mine = KeyPair::generate();
//   std::string line = to_hex(mine.public_key);      // give this to the peers
//   PublicKey theirs = public_key_from_hex(line);    // throws InvalidOperation on a bad key
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace converge::store {

using PublicKey = std::array<std::uint8_t, 32>;
using SecretKey = std::array<std::uint8_t, 32>;

struct KeyPair {
    PublicKey public_key{};
    SecretKey secret_key{};

    // A fresh key pair from the operating system's random source.
    static KeyPair generate();
    // The key pair of secret (the public key derived from it).
    static KeyPair from_secret(const SecretKey& secret);
};

// 64 lowercase hexadecimal digits.
std::string to_hex(const std::array<std::uint8_t, 32>& key);
// Parses 64 hexadecimal digits; throws InvalidOperation naming what was wrong otherwise.
PublicKey public_key_from_hex(std::string_view hex);
SecretKey secret_key_from_hex(std::string_view hex);

}  // namespace converge::store
