// The concurrent outcomes docs/redis.md promises: two replicas take Redis commands without
// seeing each other, then sync, and both give the documented reply.
#include "resp_fixture.hpp"

#include <store/cluster.hpp>

namespace converge::tools {
namespace {

class RespConcurrentTest : public ::testing::Test {
  protected:
    // Runs a command on replica i (0 or 1) and returns the raw reply; the clock moves 1 ms after
    // each, so later commands carry greater timestamps.
    std::string run(std::size_t i, const RespArgs& args) {
        std::string out;
        RespWriter writer(out, client.protocol);
        RespCommands::instance().execute(i == 0 ? a : b, client, args, writer);
        cluster.clock->advance(1);
        return out;
    }
    std::string both(const RespArgs& args) {
        const std::string first = run(0, args);
        EXPECT_EQ(first, run(1, args)) << "the replicas disagree on " << args[0];
        return first;
    }
    void sync() { ASSERT_LE(cluster.settle(), 50U); }

    store::testing::Cluster cluster{2};
    RespContext a{cluster[0], std::nullopt, 6379, "", 1024, std::chrono::steady_clock::now(), {},
                  {}};
    RespContext b{cluster[1], std::nullopt, 6379, "", 1024, std::chrono::steady_clock::now(), {},
                  {}};
    RespClient client = [] {
        RespClient c;
        c.authenticated = true;
        return c;
    }();
};

TEST_F(RespConcurrentTest, TwoSetsTheLaterWins) {
    run(0, {"SET", "k", "first"});
    run(1, {"SET", "k", "second"});
    sync();
    EXPECT_EQ(both({"GET", "k"}), bulk("second"));
}

TEST_F(RespConcurrentTest, ADelDoesNotRemoveASetItDidNotSee) {
    run(0, {"SET", "k", "old"});
    sync();
    run(0, {"DEL", "k"});
    run(1, {"SET", "k", "new"});
    sync();
    EXPECT_EQ(both({"GET", "k"}), bulk("new"));
}

TEST_F(RespConcurrentTest, IncrementsAddUp) {
    run(0, {"INCRBY", "c", "5"});
    run(1, {"INCR", "c"});
    run(1, {"DECRBY", "c", "3"});
    sync();
    EXPECT_EQ(both({"GET", "c"}), bulk("3"));
}

TEST_F(RespConcurrentTest, ADelOfACounterKeepsTheIncrementsItDidNotSee) {
    run(0, {"INCRBY", "c", "5"});
    sync();
    run(0, {"DEL", "c"});
    run(1, {"INCRBY", "c", "2"});
    sync();
    EXPECT_EQ(both({"GET", "c"}), bulk("2"));
    run(1, {"DEL", "c"});
    sync();
    EXPECT_EQ(both({"EXISTS", "c"}), integer(0));
}

TEST_F(RespConcurrentTest, IncrOnAValueOutranksAConcurrentSet) {
    run(0, {"SET", "k", "5"});
    sync();
    run(0, {"INCR", "k"});          // a counter of 6 from here on
    run(1, {"SET", "k", "later"});  // concurrent, and later: lost, as in any type conflict
    run(1, {"INCRBY", "other", "1"});
    sync();
    EXPECT_EQ(both({"GET", "k"}), bulk("6"));
    run(1, {"INCR", "k"});
    run(0, {"INCRBY", "k", "10"});
    sync();
    EXPECT_EQ(both({"GET", "k"}), bulk("17"));
}

TEST_F(RespConcurrentTest, AnAddSurvivesAConcurrentRemove) {
    run(0, {"SADD", "s", "m", "n"});
    sync();
    run(0, {"SREM", "s", "m", "n"});
    run(1, {"SADD", "s", "m"});
    sync();
    EXPECT_EQ(both({"SMEMBERS", "s"}), "*1\r\n" + bulk("m"));
}

TEST_F(RespConcurrentTest, FlushallKeepsWhatItDidNotSee) {
    run(0, {"SET", "seen", "v"});
    sync();
    run(0, {"FLUSHALL"});
    run(1, {"SET", "unseen", "v"});
    sync();
    EXPECT_EQ(both({"KEYS", "*"}), "*1\r\n" + bulk("unseen"));
}

TEST_F(RespConcurrentTest, TwoExpiresTheLaterDeadlineHolds) {
    run(0, {"SET", "k", "v"});
    sync();
    run(0, {"EXPIRE", "k", "100"});
    run(1, {"EXPIRE", "k", "50"});
    sync();
    const std::int64_t left = std::stoll(both({"TTL", "k"}).substr(1));
    EXPECT_EQ(left, 50);
    EXPECT_EQ(both({"GET", "k"}), bulk("v"));
}

TEST_F(RespConcurrentTest, ExpireAgainstPersistTheLaterWins) {
    run(0, {"SET", "k", "v", "EX", "100"});
    sync();
    run(0, {"PERSIST", "k"});
    run(1, {"EXPIRE", "k", "30"});  // later
    sync();
    EXPECT_EQ(both({"TTL", "k"}), integer(30));
    run(1, {"EXPIRE", "k", "60"});
    run(0, {"PERSIST", "k"});  // later
    sync();
    EXPECT_EQ(both({"TTL", "k"}), integer(-1));
}

TEST_F(RespConcurrentTest, AWholeKeyExpiresEverywhereAndWhatIsWrittenAfterLives) {
    run(0, {"HSET", "h", "a", "1", "b", "2"});
    run(0, {"ZADD", "z", "1", "m"});
    run(0, {"EXPIRE", "h", "10"});
    run(0, {"EXPIRE", "z", "10"});
    sync();
    EXPECT_EQ(both({"TTL", "h"}), integer(10));
    cluster.clock->advance(10'000);
    EXPECT_EQ(both({"EXISTS", "h", "z"}), integer(0));
    EXPECT_EQ(both({"TYPE", "h"}), "+none\r\n");
    run(1, {"HSET", "h", "c", "3"});  // replica 2 expires the key, then writes
    sync();
    EXPECT_EQ(both({"HGETALL", "h"}), "*2\r\n" + bulk("c") + bulk("3"));
    EXPECT_EQ(both({"TTL", "h"}), integer(-1));
    EXPECT_EQ(both({"ZCARD", "z"}), integer(0));
}

TEST_F(RespConcurrentTest, TwoExpiresOfAHashTheLaterHolds) {
    run(0, {"HSET", "h", "a", "1"});
    sync();
    run(0, {"EXPIRE", "h", "100"});
    run(1, {"EXPIRE", "h", "50"});  // later
    run(1, {"HSET", "h", "b", "2"});
    sync();
    EXPECT_EQ(both({"TTL", "h"}), integer(50));
    run(0, {"PERSIST", "h"});  // later still
    sync();
    EXPECT_EQ(both({"TTL", "h"}), integer(-1));
    EXPECT_EQ(both({"HLEN", "h"}), integer(2));
}

TEST_F(RespConcurrentTest, ExpireAgainstSetTheLaterWinsWhole) {
    run(0, {"SET", "k", "old"});
    sync();
    run(0, {"SET", "k", "new"});
    run(1, {"EXPIRE", "k", "30"});  // later, and it re-wrote the value it saw
    sync();
    EXPECT_EQ(both({"GET", "k"}), bulk("old"));
    EXPECT_EQ(both({"TTL", "k"}), integer(30));
}

TEST_F(RespConcurrentTest, HashFieldsMergeFieldByField) {
    run(0, {"HSET", "h", "name", "ada", "gone", "x"});
    sync();
    run(0, {"HSET", "h", "name", "grace"});
    run(0, {"HDEL", "h", "gone"});
    run(1, {"HSET", "h", "name", "lovelace", "gone", "back"});  // later
    run(1, {"HINCRBY", "h", "visits", "2"});
    run(0, {"HINCRBY", "h", "visits", "3"});
    sync();
    EXPECT_EQ(both({"HGET", "h", "name"}), bulk("lovelace"));
    EXPECT_EQ(both({"HGET", "h", "gone"}), bulk("back"));
    EXPECT_EQ(both({"HGET", "h", "visits"}), bulk("5"));
}

TEST_F(RespConcurrentTest, SortedSetIncrementsAddOnTheWinningScore) {
    run(0, {"ZADD", "z", "10", "ada"});
    run(1, {"ZADD", "z", "20", "ada"});  // later: 20 wins
    run(0, {"ZINCRBY", "z", "1", "ada"});
    run(1, {"ZINCRBY", "z", "2", "ada"});
    sync();
    EXPECT_EQ(both({"ZSCORE", "z", "ada"}), bulk("23"));
}

TEST_F(RespConcurrentTest, HyperLogLogsUnite) {
    run(0, {"PFADD", "p", "a", "b", "c"});
    run(1, {"PFADD", "p", "c", "d"});
    sync();
    EXPECT_EQ(both({"PFCOUNT", "p"}), integer(4));
}

TEST_F(RespConcurrentTest, NxIsALocalCondition) {
    EXPECT_EQ(run(0, {"SET", "lock", "a", "NX"}), ok);
    EXPECT_EQ(run(1, {"SET", "lock", "b", "NX"}), ok);  // neither saw the other: both succeed
    sync();
    EXPECT_EQ(both({"GET", "lock"}), bulk("b"));
    EXPECT_EQ(run(0, {"SET", "lock", "c", "NX"}), nil);
}

}  // namespace
}  // namespace converge::tools
