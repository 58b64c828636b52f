#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <asio.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <crdt/error.hpp>
#include <store/log_once.hpp>
#include <store/net/secure_channel.hpp>
#include <store/net/tcp_listener.hpp>
#include <store/net/tcp_transport.hpp>
#include <store/replication/wire.hpp>

namespace converge::store {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

// Closes socket if the handshake has not finished when the timer fires; cancel() it when it has.
class HandshakeDeadline {
  public:
    HandshakeDeadline(tcp::socket& socket, std::uint32_t ms) : timer_(socket.get_executor()) {
        timer_.expires_after(std::chrono::milliseconds(ms));
        timer_.async_wait([&socket](const std::error_code& ec) {
            if (!ec) {
                std::error_code ignored;
                socket.close(ignored);
            }
        });
    }
    void cancel() { timer_.cancel(); }

  private:
    asio::steady_timer timer_;
};

}  // namespace

struct TcpTransport::Impl {
    // Frames waiting for one peer's connection.
    struct Outgoing {
        Outgoing(asio::io_context& io, TcpPeer p) : peer(std::move(p)), wakeup(io) {
            wakeup.expires_at(asio::steady_timer::time_point::max());
        }
        TcpPeer peer;
        std::mutex mutex;
        std::deque<std::string> queue;
        std::size_t queued_bytes = 0;
        asio::steady_timer wakeup;  // cancelled (on the io thread) when frames are queued
        std::atomic<bool> connected{false};
    };

    explicit Impl(TcpOptions opts)
        : options(std::move(opts)),
          acceptor(detail::listen_on(io, options.listen_host, options.listen_port, "peers")) {
        if (sodium_init() < 0) throw Error("libsodium failed to initialise");
        if (!options.log)
            options.log = [](std::string_view message) {
                spdlog::warn("converge tcp: {}", message);
            };
        for (const TcpPeer& p : options.peers)
            outgoing.emplace(p.id, std::make_unique<Outgoing>(io, p));
    }

    void warn_once(LogOnce& once, const std::string& message) {
        once(options.log, message + " (further cases are only counted)");
    }
    const TcpPeer* trusted(const detail::Hello& hello) const {
        auto it = outgoing.find(hello.id);
        if (it == outgoing.end() || it->second->peer.key != hello.key) return nullptr;
        return &it->second->peer;
    }

    awaitable<void> accept_loop();
    // A peer that passed the handshake: who, and the key its frames are tagged with.
    struct Accepted {
        ReplicaId from;
        detail::Key frames;
    };
    awaitable<void> serve(tcp::socket socket);
    awaitable<std::optional<Accepted>> handshake_in(tcp::socket& socket);
    awaitable<void> receive_frames(tcp::socket& socket, ReplicaId from,
                                   const detail::Key& frames_key);
    awaitable<void> dial(Outgoing& out);
    awaitable<void> pump(tcp::socket& socket, Outgoing& out, detail::FrameSealer& sealer);
    void refuse(const std::string& why) {
        handshakes_refused.fetch_add(1, std::memory_order_relaxed);
        warn_once(refusal_logged, "refused a connection: " + why);
    }

    TcpOptions options;
    // Declared before io, so that it outlives the coroutine frames io destroys.
    std::size_t handshaking = 0;  // io thread only
    asio::io_context io;
    tcp::acceptor acceptor;
    std::map<ReplicaId, std::unique_ptr<Outgoing>> outgoing;
    std::function<void(std::string)> deliver;
    std::thread thread;

    std::atomic<std::uint64_t> connections_out{0}, connections_in{0}, connect_failures{0},
        handshakes_refused{0}, frames_sent{0}, frames_received{0}, frames_bad_tag{0},
        frames_wrong_sender{0}, frames_oversized{0}, frames_dropped{0};
    LogOnce refusal_logged, tag_logged, sender_logged, oversize_logged;
};

awaitable<void> TcpTransport::Impl::accept_loop() {
    while (auto socket = co_await detail::next_connection(acceptor)) {
        if (handshaking >= options.handshakes_max) continue;  // closed as it goes out of scope
        asio::co_spawn(io, serve(std::move(*socket)), asio::detached);
    }
}

awaitable<void> TcpTransport::Impl::serve(tcp::socket socket) {
    ++handshaking;
    struct Release {
        std::size_t& count;
        bool done = false;
        void now() {
            if (!done) --count;
            done = true;
        }
        ~Release() { now(); }
    } release{handshaking};
    HandshakeDeadline deadline(socket, options.handshake_timeout_ms);
    const std::optional<Accepted> accepted = co_await handshake_in(socket);
    if (!accepted) co_return;
    deadline.cancel();
    release.now();
    connections_in.fetch_add(1, std::memory_order_relaxed);
    co_await receive_frames(socket, accepted->from, accepted->frames);
}

