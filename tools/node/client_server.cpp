#include "client_server.hpp"

#include <thread>

#include "client_protocol.hpp"
#include "record_commands.hpp"
#include <asio.hpp>

#include <crdt/error.hpp>
#include <store/net/tcp_listener.hpp>

namespace converge::tools {

using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

std::uint64_t number(const std::string& text, const char* what) {
    return parse_field<std::uint64_t>(text, what, "a whole number");
}

// The reply to expire, ttl or persist; nullopt for another command.
std::optional<std::string> answer_expiry(store::Store& store, const std::vector<std::string>& r) {
    const std::string& command = r[0];
    if (command == "expire") {
        check_arity(r, 3, 3, "expire KEY TTL_MS");
        const auto ttl = std::chrono::milliseconds(static_cast<std::int64_t>(number(r[2], "ttl")));
        return ok_line({store.expire(r[1], ttl) ? "1" : "0"});
    }
    if (command == "ttl") {
        check_arity(r, 2, 2, "ttl KEY");
        const auto left = store.time_to_live(r[1]);
        return left ? ok_line({std::to_string(left->count())}) : none_line();
    }
    if (command == "persist") {
        check_arity(r, 2, 2, "persist KEY");
        return ok_line({store.persist(r[1]) ? "1" : "0"});
    }
    return std::nullopt;
}

}  // namespace

std::string ClientServer::answer(store::Store& store, const std::vector<std::string>& r) {
    try {
        const std::string& command = r.at(0);
        if (command == "put") {
            check_arity(r, 3, 4, "put KEY VALUE [TTL_MS]");
            std::optional<std::chrono::milliseconds> ttl;
            if (r.size() == 4)
                ttl = std::chrono::milliseconds(static_cast<std::int64_t>(number(r[3], "ttl")));
            store.put(r[1], r[2], ttl);
            return ok_line();
        }
        if (command == "get") {
            check_arity(r, 2, 2, "get KEY");
            const auto value = store.get(r[1]);
            return value ? ok_line({*value}) : none_line();
        }
        if (command == "del") {
            check_arity(r, 2, 2, "del KEY");
            const bool deleted = store.type(r[1]) == store::KeyInspection::Type::counter
                                     ? store.counter(r[1]).clear()
                                     : store.del(r[1]);
            return ok_line({deleted ? "1" : "0"});
        }
        if (command == "incr" || command == "decr") {
            check_arity(r, 3, 3, "incr|decr KEY N");
            auto counter = store.counter(r[1]);
            const std::uint64_t n = number(r[2], "n");
            return ok_line(
                {std::to_string(command == "incr" ? counter.increment(n) : counter.decrement(n))});
        }
        if (command == "sadd" || command == "srem") {
            check_arity(r, 3, SIZE_MAX, "sadd|srem KEY MEMBER...");
            auto set = store.set(r[1]);
            std::size_t changed = 0;
            for (std::size_t i = 2; i < r.size(); ++i) {
                if (command == "sadd") {
                    changed += !set.contains(r[i]);
                    set.add(r[i]);
                } else {
                    changed += set.remove(r[i]);
                }
            }
            return ok_line({std::to_string(changed)});
        }
        if (command == "smembers") {
            check_arity(r, 2, 2, "smembers KEY");
            return ok_line(store.set(r[1]).elements());
        }
        if (command == "writer") {
            check_arity(r, 1, 1, "writer");
            return ok_line({std::to_string(store.writer().value)});
        }
        if (command == "retire") {
            check_arity(r, 2, 2, "retire WRITER_ID");
            return ok_line({store.retire(ReplicaId{number(r[1], "writer id")}) ? "1" : "0"});
        }
        if (auto reply = answer_expiry(store, r)) return *reply;
        if (auto reply = answer_record(store, r)) return *reply;
        return encode_line({"error", "unknown command \"" + command +
                                         "\"; commands: put get del incr decr sadd srem smembers "
                                         "hset hget hdel hgetall hincrby zadd zincrby zscore zrem "
                                         "zrange pfadd pfcount writer retire"});
    } catch (const Error& e) {
        return encode_line({"error", e.what()});
    }
}

struct ClientServer::Impl {
    Impl(store::Store& s, const Address& address, std::function<std::string()> m,
         std::optional<std::string> p)
        : store(s),
          metrics(std::move(m)),
          password(std::move(p)),
          acceptor(store::detail::listen_on(io, address.host, address.port, "clients")) {}

    awaitable<void> accept_loop() {
        while (auto socket = co_await store::detail::next_connection(acceptor))
            asio::co_spawn(io, serve(std::move(*socket)), asio::detached);
    }

    // The reply to a request on a connection that has not passed auth yet; nullopt once it has.
    std::optional<std::string> gate(const std::vector<std::string>& request, bool& authenticated) {
        if (authenticated) return std::nullopt;
        if (request.empty() || request[0] != "auth")
            return encode_line({"error",
                                "this node needs a password: converge-cli --password "
                                "(the node's client_password)"});
        if (request.size() != 2 || request[1] != *password)
            return encode_line({"error", "wrong password (the node's client_password)"});
        authenticated = true;
        return ok_line();
    }

    awaitable<void> serve(tcp::socket socket) {
        bool authenticated = !password.has_value();
        std::string buffer;
        auto dynamic = asio::dynamic_buffer(buffer, line_bytes_max);
        for (;;) {
            std::error_code ec;
            const std::size_t n = co_await asio::async_read_until(
                socket, dynamic, '\n', asio::redirect_error(use_awaitable, ec));
            if (ec == asio::error::not_found) {  // longer than line_bytes_max
                const std::string reply = encode_line(
                    {"error", "request longer than " + std::to_string(line_bytes_max) + " bytes"});
                co_await asio::async_write(socket, asio::buffer(reply), use_awaitable);
            }
            if (ec) co_return;
            std::string line = buffer.substr(0, n - 1);
            buffer.erase(0, n);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("GET ", 0) == 0) {
                co_await http(socket, line);
                co_return;
            }
            std::string reply;
            try {
                const std::vector<std::string> request = decode_line(line);
                auto refused = gate(request, authenticated);
                reply = refused ? std::move(*refused) : answer(store, request);
            } catch (const Error& e) {
                reply = encode_line({"error", std::string("bad request: ") + e.what()});
            }
            co_await asio::async_write(socket, asio::buffer(reply), use_awaitable);
        }
    }

    awaitable<void> http(tcp::socket& socket, const std::string& request_line) {
        const bool found =
            request_line.rfind("GET /metrics ", 0) == 0 || request_line == "GET /metrics";
        const std::string body = found ? metrics() : "only GET /metrics is served here\n";
        const std::string head = std::string("HTTP/1.0 ") + (found ? "200 OK" : "404 Not Found") +
                                 "\r\nContent-Type: text/plain; version=0.0.4\r\n"
                                 "Content-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
        co_await asio::async_write(socket, asio::buffer(head + body), use_awaitable);
    }

    store::Store& store;
    std::function<std::string()> metrics;
    std::optional<std::string> password;
    asio::io_context io;
    tcp::acceptor acceptor;
    std::thread thread;
};

ClientServer::ClientServer(store::Store& store, const Address& address,
                           std::function<std::string()> metrics,
                           std::optional<std::string> password)
    : impl_(std::make_unique<Impl>(store, address, std::move(metrics), std::move(password))) {}

ClientServer::~ClientServer() {
    stop();
}

void ClientServer::start() {
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

void ClientServer::stop() {
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace converge::tools
