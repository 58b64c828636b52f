#include <sodium.h>

#include <crdt/error.hpp>
#include <store/net/peer_keys.hpp>

namespace converge::store {
namespace {

void init_sodium() {
    if (sodium_init() < 0) throw Error("libsodium failed to initialise");
}

std::array<std::uint8_t, 32> key_from_hex(std::string_view hex, const char* what) {
    std::array<std::uint8_t, 32> key{};
    std::size_t length = 0;
    const char* end = nullptr;
    if (hex.size() != 64 ||
        sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length, &end) !=
            0 ||
        length != key.size() || end != hex.data() + hex.size())
        throw InvalidOperation(std::string(what) + " \"" + std::string(hex.substr(0, 80)) +
                               "\" is not 64 hexadecimal digits; generate keys with "
                               "`converge-node keygen`");
    return key;
}

}  // namespace

KeyPair KeyPair::generate() {
    init_sodium();
    KeyPair k;
    crypto_kx_keypair(k.public_key.data(), k.secret_key.data());
    return k;
}

KeyPair KeyPair::from_secret(const SecretKey& secret) {
    init_sodium();
    KeyPair k;
    k.secret_key = secret;
    crypto_scalarmult_base(k.public_key.data(), k.secret_key.data());
    return k;
}

std::string to_hex(const std::array<std::uint8_t, 32>& key) {
    char out[65];
    sodium_bin2hex(out, sizeof out, key.data(), key.size());
    return std::string(out, 64);
}

PublicKey public_key_from_hex(std::string_view hex) {
    return key_from_hex(hex, "public key");
}

SecretKey secret_key_from_hex(std::string_view hex) {
    return key_from_hex(hex, "secret key");
}

}  // namespace converge::store