// The listening side of the handshake: the client's hello, this replica's hello and proof, the
// client's proof. nullopt (counted and logged) if the client is refused.
awaitable<std::optional<TcpTransport::Impl::Accepted>> TcpTransport::Impl::handshake_in(
    tcp::socket& socket) {
    std::string hello_bytes(detail::hello_bytes, '\0');
    co_await asio::async_read(socket, asio::buffer(hello_bytes), use_awaitable);
    const auto client = detail::decode_hello(hello_bytes);
    if (!client) {
        refuse("a malformed hello (not a converge peer?)");
        co_return std::nullopt;
    }
    const std::string who = "replica " + std::to_string(client->id.value);
    const TcpPeer* peer = trusted(*client);
    if (peer == nullptr) {
        refuse(who + " is not a configured peer with that public key");
        co_return std::nullopt;
    }
    if (client->encrypted != options.encrypt) {
        refuse(who + (options.encrypt
                          ? " sends unencrypted frames; this replica requires encryption"
                          : " sends encrypted frames; this replica has encrypt off"));
        co_return std::nullopt;
    }
    const detail::Hello mine =
        detail::make_hello(options.replica, options.keys.public_key, options.encrypt);
    const auto session = detail::server_session(options.keys, mine, *client);
    if (!session) {
        refuse(who + " sent an unusable public key");
        co_return std::nullopt;
    }
    const std::string reply =
        detail::encode(mine) + detail::proof(session->server_proof, session->transcript);
    co_await asio::async_write(socket, asio::buffer(reply), use_awaitable);
    std::string client_proof(detail::proof_bytes, '\0');
    co_await asio::async_read(socket, asio::buffer(client_proof), use_awaitable);
    if (!detail::proof_valid(session->client_proof, session->transcript, client_proof)) {
        refuse(who + " could not prove it holds its secret key");
        co_return std::nullopt;
    }
    co_return Accepted{peer->id, session->frames};
}

// Reads frames from an authenticated peer until it closes or breaks the rules.
awaitable<void> TcpTransport::Impl::receive_frames(tcp::socket& socket, ReplicaId from,
                                                   const detail::Key& frames_key) {
    detail::FrameOpener opener(frames_key, options.encrypt);
    const std::size_t body_max = options.frame_bytes_max + detail::tag_bytes;
    std::string body;
    for (;;) {
        unsigned char length_bytes[detail::length_bytes];
        co_await asio::async_read(socket, asio::buffer(length_bytes), use_awaitable);
        std::size_t length = 0;
        for (std::size_t i = 0; i < detail::length_bytes; ++i)
            length |= std::size_t{length_bytes[i]} << (8 * i);
        if (length > body_max || length < detail::tag_bytes) {
            frames_oversized.fetch_add(1, std::memory_order_relaxed);
            warn_once(oversize_logged, "replica " + std::to_string(from.value) +
                                           " sent a frame of " + std::to_string(length) +
                                           " bytes; connection closed");
            co_return;
        }
        body.resize(length);
        co_await asio::async_read(socket, asio::buffer(body), use_awaitable);
        auto frame = opener.open(body);
        if (!frame) {
            frames_bad_tag.fetch_add(1, std::memory_order_relaxed);
            warn_once(tag_logged, "a frame from replica " + std::to_string(from.value) +
                                      " failed authentication; connection closed");
            co_return;
        }
        // A frame whose header does not parse goes on: the store rejects and counts it by reason.
        if (const auto sender = wire::sender_of(*frame); sender && *sender != from) {
            frames_wrong_sender.fetch_add(1, std::memory_order_relaxed);
            warn_once(sender_logged, "replica " + std::to_string(from.value) +
                                         " sent a frame claiming to be from replica " +
                                         std::to_string(sender->value) + "; dropped");
            continue;
        }
        frames_received.fetch_add(1, std::memory_order_relaxed);
        deliver(std::move(*frame));
    }
}

