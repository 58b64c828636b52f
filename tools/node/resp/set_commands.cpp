// RESP sets (add-wins, observed-remove): SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD
// SRANDMEMBER SPOP SINTER SUNION SDIFF.
#include <algorithm>
#include <iterator>
#include <random>

#include "resp_command.hpp"

namespace converge::tools {
namespace {

void reply_set(RespWriter& out, const std::vector<std::string>& members) {
    out.set(members.size());
    for (const std::string& m : members)
        out.bulk(m);
}

void sadd(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto set = c.store.set(a[1]);
    std::int64_t added = 0;
    for (std::size_t i = 2; i < a.size(); ++i) {
        added += !set.contains(a[i]);
        set.add(a[i]);
    }
    out.integer(added);
}

void srem(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto set = c.store.set(a[1]);
    reply_removed(a, out, [&](const std::string& m) { return set.remove(m); });
}

void smembers(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    reply_set(out, c.store.set(a[1]).elements());
}

void sismember(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(c.store.set(a[1]).contains(a[2]) ? 1 : 0);
}

void smismember(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    auto set = c.store.set(a[1]);
    out.array(a.size() - 2);
    for (std::size_t i = 2; i < a.size(); ++i)
        out.integer(set.contains(a[i]) ? 1 : 0);
}

void scard(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    out.integer(static_cast<std::int64_t>(c.store.set(a[1]).elements().size()));
}

std::mt19937_64& random_source() {
    static std::mt19937_64 source{std::random_device{}()};
    return source;
}

// SRANDMEMBER and SPOP: count members drawn (negative for SRANDMEMBER: with repeats).
void draw(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const bool pop = resp_lower(a[0]) == "spop";
    if (a.size() > 3) resp_syntax_error();
    auto set = c.store.set(a[1]);
    std::vector<std::string> members = set.elements();
    if (a.size() == 2) {
        if (members.empty()) return out.null();
        std::uniform_int_distribution<std::size_t> pick(0, members.size() - 1);
        const std::string member = members[pick(random_source())];
        if (pop) set.remove(member);
        return out.bulk(member);
    }
    const std::int64_t count = resp_integer(a[2]);
    if (count < 0 && pop) throw RespCommandError("ERR value is out of range, must be positive");
    std::vector<std::string> drawn;
    if (count < 0 && !members.empty()) {
        std::uniform_int_distribution<std::size_t> pick(0, members.size() - 1);
        for (std::int64_t i = 0; i < -count && i < 1'000'000; ++i)
            drawn.push_back(members[pick(random_source())]);
    } else if (count > 0) {
        std::sample(members.begin(), members.end(), std::back_inserter(drawn),
                    static_cast<std::size_t>(count), random_source());
    }
    for (const std::string& m : drawn)
        if (pop) set.remove(m);
    if (pop) return reply_set(out, drawn);
    out.array(drawn.size());
    for (const std::string& m : drawn)
        out.bulk(m);
}

// SINTER, SUNION, SDIFF over the keys named.
void combine(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    const std::string name = resp_lower(a[0]);
    std::vector<std::string> result = c.store.set(a[1]).elements();
    for (std::size_t i = 2; i < a.size(); ++i) {
        const std::vector<std::string> other = c.store.set(a[i]).elements();
        std::vector<std::string> next;
        if (name == "sinter")
            std::set_intersection(result.begin(), result.end(), other.begin(), other.end(),
                                  std::back_inserter(next));
        else if (name == "sunion")
            std::set_union(result.begin(), result.end(), other.begin(), other.end(),
                           std::back_inserter(next));
        else
            std::set_difference(result.begin(), result.end(), other.begin(), other.end(),
                                std::back_inserter(next));
        result = std::move(next);
    }
    reply_set(out, result);
}

}  // namespace

void add_set_commands(std::vector<RespCommand>& t) {
    t.push_back({"sadd", -3, "write fast", 1, 1, 1, sadd, "add members to a set"});
    t.push_back({"srem", -3, "write fast", 1, 1, 1, srem, "remove members seen here"});
    t.push_back({"smembers", 2, "readonly", 1, 1, 1, smembers, "a set's members"});
    t.push_back({"sismember", 3, "readonly fast", 1, 1, 1, sismember, "whether a member is in"});
    t.push_back({"smismember", -3, "readonly fast", 1, 1, 1, smismember, "whether each is in"});
    t.push_back({"scard", 2, "readonly fast", 1, 1, 1, scard, "a set's size"});
    t.push_back({"srandmember", -2, "readonly", 1, 1, 1, draw, "random members"});
    t.push_back({"spop", -2, "write fast", 1, 1, 1, draw, "remove random members"});
    t.push_back({"sinter", -2, "readonly", 1, -1, 1, combine, "the intersection of sets"});
    t.push_back({"sunion", -2, "readonly", 1, -1, 1, combine, "the union of sets"});
    t.push_back({"sdiff", -2, "readonly", 1, -1, 1, combine, "the first set less the others"});
}

}  // namespace converge::tools
