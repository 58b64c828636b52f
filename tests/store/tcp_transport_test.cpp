// Replicas over TcpTransport on 127.0.0.1: replication, encryption, and the connections and frames
// it must refuse.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <store/net/secure_channel.hpp>
#include <store/net/tcp_transport.hpp>
#include <store/replication/wire.hpp>
#include <store/store.hpp>

namespace converge::store {
namespace {

using namespace std::chrono_literals;

// A port nobody listens on now (bound, read, released).
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return done();
}

// One replica: a Store over a TcpTransport, synced by its own thread every 20 ms.
struct Node {
    Node(ReplicaId id, KeyPair keys, std::uint16_t port, std::vector<TcpPeer> peers,
         bool encrypt = false)
        : tcp(std::make_shared<TcpTransport>(TcpOptions{.replica = id,
                                                        .keys = keys,
                                                        .listen_port = port,
                                                        .peers = peers,
                                                        .encrypt = encrypt,
                                                        .reconnect_min_ms = 20,
                                                        .reconnect_max_ms = 200,
                                                        .log = [](std::string_view) {}})),
          store(Options{.replica = id, .transport = tcp, .log = [](std::string_view) {}}) {
        tcp->start([this](std::string frame) { store.receive(frame); });
        for (const TcpPeer& p : peers)
            store.add_peer(p.id);
        syncing = std::thread([this] {
            while (!stop) {
                store.sync();
                std::this_thread::sleep_for(20ms);
            }
        });
    }
    ~Node() {
        stop = true;
        syncing.join();
        tcp->stop();
    }
    std::shared_ptr<TcpTransport> tcp;
    Store store;
    std::atomic<bool> stop{false};
    std::thread syncing;
};

struct Pair {
    explicit Pair(bool encrypt = false) {
        a = std::make_unique<Node>(
            ReplicaId{1}, keys_a, port_a,
            std::vector<TcpPeer>{{ReplicaId{2}, "127.0.0.1", port_b, keys_b.public_key}}, encrypt);
        b = std::make_unique<Node>(
            ReplicaId{2}, keys_b, port_b,
            std::vector<TcpPeer>{{ReplicaId{1}, "127.0.0.1", port_a, keys_a.public_key}}, encrypt);
    }
    KeyPair keys_a = KeyPair::generate(), keys_b = KeyPair::generate();
    std::uint16_t port_a = free_port(), port_b = free_port();
    std::unique_ptr<Node> a, b;
};

TEST(TcpTransport, ReplicasOnTwoTransportsConverge) {
    Pair p;
    p.a->store.put("from-a", "1");
    p.b->store.set("cart").add("pear");
    p.b->store.counter("n").increment(2);
    p.a->store.counter("n").increment(3);
    ASSERT_TRUE(eventually([&] {
        return p.a->store.state_hash() == p.b->store.state_hash() &&
               p.b->store.get("from-a") == "1" && p.a->store.counter("n").value() == 5;
    }));
    EXPECT_EQ(p.a->store.set("cart").elements(), std::vector<std::string>{"pear"});
    EXPECT_GE(p.a->tcp->stats().connections_out, 1u);
    EXPECT_GE(p.a->tcp->stats().connections_in, 1u);
    EXPECT_EQ(p.a->tcp->stats().handshakes_refused, 0u);
}

TEST(TcpTransport, EncryptedFramesReplicateToo) {
    Pair p(/*encrypt=*/true);
    p.a->store.put("secret", "value");
    ASSERT_TRUE(eventually([&] { return p.b->store.get("secret") == "value"; }));
}

TEST(TcpTransport, AReplicaReconnectsToAPeerThatRestarted) {
    Pair p;
    p.a->store.put("k", "1");
    ASSERT_TRUE(eventually([&] { return p.b->store.get("k") == "1"; }));
    p.b.reset();
    p.a->store.put("k", "2");  // sent into a dead connection, or queued
    p.b = std::make_unique<Node>(
        ReplicaId{2}, p.keys_b, p.port_b,
        std::vector<TcpPeer>{{ReplicaId{1}, "127.0.0.1", p.port_a, p.keys_a.public_key}});
    EXPECT_TRUE(eventually([&] { return p.b->store.get("k") == "2"; }));
}

TEST(TcpTransport, SendingToADeadPeerNeverBlocksAndDropsBeyondTheQueue) {
    const std::uint16_t nobody = free_port();
    TcpTransport tcp(TcpOptions{.replica = ReplicaId{1},
                                .keys = KeyPair::generate(),
                                .peers = {{ReplicaId{2}, "127.0.0.1", nobody, {}}},
                                .queue_bytes_max = 1000,
                                .log = [](std::string_view) {}});
    tcp.start([](std::string) {});
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i)
        tcp.send(ReplicaId{2}, std::string(100, 'x'));
    tcp.send(ReplicaId{9}, "to nobody configured");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_EQ(tcp.stats().frames_dropped, 91u);
    EXPECT_TRUE(tcp.connected().empty());
}

// Connects to port as a raw client, sends bytes, and returns what comes back before the server
// closes (or 2 s pass).
std::string raw_exchange(std::uint16_t port, const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return "<connect failed>";
    }
    (void)!::write(fd, bytes.data(), bytes.size());
    std::string got;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0) break;
        char buf[256];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return got;
}

TEST(TcpTransport, AnUnknownReplicaOrKeyGetsNoByteAndChangesNothing) {
    Pair p;
    const std::uint64_t before = p.a->store.state_hash();
    const KeyPair stranger = KeyPair::generate();
    // An unknown id; a known id with another key; and garbage.
    EXPECT_EQ(raw_exchange(p.port_a, detail::encode(detail::make_hello(
                                         ReplicaId{7}, stranger.public_key, false))),
              "");
    EXPECT_EQ(raw_exchange(p.port_a, detail::encode(detail::make_hello(
                                         ReplicaId{2}, stranger.public_key, false))),
              "");
    EXPECT_EQ(raw_exchange(p.port_a, std::string(detail::hello_bytes, 'G')), "");
    EXPECT_TRUE(eventually([&] { return p.a->tcp->stats().handshakes_refused == 3; }));
    EXPECT_EQ(p.a->store.state_hash(), before);
}

TEST(TcpTransport, AFrameClaimingAnotherSenderIsDroppedAndCounted) {
    Pair p;
    ASSERT_TRUE(eventually([&] { return !p.b->tcp->connected().empty(); }));
    // Replica 2, authenticated, forwards a frame that says it comes from replica 3.
    p.b->tcp->send(ReplicaId{1}, wire::seal(ReplicaId{3}, wire::MessageType::ack, ""));
    EXPECT_TRUE(eventually([&] { return p.a->tcp->stats().frames_wrong_sender == 1; }));
    p.b->store.put("still", "works");
    EXPECT_TRUE(eventually([&] { return p.a->store.get("still") == "works"; }));
}

TEST(TcpTransport, MismatchedEncryptionSettingsAreRefused) {
    const KeyPair ka = KeyPair::generate(), kb = KeyPair::generate();
    const std::uint16_t pa = free_port(), pb = free_port();
    Node a(ReplicaId{1}, ka, pa, {{ReplicaId{2}, "127.0.0.1", pb, kb.public_key}}, true);
    Node b(ReplicaId{2}, kb, pb, {{ReplicaId{1}, "127.0.0.1", pa, ka.public_key}}, false);
    b.store.put("k", "v");
    EXPECT_TRUE(eventually([&] { return a.tcp->stats().handshakes_refused >= 1; }));
    EXPECT_EQ(a.store.get("k"), std::nullopt);
}

}  // namespace
}  // namespace converge::store