awaitable<void> TcpTransport::Impl::dial(Outgoing& out) {
    std::uint32_t backoff_ms = options.reconnect_min_ms;
    tcp::resolver resolver(io);
    for (;;) {
        tcp::socket socket(io);
        bool authenticated = false;
        try {
            const auto endpoints = co_await resolver.async_resolve(
                out.peer.host, std::to_string(out.peer.port), use_awaitable);
            co_await asio::async_connect(socket, endpoints, use_awaitable);
            socket.set_option(tcp::no_delay(true));
            HandshakeDeadline deadline(socket, options.handshake_timeout_ms);
            const detail::Hello mine =
                detail::make_hello(options.replica, options.keys.public_key, options.encrypt);
            const std::string hello = detail::encode(mine);
            co_await asio::async_write(socket, asio::buffer(hello), use_awaitable);
            std::string reply(detail::hello_bytes + detail::proof_bytes, '\0');
            co_await asio::async_read(socket, asio::buffer(reply), use_awaitable);
            const auto server =
                detail::decode_hello(std::string_view(reply).substr(0, detail::hello_bytes));
            if (!server || server->id != out.peer.id || server->key != out.peer.key) {
                refuse("the replica at " + out.peer.host + ":" + std::to_string(out.peer.port) +
                       " is not replica " + std::to_string(out.peer.id.value) +
                       " with the configured public key");
                throw std::runtime_error("wrong peer");
            }
            const auto session = detail::client_session(options.keys, mine, *server);
            if (!session ||
                !detail::proof_valid(session->server_proof, session->transcript,
                                     std::string_view(reply).substr(detail::hello_bytes))) {
                refuse("replica " + std::to_string(out.peer.id.value) +
                       " could not prove it holds its secret key");
                throw std::runtime_error("bad proof");
            }
            const std::string my_proof = detail::proof(session->client_proof, session->transcript);
            co_await asio::async_write(socket, asio::buffer(my_proof), use_awaitable);
            deadline.cancel();
            authenticated = true;
            connections_out.fetch_add(1, std::memory_order_relaxed);
            out.connected = true;
            backoff_ms = options.reconnect_min_ms;
            detail::FrameSealer sealer(session->frames, options.encrypt);
            co_await pump(socket, out, sealer);
        } catch (const std::exception&) {
            if (!authenticated) connect_failures.fetch_add(1, std::memory_order_relaxed);
        }
        out.connected = false;
        asio::steady_timer wait(io);
        // Up to a quarter more, at random, so that peers that failed together do not retry
        // together.
        wait.expires_after(
            std::chrono::milliseconds(backoff_ms + randombytes_uniform(backoff_ms / 4 + 1)));
        co_await wait.async_wait(use_awaitable);
        backoff_ms = std::min(backoff_ms * 2, options.reconnect_max_ms);
    }
}

awaitable<void> TcpTransport::Impl::pump(tcp::socket& socket, Outgoing& out,
                                         detail::FrameSealer& sealer) {
    constexpr std::size_t batch_bytes = 1 << 20;
    std::string batch;
    for (;;) {
        batch.clear();
        std::size_t frames = 0;
        {
            std::lock_guard lock(out.mutex);
            while (!out.queue.empty() && (batch.empty() || batch.size() < batch_bytes)) {
                batch += sealer.seal(out.queue.front());
                out.queued_bytes -= out.queue.front().size();
                out.queue.pop_front();
                ++frames;
            }
        }
        if (frames == 0) {
            std::error_code ec;
            co_await out.wakeup.async_wait(asio::redirect_error(use_awaitable, ec));
            out.wakeup.expires_at(asio::steady_timer::time_point::max());
            continue;
        }
        co_await asio::async_write(socket, asio::buffer(batch), use_awaitable);
        frames_sent.fetch_add(frames, std::memory_order_relaxed);
    }
}

TcpTransport::TcpTransport(TcpOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

TcpTransport::~TcpTransport() {
    stop();
}

void TcpTransport::start(std::function<void(std::string frame)> deliver) {
    Impl& s = *impl_;
    if (s.thread.joinable()) throw InvalidOperation("TcpTransport::start called twice");
    s.deliver = std::move(deliver);
    asio::co_spawn(s.io, s.accept_loop(), asio::detached);
    for (auto& [id, out] : s.outgoing)
        asio::co_spawn(s.io, s.dial(*out), asio::detached);
    s.thread = std::thread([&s] { s.io.run(); });
}

void TcpTransport::stop() {
    Impl& s = *impl_;
    s.io.stop();
    if (s.thread.joinable()) s.thread.join();
    for (auto& [id, out] : s.outgoing)
        out->connected = false;
}

void TcpTransport::send(ReplicaId to, std::string frame) {
    Impl& s = *impl_;
    auto it = s.outgoing.find(to);
    if (it == s.outgoing.end()) {
        s.frames_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (frame.size() > s.options.frame_bytes_max) {
        s.frames_oversized.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Impl::Outgoing& out = *it->second;
    {
        std::lock_guard lock(out.mutex);
        if (out.queued_bytes + frame.size() > s.options.queue_bytes_max) {
            s.frames_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        out.queued_bytes += frame.size();
        out.queue.push_back(std::move(frame));
    }
    asio::post(s.io, [&out] { out.wakeup.cancel(); });
}

std::uint16_t TcpTransport::port() const {
    return impl_->acceptor.local_endpoint().port();
}

TcpStats TcpTransport::stats() const {
    const Impl& s = *impl_;
    auto get = [](const std::atomic<std::uint64_t>& a) {
        return a.load(std::memory_order_relaxed);
    };
    return TcpStats{get(s.connections_out),    get(s.connections_in),      get(s.connect_failures),
                    get(s.handshakes_refused), get(s.frames_sent),         get(s.frames_received),
                    get(s.frames_bad_tag),     get(s.frames_wrong_sender), get(s.frames_oversized),
                    get(s.frames_dropped)};
}

std::vector<ReplicaId> TcpTransport::connected() const {
    std::vector<ReplicaId> out;
    for (const auto& [id, o] : impl_->outgoing)
        if (o->connected) out.push_back(id);
    return out;
}

}  // namespace converge::store
