#include "node_config.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include <asio/ip/address.hpp>
#include <toml++/toml.h>

#include <crdt/error.hpp>

namespace converge::tools {
namespace {

class Reader {
  public:
    explicit Reader(std::filesystem::path file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const toml::node* at, const std::string& message) const {
        std::string where = file_.string();
        if (at != nullptr) where += ":" + std::to_string(at->source().begin.line);
        throw Error(where + ": " + message);
    }
    template <class T>
    T required(const toml::table& t, const char* key, const char* table) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) fail(&t, std::string("[") + table + "] needs " + key);
        auto v = n->value_exact<T>();  // value<T>() casts 1e19 to int64_t unchecked
        if (!v) fail(n, std::string(key) + " has the wrong type");
        return *v;
    }
    template <class T>
    T optional(const toml::table& t, const char* key, T fallback) const {
        const toml::node* n = t.get(key);
        if (n == nullptr) return fallback;
        auto v = n->value_exact<T>();  // value<T>() casts 1e19 to int64_t unchecked
        if (!v) fail(n, std::string(key) + " has the wrong type");
        return *v;
    }
    void only(const toml::table& t, std::initializer_list<std::string_view> known,
              const char* table) const {
        for (const auto& [key, node] : t) {
            bool ok = false;
            for (std::string_view k : known)
                ok = ok || key.str() == k;
            if (!ok) {
                std::string list;
                for (std::string_view k : known)
                    list += (list.empty() ? "" : ", ") + std::string(k);
                fail(&node, "unknown key " + std::string(key.str()) + " in [" + table +
                                "]; known keys: " + list);
            }
        }
    }
    std::filesystem::path relative(const std::string& path) const {
        const std::filesystem::path p(path);
        return p.is_absolute() ? p : file_.parent_path() / p;
    }
    ReplicaId id(const toml::table& t, const char* table) const {
        const auto v = required<std::int64_t>(t, "id", table);
        if (v <= 0) fail(t.get("id"), "id must be a positive integer");
        return ReplicaId{static_cast<std::uint64_t>(v)};
    }
    template <class Fn>
    auto wrap(const toml::node* at, Fn&& fn) const {
        try {
            return fn();
        } catch (const Error& e) {
            fail(at, e.what());
        }
    }

  private:
    std::filesystem::path file_;
};

}  // namespace

