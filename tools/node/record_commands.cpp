#include "record_commands.hpp"

#include <cmath>
#include <functional>
#include <map>

#include "client_protocol.hpp"

#include <crdt/error.hpp>

namespace converge::tools {
namespace {

using Request = std::vector<std::string>;

std::int64_t integer(const std::string& text, const char* what) {
    return parse_field<std::int64_t>(text, what, "a 64-bit integer");
}

double real(const std::string& text, const char* what) {
    const double d = parse_field<double>(text, what, "a finite number");
    if (!std::isfinite(d))
        throw InvalidOperation(std::string(what) + " \"" + text + "\" is not a finite number");
    return d;
}

using Handler = std::function<std::string(store::Store&, const Request&)>;

const std::map<std::string, Handler, std::less<>>& hash_commands() {
    static const std::map<std::string, Handler, std::less<>> commands{
        {"hset",
         [](store::Store& s, const Request& r) {
             check_arity(r, 4, 4, "hset KEY FIELD VALUE");
             auto h = s.hash(r[1]);
             const bool fresh = !h.get(r[2]).has_value();
             h.set(r[2], r[3]);
             return ok_line({fresh ? "1" : "0"});
         }},
        {"hget",
         [](store::Store& s, const Request& r) {
             check_arity(r, 3, 3, "hget KEY FIELD");
             const auto value = s.hash(r[1]).get(r[2]);
             return value ? ok_line({*value}) : none_line();
         }},
        {"hdel",
         [](store::Store& s, const Request& r) {
             check_arity(r, 3, SIZE_MAX, "hdel KEY FIELD...");
             std::size_t removed = 0;
             for (std::size_t i = 2; i < r.size(); ++i)
                 removed += s.hash(r[1]).del(r[i]);
             return ok_line({std::to_string(removed)});
         }},
        {"hgetall",
         [](store::Store& s, const Request& r) {
             check_arity(r, 2, 2, "hgetall KEY");
             std::vector<std::string> out;
             for (auto& [field, value] : s.hash(r[1]).fields()) {
                 out.push_back(field);
                 out.push_back(value);
             }
             return ok_line(std::move(out));
         }},
        {"hincrby",
         [](store::Store& s, const Request& r) {
             check_arity(r, 4, 4, "hincrby KEY FIELD N");
             return ok_line({std::to_string(s.hash(r[1]).increment(r[2], integer(r[3], "n")))});
         }},
    };
    return commands;
}

const std::map<std::string, Handler, std::less<>>& sorted_set_commands() {
    static const std::map<std::string, Handler, std::less<>> commands{
        {"zadd",
         [](store::Store& s, const Request& r) {
             check_arity(r, 4, 4, "zadd KEY SCORE MEMBER");
             return ok_line({s.sorted_set(r[1]).add(r[3], real(r[2], "score")) ? "1" : "0"});
         }},
        {"zincrby",
         [](store::Store& s, const Request& r) {
             check_arity(r, 4, 4, "zincrby KEY N MEMBER");
             return ok_line({format_score(s.sorted_set(r[1]).increment(r[3], real(r[2], "n")))});
         }},
        {"zscore",
         [](store::Store& s, const Request& r) {
             check_arity(r, 3, 3, "zscore KEY MEMBER");
             const auto score = s.sorted_set(r[1]).score(r[2]);
             return score ? ok_line({format_score(*score)}) : none_line();
         }},
        {"zrem",
         [](store::Store& s, const Request& r) {
             check_arity(r, 3, SIZE_MAX, "zrem KEY MEMBER...");
             std::size_t removed = 0;
             for (std::size_t i = 2; i < r.size(); ++i)
                 removed += s.sorted_set(r[1]).remove(r[i]);
             return ok_line({std::to_string(removed)});
         }},
        {"zrange",
         [](store::Store& s, const Request& r) {
             check_arity(r, 4, 5, "zrange KEY START STOP [withscores]");
             const bool scores = r.size() == 5;
             if (scores && r[4] != "withscores")
                 throw InvalidOperation("zrange takes only withscores after STOP");
             std::vector<std::string> out;
             for (auto& [member, score] :
                  s.sorted_set(r[1]).range(integer(r[2], "start"), integer(r[3], "stop"))) {
                 out.push_back(member);
                 if (scores) out.push_back(format_score(score));
             }
             return ok_line(std::move(out));
         }},
    };
    return commands;
}

const std::map<std::string, Handler, std::less<>>& hyperloglog_commands() {
    static const std::map<std::string, Handler, std::less<>> commands{
        {"pfadd",
         [](store::Store& s, const Request& r) {
             check_arity(r, 3, SIZE_MAX, "pfadd KEY ELEMENT...");
             bool changed = false;
             for (std::size_t i = 2; i < r.size(); ++i)
                 changed = s.hyperloglog(r[1]).add(r[i]) || changed;
             return ok_line({changed ? "1" : "0"});
         }},
        {"pfcount",
         [](store::Store& s, const Request& r) {
             check_arity(r, 2, 2, "pfcount KEY");
             return ok_line({std::to_string(s.hyperloglog(r[1]).count())});
         }},
    };
    return commands;
}

}  // namespace

std::string format_score(double score) {
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, score);
    return std::string(text, ec == std::errc{} ? end : text);
}

std::optional<std::string> answer_record(store::Store& store, const Request& request) {
    for (const auto* table : {&hash_commands(), &sorted_set_commands(), &hyperloglog_commands()})
        if (auto it = table->find(request.at(0)); it != table->end())
            return it->second(store, request);
    return std::nullopt;
}

}  // namespace converge::tools
