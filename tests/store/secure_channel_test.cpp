// The handshake and frame protection under TcpTransport, on bytes alone.
#include <gtest/gtest.h>

#include <store/net/secure_channel.hpp>

namespace converge::store::detail {
namespace {

struct Handshake {
    KeyPair client_keys = KeyPair::generate(), server_keys = KeyPair::generate();
    Hello client = make_hello(ReplicaId{1}, client_keys.public_key, false);
    Hello server = make_hello(ReplicaId{2}, server_keys.public_key, false);
    Session c = *client_session(client_keys, client, server);
    Session s = *server_session(server_keys, server, client);
};

TEST(SecureChannel, HellosRoundTripAndMalformedOnesAreRefused) {
    const Hello h = make_hello(ReplicaId{0x0102030405060708}, KeyPair::generate().public_key, true);
    const std::string bytes = encode(h);
    ASSERT_EQ(bytes.size(), hello_bytes);
    const auto back = decode_hello(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->id, h.id);
    EXPECT_EQ(back->key, h.key);
    EXPECT_EQ(back->nonce, h.nonce);
    EXPECT_TRUE(back->encrypted);
    EXPECT_FALSE(decode_hello(bytes.substr(1)));
    EXPECT_FALSE(decode_hello("XVG1" + bytes.substr(4)));
    std::string bad_flag = bytes;
    bad_flag[4] = 2;
    EXPECT_FALSE(decode_hello(bad_flag));
}

TEST(SecureChannel, BothEndsDeriveTheSameKeysAndProofs) {
    Handshake h;
    EXPECT_EQ(h.c.frames, h.s.frames);
    EXPECT_EQ(h.c.transcript, h.s.transcript);
    EXPECT_TRUE(
        proof_valid(h.s.client_proof, h.s.transcript, proof(h.c.client_proof, h.c.transcript)));
    EXPECT_TRUE(
        proof_valid(h.c.server_proof, h.c.transcript, proof(h.s.server_proof, h.s.transcript)));
    // A client's proof is no server proof.
    EXPECT_FALSE(
        proof_valid(h.c.server_proof, h.c.transcript, proof(h.c.client_proof, h.c.transcript)));
}

TEST(SecureChannel, AnImpostorWithoutTheSecretKeyCannotProve) {
    Handshake h;
    // The impostor claims the client's public key but holds another secret.
    const KeyPair impostor{h.client_keys.public_key, KeyPair::generate().secret_key};
    const Session forged = *client_session(impostor, h.client, h.server);
    EXPECT_FALSE(proof_valid(h.s.client_proof, h.s.transcript,
                             proof(forged.client_proof, forged.transcript)));
}

TEST(SecureChannel, NoncesMakeEveryConnectionsKeysDifferent) {
    Handshake a, b;
    b.client_keys = a.client_keys;
    b.server_keys = a.server_keys;
    b.client = make_hello(ReplicaId{1}, a.client_keys.public_key, false);
    b.c = *client_session(b.client_keys, b.client, a.server);
    EXPECT_NE(a.c.frames, b.c.frames);
}

class Frames : public ::testing::TestWithParam<bool> {};

TEST_P(Frames, FramesOpenInOrderAndAlteredReplayedOrReorderedOnesFail) {
    Handshake h;
    const bool encrypted = GetParam();
    FrameSealer sealer(h.c.frames, encrypted);
    const std::string one = sealer.seal("first frame"), two = sealer.seal("second frame");
    auto body = [](const std::string& sealed) { return sealed.substr(length_bytes); };
    EXPECT_EQ(body(one).find("first frame") != std::string::npos, !encrypted);

    FrameOpener reordered(h.s.frames, encrypted);
    EXPECT_FALSE(reordered.open(body(two)));

    FrameOpener opener(h.s.frames, encrypted);
    std::string altered = body(one);
    altered[0] ^= 1;
    EXPECT_FALSE(opener.open(altered));
    EXPECT_EQ(opener.open(body(one)), "first frame");
    EXPECT_FALSE(opener.open(body(one)));  // replayed
    EXPECT_EQ(opener.open(body(two)), "second frame");
    EXPECT_FALSE(opener.open("short"));

    FrameOpener stranger(Handshake().s.frames, encrypted);
    EXPECT_FALSE(stranger.open(body(one)));
}

INSTANTIATE_TEST_SUITE_P(AuthenticatedAndEncrypted, Frames, ::testing::Bool());

}  // namespace
}  // namespace converge::store::detail
