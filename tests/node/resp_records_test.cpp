// The RESP front's sets, hashes, sorted sets and HyperLogLogs: Redis's replies in RESP2 and RESP3,
// and a command refused midway leaving neither a partial reply nor a change.
#include "resp_fixture.hpp"

namespace converge::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(RespTest, Sets) {
    EXPECT_EQ(run({"SADD", "s", "a", "b", "a"}), integer(2));
    EXPECT_EQ(run({"SADD", "s", "b", "c"}), integer(1));
    EXPECT_EQ(run({"SMEMBERS", "s"}), "*3\r\n" + bulk("a") + bulk("b") + bulk("c"));
    EXPECT_EQ(run({"SISMEMBER", "s", "a"}), integer(1));
    EXPECT_EQ(run({"SMISMEMBER", "s", "a", "z"}), "*2\r\n" + integer(1) + integer(0));
    EXPECT_EQ(run({"SCARD", "s"}), integer(3));
    EXPECT_EQ(run({"SREM", "s", "a", "z"}), integer(1));
    run({"SADD", "t", "c", "d"});
    EXPECT_EQ(run({"SINTER", "s", "t"}), "*1\r\n" + bulk("c"));
    EXPECT_EQ(run({"SUNION", "s", "t"}), "*3\r\n" + bulk("b") + bulk("c") + bulk("d"));
    EXPECT_EQ(run({"SDIFF", "s", "t", "none"}), "*1\r\n" + bulk("b"));
    client.protocol = 3;
    EXPECT_EQ(run({"SMEMBERS", "t"}), "~2\r\n" + bulk("c") + bulk("d"));
}

TEST_F(RespTest, SpopAndSrandmember) {
    run({"SADD", "s", "a", "b", "c"});
    EXPECT_THAT(run({"SRANDMEMBER", "s", "2"}), StartsWith("*2\r\n"));
    EXPECT_THAT(run({"SRANDMEMBER", "s", "-5"}), StartsWith("*5\r\n"));
    EXPECT_EQ(run({"SCARD", "s"}), integer(3));
    EXPECT_THAT(run({"SPOP", "s", "2"}), StartsWith("*2\r\n"));
    EXPECT_EQ(run({"SCARD", "s"}), integer(1));
    EXPECT_THAT(run({"SPOP", "s"}), StartsWith("$1\r\n"));
    EXPECT_EQ(run({"SPOP", "s"}), nil);
    EXPECT_EQ(run({"SPOP", "s", "-1"}), "-ERR value is out of range, must be positive\r\n");
}

TEST_F(RespTest, Hashes) {
    EXPECT_EQ(run({"HSET", "h", "name", "ada", "lang", "en"}), integer(2));
    EXPECT_EQ(run({"HSET", "h", "name", "grace"}), integer(0));
    EXPECT_EQ(run({"HSET", "h", "odd"}), "-ERR wrong number of arguments for 'hset' command\r\n");
    EXPECT_EQ(run({"HMSET", "h", "x", "1"}), ok);
    EXPECT_EQ(run({"HGET", "h", "name"}), bulk("grace"));
    EXPECT_EQ(run({"HGET", "h", "none"}), nil);
    EXPECT_EQ(run({"HMGET", "h", "name", "none"}), "*2\r\n" + bulk("grace") + nil);
    EXPECT_EQ(run({"HINCRBY", "h", "visits", "5"}), integer(5));
    EXPECT_EQ(run({"HINCRBY", "h", "visits", "-2"}), integer(3));
    EXPECT_EQ(run({"HINCRBY", "h", "name", "1"}), wrongtype);
    EXPECT_EQ(run({"HLEN", "h"}), integer(4));
    EXPECT_EQ(run({"HEXISTS", "h", "lang"}), integer(1));
    EXPECT_EQ(run({"HDEL", "h", "lang", "x", "none"}), integer(2));
    EXPECT_EQ(run({"HKEYS", "h"}), "*2\r\n" + bulk("name") + bulk("visits"));
    EXPECT_EQ(run({"HVALS", "h"}), "*2\r\n" + bulk("grace") + bulk("3"));
    EXPECT_EQ(run({"HGETALL", "h"}),
              "*4\r\n" + bulk("name") + bulk("grace") + bulk("visits") + bulk("3"));
    EXPECT_EQ(run({"HGETALL", "none"}), "*0\r\n");
}

