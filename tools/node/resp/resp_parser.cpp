#include "resp_parser.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>

namespace converge::tools {
namespace {

[[noreturn]] void protocol_error(const std::string& what) {
    throw RespProtocolError("Protocol error: " + what);
}

// Whether text is all one decimal integer, into out.
bool parse_integer(std::string_view text, std::int64_t& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

// One double-quoted word starting after its quote at i; i ends past the closing quote.
std::string double_quoted(std::string_view line, std::size_t& i) {
    std::string word;
    for (;; ++i) {
        if (i >= line.size()) protocol_error("unbalanced quotes in request");
        const char c = line[i];
        if (c == '"') break;
        if (c != '\\' || i + 1 >= line.size()) {
            word.push_back(c);
            continue;
        }
        const char e = line[++i];
        if (e == 'x' && i + 2 < line.size() && hex_digit(line[i + 1]) >= 0 &&
            hex_digit(line[i + 2]) >= 0) {
            word.push_back(static_cast<char>(hex_digit(line[i + 1]) * 16 + hex_digit(line[i + 2])));
            i += 2;
            continue;
        }
        static constexpr std::string_view from = "nrtba", to = "\n\r\t\b\a";
        const std::size_t at = from.find(e);
        word.push_back(at == std::string_view::npos ? e : to[at]);
    }
    ++i;
    return word;
}

std::string single_quoted(std::string_view line, std::size_t& i) {
    std::string word;
    for (;; ++i) {
        if (i >= line.size()) protocol_error("unbalanced quotes in request");
        if (line[i] == '\'') break;
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\'') ++i;
        word.push_back(line[i]);
    }
    ++i;
    return word;
}

}  // namespace

std::vector<std::string> split_inline(std::string_view line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    for (;;) {
        while (i < line.size() && is_space(line[i]))
            ++i;
        if (i >= line.size()) return words;
        std::string word;
        while (i < line.size() && !is_space(line[i])) {
            const char c = line[i++];
            if (c == '"' || c == '\'') {
                word += c == '"' ? double_quoted(line, i) : single_quoted(line, i);
                if (i < line.size() && !is_space(line[i]))
                    protocol_error("unbalanced quotes in request");
            } else {
                word.push_back(c);
            }
        }
        words.push_back(std::move(word));
    }
}

void RespParser::feed(std::string_view bytes) {
    if (buffered() + bytes.size() > limits_.query_buffer_max)
        protocol_error("query buffer over " + std::to_string(limits_.query_buffer_max) + " bytes");
    compact();
    buffer_.append(bytes);
}

void RespParser::compact() {
    if (position_ > 0 && (position_ == buffer_.size() || position_ >= 64 * 1024)) {
        buffer_.erase(0, position_);
        position_ = 0;
    }
}

std::size_t RespParser::line_end(const char* what) const {
    const std::size_t end = buffer_.find('\n', position_);
    const std::size_t length = (end == std::string::npos ? buffer_.size() : end) - position_;
    if (length > limits_.line_max) protocol_error(std::string("too big ") + what);
    return end;
}

bool RespParser::next(std::vector<std::string>& args, bool authenticated) {
    for (;;) {
        if (args_left_ < 0) {
            if (position_ >= buffer_.size()) return false;
            if (buffer_[position_] != '*') {
                if (!next_inline(args)) return false;
                if (!args.empty()) return true;
                continue;  // an empty line: nothing to run
            }
        }
        if (!next_multibulk(args, authenticated)) return false;
        if (!args.empty()) return true;
    }
}

bool RespParser::next_inline(std::vector<std::string>& args) {
    const std::size_t end = line_end("inline request");
    if (end == std::string::npos) return false;
    std::string_view line(buffer_.data() + position_, end - position_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    args = split_inline(line);
    position_ = end + 1;
    return true;
}

bool RespParser::next_multibulk(std::vector<std::string>& args, bool authenticated) {
    if (args_left_ < 0) {
        const std::size_t end = line_end("mbulk count string");
        if (end == std::string::npos) return false;
        std::string_view header(buffer_.data() + position_ + 1, end - position_ - 1);
        if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
        std::int64_t count = 0;
        if (!parse_integer(header, count) || count > static_cast<std::int64_t>(limits_.args_max))
            protocol_error("invalid multibulk length");
        if (!authenticated && count > static_cast<std::int64_t>(limits_.unauthenticated_args_max))
            protocol_error("unauthenticated multibulk length");
        position_ = end + 1;
        args_left_ = std::max<std::int64_t>(count, 0);
        pending_.clear();
        pending_.reserve(static_cast<std::size_t>(std::min<std::int64_t>(args_left_, 1024)));
        pending_bytes_ = 0;
    }
    while (args_left_ > 0) {
        if (bulk_length_ < 0) {
            if (position_ >= buffer_.size()) return false;
            if (buffer_[position_] != '$')
                protocol_error(std::string("expected '$', got '") + buffer_[position_] + "'");
            const std::size_t end = line_end("bulk count string");
            if (end == std::string::npos) return false;
            std::string_view header(buffer_.data() + position_ + 1, end - position_ - 1);
            if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
            std::int64_t length = 0;
            if (!parse_integer(header, length) || length < 0 ||
                static_cast<std::uint64_t>(length) > limits_.bulk_max)
                protocol_error("invalid bulk length");
            if (!authenticated &&
                static_cast<std::uint64_t>(length) > limits_.unauthenticated_bulk_max)
                protocol_error("unauthenticated bulk length");
            position_ = end + 1;
            bulk_length_ = length;
        }
        const auto length = static_cast<std::size_t>(bulk_length_);
        if (buffer_.size() - position_ < length + 2) return false;
        if (buffer_.compare(position_ + length, 2, "\r\n") != 0)
            protocol_error("bulk string not followed by CRLF");
        pending_.emplace_back(buffer_, position_, length);
        pending_bytes_ += length;
        position_ += length + 2;
        bulk_length_ = -1;
        --args_left_;
    }
    args_left_ = -1;
    pending_bytes_ = 0;
    args = std::move(pending_);
    pending_.clear();
    return true;
}

}  // namespace converge::tools