bool is_loopback(const std::string& host) {
    if (host == "::1") return true;
    std::error_code ec;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

Address parse_address(std::string_view text, const std::string& what) {
    const auto colon = text.rfind(':');
    unsigned port = 0;
    if (colon == std::string_view::npos || colon == 0 ||
        std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec !=
            std::errc{} ||
        port == 0 || port > 65535)
        throw Error(what + " \"" + std::string(text) + "\" is not HOST:PORT (e.g. 127.0.0.1:7001)");
    return Address{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

namespace {

store::SecretKey read_secret_key(const Reader& r, const toml::table& node) {
    if (const auto* inline_key = node.get("secret_key"))
        return r.wrap(inline_key, [&] {
            return store::secret_key_from_hex(r.required<std::string>(node, "secret_key", "node"));
        });
    const auto key_file = r.relative(r.required<std::string>(node, "secret_key_file", "node"));
    std::ifstream key_in(key_file);
    std::string hex;
    if (!(key_in >> hex))
        r.fail(node.get("secret_key_file"), "cannot read the secret key from " + key_file.string() +
                                                "; write one with `converge-node keygen`");
    return r.wrap(node.get("secret_key_file"), [&] { return store::secret_key_from_hex(hex); });
}

// resp, client_password, resp_bulk_max; a port beyond loopback needs a password.
void read_client_access(const Reader& r, const toml::table& node, NodeConfig& c) {
    if (node.get("resp"))
        c.resp = r.wrap(node.get("resp"), [&] {
            return parse_address(r.required<std::string>(node, "resp", "node"), "resp");
        });
    if (node.get("client_password")) {
        c.client_password = r.required<std::string>(node, "client_password", "node");
        if (c.client_password->empty())
            r.fail(node.get("client_password"), "client_password must not be empty");
    }
    const auto bulk = r.optional<std::int64_t>(node, "resp_bulk_max", 512LL * 1024 * 1024);
    if (bulk < 1024) r.fail(node.get("resp_bulk_max"), "resp_bulk_max must be at least 1024");
    c.resp_bulk_max = static_cast<std::uint64_t>(bulk);
    if (c.client_password) return;
    for (const auto& [key, address] :
         {std::pair{"client", std::optional(c.client)}, std::pair{"resp", c.resp}})
        if (address && !is_loopback(address->host))
            r.fail(node.get(key), std::string(key) + " = \"" + address->host + ":" +
                                      std::to_string(address->port) +
                                      "\" reaches beyond this machine, and without "
                                      "client_password anyone who can reach it may read and "
                                      "write every key; set client_password, or bind 127.0.0.1");
}

void read_node(const Reader& r, const toml::table& node, NodeConfig& c) {
    r.only(node,
           {"id", "data", "listen", "client", "secret_key", "secret_key_file", "commit",
            "group_commit_ms", "encrypt", "sync_interval_ms", "resp", "client_password",
            "resp_bulk_max"},
           "node");
    c.id = r.id(node, "node");
    c.data = r.relative(r.required<std::string>(node, "data", "node"));
    c.listen = r.wrap(node.get("listen"), [&] {
        return parse_address(r.required<std::string>(node, "listen", "node"), "listen");
    });
    c.client = r.wrap(node.get("client"), [&] {
        return parse_address(r.required<std::string>(node, "client", "node"), "client");
    });
    c.secret_key = read_secret_key(r, node);
    const auto commit = r.optional<std::string>(node, "commit", "every_write");
    if (commit == "group")
        c.storage.commit = store::SqliteOptions::Commit::group;
    else if (commit != "every_write")
        r.fail(node.get("commit"),
               "commit is \"every_write\" or \"group\", not \"" + commit + "\"");
    c.storage.group_commit_ms =
        static_cast<std::uint32_t>(r.optional<std::int64_t>(node, "group_commit_ms", 10));
    c.encrypt = r.optional<bool>(node, "encrypt", false);
    const auto interval = r.optional<std::int64_t>(node, "sync_interval_ms", 100);
    if (interval <= 0) r.fail(node.get("sync_interval_ms"), "sync_interval_ms must be positive");
    c.sync_interval_ms = static_cast<std::uint64_t>(interval);
    read_client_access(r, node, c);
}

store::TcpPeer read_peer(const Reader& r, const toml::node& item, ReplicaId own_id) {
    const toml::table* t = item.as_table();
    if (t == nullptr) r.fail(&item, "write peers as [[peer]] tables");
    r.only(*t, {"id", "address", "public_key"}, "peer");
    store::TcpPeer p;
    p.id = r.id(*t, "peer");
    if (p.id == own_id) r.fail(t, "a peer has this node's own id");
    const Address a = r.wrap(t->get("address"), [&] {
        return parse_address(r.required<std::string>(*t, "address", "peer"), "address");
    });
    p.host = a.host;
    p.port = a.port;
    p.key = r.wrap(t->get("public_key"), [&] {
        return store::public_key_from_hex(r.required<std::string>(*t, "public_key", "peer"));
    });
    return p;
}

}  // namespace

NodeConfig load_node_config(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error("cannot read config file " + file.string());
    std::stringstream text;
    text << in.rdbuf();
    const Reader r(file);
    toml::table root;
    try {
        root = toml::parse(text.str(), file.string());
    } catch (const toml::parse_error& e) {
        throw Error(file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
    }
    r.only(root, {"node", "peer"}, "top level");
    const toml::table* node = root["node"].as_table();
    if (node == nullptr) r.fail(nullptr, "needs a [node] table");
    NodeConfig c;
    read_node(r, *node, c);
    if (const toml::node* peers = root.get("peer")) {
        const toml::array* list = peers->as_array();
        if (list == nullptr) r.fail(peers, "write peers as [[peer]] tables");
        for (const toml::node& item : *list)
            c.peers.push_back(read_peer(r, item, c.id));
    }
    return c;
}

}  // namespace converge::tools
