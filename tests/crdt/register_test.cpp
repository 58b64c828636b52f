#include <gtest/gtest.h>

#include <crdt/lww_register.hpp>
#include <crdt/mv_register.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};

TEST(LWWRegister, EmptyWhenNeverSet) {
    LWWRegister<std::string> r;
    EXPECT_FALSE(r.value().has_value());
}

TEST(LWWRegister, LaterTimestampWins) {
    LWWRegister<std::string> r;
    r.assign(Timestamp{10, 0, a}, "old");
    r.assign(Timestamp{11, 0, a}, "new");
    r.assign(Timestamp{9, 5, b}, "stale");
    EXPECT_EQ(r.value(), "new");
}

TEST(LWWRegister, TieOnPhysicalTimeBrokenByReplicaId) {
    LWWRegister<std::string> x, y;
    const auto dx = x.assign(Timestamp{10, 0, a}, "from-a");
    const auto dy = y.assign(Timestamp{10, 0, b}, "from-b");
    x.merge(dy);
    y.merge(dx);
    EXPECT_EQ(x.value(), "from-b");
    EXPECT_EQ(x, y);
}

TEST(LWWRegister, ResetTakesPartInLastWriterWins) {
    LWWRegister<std::string> r;
    r.assign(Timestamp{10, 0, a}, "v");
    r.reset(Timestamp{12, 0, b});
    EXPECT_FALSE(r.value().has_value());
    r.assign(Timestamp{11, 0, a}, "late");
    EXPECT_FALSE(r.value().has_value());
    r.assign(Timestamp{13, 0, a}, "again");
    EXPECT_EQ(r.value(), "again");
}

TEST(MVRegister, ConcurrentWritesAreAllKept) {
    MVRegister<int> x, y;
    const auto dx = x.assign(a, 1);
    const auto dy = y.assign(b, 2);
    x.merge(dy);
    y.merge(dx);
    EXPECT_EQ(x.values(), (std::vector<int>{1, 2}));
    EXPECT_EQ(x, y);
}

TEST(MVRegister, AWriteReplacesEveryValueItSaw) {
    MVRegister<int> x, y;
    x.assign(a, 1);
    y.assign(b, 2);
    x.merge(y);
    const auto d = x.assign(a, 3);
    y.merge(d);
    EXPECT_EQ(x.values(), (std::vector<int>{3}));
    EXPECT_EQ(y.values(), (std::vector<int>{3}));
}

TEST(MVRegister, ClearEmptiesButKeepsConcurrentWrites) {
    MVRegister<int> x, y;
    x.assign(a, 1);
    y.merge(x);
    y.assign(b, 2);
    x.clear();
    EXPECT_TRUE(x.empty());
    x.merge(y);
    EXPECT_EQ(x.values(), (std::vector<int>{2}));
}

}  // namespace
}  // namespace converge
