// Fuzz target: what TcpTransport reads from a peer before and after authenticating it
// (store/net/secure_channel.hpp). Input: a mode byte, then
//   mode 0: a hello (decode_hello; one that decodes must encode to the same bytes), and the
//           session keys derived against it, as client and as server;
//   mode 1: a proof checked against a fixed transcript;
//   mode 2: frame bodies (one-byte length prefixed) opened in order, plain or encrypted.
#include "check.hpp"

#include <store/net/peer_keys.hpp>
#include <store/net/secure_channel.hpp>

namespace {

using namespace converge;
using namespace converge::store;
namespace detail = converge::store::detail;

const KeyPair& own_keys() {
    static const KeyPair keys = [] {
        SecretKey secret{};
        secret.fill(0x11);
        return KeyPair::from_secret(secret);
    }();
    return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte() % 3;
    detail::Key key{};
    key.fill(0x5A);
    if (mode == 0) {
        const auto hello = detail::decode_hello(in.rest());
        if (!hello) return 0;
        FUZZ_CHECK(detail::encode(*hello) == in.rest());
        const detail::Hello mine{.id = ReplicaId{9}, .key = own_keys().public_key};
        detail::client_session(own_keys(), mine, *hello);
        detail::server_session(own_keys(), mine, *hello);
    } else if (mode == 1) {
        const std::string transcript = "client hello|server hello";
        FUZZ_CHECK(!detail::proof_valid(key, transcript, in.rest()) ||
                   in.rest() == detail::proof(key, transcript));
    } else {
        const bool encrypted = in.byte() & 1;
        detail::FrameOpener opener(key, encrypted);
        detail::FrameSealer sealer(key, encrypted);
        while (!in.empty()) {
            const std::string_view body = in.field();
            if (const auto frame = opener.open(body)) {
                // Only a body this key sealed, in this order, opens.
                const std::string sealed = sealer.seal(*frame);
                FUZZ_CHECK(std::string_view(sealed).substr(4) == body);
            }
        }
    }
    return 0;
}
