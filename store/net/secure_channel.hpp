// File: store/net/secure_channel.hpp
// The authenticated channel under TcpTransport, without any I/O (so it can be tested and fuzzed
// on bytes alone). A connection carries frames one way, from the dialling replica (client) to
// the listening one (server):
//
//   client -> server  hello: "CVG1", flags (1: frames encrypted), id (8, LE), public key (32),
//                     nonce (32)
//   server -> client  hello of the server (same layout), then proof (32)
//   client -> server  proof (32)
//   client -> server  frames: length (4, LE) | body, body = frame (or its ciphertext) | tag (16)
//
// Both ends derive per-connection keys from crypto_kx session keys and both nonces; a proof is
// an HMAC of the whole transcript under them, so each end shows it holds the secret key of the
// public key its peer trusts. Frames are AEAD-tagged (ChaCha20-Poly1305) with a counter nonce:
// a replayed, reordered, altered or foreign frame fails its tag.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <crdt/replica_id.hpp>
#include <store/net/peer_keys.hpp>

namespace converge::store::detail {

inline constexpr std::size_t hello_bytes = 4 + 1 + 8 + 32 + 32;
inline constexpr std::size_t proof_bytes = 32;
inline constexpr std::size_t tag_bytes = 16;
inline constexpr std::size_t length_bytes = 4;

struct Hello {
    bool encrypted = false;
    ReplicaId id;
    PublicKey key{};
    std::array<std::uint8_t, 32> nonce{};
};

// A hello with a fresh random nonce.
Hello make_hello(ReplicaId id, const PublicKey& key, bool encrypted);
std::string encode(const Hello& hello);
// nullopt unless bytes is exactly one well-formed hello.
std::optional<Hello> decode_hello(std::string_view bytes);

using Key = std::array<std::uint8_t, 32>;

// The keys of one connection, as seen from one end.
struct Session {
    Key frames{};            // tags the frames (client to server)
    Key client_proof{};      // the client's proof
    Key server_proof{};      // the server's proof
    std::string transcript;  // both hellos, client's first
};

// The session of the client (me dialled) or the server (me listened); nullopt if the peer's
// public key is unusable.
std::optional<Session> client_session(const KeyPair& me, const Hello& mine, const Hello& server);
std::optional<Session> server_session(const KeyPair& me, const Hello& mine, const Hello& client);

std::string proof(const Key& key, const std::string& transcript);
bool proof_valid(const Key& key, const std::string& transcript, std::string_view proof);

// Seals frames in order: counter nonces from 0.
class FrameSealer {
  public:
    FrameSealer(const Key& key, bool encrypted) : key_(key), encrypted_(encrypted) {}
    // length | body for frame.
    std::string seal(std::string_view frame);

  private:
    Key key_;
    bool encrypted_;
    std::uint64_t counter_ = 0;
};

// Opens bodies in the order they were sealed.
class FrameOpener {
  public:
    FrameOpener(const Key& key, bool encrypted) : key_(key), encrypted_(encrypted) {}
    // The frame in body, or nullopt if its tag fails (altered, replayed, reordered, foreign).
    std::optional<std::string> open(std::string_view body);

  private:
    Key key_;
    bool encrypted_;
    std::uint64_t counter_ = 0;
};

}  // namespace converge::store::detail