TEST_F(RespTest, SortedSets) {
    EXPECT_EQ(run({"ZADD", "z", "10", "ada", "5", "grace", "7.5", "linus"}), integer(3));
    EXPECT_EQ(run({"ZADD", "z", "11", "ada"}), integer(0));
    EXPECT_EQ(run({"ZADD", "z", "CH", "12", "ada", "5", "grace"}), integer(1));
    EXPECT_EQ(run({"ZADD", "z", "NX", "1", "ada"}), integer(0));
    EXPECT_EQ(run({"ZADD", "z", "XX", "1", "nobody"}), integer(0));
    EXPECT_EQ(run({"ZADD", "z", "GT", "CH", "3", "grace"}), integer(0));
    EXPECT_EQ(run({"ZADD", "z", "INCR", "1.5", "grace"}), bulk("6.5"));
    EXPECT_EQ(run({"ZADD", "z", "NX", "XX", "1", "a"}),
              "-ERR XX and NX options at the same time are not compatible\r\n");
    EXPECT_EQ(run({"ZINCRBY", "z", "0.5", "linus"}), bulk("8"));
    EXPECT_EQ(run({"ZSCORE", "z", "ada"}), bulk("12"));
    EXPECT_EQ(run({"ZSCORE", "z", "none"}), nil);
    EXPECT_EQ(run({"ZCARD", "z"}), integer(3));
    EXPECT_EQ(run({"ZRANGE", "z", "0", "-1"}),
              "*3\r\n" + bulk("grace") + bulk("linus") + bulk("ada"));
    EXPECT_EQ(run({"ZRANGE", "z", "0", "1", "REV", "WITHSCORES"}),
              "*4\r\n" + bulk("ada") + bulk("12") + bulk("linus") + bulk("8"));
    EXPECT_EQ(run({"ZRANGE", "z", "-1", "-1"}), "*1\r\n" + bulk("ada"));
    EXPECT_EQ(run({"ZRANGE", "z", "5", "9"}), "*0\r\n");
    EXPECT_THAT(run({"ZRANGE", "z", "0", "1", "BYSCORE"}), StartsWith("-ERR converge: ZRANGE"));
    EXPECT_EQ(run({"ZRANK", "z", "ada"}), integer(2));
    EXPECT_EQ(run({"ZRANK", "z", "none"}), nil);
    EXPECT_EQ(run({"ZRANK", "z", "ada", "WITHSCORE"}), "*2\r\n" + integer(2) + bulk("12"));
    EXPECT_EQ(run({"ZREM", "z", "ada", "none"}), integer(1));
    client.protocol = 3;
    EXPECT_EQ(run({"ZRANGE", "z", "0", "0", "WITHSCORES"}),
              "*1\r\n*2\r\n" + bulk("grace") + ",6.5\r\n");
    EXPECT_EQ(run({"ZSCORE", "z", "linus"}), ",8\r\n");
}

TEST_F(RespTest, AScoreRefusedMidwayChangesNothing) {
    const std::string reply = run({"ZADD", "z", "1", "a", "nan", "b"});
    EXPECT_EQ(reply, "-ERR value is not a valid float\r\n");
    EXPECT_THAT(run({"ZADD", "z", "1", "a", "inf", "b"}),
                StartsWith("-ERR converge: scores must be finite"));
    EXPECT_EQ(run({"ZCARD", "z"}), integer(0));
    EXPECT_EQ(run({"EXISTS", "z"}), integer(0));
}

TEST_F(RespTest, HyperLogLogs) {
    EXPECT_EQ(run({"PFADD", "p", "a", "b", "c"}), integer(1));
    EXPECT_EQ(run({"PFADD", "p", "a"}), integer(0));
    EXPECT_EQ(run({"PFCOUNT", "p"}), integer(3));
    run({"PFADD", "q", "c", "d"});
    EXPECT_EQ(run({"PFCOUNT", "p", "q"}), integer(4));  // the union
    EXPECT_EQ(run({"PFCOUNT", "p", "none"}), integer(3));
    EXPECT_EQ(run({"PFMERGE", "u", "p", "q"}), ok);
    EXPECT_EQ(run({"PFCOUNT", "u"}), integer(4));
    EXPECT_EQ(run({"PFMERGE", "p", "q"}), ok);
    EXPECT_EQ(run({"PFCOUNT", "p"}), integer(4));
    run({"SADD", "s", "x"});
    EXPECT_EQ(run({"PFMERGE", "s", "p"}), wrongtype);
    EXPECT_EQ(run({"PFMERGE", "u", "s"}), wrongtype);
    EXPECT_EQ(run({"TYPE", "p"}), "+string\r\n");
    EXPECT_EQ(run({"DEL", "p"}), integer(1));
    EXPECT_EQ(run({"PFCOUNT", "p"}), integer(0));
}

TEST_F(RespTest, RecordCommandsCheckTheKeyType) {
    run({"SET", "v", "1"});
    for (const RespArgs& args : std::vector<RespArgs>{{"SADD", "v", "x"},
                                                      {"HGET", "v", "f"},
                                                      {"ZADD", "v", "1", "m"},
                                                      {"ZRANGE", "v", "0", "1"},
                                                      {"PFADD", "v", "e"},
                                                      {"PFCOUNT", "v"}})
        EXPECT_EQ(run(args), wrongtype) << args[0];
    EXPECT_EQ(run({"GET", "v"}), bulk("1"));
    EXPECT_THAT(run({"INFO", "stats"}), HasSubstr("total_commands_processed:"));
}

}  // namespace
}  // namespace converge::tools
