// RESP strings and counters: GET SET SETEX PSETEX MGET MSET GETDEL STRLEN APPEND INCR INCRBY
// DECR DECRBY. A key written with SET is a value (last writer wins); one used with INCR* is a
// counter (increments add up across replicas), and INCR* turns a value holding an integer into
// one; GET reads either (docs/redis.md).
#include <chrono>
#include <limits>

#include "resp_command.hpp"

namespace converge::tools {
namespace {

using Type = store::KeyInspection::Type;
using std::chrono::milliseconds;

// The string at key (a value, or a counter in decimal); nullopt when there is none. Throws
// WRONGTYPE for a key of another type.
std::optional<std::string> read_string(store::Store& store, const std::string& key) {
    std::string value;
    try {
        if (!store.get_text(key, value)) return std::nullopt;
    } catch (const TypeMismatch&) {
        resp_wrong_type();
    }
    return value;
}

// Throws unless key can take a SET: absent, or a value.
void check_settable(store::Store& store, const std::string& key) {
    const auto type = store.type(key);
    if (!type || *type == Type::value) return;
    if (*type == Type::counter)
        throw RespCommandError(
            "ERR converge: key '" + key +
            "' is a counter (INCR made it one) and SET cannot replace it: its increments on "
            "other replicas would be lost; DECRBY it, or use another key (docs/redis.md)");
    resp_wrong_type();
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// SET's options, parsed.
struct SetOptions {
    bool nx = false, xx = false, get = false, keep_ttl = false;
    std::optional<std::int64_t> ttl_ms;  // relative, from EX/PX/EXAT/PXAT
};

SetOptions parse_set_options(const RespArgs& args, std::size_t from) {
    SetOptions o;
    bool has_expiry = false;
    for (std::size_t i = from; i < args.size(); ++i) {
        const std::string word = resp_lower(args[i]);
        if (word == "nx" && !o.xx)
            o.nx = true;
        else if (word == "xx" && !o.nx)
            o.xx = true;
        else if (word == "get")
            o.get = true;
        else if (word == "keepttl" && !has_expiry)
            o.keep_ttl = true;
        else if ((word == "ex" || word == "px" || word == "exat" || word == "pxat") &&
                 !has_expiry && !o.keep_ttl && i + 1 < args.size()) {
            const std::int64_t n = resp_integer(args[++i]);
            const bool seconds = word == "ex" || word == "exat";
            if (n <= 0 || (seconds && n > std::numeric_limits<std::int64_t>::max() / 1000))
                throw RespCommandError("ERR invalid expire time in 'set' command");
            const std::int64_t ms = seconds ? n * 1000 : n;
            o.ttl_ms = word.ends_with("at") ? ms - unix_ms_now() : ms;
            has_expiry = true;
        } else
            resp_syntax_error();
    }
    return o;
}

// Writes value at key with ttl (none: never expires; not positive: already gone).
void write_value(store::Store& store, const std::string& key, std::string value,
                 std::optional<std::int64_t> ttl_ms) {
    if (ttl_ms && *ttl_ms <= 0) {
        store.del(key);
        return;
    }
    store.put(key, std::move(value),
              ttl_ms ? std::optional<milliseconds>(milliseconds(*ttl_ms)) : std::nullopt);
}

// write_value for SET and SETEX: one lookup when key is absent or a value; a key of another type
// changes nothing and answers as check_settable says.
void set_value(store::Store& store, const std::string& key, std::string value,
               std::optional<std::int64_t> ttl_ms) {
    try {
        write_value(store, key, std::move(value), ttl_ms);
    } catch (const TypeMismatch&) {
        check_settable(store, key);
        throw;
    }
}

void get(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto value = read_string(c.store, a[1]);
    value ? out.bulk(*value) : out.null();
}

void set(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const SetOptions o = parse_set_options(a, 3);
    const std::optional<std::string> old =
        o.get ? read_string(c.store, a[1]) : std::optional<std::string>{};
    const bool exists = (o.nx || o.xx) && c.store.type(a[1]).has_value();
    if ((o.nx && exists) || (o.xx && !exists)) return o.get && old ? out.bulk(*old) : out.null();
    std::optional<std::int64_t> ttl = o.ttl_ms;
    if (o.keep_ttl)
        if (const auto left = c.store.time_to_live(a[1])) ttl = left->count();
    set_value(c.store, a[1], a[2], ttl);
    if (!o.get) return out.ok();
    old ? out.bulk(*old) : out.null();
}

void setex(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::int64_t n = resp_integer(a[2]);
    const bool seconds = resp_lower(a[0]) == "setex";
    if (n <= 0 || (seconds && n > std::numeric_limits<std::int64_t>::max() / 1000))
        throw RespCommandError("ERR invalid expire time in '" + resp_lower(a[0]) + "' command");
    set_value(c.store, a[1], a[3], seconds ? n * 1000 : n);
    out.ok();
}

void mget(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.array(a.size() - 1);
    for (std::size_t i = 1; i < a.size(); ++i) {
        const auto type = c.store.type(a[i]);
        if (type == Type::value || type == Type::counter)
            out.bulk(*read_string(c.store, a[i]));
        else
            out.null();
    }
}

void mset(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    if (a.size() % 2 == 0)
        throw RespCommandError("ERR wrong number of arguments for 'mset' command");
    for (std::size_t i = 1; i < a.size(); i += 2)
        check_settable(c.store, a[i]);
    for (std::size_t i = 1; i < a.size(); i += 2)
        c.store.put(a[i], a[i + 1]);
    out.ok();
}

void getdel(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto value = read_string(c.store, a[1]);  // a value or a counter, or WRONGTYPE
    if (value) resp_delete_key(c.store, a[1]);
    value ? out.bulk(*value) : out.null();
}

void strlen(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto value = read_string(c.store, a[1]);
    out.integer(value ? static_cast<std::int64_t>(value->size()) : 0);
}

void append(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    check_settable(c.store, a[1]);
    std::string value = c.store.get(a[1]).value_or("");
    value += a[2];
    const auto size = static_cast<std::int64_t>(value.size());
    std::optional<std::int64_t> ttl;
    if (const auto left = c.store.time_to_live(a[1])) ttl = left->count();
    write_value(c.store, a[1], std::move(value), ttl);
    out.integer(size);
}

// Throws Redis's error for adding by to key, which the store refused (InvalidOperation).
void refuse_counter_change(RespContext& c, const std::string& key, std::int64_t by) {
    const auto type = c.store.type(key);
    std::int64_t value = 0;
    if (type && *type == Type::value) {
        value = resp_integer(c.store.get(key).value_or("0"));
    } else if (type) {
        value = c.store.counter(key).value();
    }
    if ((by > 0 && value > std::numeric_limits<std::int64_t>::max() - by) ||
        (by < 0 && value < std::numeric_limits<std::int64_t>::min() - by))
        throw RespCommandError("ERR increment or decrement would overflow");
}

// INCR, INCRBY, DECR, DECRBY: by is what to add. A key written by SET with an integer becomes a
// counter from that integer (docs/redis.md).
void add_to_counter(RespContext& c, const std::string& key, std::int64_t by, RespWriter& out) {
    try {
        out.integer(c.store.counter(key).add_converting(by));
    } catch (const InvalidOperation&) {
        refuse_counter_change(c, key, by);
        throw;
    }
}

void incr(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::string name = resp_lower(a[0]);
    std::int64_t by = name == "incr" ? 1 : name == "decr" ? -1 : resp_integer(a[2]);
    if (name == "decrby") {
        if (by == std::numeric_limits<std::int64_t>::min())
            throw RespCommandError("ERR decrement would overflow");
        by = -by;
    }
    add_to_counter(c, a[1], by, out);
}

}  // namespace

void add_string_commands(std::vector<RespCommand>& t) {
    t.push_back({"get", 2, "readonly fast", 1, 1, 1, get, "the value or counter at key"});
    t.push_back({"set", -3, "write", 1, 1, 1, set,
                 "write a value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]"});
    t.push_back({"setex", 4, "write", 1, 1, 1, setex, "write a value that expires in seconds"});
    t.push_back({"psetex", 4, "write", 1, 1, 1, setex, "write a value that expires in ms"});
    t.push_back({"mget", -2, "readonly fast", 1, -1, 1, mget, "the values at several keys"});
    t.push_back({"mset", -3, "write", 1, -1, 2, mset, "write several values"});
    t.push_back({"getdel", 2, "write fast", 1, 1, 1, getdel, "read and delete a value or counter"});
    t.push_back({"strlen", 2, "readonly fast", 1, 1, 1, strlen, "the length of a value"});
    t.push_back({"append", 3, "write", 1, 1, 1, append, "append to a value"});
    t.push_back({"incr", 2, "write fast", 1, 1, 1, incr, "add 1 to a counter"});
    t.push_back({"decr", 2, "write fast", 1, 1, 1, incr, "subtract 1 from a counter"});
    t.push_back({"incrby", 3, "write fast", 1, 1, 1, incr, "add n to a counter"});
    t.push_back({"decrby", 3, "write fast", 1, 1, 1, incr, "subtract n from a counter"});
}

}  // namespace converge::tools
