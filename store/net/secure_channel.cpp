#include <cstring>

#include <sodium.h>

#include <store/net/secure_channel.hpp>

namespace converge::store::detail {
namespace {

constexpr char magic[4] = {'C', 'V', 'G', '1'};

// A per-connection key: BLAKE2b of a crypto_kx session key, a label and the transcript.
Key derive(const std::uint8_t* session_key, const char* label, const std::string& transcript) {
    Key out{};
    crypto_generichash_state state;
    crypto_generichash_init(&state, session_key, crypto_kx_SESSIONKEYBYTES, out.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(label),
                              std::strlen(label));
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(transcript.data()),
                              transcript.size());
    crypto_generichash_final(&state, out.data(), out.size());
    return out;
}

// client_to_server: the key the client sends with; server_to_client: the one the server sends with.
Session make_session(const std::uint8_t* client_to_server, const std::uint8_t* server_to_client,
                     std::string transcript) {
    Session s;
    s.transcript = std::move(transcript);
    s.frames = derive(client_to_server, "frames", s.transcript);
    s.client_proof = derive(client_to_server, "client proof", s.transcript);
    s.server_proof = derive(server_to_client, "server proof", s.transcript);
    return s;
}

std::array<std::uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> nonce_of(
    std::uint64_t counter) {
    std::array<std::uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> n{};
    for (int i = 0; i < 8; ++i)
        n[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (8 * i));
    return n;
}

}  // namespace

Hello make_hello(ReplicaId id, const PublicKey& key, bool encrypted) {
    Hello h{encrypted, id, key, {}};
    randombytes_buf(h.nonce.data(), h.nonce.size());
    return h;
}

std::string encode(const Hello& hello) {
    std::string out(magic, sizeof magic);
    out.push_back(hello.encrypted ? '\1' : '\0');
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>(hello.id.value >> (8 * i)));
    out.append(reinterpret_cast<const char*>(hello.key.data()), hello.key.size());
    out.append(reinterpret_cast<const char*>(hello.nonce.data()), hello.nonce.size());
    return out;
}

std::optional<Hello> decode_hello(std::string_view bytes) {
    if (bytes.size() != hello_bytes || bytes.substr(0, 4) != std::string_view(magic, 4) ||
        static_cast<std::uint8_t>(bytes[4]) > 1)
        return std::nullopt;
    Hello h;
    h.encrypted = bytes[4] == 1;
    for (int i = 0; i < 8; ++i)
        h.id.value |=
            std::uint64_t{static_cast<std::uint8_t>(bytes[5 + static_cast<std::size_t>(i)])}
            << (8 * i);
    std::memcpy(h.key.data(), bytes.data() + 13, 32);
    std::memcpy(h.nonce.data(), bytes.data() + 45, 32);
    return h;
}

namespace {
// The session of one end: kx runs crypto_kx's client or server key derivation.
template <class Kx>
std::optional<Session> session_of(Kx kx, bool client, const KeyPair& me, const Hello& mine,
                                  const Hello& theirs) {
    std::uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
    if (kx(rx, tx, me.public_key.data(), me.secret_key.data(), theirs.key.data()) != 0)
        return std::nullopt;
    // The client sends frames with its tx key, which is the server's rx key.
    auto s = client ? make_session(tx, rx, encode(mine) + encode(theirs))
                    : make_session(rx, tx, encode(theirs) + encode(mine));
    sodium_memzero(rx, sizeof rx);
    sodium_memzero(tx, sizeof tx);
    return s;
}
}  // namespace

std::optional<Session> client_session(const KeyPair& me, const Hello& mine, const Hello& server) {
    return session_of(crypto_kx_client_session_keys, true, me, mine, server);
}

std::optional<Session> server_session(const KeyPair& me, const Hello& mine, const Hello& client) {
    return session_of(crypto_kx_server_session_keys, false, me, mine, client);
}

std::string proof(const Key& key, const std::string& transcript) {
    std::string out(crypto_auth_BYTES, '\0');
    crypto_auth(reinterpret_cast<unsigned char*>(out.data()),
                reinterpret_cast<const unsigned char*>(transcript.data()), transcript.size(),
                key.data());
    return out;
}

bool proof_valid(const Key& key, const std::string& transcript, std::string_view proof) {
    return proof.size() == crypto_auth_BYTES &&
           crypto_auth_verify(reinterpret_cast<const unsigned char*>(proof.data()),
                              reinterpret_cast<const unsigned char*>(transcript.data()),
                              transcript.size(), key.data()) == 0;
}

std::string FrameSealer::seal(std::string_view frame) {
    const std::size_t body = frame.size() + tag_bytes;
    std::string out(length_bytes + body, '\0');
    for (std::size_t i = 0; i < length_bytes; ++i)
        out[i] = static_cast<char>(body >> (8 * i));
    auto* text = reinterpret_cast<unsigned char*>(out.data() + length_bytes);
    auto* tag = text + frame.size();
    const auto* in = reinterpret_cast<const unsigned char*>(frame.data());
    const auto nonce = nonce_of(counter_++);
    if (encrypted_) {
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            text, tag, nullptr, in, frame.size(), nullptr, 0, nullptr, nonce.data(), key_.data());
    } else {
        std::memcpy(text, in, frame.size());
        unsigned char none[1] = {};  // an empty message: the frame is authenticated as extra data
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            none, tag, nullptr, none, 0, in, frame.size(), nullptr, nonce.data(), key_.data());
    }
    return out;
}

std::optional<std::string> FrameOpener::open(std::string_view body) {
    if (body.size() < tag_bytes) return std::nullopt;
    const std::size_t size = body.size() - tag_bytes;
    const auto* text = reinterpret_cast<const unsigned char*>(body.data());
    const auto* tag = text + size;
    const auto nonce = nonce_of(counter_);
    std::string frame(size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(frame.data());
    unsigned char none[1] = {};
    const int rc = encrypted_
                       ? crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                             out, nullptr, text, size, tag, nullptr, 0, nonce.data(), key_.data())
                       : crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                             none, nullptr, none, 0, tag, text, size, nonce.data(), key_.data());
    if (rc != 0) return std::nullopt;
    if (!encrypted_) std::memcpy(out, text, size);
    ++counter_;
    return frame;
}

}  // namespace converge::store::detail
