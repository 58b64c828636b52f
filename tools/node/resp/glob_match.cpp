#include "glob_match.hpp"

#include <cstddef>
#include <utility>

namespace converge::tools {
namespace {

// Whether the one-byte token at pattern[p] matches c; p moves past the token.
bool token_matches(std::string_view pattern, std::size_t& p, char c) {
    const char t = pattern[p++];
    if (t == '?') return true;
    if (t == '\\' && p < pattern.size()) return pattern[p++] == c;
    if (t != '[') return t == c;
    const bool negate = p < pattern.size() && pattern[p] == '^';
    if (negate) ++p;
    bool found = false;
    while (p < pattern.size() && pattern[p] != ']') {
        if (pattern[p] == '\\' && p + 1 < pattern.size()) {
            found |= pattern[p + 1] == c;
            p += 2;
        } else if (p + 2 < pattern.size() && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
            char low = pattern[p], high = pattern[p + 2];
            if (low > high) std::swap(low, high);
            found |= c >= low && c <= high;
            p += 3;
        } else {
            found |= pattern[p++] == c;
        }
    }
    if (p < pattern.size()) ++p;  // the closing ]
    return found != negate;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0;
    std::size_t star = std::string_view::npos, star_text = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = ++p;
            star_text = t;
            continue;
        }
        std::size_t next = p;
        if (p < pattern.size() && token_matches(pattern, next, text[t])) {
            p = next;
            ++t;
            continue;
        }
        if (star == std::string_view::npos) return false;
        p = star;  // let the last * take one more byte
        t = ++star_text;
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

}  // namespace converge::tools
