// File: tools/node/resp/resp_parser.hpp
// RespParser: splits the bytes a Redis client sends into commands. It reads RESP multibulk
// requests (*N then N bulk strings) and inline commands (a line of words, as redis-cli and
// redis-benchmark's PING_INLINE send), holding a partial request across reads, and enforces
// Redis's limits against hostile input before it allocates anything a header claims.
//
// Thread-safety: one parser per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <crdt/error.hpp>

namespace converge::tools {

// What one connection may send (Redis's defaults and names in parentheses).
struct RespLimits {
    std::size_t line_max = 64 * 1024;  // an inline command or a header line (PROTO_INLINE_MAX_SIZE)
    std::size_t bulk_max = 512ULL * 1024 * 1024;  // one argument (proto-max-bulk-len)
    std::size_t args_max = 1024 * 1024;           // arguments of one command
    std::size_t query_buffer_max = 1ULL << 30;    // unparsed bytes held (client-query-buffer-limit)
    std::size_t unauthenticated_args_max = 10;    // before AUTH, where a password is set
    std::size_t unauthenticated_bulk_max = 16 * 1024;
};

// A request the parser cannot read. message() is Redis's text ("Protocol error: invalid bulk
// length"); the server answers it as an error and closes the connection.
class RespProtocolError : public Error {
  public:
    using Error::Error;
};

class RespParser {
  public:
    explicit RespParser(RespLimits limits = {}) : limits_(limits) {}

    // Appends bytes a client sent. Throws RespProtocolError if the unparsed bytes would pass
    // RespLimits::query_buffer_max.
    void feed(std::string_view bytes);
    // Takes the next whole command into args (its words; never empty) and returns true, or returns
    // false when more bytes are needed. authenticated: whether the smaller limits of a client that
    // has not passed AUTH apply (false: they do). Throws RespProtocolError; the parser is then
    // unusable and the connection must close.
    bool next(std::vector<std::string>& args, bool authenticated = true);
    // Unparsed bytes held (a partial command's arguments included).
    std::size_t buffered() const noexcept { return buffer_.size() - position_ + pending_bytes_; }

  private:
    // The line at position_ (without its \r\n), or npos when it is not all here. Throws when it
    // is longer than line_max.
    std::size_t line_end(const char* what) const;
    bool next_inline(std::vector<std::string>& args);
    bool next_multibulk(std::vector<std::string>& args, bool authenticated);
    void compact();

    RespLimits limits_;
    std::string buffer_;
    std::size_t position_ = 0;          // where unparsed bytes start in buffer_
    std::int64_t args_left_ = -1;       // multibulk arguments still to read; -1: between commands
    std::int64_t bulk_length_ = -1;     // the current argument's length once its header is read
    std::vector<std::string> pending_;  // arguments of the command being read
    std::size_t pending_bytes_ = 0;
};

// The words of an inline command, as Redis splits them (sdssplitargs): spaces separate words;
// "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \'. Throws
// RespProtocolError ("unbalanced quotes in request") for an unterminated quote or a quote not
// followed by a space.
std::vector<std::string> split_inline(std::string_view line);

}  // namespace converge::tools
