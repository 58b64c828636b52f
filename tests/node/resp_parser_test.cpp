// RespParser: requests in any split, inline commands as redis-cli and redis-benchmark send them,
// and Redis's limits against hostile input, checked before anything a header claims is allocated.
#include <gtest/gtest.h>
#include <node/resp/resp_parser.hpp>

namespace converge::tools {
namespace {

using Args = std::vector<std::string>;

std::vector<Args> parse_all(RespParser& parser, bool authenticated = true) {
    std::vector<Args> out;
    Args args;
    while (parser.next(args, authenticated))
        out.push_back(args);
    return out;
}

std::string protocol_error_of(const std::string& bytes, RespLimits limits = {},
                              bool authenticated = true) {
    RespParser parser(limits);
    try {
        parser.feed(bytes);
        parse_all(parser, authenticated);
    } catch (const RespProtocolError& e) {
        return e.what();
    }
    return "";
}

TEST(RespParser, ReadsAMultibulkCommand) {
    RespParser parser;
    parser.feed("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n");
    EXPECT_EQ(parse_all(parser), (std::vector<Args>{{"SET", "key", "va\r\nl"}}));
    EXPECT_EQ(parser.buffered(), 0u);
}

TEST(RespParser, ReadsACommandFedOneByteAtATime) {
    const std::string bytes = "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n*1\r\n$4\r\nPING\r\n";
    RespParser parser;
    std::vector<Args> got;
    for (const char c : bytes) {
        parser.feed(std::string_view(&c, 1));
        for (Args& a : parse_all(parser))
            got.push_back(std::move(a));
    }
    EXPECT_EQ(got, (std::vector<Args>{{"ECHO", "hello world"}, {"PING"}}));
}

TEST(RespParser, ReadsPipelinedCommandsInOrder) {
    RespParser parser;
    std::string bytes;
    for (int i = 0; i < 100; ++i)
        bytes += "*2\r\n$4\r\nINCR\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" +
                 std::to_string(i) + "\r\n";
    parser.feed(bytes);
    const auto commands = parse_all(parser);
    ASSERT_EQ(commands.size(), 100u);
    EXPECT_EQ(commands[42], (Args{"INCR", "42"}));
}

TEST(RespParser, ReadsInlineCommandsWithQuotes) {
    RespParser parser;
    parser.feed("PING\r\n\r\nset k \"a b\\n\\x41\"\n  get 'it''s'x\n");
    // 'it''s'x is unbalanced: a closing quote must be followed by a space
    Args args;
    ASSERT_TRUE(parser.next(args));
    EXPECT_EQ(args, (Args{"PING"}));
    ASSERT_TRUE(parser.next(args));
    EXPECT_EQ(args, (Args{"set", "k", "a b\nA"}));
    EXPECT_THROW(parser.next(args), RespProtocolError);
    EXPECT_EQ(split_inline("get 'it\\'s'"), (Args{"get", "it's"}));
    EXPECT_THROW(split_inline("get \"open"), RespProtocolError);
}

TEST(RespParser, EmptyCommandsAreSkipped) {
    RespParser parser;
    parser.feed("*0\r\n\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
    EXPECT_EQ(parse_all(parser), (std::vector<Args>{{"PING"}}));
}

TEST(RespParser, RefusesBadHeadersWithRedisMessages) {
    EXPECT_EQ(protocol_error_of("*x\r\n"), "Protocol error: invalid multibulk length");
    EXPECT_EQ(protocol_error_of("*2000000\r\n"), "Protocol error: invalid multibulk length");
    EXPECT_EQ(protocol_error_of("*1\r\n$-5\r\n"), "Protocol error: invalid bulk length");
    EXPECT_EQ(protocol_error_of("*1\r\nx\r\n"), "Protocol error: expected '$', got 'x'");
    EXPECT_EQ(protocol_error_of("*1\r\n$2\r\nabc\r\n"),
              "Protocol error: bulk string not followed by CRLF");
}

TEST(RespParser, RefusesAHugeBulkBeforeAllocatingIt) {
    RespParser parser;
    parser.feed("*1\r\n$536870913\r\n");  // 512 MiB + 1
    Args args;
    EXPECT_THROW(parser.next(args), RespProtocolError);
    RespLimits small;
    small.bulk_max = 1000;
    EXPECT_EQ(protocol_error_of("*1\r\n$1001\r\n", small), "Protocol error: invalid bulk length");
    RespParser ok(small);
    ok.feed("*1\r\n$1000\r\n");
    EXPECT_FALSE(ok.next(args));  // waits for the bytes, holding no more than it was sent
    EXPECT_LT(ok.buffered(), 64u);
}

TEST(RespParser, UnauthenticatedClientsGetSmallerLimits) {
    EXPECT_EQ(protocol_error_of("*11\r\n", {}, false),
              "Protocol error: unauthenticated multibulk length");
    EXPECT_EQ(protocol_error_of("*1\r\n$16385\r\n", {}, false),
              "Protocol error: unauthenticated bulk length");
    EXPECT_EQ(protocol_error_of("*11\r\n", {}, true), "");
}

TEST(RespParser, RefusesLinesLongerThanTheLimit) {
    EXPECT_EQ(protocol_error_of(std::string(70 * 1024, 'a')),
              "Protocol error: too big inline request");
    EXPECT_EQ(protocol_error_of("*" + std::string(70 * 1024, '1')),
              "Protocol error: too big mbulk count string");
    EXPECT_EQ(protocol_error_of("*1\r\n$" + std::string(70 * 1024, '1')),
              "Protocol error: too big bulk count string");
}

TEST(RespParser, RefusesAQueryBufferOverItsLimit) {
    RespLimits limits;
    limits.query_buffer_max = 100;
    RespParser parser(limits);
    parser.feed("*2\r\n$3\r\nGET\r\n$200\r\n");
    EXPECT_THROW(parser.feed(std::string(100, 'x')), RespProtocolError);
}

}  // namespace
}  // namespace converge::tools
