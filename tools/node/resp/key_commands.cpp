// RESP commands on whole keys: DEL UNLINK EXISTS TYPE KEYS SCAN DBSIZE FLUSHALL FLUSHDB EXPIRE
// PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST RENAME (refused: it cannot be made safe).
#include <algorithm>
#include <chrono>
#include <limits>

#include "glob_match.hpp"
#include "resp_command.hpp"

namespace converge::tools {
namespace {

using Type = store::KeyInspection::Type;
using std::chrono::milliseconds;

const char* redis_type(Type type) {
    switch (type) {
        case Type::value:
        case Type::counter:
        case Type::hyperloglog:
            return "string";  // Redis calls a HyperLogLog a string too
        case Type::set:
            return "set";
        case Type::hash:
            return "hash";
        case Type::sorted_set:
            return "zset";
    }
    return "none";
}

void del(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    std::int64_t deleted = 0;
    for (std::size_t i = 1; i < a.size(); ++i)
        deleted += resp_delete_key(c.store, a[i]);
    out.integer(deleted);
}

void exists(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    std::int64_t n = 0;
    for (std::size_t i = 1; i < a.size(); ++i)
        n += c.store.type(a[i]).has_value();
    out.integer(n);
}

void type(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto t = c.store.type(a[1]);
    out.simple(t ? redis_type(*t) : "none");
}

void keys(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    std::vector<std::string> matched;
    for (std::string& key : c.store.keys())
        if (glob_match(a[1], key)) matched.push_back(std::move(key));
    out.array(matched.size());
    for (const std::string& key : matched)
        out.bulk(key);
}

void scan(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::int64_t cursor = resp_integer(a[1]);
    if (cursor < 0) throw RespCommandError("ERR invalid cursor");
    std::string pattern = "*", wanted_type;
    std::int64_t count = 10;
    for (std::size_t i = 2; i < a.size(); i += 2) {
        const std::string option = resp_lower(a[i]);
        if (i + 1 >= a.size()) resp_syntax_error();
        if (option == "match")
            pattern = a[i + 1];
        else if (option == "count")
            count = resp_integer(a[i + 1]);
        else if (option == "type")
            wanted_type = resp_lower(a[i + 1]);
        else
            resp_syntax_error();
    }
    if (count < 1) resp_syntax_error();
    // COUNT is the keys looked at, as in Redis: a step may return fewer, or none, and go on.
    store::Store::ScanPage page =
        c.store.scan(static_cast<std::uint64_t>(cursor), static_cast<std::size_t>(count));
    std::vector<std::string> found;
    for (std::string& key : page.keys) {
        if (!glob_match(pattern, key)) continue;
        if (!wanted_type.empty()) {
            const auto t = c.store.type(key);
            if (!t || wanted_type != redis_type(*t)) continue;
        }
        found.push_back(std::move(key));
    }
    out.array(2);
    out.bulk(std::to_string(page.cursor));
    out.array(found.size());
    for (const std::string& key : found)
        out.bulk(key);
}

void dbsize(RespContext& c, RespClient&, const RespArgs&, RespWriter& out) {
    out.integer(static_cast<std::int64_t>(c.store.key_count().keys));
}

void flushall(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    if (a.size() > 2 ||
        (a.size() == 2 && resp_lower(a[1]) != "sync" && resp_lower(a[1]) != "async"))
        resp_syntax_error();
    for (const std::string& key : c.store.keys())
        resp_delete_key(c.store, key);
    out.ok();
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX, XX, GT or LT.
void expire(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::string name = resp_lower(a[0]);
    const std::int64_t n = resp_integer(a[2]);
    const bool seconds = name == "expire" || name == "expireat";
    if (seconds && (n > std::numeric_limits<std::int64_t>::max() / 1000 ||
                    n < std::numeric_limits<std::int64_t>::min() / 1000))
        throw RespCommandError("ERR invalid expire time in '" + name + "' command");
    const std::int64_t ms = seconds ? n * 1000 : n;
    const std::int64_t ttl = name.ends_with("at") ? ms - unix_ms_now() : ms;
    std::string condition = a.size() > 3 ? resp_lower(a[3]) : "";
    if (a.size() > 4 || (!condition.empty() && condition != "nx" && condition != "xx" &&
                         condition != "gt" && condition != "lt"))
        throw RespCommandError("ERR Unsupported option " + a[3]);
    const auto type = c.store.type(a[1]);
    if (!type) return out.integer(0);
    const auto left = c.store.time_to_live(a[1]);
    const bool applies = condition.empty() || (condition == "nx" && !left) ||
                         (condition == "xx" && left) ||
                         (condition == "gt" && left && ttl > left->count()) ||
                         (condition == "lt" && (!left || ttl < left->count()));
    if (!applies) return out.integer(0);
    if (ttl <= 0)
        resp_delete_key(c.store, a[1]);
    else if (!c.store.expire(a[1], milliseconds(ttl)))
        return out.integer(0);
    out.integer(1);
}

void ttl(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto type = c.store.type(a[1]);
    if (!type) return out.integer(-2);
    const auto left = c.store.time_to_live(a[1]);
    if (!left) return out.integer(-1);
    out.integer(resp_lower(a[0]) == "pttl" ? left->count() : (left->count() + 500) / 1000);
}

void persist(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(c.store.persist(a[1]) ? 1 : 0);
}

void rename(RespContext&, RespClient&, const RespArgs& a, RespWriter&) {
    throw RespCommandError(
        "ERR converge does not " + resp_lower(a[0]) +
        ": a rename is a delete and a write that other replicas could see apart, losing writes "
        "made meanwhile; copy the key and DEL the old one (docs/redis.md)");
}

}  // namespace

bool resp_delete_key(store::Store& store, const std::string& key) {
    const auto type = store.type(key);
    if (!type) return false;
    switch (*type) {
        case Type::value:
            return store.del(key);
        case Type::counter:
            return store.counter(key).clear();
        case Type::set:
            return store.set(key).clear();
        case Type::hash:
            return store.hash(key).clear();
        case Type::sorted_set:
            return store.sorted_set(key).clear();
        case Type::hyperloglog:
            return store.hyperloglog(key).clear();
    }
    return false;
}

void add_key_commands(std::vector<RespCommand>& t) {
    t.push_back({"del", -2, "write", 1, -1, 1, del, "delete keys (observed-remove)"});
    t.push_back({"unlink", -2, "write fast", 1, -1, 1, del, "delete keys (as DEL)"});
    t.push_back({"exists", -2, "readonly fast", 1, -1, 1, exists, "how many of the keys exist"});
    t.push_back({"type", 2, "readonly fast", 1, 1, 1, type, "the type of a key"});
    t.push_back({"keys", 2, "readonly", 0, 0, 0, keys, "the keys matching a glob pattern"});
    t.push_back({"scan", -2, "readonly", 0, 0, 0, scan, "iterate keys [MATCH] [COUNT] [TYPE]"});
    t.push_back({"dbsize", 1, "readonly fast", 0, 0, 0, dbsize, "the number of keys"});
    t.push_back({"flushall", -1, "write", 0, 0, 0, flushall, "delete every key seen here"});
    t.push_back({"flushdb", -1, "write", 0, 0, 0, flushall, "delete every key seen here"});
    t.push_back({"expire", -3, "write fast", 1, 1, 1, expire, "expire a key in seconds"});
    t.push_back({"pexpire", -3, "write fast", 1, 1, 1, expire, "expire a key in ms"});
    t.push_back({"expireat", -3, "write fast", 1, 1, 1, expire, "expire a key at a unix time"});
    t.push_back({"pexpireat", -3, "write fast", 1, 1, 1, expire, "expire a key at a unix ms"});
    t.push_back({"ttl", 2, "readonly fast", 1, 1, 1, ttl, "seconds left before expiry"});
    t.push_back({"pttl", 2, "readonly fast", 1, 1, 1, ttl, "milliseconds left before expiry"});
    t.push_back({"persist", 2, "write fast", 1, 1, 1, persist, "remove a key's expiry"});
    t.push_back({"rename", 3, "write", 1, 2, 1, rename, "refused (docs/redis.md)"});
    t.push_back({"renamenx", 3, "write", 1, 2, 1, rename, "refused (docs/redis.md)"});
}

}  // namespace converge::tools
