// File: tools/node/resp/resp_writer.hpp
// RespWriter: replies in RESP2, or RESP3 once a client said HELLO 3. Where RESP3 has a type RESP2
// lacks (null, map, set, double, boolean), RESP2 gets what Redis sends it: $-1, a flat array, an
// array, a bulk string, an integer.
//
// Thread-safety: one writer per reply buffer, used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace converge::tools {

class RespWriter {
  public:
    // Appends to out; protocol is 2 or 3.
    RespWriter(std::string& out, int protocol) : out_(out), protocol_(protocol) {}

    int protocol() const noexcept { return protocol_; }
    // HELLO answers in the protocol it switches to.
    void set_protocol(int protocol) noexcept { protocol_ = protocol; }
    // The reply bytes so far, and dropping what came after a mark (a handler that failed
    // midway leaves no partial reply).
    std::size_t mark() const noexcept { return out_.size(); }
    void rewind(std::size_t mark) { out_.resize(mark); }

    void simple(std::string_view text);  // +OK
    // An error reply; message starts with its code ("ERR ...", "WRONGTYPE ..."). Newlines in it
    // become spaces, as Redis does.
    void error(std::string_view message);
    void integer(std::int64_t n);
    void bulk(std::string_view bytes);
    void null();        // a missing value: RESP3 _, RESP2 $-1
    void null_array();  // a missing array: RESP3 _, RESP2 *-1
    void array(std::size_t n);
    void map(std::size_t pairs);  // RESP2: an array of 2 * pairs
    void set(std::size_t n);      // RESP2: an array
    void real(double d);          // RESP2: a bulk string, as Redis prints scores
    void boolean(bool b);         // RESP2: :1 or :0
    void ok() { simple("OK"); }

  private:
    void header(char type, std::size_t n);
    std::string& out_;
    int protocol_;
};

}  // namespace converge::tools
