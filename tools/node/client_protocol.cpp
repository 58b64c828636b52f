#include "client_protocol.hpp"

#include <crdt/error.hpp>

namespace converge::tools {

std::string encode_line(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) line += '\t';
        for (char c : fields[i]) {
            if (c == '\\')
                line += "\\\\";
            else if (c == '\t')
                line += "\\t";
            else if (c == '\n')
                line += "\\n";
            else
                line += c;
        }
    }
    line += '\n';
    return line;
}

std::vector<std::string> decode_line(std::string_view line) {
    std::vector<std::string> fields(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == '\t') {
            fields.emplace_back();
        } else if (c != '\\') {
            fields.back() += c;
        } else {
            if (++i == line.size()) throw Error("a line ends inside an escape");
            switch (line[i]) {
                case '\\':
                    fields.back() += '\\';
                    break;
                case 't':
                    fields.back() += '\t';
                    break;
                case 'n':
                    fields.back() += '\n';
                    break;
                default:
                    throw Error(std::string("unknown escape \\") + line[i]);
            }
        }
    }
    return fields;
}

std::string ok_line(std::vector<std::string> values) {
    values.insert(values.begin(), "ok");
    return encode_line(values);
}

std::string none_line() {
    return encode_line({"none"});
}

void check_arity(const std::vector<std::string>& request, std::size_t min, std::size_t max,
                 const char* usage) {
    if (request.size() < min || request.size() > max)
        throw InvalidOperation(std::string("usage: ") + usage);
}

}  // namespace converge::tools
