// File: store/net/tcp_listener.hpp
// Listening sockets on Asio, shared by TcpTransport (peers) and converge-node's client port.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <asio.hpp>

#include <crdt/error.hpp>

namespace converge::store::detail {

// An acceptor listening on host:port; throws Error naming who it is for ("peers", "clients")
// and what to do if it cannot.
inline asio::ip::tcp::acceptor listen_on(asio::io_context& io, const std::string& host,
                                         std::uint16_t port, const std::string& for_whom) {
    asio::ip::tcp::acceptor acceptor(io);
    try {
        const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
    } catch (const std::system_error& e) {
        throw Error("cannot listen for " + for_whom + " on " + host + ":" + std::to_string(port) +
                    ": " + e.what() + "; choose another address or port");
    }
    return acceptor;
}

// The next connection acceptor takes; nullopt once it is closed. A failed accept (out of
// descriptors, say) waits 100 ms and tries again, rather than spin or stop accepting.
inline asio::awaitable<std::optional<asio::ip::tcp::socket>> next_connection(
    asio::ip::tcp::acceptor& acceptor) {
    for (;;) {
        std::error_code ec;
        asio::ip::tcp::socket socket =
            co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_return std::move(socket);
        if (ec == asio::error::operation_aborted) co_return std::nullopt;
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::use_awaitable);
    }
}

}  // namespace converge::store::detail
