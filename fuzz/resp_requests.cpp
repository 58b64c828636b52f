// Fuzz target: converge-node's Redis front. The bytes a Redis client could send, cut into reads
// where the input says, go through RespParser and every command they name runs against a Store.
// Input: a flags byte (bit 0: the client has authenticated; bits 1-7: the read size, 1 to 128),
// then the client's bytes. Checks: no crash, no hang, no allocation a header merely claims; each
// reply is one well-formed RESP value; a protocol error ends the connection.
#include <memory>
#include <string>

#include "check.hpp"
#include <tools/node/resp/resp_commands.hpp>
#include <tools/node/resp/resp_parser.hpp>

namespace {

using namespace converge;
using namespace converge::tools;

// Whether reply, from at, starts with one whole RESP value; at moves past it.
bool one_value(const std::string& reply, std::size_t& at) {
    if (at >= reply.size()) return false;
    const char type = reply[at];
    const std::size_t end = reply.find("\r\n", at);
    if (end == std::string::npos) return false;
    const std::string head = reply.substr(at + 1, end - at - 1);
    at = end + 2;
    switch (type) {
        case '+':
        case '-':
        case ':':
        case ',':
        case '#':
        case '_':
            return true;
        case '$': {
            const long long n = std::stoll(head);
            if (n < 0) return true;
            at += static_cast<std::size_t>(n) + 2;
            return at <= reply.size();
        }
        case '*':
        case '~':
        case '%': {
            const long long n = std::stoll(head);
            for (long long i = 0; i < n * (type == '%' ? 2 : 1); ++i)
                if (!one_value(reply, at)) return false;
            return true;
        }
        default:
            return false;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t flags = in.byte();
    const std::size_t read_size = (flags >> 1) % 128 + 1;
    store::Store store(store::Options{.replica = ReplicaId{1}, .stripes = 4});
    RespContext context{store, std::nullopt, 6379, "", 1 << 20, {}, {}, {}};
    if ((flags & 1) == 0) context.password = "pw";
    RespClient client;
    client.authenticated = (flags & 1) != 0;
    RespLimits limits;
    limits.bulk_max = 1 << 20;
    limits.query_buffer_max = 4 << 20;
    RespParser parser(limits);
    const std::string_view bytes = in.rest();
    RespArgs args;
    try {
        for (std::size_t at = 0; at < bytes.size() && !client.closing; at += read_size) {
            parser.feed(bytes.substr(at, read_size));
            while (!client.closing && parser.next(args, client.authenticated)) {
                FUZZ_CHECK(!args.empty());
                std::string reply;
                RespWriter out(reply, client.protocol);
                RespCommands::instance().execute(context, client, args, out);
                std::size_t parsed = 0;
                FUZZ_CHECK(one_value(reply, parsed) && parsed == reply.size());
            }
        }
    } catch (const RespProtocolError&) {
        // the connection would close here
    }
    FUZZ_CHECK(parser.buffered() <= limits.query_buffer_max);
    return 0;
}
