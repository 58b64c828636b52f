#include "resp_writer.hpp"

#include <charconv>

#include "../record_commands.hpp"

namespace converge::tools {

void RespWriter::header(char type, std::size_t n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out_.push_back(type);
    out_.append(digits, end);
    out_.append("\r\n");
}

void RespWriter::simple(std::string_view text) {
    out_.push_back('+');
    out_.append(text);
    out_.append("\r\n");
}

void RespWriter::error(std::string_view message) {
    out_.push_back('-');
    for (const char c : message)
        out_.push_back(c == '\r' || c == '\n' ? ' ' : c);
    out_.append("\r\n");
}

void RespWriter::integer(std::int64_t n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out_.push_back(':');
    out_.append(digits, end);
    out_.append("\r\n");
}

void RespWriter::bulk(std::string_view bytes) {
    header('$', bytes.size());
    out_.append(bytes);
    out_.append("\r\n");
}

void RespWriter::null() {
    out_.append(protocol_ >= 3 ? "_\r\n" : "$-1\r\n");
}

void RespWriter::null_array() {
    out_.append(protocol_ >= 3 ? "_\r\n" : "*-1\r\n");
}

void RespWriter::array(std::size_t n) {
    header('*', n);
}

void RespWriter::map(std::size_t pairs) {
    if (protocol_ >= 3)
        header('%', pairs);
    else
        header('*', 2 * pairs);
}

void RespWriter::set(std::size_t n) {
    header(protocol_ >= 3 ? '~' : '*', n);
}

void RespWriter::real(double d) {
    const std::string text = format_score(d);
    if (protocol_ < 3) return bulk(text);
    out_.push_back(',');
    out_.append(text);
    out_.append("\r\n");
}

void RespWriter::boolean(bool b) {
    if (protocol_ < 3) return integer(b ? 1 : 0);
    out_.append(b ? "#t\r\n" : "#f\r\n");
}

}  // namespace converge::tools
