// RESP hashes, sorted sets and HyperLogLogs: HSET HGET HMGET HDEL HGETALL HLEN HEXISTS HKEYS
// HVALS HINCRBY; ZADD ZINCRBY ZSCORE ZREM ZCARD ZRANGE ZRANK; PFADD PFCOUNT PFMERGE. Their
// concurrent outcomes are the store's (docs/semantics.md).
#include <algorithm>
#include <cmath>

#include "resp_command.hpp"

namespace converge::tools {
namespace {

void hset(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    if (a.size() % 2 != 0)
        throw RespCommandError("ERR wrong number of arguments for '" + resp_lower(a[0]) +
                               "' command");
    auto h = c.store.hash(a[1]);
    std::int64_t added = 0;
    for (std::size_t i = 2; i < a.size(); i += 2)
        added += h.set(a[i], a[i + 1]);
    resp_lower(a[0]) == "hmset" ? out.ok() : out.integer(added);
}

void hget(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto value = c.store.hash(a[1]).get(a[2]);
    value ? out.bulk(*value) : out.null();
}

void hmget(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto h = c.store.hash(a[1]);
    out.array(a.size() - 2);
    for (std::size_t i = 2; i < a.size(); ++i) {
        const auto value = h.get(a[i]);
        value ? out.bulk(*value) : out.null();
    }
}

void hdel(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto h = c.store.hash(a[1]);
    reply_removed(a, out, [&](const std::string& m) { return h.del(m); });
}

// HGETALL (a map), HKEYS, HVALS.
void hfields(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::string name = resp_lower(a[0]);
    const auto fields = c.store.hash(a[1]).fields();
    if (name == "hgetall")
        out.map(fields.size());
    else
        out.array(fields.size());
    for (const auto& [field, value] : fields) {
        if (name != "hvals") out.bulk(field);
        if (name != "hkeys") out.bulk(value);
    }
}

void hlen(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(static_cast<std::int64_t>(c.store.hash(a[1]).size()));
}

void hexists(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(c.store.hash(a[1]).get(a[2]).has_value() ? 1 : 0);
}

void hincrby(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(c.store.hash(a[1]).increment(a[2], resp_integer(a[3])));
}

// A score a client sent: finite (converge's sorted sets hold no infinities).
double finite_score(std::string_view text) {
    const double d = resp_real(text);
    if (!std::isfinite(d))
        throw RespCommandError("ERR converge: scores must be finite (not inf or -inf)");
    return d;
}

struct ZaddFlags {
    bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

void zadd_one(store::Store::SortedSet& z, const ZaddFlags& f, double score,
              const std::string& member, std::int64_t& counted, std::optional<double>& result) {
    const std::optional<double> current = z.score(member);
    if ((f.nx && current) || (f.xx && !current)) return;
    const double next = f.incr ? current.value_or(0) + score : score;
    if (f.incr && !std::isfinite(next))
        throw RespCommandError("ERR resulting score is not a number (NaN)");
    if (current && ((f.gt && next <= *current) || (f.lt && next >= *current))) return;
    if (f.incr)
        result = z.increment(member, score);
    else
        z.add(member, score);
    counted += !current || (f.ch && *current != next);
    if (!f.incr) result = next;
}

void zadd(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    ZaddFlags f;
    std::size_t i = 2;
    for (; i < a.size(); ++i) {
        const std::string w = resp_lower(a[i]);
        bool* flag = w == "nx"     ? &f.nx
                     : w == "xx"   ? &f.xx
                     : w == "gt"   ? &f.gt
                     : w == "lt"   ? &f.lt
                     : w == "ch"   ? &f.ch
                     : w == "incr" ? &f.incr
                                   : nullptr;
        if (flag == nullptr) break;
        *flag = true;
    }
    if (i == a.size() || (a.size() - i) % 2 != 0) resp_syntax_error();
    if (f.nx && f.xx)
        throw RespCommandError("ERR XX and NX options at the same time are not compatible");
    if ((f.gt && f.lt) || (f.nx && (f.gt || f.lt)))
        throw RespCommandError("ERR GT, LT, and/or NX options at the same time are not compatible");
    if (f.incr && a.size() - i != 2)
        throw RespCommandError("ERR INCR option supports a single increment-element pair");
    std::vector<double> scores;
    for (std::size_t j = i; j < a.size(); j += 2)
        scores.push_back(finite_score(a[j]));  // every score checked before anything changes
    auto z = c.store.sorted_set(a[1]);
    std::int64_t counted = 0;
    std::optional<double> result;
    for (std::size_t j = i; j < a.size(); j += 2)
        zadd_one(z, f, scores[(j - i) / 2], a[j + 1], counted, result);
    if (!f.incr) return out.integer(counted);
    result ? out.real(*result) : out.null();
}

void zincrby(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.real(c.store.sorted_set(a[1]).increment(a[3], finite_score(a[2])));
}

void zscore(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const auto score = c.store.sorted_set(a[1]).score(a[2]);
    score ? out.real(*score) : out.null();
}

void zrem(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto z = c.store.sorted_set(a[1]);
    reply_removed(a, out, [&](const std::string& m) { return z.remove(m); });
}

void zcard(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(static_cast<std::int64_t>(c.store.sorted_set(a[1]).size()));
}

// ZRANGE KEY START STOP [REV] [WITHSCORES], by rank.
void zrange(RespContext& c, RespClient& client, const RespArgs& a, RespWriter& out) {
    bool rev = false, with_scores = false;
    for (std::size_t i = 4; i < a.size(); ++i) {
        const std::string w = resp_lower(a[i]);
        if (w == "rev")
            rev = true;
        else if (w == "withscores")
            with_scores = true;
        else if (w == "byscore" || w == "bylex" || w == "limit")
            throw RespCommandError(
                "ERR converge: ZRANGE takes ranks only (no BYSCORE, BYLEX "
                "or LIMIT yet; docs/redis.md)");
        else
            resp_syntax_error();
    }
    std::int64_t start = resp_integer(a[2]), stop = resp_integer(a[3]);
    auto z = c.store.sorted_set(a[1]);
    std::vector<std::pair<std::string, double>> ranked;
    const auto n = static_cast<std::int64_t>(z.size());
    if (start < 0) start = std::max<std::int64_t>(n + start, 0);
    if (stop < 0) stop = n + stop;
    stop = std::min(stop, n - 1);
    if (start <= stop && start < n) {
        ranked = rev ? z.range(n - 1 - stop, n - 1 - start) : z.range(start, stop);
        if (rev) std::reverse(ranked.begin(), ranked.end());
    }
    const bool pairs = with_scores && client.protocol >= 3;
    out.array(with_scores && !pairs ? 2 * ranked.size() : ranked.size());
    for (const auto& [member, score] : ranked) {
        if (pairs) out.array(2);
        out.bulk(member);
        if (with_scores) out.real(score);
    }
}

void zrank(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    if (a.size() == 4 && resp_lower(a[3]) != "withscore") resp_syntax_error();
    auto z = c.store.sorted_set(a[1]);
    const auto rank = z.rank(a[2]);
    if (!rank) return a.size() == 4 ? out.null_array() : out.null();
    if (a.size() == 3) return out.integer(static_cast<std::int64_t>(*rank));
    out.array(2);
    out.integer(static_cast<std::int64_t>(*rank));
    out.real(z.score(a[2]).value_or(0));
}

void pfadd(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto v = c.store.hyperloglog(a[1]);
    bool changed = false;
    for (std::size_t i = 2; i < a.size(); ++i)
        changed |= v.add(a[i]);
    out.integer(changed ? 1 : 0);
}

// The registers of the HyperLogLogs at keys, merged by maximum (their union).
store::Store::HyperLogLog::Registers union_of(store::Store& store, const RespArgs& keys,
                                              std::size_t from) {
    store::Store::HyperLogLog::Registers merged{};
    for (std::size_t i = from; i < keys.size(); ++i) {
        const auto registers = store.hyperloglog(keys[i]).registers();
        for (std::size_t r = 0; r < merged.size(); ++r)
            merged[r] = std::max(merged[r], registers[r]);
    }
    return merged;
}

void pfcount(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    if (a.size() == 2)
        return out.integer(static_cast<std::int64_t>(c.store.hyperloglog(a[1]).count()));
    out.integer(
        static_cast<std::int64_t>(store::Store::HyperLogLog::estimate(union_of(c.store, a, 1))));
}

void pfmerge(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto destination = c.store.hyperloglog(a[1]);
    destination.registers();  // WRONGTYPE before anything is read or written
    destination.merge(union_of(c.store, a, 2));
    out.ok();
}

}  // namespace

void add_record_commands(std::vector<RespCommand>& t) {
    t.push_back({"hset", -4, "write fast", 1, 1, 1, hset, "set hash fields"});
    t.push_back({"hmset", -4, "write fast", 1, 1, 1, hset, "set hash fields (replies OK)"});
    t.push_back({"hget", 3, "readonly fast", 1, 1, 1, hget, "a hash field's value"});
    t.push_back({"hmget", -3, "readonly fast", 1, 1, 1, hmget, "several fields' values"});
    t.push_back({"hdel", -3, "write fast", 1, 1, 1, hdel, "delete fields seen here"});
    t.push_back({"hgetall", 2, "readonly", 1, 1, 1, hfields, "every field and value"});
    t.push_back({"hkeys", 2, "readonly", 1, 1, 1, hfields, "every field"});
    t.push_back({"hvals", 2, "readonly", 1, 1, 1, hfields, "every value"});
    t.push_back({"hlen", 2, "readonly fast", 1, 1, 1, hlen, "the number of fields"});
    t.push_back({"hexists", 3, "readonly fast", 1, 1, 1, hexists, "whether a field exists"});
    t.push_back({"hincrby", 4, "write fast", 1, 1, 1, hincrby, "add to a counter field"});
    t.push_back({"zadd", -4, "write fast", 1, 1, 1, zadd,
                 "set members' scores [NX|XX] [GT|LT] [CH] [INCR]"});
    t.push_back({"zincrby", 4, "write fast", 1, 1, 1, zincrby, "add to a member's score"});
    t.push_back({"zscore", 3, "readonly fast", 1, 1, 1, zscore, "a member's score"});
    t.push_back({"zrem", -3, "write fast", 1, 1, 1, zrem, "remove members seen here"});
    t.push_back({"zcard", 2, "readonly fast", 1, 1, 1, zcard, "the number of members"});
    t.push_back({"zrange", -4, "readonly", 1, 1, 1, zrange, "members by rank [REV] [WITHSCORES]"});
    t.push_back({"zrank", -3, "readonly fast", 1, 1, 1, zrank, "a member's rank [WITHSCORE]"});
    t.push_back({"pfadd", -2, "write fast", 1, 1, 1, pfadd, "add elements to a HyperLogLog"});
    t.push_back({"pfmerge", -2, "write", 1, -1, 1, pfmerge,
                 "merge HyperLogLogs into the first (the union)"});
    t.push_back({"pfcount", -2, "readonly", 1, -1, 1, pfcount,
                 "the estimated distinct elements (of the union)"});
}

}  // namespace converge::tools
