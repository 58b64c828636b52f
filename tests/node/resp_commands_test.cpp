// The RESP front's connection, key and string commands: Redis's reply shapes and error texts,
// and state unchanged by a refused command.
#include "resp_fixture.hpp"
#include <node/resp/glob_match.hpp>

namespace converge::tools {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(RespTest, AnswersPingEchoAndTime) {
    EXPECT_EQ(run({"PING"}), "+PONG\r\n");
    EXPECT_EQ(run({"ping", "hi"}), bulk("hi"));
    EXPECT_EQ(run({"EcHo", "x y"}), bulk("x y"));
    EXPECT_THAT(run({"TIME"}), StartsWith("*2\r\n$10\r\n"));
}

TEST_F(RespTest, UnknownCommandsAndWrongArityGetRedisErrors) {
    EXPECT_EQ(run({"FOO", "a", "b"}),
              "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
    EXPECT_EQ(run({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n");
    EXPECT_EQ(run({"SET", "k"}), "-ERR wrong number of arguments for 'set' command\r\n");
    EXPECT_EQ(run({"LPUSH", "l", "x"}),
              "-ERR unknown command 'LPUSH', with args beginning with: 'l' 'x' \r\n");
}

TEST_F(RespTest, SetAndGetAValue) {
    EXPECT_EQ(run({"GET", "k"}), nil);
    EXPECT_EQ(run({"SET", "k", "v"}), ok);
    EXPECT_EQ(run({"get", "k"}), bulk("v"));
    EXPECT_EQ(run({"STRLEN", "k"}), integer(1));
    EXPECT_EQ(run({"APPEND", "k", "alue"}), integer(5));
    EXPECT_EQ(run({"GET", "k"}), bulk("value"));
    EXPECT_EQ(run({"GETDEL", "k"}), bulk("value"));
    EXPECT_EQ(run({"GET", "k"}), nil);
    client.protocol = 3;
    EXPECT_EQ(run({"GET", "k"}), "_\r\n");
}

TEST_F(RespTest, SetOptions) {
    EXPECT_EQ(run({"SET", "k", "1", "XX"}), nil);
    EXPECT_EQ(run({"SET", "k", "1", "NX"}), ok);
    EXPECT_EQ(run({"SET", "k", "2", "NX"}), nil);
    EXPECT_EQ(run({"SET", "k", "3", "GET"}), bulk("1"));
    EXPECT_EQ(run({"SET", "k", "4", "EX", "100"}), ok);
    const std::string ttl = run({"TTL", "k"});
    EXPECT_TRUE(ttl == integer(100) || ttl == integer(99)) << ttl;
    EXPECT_EQ(run({"SET", "k", "5", "KEEPTTL"}), ok);
    EXPECT_NE(run({"TTL", "k"}), integer(-1));
    EXPECT_EQ(run({"SET", "k", "6"}), ok);
    EXPECT_EQ(run({"TTL", "k"}), integer(-1));
    EXPECT_EQ(run({"SET", "k", "7", "EX", "0"}), "-ERR invalid expire time in 'set' command\r\n");
    EXPECT_EQ(run({"SET", "k", "7", "NX", "XX"}), "-ERR syntax error\r\n");
    EXPECT_EQ(run({"SET", "k", "7", "EX", "10", "PX", "5"}), "-ERR syntax error\r\n");
    EXPECT_EQ(run({"GET", "k"}), bulk("6"));                // refused SETs changed nothing
    EXPECT_EQ(run({"SET", "k", "8", "PXAT", "1000"}), ok);  // in the past: gone at once
    EXPECT_EQ(run({"GET", "k"}), nil);
}

TEST_F(RespTest, SetexMsetAndMget) {
    EXPECT_EQ(run({"SETEX", "a", "100", "x"}), ok);
    EXPECT_EQ(run({"PSETEX", "b", "100000", "y"}), ok);
    EXPECT_EQ(run({"SETEX", "c", "0", "z"}), "-ERR invalid expire time in 'setex' command\r\n");
    EXPECT_EQ(run({"MSET", "c", "1", "d"}),
              "-ERR wrong number of arguments for 'mset' command\r\n");
    EXPECT_EQ(run({"MSET", "c", "1", "d", "2"}), ok);
    run({"SADD", "s", "m"});
    EXPECT_EQ(run({"MGET", "a", "b", "c", "s", "none"}),
              "*5\r\n" + bulk("x") + bulk("y") + bulk("1") + nil + nil);
}

TEST_F(RespTest, CountersAddUpAndReadAsStrings) {
    EXPECT_EQ(run({"INCR", "c"}), integer(1));
    EXPECT_EQ(run({"INCRBY", "c", "10"}), integer(11));
    EXPECT_EQ(run({"DECR", "c"}), integer(10));
    EXPECT_EQ(run({"DECRBY", "c", "-5"}), integer(15));
    EXPECT_EQ(run({"INCRBY", "c", "-20"}), integer(-5));
    EXPECT_EQ(run({"GET", "c"}), bulk("-5"));
    EXPECT_EQ(run({"TYPE", "c"}), "+string\r\n");
    EXPECT_EQ(run({"INCRBY", "c", "x"}), "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(run({"DECRBY", "c", "-9223372036854775808"}), "-ERR decrement would overflow\r\n");
    EXPECT_EQ(run({"INCRBY", "c", "9223372036854775807"}), integer(9223372036854775802));
    EXPECT_EQ(run({"INCRBY", "c", "6"}), "-ERR increment or decrement would overflow\r\n");
    EXPECT_EQ(run({"GET", "c"}), bulk("9223372036854775802"));
}

TEST_F(RespTest, AKeyOfOneTypeRefusesTheOthersCommands) {
    run({"SADD", "s", "m"});
    EXPECT_EQ(run({"GET", "s"}), wrongtype);
    EXPECT_EQ(run({"INCR", "s"}), wrongtype);
    EXPECT_EQ(run({"HSET", "s", "f", "v"}), wrongtype);
    EXPECT_EQ(run({"SET", "s", "v", "GET"}), wrongtype);
    EXPECT_EQ(run({"SMEMBERS", "s"}), "*1\r\n" + bulk("m"));
    run({"SET", "v", "text"});
    EXPECT_EQ(run({"INCR", "v"}), "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(run({"GET", "v"}), bulk("text"));
    run({"INCR", "n"});
    EXPECT_THAT(run({"SET", "n", "5"}), StartsWith("-ERR converge: key 'n' is a counter"));
    EXPECT_EQ(run({"GET", "n"}), bulk("1"));
}

TEST_F(RespTest, IncrTurnsAnIntegerValueIntoACounter) {
    EXPECT_EQ(run({"SET", "k", "5"}), ok);
    EXPECT_EQ(run({"INCR", "k"}), integer(6));
    EXPECT_EQ(run({"GET", "k"}), bulk("6"));
    EXPECT_EQ(run({"TYPE", "k"}), "+string\r\n");
    EXPECT_EQ(store.inspect("k")->type, store::KeyInspection::Type::counter);
    EXPECT_THAT(run({"SET", "k", "7"}), StartsWith("-ERR converge: key 'k' is a counter"));
    EXPECT_EQ(run({"SET", "neg", "-3"}), ok);
    EXPECT_EQ(run({"DECRBY", "neg", "4"}), integer(-7));
    EXPECT_EQ(run({"SET", "big", "9223372036854775807"}), ok);
    EXPECT_EQ(run({"INCR", "big"}), "-ERR increment or decrement would overflow\r\n");
    EXPECT_EQ(run({"GET", "big"}), bulk("9223372036854775807"));
    EXPECT_EQ(run({"SET", "ttl", "1", "EX", "100"}), ok);
    EXPECT_EQ(run({"INCR", "ttl"}), integer(2));  // keeps the TTL, as in Redis
    EXPECT_EQ(run({"TTL", "ttl"}), integer(100));
    EXPECT_EQ(run({"PERSIST", "ttl"}), integer(1));
    EXPECT_EQ(run({"INCR", "ttl"}), integer(3));
    EXPECT_EQ(run({"SET", "gone", "10"}), ok);
    EXPECT_EQ(run({"DEL", "gone"}), integer(1));
    EXPECT_EQ(run({"INCR", "gone"}), integer(1));  // a deleted value counts as 0
}

TEST_F(RespTest, ExpireTtlAndPersist) {
    EXPECT_EQ(run({"TTL", "k"}), integer(-2));
    EXPECT_EQ(run({"EXPIRE", "k", "10"}), integer(0));
    run({"SET", "k", "v"});
    EXPECT_EQ(run({"TTL", "k"}), integer(-1));
    EXPECT_EQ(run({"EXPIRE", "k", "100", "XX"}), integer(0));
    EXPECT_EQ(run({"EXPIRE", "k", "100"}), integer(1));
    EXPECT_EQ(run({"EXPIRE", "k", "50", "GT"}), integer(0));
    EXPECT_EQ(run({"EXPIRE", "k", "50", "LT"}), integer(1));
    const std::int64_t pttl = std::stoll(run({"PTTL", "k"}).substr(1));
    EXPECT_LE(pttl, 50'000);
    EXPECT_GT(pttl, 49'000);
    EXPECT_EQ(run({"GET", "k"}), bulk("v"));
    EXPECT_EQ(run({"PERSIST", "k"}), integer(1));
    EXPECT_EQ(run({"PERSIST", "k"}), integer(0));
    EXPECT_EQ(run({"TTL", "k"}), integer(-1));
    EXPECT_EQ(run({"PEXPIREAT", "k", "1"}), integer(1));  // in the past: deleted
    EXPECT_EQ(run({"EXISTS", "k"}), integer(0));
}

TEST_F(RespTest, SetsHashesSortedSetsAndHyperLogLogsExpireAsWholeKeys) {
    run({"SADD", "s", "m"});
    run({"HSET", "h", "f", "1"});
    run({"ZADD", "z", "1", "m"});
    run({"PFADD", "p", "e"});
    for (const char* key : {"s", "h", "z", "p"}) {
        EXPECT_EQ(run({"EXPIRE", key, "100", "XX"}), integer(0)) << key;
        EXPECT_EQ(run({"EXPIRE", key, "100"}), integer(1)) << key;
        EXPECT_EQ(run({"EXPIRE", key, "50", "LT"}), integer(1)) << key;
        const std::int64_t pttl = std::stoll(run({"PTTL", key}).substr(1));
        EXPECT_LE(pttl, 50'000) << key;
        EXPECT_GT(pttl, 49'000) << key;
    }
    run({"HSET", "h", "g", "2"});  // a write keeps the deadline
    EXPECT_NE(run({"TTL", "h"}), integer(-1));
    EXPECT_EQ(run({"PERSIST", "z"}), integer(1));
    EXPECT_EQ(run({"TTL", "z"}), integer(-1));
    EXPECT_EQ(run({"PEXPIREAT", "p", "1"}), integer(1));  // in the past: deleted
    EXPECT_EQ(run({"EXISTS", "p"}), integer(0));
    EXPECT_EQ(run({"HLEN", "h"}), integer(2));
    run({"SADD", "s", "n"});  // a write keeps the deadline
    EXPECT_NE(run({"TTL", "s"}), integer(-1));
    EXPECT_EQ(run({"PEXPIREAT", "s", "1"}), integer(1));
    EXPECT_EQ(run({"EXISTS", "s"}), integer(0));
    EXPECT_EQ(run({"SADD", "s", "again"}), integer(1));
    EXPECT_EQ(run({"TTL", "s"}), integer(-1));
}

// As in Redis, a key whose last member goes no longer exists, and neither does its TTL: what is
// written to it next lives on.
TEST_F(RespTest, RemovingTheLastMemberDropsTheTtl) {
    run({"SADD", "s", "m"});
    run({"HSET", "h", "f", "1"});
    run({"ZADD", "z", "1", "m"});
    for (const char* key : {"s", "h", "z"})
        EXPECT_EQ(run({"EXPIRE", key, "100"}), integer(1)) << key;
    EXPECT_EQ(run({"SREM", "s", "m"}), integer(1));
    EXPECT_EQ(run({"HDEL", "h", "f"}), integer(1));
    EXPECT_EQ(run({"ZREM", "z", "m"}), integer(1));
    run({"SADD", "s", "m"});
    run({"HSET", "h", "f", "1"});
    run({"ZADD", "z", "1", "m"});
    for (const char* key : {"s", "h", "z"})
        EXPECT_EQ(run({"TTL", key}), integer(-1)) << key;
}

TEST_F(RespTest, DelExistsTypeAcrossTypes) {
    run({"SET", "v", "1"});
    run({"SADD", "s", "m"});
    run({"HSET", "h", "f", "1"});
    run({"ZADD", "z", "1", "m"});
    run({"PFADD", "p", "e"});
    EXPECT_EQ(run({"TYPE", "v"}), "+string\r\n");
    EXPECT_EQ(run({"TYPE", "s"}), "+set\r\n");
    EXPECT_EQ(run({"TYPE", "h"}), "+hash\r\n");
    EXPECT_EQ(run({"TYPE", "z"}), "+zset\r\n");
    EXPECT_EQ(run({"TYPE", "none"}), "+none\r\n");
    EXPECT_EQ(run({"EXISTS", "v", "s", "h", "z", "p", "none", "v"}), integer(6));
    EXPECT_EQ(run({"DBSIZE"}), integer(5));
    EXPECT_EQ(run({"DEL", "v", "s", "h", "none"}), integer(3));
    EXPECT_EQ(run({"UNLINK", "z", "p"}), integer(2));
    EXPECT_EQ(run({"DBSIZE"}), integer(0));
}

// A rate limiter's pattern: INCR, EXPIRE on the first, and a fresh count once the window ends.
TEST_F(RespTest, ACounterIsDeletedAndExpiresAndCountsAgainFromZero) {
    run({"SET", "v", "1"});
    run({"INCRBY", "c", "4"});
    EXPECT_EQ(run({"DEL", "v", "c"}), integer(2));
    EXPECT_EQ(run({"EXISTS", "v", "c"}), integer(0));
    EXPECT_EQ(run({"GET", "c"}), "$-1\r\n");
    EXPECT_EQ(run({"TYPE", "c"}), "+none\r\n");
    EXPECT_EQ(run({"INCR", "c"}), integer(1));
    EXPECT_EQ(run({"EXPIRE", "c", "10"}), integer(1));
    EXPECT_EQ(run({"TTL", "c"}), integer(10));
    EXPECT_EQ(run({"INCR", "c"}), integer(2));
    EXPECT_EQ(run({"PEXPIRE", "c", "0"}), integer(1));  // a past deadline deletes it now
    EXPECT_EQ(run({"EXISTS", "c"}), integer(0));
    EXPECT_EQ(run({"INCR", "c"}), integer(1));
    EXPECT_EQ(run({"TTL", "c"}), integer(-1));
    EXPECT_EQ(run({"GETDEL", "c"}), bulk("1"));
    EXPECT_EQ(run({"EXISTS", "c"}), integer(0));
}

TEST_F(RespTest, KeysAndScanWithMatchCountAndType) {
    for (int i = 0; i < 25; ++i)
        run({"SET", "user:" + std::to_string(i), "x"});
    run({"SADD", "users", "a"});
    EXPECT_THAT(run({"KEYS", "user:1?"}), StartsWith("*10\r\n"));
    EXPECT_THAT(run({"KEYS", "*s"}), "*1\r\n" + bulk("users"));
    std::set<std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
        const std::string reply = run({"SCAN", cursor, "COUNT", "4", "MATCH", "user:*"});
        ASSERT_THAT(reply, StartsWith("*2\r\n$"));
        std::size_t at = reply.find("\r\n", 4) + 2;
        const std::size_t end = reply.find("\r\n", at);
        cursor = reply.substr(at, end - at);
        for (std::size_t p = reply.find("user:", end); p != std::string::npos;
             p = reply.find("user:", p + 1))
            EXPECT_TRUE(seen.insert(reply.substr(p, reply.find("\r\n", p) - p)).second);
        ++calls;
    } while (cursor != "0" && calls < 100);
    EXPECT_EQ(seen.size(), 25u);
    EXPECT_EQ(calls, 7);  // 26 keys, 4 a call
    EXPECT_EQ(run({"SCAN", "0", "COUNT", "100", "TYPE", "set"}),
              "*2\r\n" + bulk("0") + "*1\r\n" + bulk("users"));
    EXPECT_EQ(run({"SCAN", "0", "BOGUS", "1"}), "-ERR syntax error\r\n");
}

TEST_F(RespTest, FlushallDeletesWhatItSaw) {
    run({"SET", "a", "1"});
    run({"SADD", "b", "x"});
    EXPECT_EQ(run({"FLUSHALL"}), ok);
    EXPECT_EQ(run({"DBSIZE"}), integer(0));
    run({"INCR", "c"});
    run({"SET", "d", "1"});
    EXPECT_EQ(run({"FLUSHDB", "ASYNC"}), ok);
    EXPECT_EQ(run({"DBSIZE"}), integer(0));
}

TEST_F(RespTest, RenameIsRefusedWithTheReason) {
    run({"SET", "a", "1"});
    EXPECT_THAT(run({"RENAME", "a", "b"}), StartsWith("-ERR converge does not rename"));
    EXPECT_EQ(run({"GET", "a"}), bulk("1"));
}

TEST_F(RespTest, AuthGatesEveryCommandButAuthHelloAndQuit) {
    context.password = "s3cret";
    client.authenticated = false;
    EXPECT_EQ(run({"GET", "k"}), "-NOAUTH Authentication required.\r\n");
    EXPECT_EQ(run({"AUTH", "wrong"}),
              "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    EXPECT_EQ(run({"AUTH", "someone", "s3cret"}),
              "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    EXPECT_THAT(run({"HELLO", "3"}), StartsWith("-NOAUTH HELLO must be called"));
    EXPECT_EQ(context.stats.auth_failures, 2u);
    EXPECT_THAT(run({"HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "app"}),
                StartsWith("%7\r\n"));
    EXPECT_TRUE(client.authenticated);
    EXPECT_EQ(client.protocol, 3);
    EXPECT_EQ(run({"CLIENT", "GETNAME"}), bulk("app"));
}

TEST_F(RespTest, AuthWithoutAPasswordSaysSo) {
    EXPECT_THAT(run({"AUTH", "x"}), StartsWith("-ERR AUTH <password> called without any password"));
}

TEST_F(RespTest, HelloSwitchesProtocol) {
    EXPECT_EQ(run({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
    EXPECT_THAT(run({"HELLO", "2"}), StartsWith("*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n"));
    EXPECT_THAT(run({"HELLO", "3"}), StartsWith("%7\r\n"));
    run({"HSET", "h", "f", "v"});
    EXPECT_EQ(run({"HGETALL", "h"}), "%1\r\n" + bulk("f") + bulk("v"));
    EXPECT_EQ(run({"HELLO"}).substr(0, 4), "%7\r\n");
}

TEST_F(RespTest, ClientSelectQuit) {
    EXPECT_EQ(run({"CLIENT", "ID"}), integer(7));
    EXPECT_EQ(run({"CLIENT", "GETNAME"}), nil);
    EXPECT_EQ(run({"CLIENT", "SETNAME", "a b"}),
              "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
    EXPECT_EQ(run({"CLIENT", "SETNAME", "worker"}), ok);
    EXPECT_THAT(run({"CLIENT", "INFO"}), HasSubstr("id=7 addr= name=worker"));
    EXPECT_EQ(run({"SELECT", "0"}), ok);
    EXPECT_EQ(run({"SELECT", "1"}), "-ERR DB index is out of range\r\n");
    EXPECT_EQ(run({"QUIT"}), ok);
    EXPECT_TRUE(client.closing);
}

TEST_F(RespTest, CommandAndConfigForClientsThatAsk) {
    const std::size_t count = RespCommands::instance().all().size();
    EXPECT_EQ(run({"COMMAND", "COUNT"}), integer(static_cast<std::int64_t>(count)));
    EXPECT_GT(count, 70u);
    EXPECT_THAT(run({"COMMAND", "INFO", "get", "nosuch"}),
                StartsWith("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n"));
    EXPECT_THAT(run({"COMMAND", "DOCS", "set"}), StartsWith("*2\r\n$3\r\nset\r\n*4\r\n"));
    EXPECT_EQ(run({"CONFIG", "GET", "save"}), "*2\r\n" + bulk("save") + bulk(""));
    EXPECT_EQ(run({"CONFIG", "GET", "appendonly", "nosuch"}),
              "*2\r\n" + bulk("appendonly") + bulk("no"));
    EXPECT_THAT(run({"CONFIG", "SET", "save", ""}), StartsWith("-ERR converge: CONFIG SET"));
}

TEST_F(RespTest, InfoHasTheCrdtSection) {
    run({"SET", "a", "1"});
    const std::string all = run({"INFO"});
    for (const char* part : {"# Server\r\n", "redis_version:", "# Clients\r\n", "# Memory\r\n",
                             "used_memory:", "# Stats\r\n", "# Keyspace\r\n", "db0:keys=1,",
                             "# CRDT\r\n", "replica_id:1\r\n", "metadata_bytes:"})
        EXPECT_THAT(all, HasSubstr(part));
    run({"SET", "b", "2", "EX", "100"});
    run({"HSET", "h", "f", "v"});
    run({"EXPIRE", "h", "300"});
    const std::string keyspace = run({"INFO", "keyspace"});
    EXPECT_THAT(keyspace, HasSubstr("db0:keys=3,expires=2,avg_ttl="));
    const std::uint64_t avg_ttl = std::stoull(keyspace.substr(keyspace.find("avg_ttl=") + 8));
    EXPECT_GE(avg_ttl, 199'000u);  // (100 s + 300 s) / 2, less what passed since
    EXPECT_LE(avg_ttl, 200'000u);
    const std::string crdt = run({"INFO", "crdt"});
    EXPECT_THAT(crdt, HasSubstr("# CRDT"));
    EXPECT_THAT(crdt, ::testing::Not(HasSubstr("# Server")));
}

TEST(GlobMatch, MatchesAsRedisDoes) {
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("h?llo", "hello"));
    EXPECT_TRUE(glob_match("h*llo", "heeeello"));
    EXPECT_TRUE(glob_match("h[ae]llo", "hallo"));
    EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
    EXPECT_TRUE(glob_match("h[a-b]llo", "hbllo"));
    EXPECT_TRUE(glob_match("a\\*b", "a*b"));
    EXPECT_FALSE(glob_match("a\\*b", "axb"));
    EXPECT_FALSE(glob_match("user:*", "users"));
    EXPECT_TRUE(glob_match("*a*b*c*", "xxaxxbxxcxx"));
    EXPECT_FALSE(glob_match(std::string(30, '*') + "b", std::string(10000, 'a')));  // fast
}

}  // namespace
}  // namespace converge::tools
