#include "resp_server.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <thread>

#include "resp_commands.hpp"
#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include <store/net/tcp_listener.hpp>

namespace converge::tools {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

struct RespServer::Impl {
    Impl(store::Store& s, RespServerOptions o)
        : options(std::move(o)),
          context{.store = s,
                  .password = options.password,
                  .port = 0,
                  .config_file = options.config_file,
                  .bulk_max = options.limits.bulk_max,
                  .started = std::chrono::steady_clock::now(),
                  .stats = {},
                  .peer_lines = options.peer_lines},
          acceptor(store::detail::listen_on(io, options.address.host, options.address.port,
                                            "Redis clients")) {
        context.port = acceptor.local_endpoint().port();
    }

    awaitable<void> accept_loop() {
        while (auto socket = co_await store::detail::next_connection(acceptor)) {
            ++context.stats.connections_received;
            if (context.stats.connected_clients >= options.max_clients) {
                ++context.stats.rejected_connections;
                static constexpr std::string_view full = "-ERR max number of clients reached\r\n";
                std::error_code ignored;
                asio::write(*socket, asio::buffer(full), ignored);
                continue;
            }
            asio::co_spawn(io, serve(std::move(*socket)), asio::detached);
        }
    }

    awaitable<void> serve(tcp::socket socket) {
        RespClient client;
        client.id = ++last_client_id;
        client.authenticated = !context.password.has_value();
        std::error_code ec;
        const auto remote = socket.remote_endpoint(ec);
        client.address =
            ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
        socket.set_option(tcp::no_delay(true), ec);  // replies leave at once, batched by us
        ++context.stats.connected_clients;
        co_await converse(socket, client);
        --context.stats.connected_clients;
    }

    // Reads, answers every whole command read, writes the answers, until the client leaves, says
    // QUIT or breaks the protocol.
    awaitable<void> converse(tcp::socket& socket, RespClient& client) {
        RespParser parser(options.limits);
        std::array<char, 16 * 1024> chunk;
        std::string reply;
        RespArgs args;
        for (;;) {
            const auto [read_error, n] = co_await socket.async_read_some(
                asio::buffer(chunk), asio::experimental::as_tuple(use_awaitable));
            if (read_error) co_return;
            bool broken = false;
            RespWriter out(reply, client.protocol);
            std::uint64_t written = 0;
            try {
                written = context.store.apply_batch([&] {
                    try {
                        parser.feed(std::string_view(chunk.data(), n));
                        while (!client.closing && parser.next(args, client.authenticated)) {
                            out.set_protocol(client.protocol);
                            RespCommands::instance().execute(context, client, args, out);
                        }
                    } catch (const RespProtocolError& e) {
                        ++context.stats.protocol_errors;
                        out.error(std::string("ERR ") + e.what());
                        broken = true;
                    }
                });
            } catch (const store::StorageError&) {
                // Applied but perhaps not durable: no reply may say OK. The connection closes and
                // the client counts these commands' outcomes unknown; the node logs the failure
                // on its next flush (converge_storage_failures_total).
                co_return;
            }
            // The replies leave once the commands' changes are durable, in one commit shared
            // with every client whose commands ran in this turn of the loop (commit =
            // "every_write"), as Redis's appendfsync always commits once per turn.
            if (written != 0 && !co_await durable(written)) co_return;
            if (!reply.empty()) {
                const auto [write_error, sent] = co_await asio::async_write(
                    socket, asio::buffer(reply), asio::experimental::as_tuple(use_awaitable));
                if (write_error) co_return;
                reply.clear();
                if (reply.capacity() > 1024 * 1024) reply.shrink_to_fit();
            }
            if (broken || client.closing) co_return;
        }
    }

    // The clients' changes waiting for the next shared commit: the last write number they need,
    // and, once it ran, whether it failed. Clients wait on the timer, which the commit cancels.
    struct CommitRound {
        explicit CommitRound(asio::io_context& io)
            : done(io, asio::steady_timer::time_point::max()) {}
        asio::steady_timer done;
        std::uint64_t written = 0;
        bool failed = false;
    };

    // Returns once write number written is durable (false: the commit failed). The first client
    // of a round posts its commit, which runs after the handlers already ready: the clients whose
    // reads completed in this turn join it.
    awaitable<bool> durable(std::uint64_t written) {
        if (!round) {
            round = std::make_shared<CommitRound>(io);
            asio::post(io, [this, r = round] {
                round.reset();  // clients from here on join the next round
                try {
                    context.store.await_durable(r->written);
                } catch (const store::StorageError&) {
                    r->failed = true;
                }
                r->done.cancel();
            });
        }
        const std::shared_ptr<CommitRound> mine = round;
        mine->written = std::max(mine->written, written);
        co_await mine->done.async_wait(asio::experimental::as_tuple(use_awaitable));
        co_return !mine->failed;
    }

    RespServerOptions options;
    RespContext context;
    asio::io_context io;
    tcp::acceptor acceptor;
    std::uint64_t last_client_id = 0;
    std::shared_ptr<CommitRound> round;  // open for clients to join; null when none
    std::thread thread;
};

RespServer::RespServer(store::Store& store, RespServerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

RespServer::~RespServer() {
    stop();
}

std::uint16_t RespServer::port() const {
    return impl_->context.port;
}

void RespServer::start() {
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

void RespServer::stop() {
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace converge::tools
