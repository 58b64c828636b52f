// File: store/net/tcp_transport.hpp
// TcpTransport: frames between replicas on different processes and machines, over TCP, between
// peers that prove who they are (store/net/secure_channel.hpp has the protocol).
//
//   TcpOptions o{.replica = ReplicaId{1}, .keys = my_keys, .listen_port = 7001,
//                .peers = {{ReplicaId{2}, "10.0.0.2", 7001, their_public_key}}};
//   auto tcp = std::make_shared<TcpTransport>(o);
//   Store store(Options{.replica = ReplicaId{1}, .transport = tcp});
//   tcp->start([&](std::string frame) { store.receive(frame); });
//   store.add_peer(ReplicaId{2});  ...  store.tick() in a loop
//
// Each replica dials each configured peer and sends its frames on that connection; it accepts
// connections from peers and receives on those. A connection starts with a handshake in which
// both ends prove their identity; frames then carry an AEAD tag (and are encrypted with
// TcpOptions::encrypt). What is dropped and counted, never delivered: a connection from an
// unknown replica or key (which learns nothing: it gets no byte back), a frame whose tag fails
// (the connection closes), a frame whose sender is not the authenticated peer, a frame over
// frame_bytes_max (the connection closes). send() never blocks: a frame for a peer whose queue
// is full, or that is not configured, is dropped and counted; the Store resends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <crdt/replica_id.hpp>
#include <store/net/peer_keys.hpp>
#include <store/net/tcp_stats.hpp>
#include <store/replication/transport.hpp>

namespace converge::store {

struct TcpPeer {
    ReplicaId id;
    std::string host;
    std::uint16_t port = 0;
    PublicKey key{};  // the peer's public key: connections must prove they hold its secret
};

struct TcpOptions {
    ReplicaId replica{1};
    KeyPair keys;
    // Where to accept peers' connections; port 0 picks a free port (see TcpTransport::port()).
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 0;
    std::vector<TcpPeer> peers;
    // Encrypt frames as well as authenticate them. Both ends must agree: a connection whose
    // setting differs is refused (and logged).
    bool encrypt = false;
    // Frames larger than this are refused, sent or received.
    std::size_t frame_bytes_max = 32 * 1024 * 1024;
    // Frames queued for one peer beyond this many bytes are dropped (the Store resends them).
    std::size_t queue_bytes_max = 64 * 1024 * 1024;
    // Reconnection waits from the first to the second, doubling after each failure.
    std::uint32_t reconnect_min_ms = 100;
    std::uint32_t reconnect_max_ms = 5'000;
    // A handshake not finished within this is abandoned.
    std::uint32_t handshake_timeout_ms = 5'000;
    // Connections being accepted at once; more wait in the kernel's backlog.
    std::size_t handshakes_max = 64;
    // Where warnings go (an unknown peer, a failed handshake; each kind once); null: spdlog.
    std::function<void(std::string_view)> log = nullptr;
};

class TcpTransport final : public Transport {
  public:
    // Binds the listening socket (throws Error if it cannot). Nothing runs until start().
    explicit TcpTransport(TcpOptions options);
    // Stops (as stop()).
    ~TcpTransport() override;
    TcpTransport(const TcpTransport&) = delete;
    TcpTransport& operator=(const TcpTransport&) = delete;

    // Starts the network thread: accepting, dialling peers, and calling deliver with each frame
    // received (on that thread, one at a time). Call once.
    void start(std::function<void(std::string frame)> deliver);
    // Closes every connection and joins the thread; frames still queued are dropped.
    void stop();

    // Queues frame for peer to and returns at once, from any thread (the network thread sends it).
    // A frame for an unknown peer, over frame_bytes_max, or beyond the peer's queue limit is
    // dropped and counted (frames_dropped, frames_oversized): the Store resends what matters.
    void send(ReplicaId to, std::string frame) override;

    // The port it listens on. Thread-safe.
    std::uint16_t port() const;
    // The counters so far, each read atomically (the set is not one snapshot). Thread-safe.
    TcpStats stats() const;
    // The peers with an authenticated outgoing connection now. Thread-safe.
    std::vector<ReplicaId> connected() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace converge::store
