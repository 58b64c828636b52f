#include <gtest/gtest.h>

#include <crdt/gset.hpp>
#include <crdt/lww_element_set.hpp>
#include <crdt/two_p_set.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};

TEST(GSet, MergeIsUnion) {
    GSet<std::string> x, y;
    x.add("a");
    y.add("b");
    y.add("a");
    x.merge(y);
    EXPECT_EQ(x.elements(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(x.add("c").elements(), (std::vector<std::string>{"c"}));
}

TEST(TwoPSet, RemovedElementCanNeverComeBack) {
    TwoPSet<int> s;
    s.add(1);
    s.remove(1);
    EXPECT_TRUE(s.add(1).elements().empty());
    EXPECT_FALSE(s.contains(1));
    EXPECT_EQ(s.tombstones(), 1u);
}

TEST(TwoPSet, RemoveWinsOverConcurrentAdd) {
    TwoPSet<int> x, y;
    x.add(7);
    y.merge(x);
    y.remove(7);
    x.add(7);
    x.merge(y);
    EXPECT_FALSE(x.contains(7));
}

TEST(TwoPSet, RemoveOfAnUnseenElementDoesNothing) {
    TwoPSet<int> s;
    EXPECT_EQ(s.remove(3), TwoPSet<int>{});
    s.add(3);
    EXPECT_TRUE(s.contains(3));
}

TEST(LWWElementSet, LatestOperationPerElementDecides) {
    LWWElementSet<std::string> s;
    s.add(Timestamp{10, 0, a}, "alice");
    s.remove(Timestamp{9, 0, b}, "alice");
    EXPECT_TRUE(s.contains("alice"));
    s.remove(Timestamp{11, 0, b}, "alice");
    EXPECT_FALSE(s.contains("alice"));
    s.add(Timestamp{12, 0, a}, "alice");
    EXPECT_TRUE(s.contains("alice"));
}

TEST(LWWElementSet, AddWinsAnExactTie) {
    LWWElementSet<std::string> s;
    const Timestamp t{10, 0, a};
    s.remove(t, "x");
    s.add(t, "x");
    EXPECT_TRUE(s.contains("x"));
}

TEST(LWWElementSet, ReplicasConvergeWhateverTheDeliveryOrder) {
    LWWElementSet<std::string> x, y;
    const auto d1 = x.add(Timestamp{5, 0, a}, "bob");
    const auto d2 = y.remove(Timestamp{6, 0, b}, "bob");
    x.merge(d2);
    y.merge(d1);
    EXPECT_EQ(x, y);
    EXPECT_FALSE(x.contains("bob"));
}

}  // namespace
}  // namespace converge
