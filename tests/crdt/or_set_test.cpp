#include <gtest/gtest.h>

#include <crdt/or_set.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};
using Set = ORSet<std::string>;
using Elements = std::vector<std::string>;

TEST(ORSet, AddRemoveContains) {
    Set s;
    s.add(a, "x");
    s.add(a, "y");
    EXPECT_TRUE(s.contains("x"));
    EXPECT_EQ(s.size(), 2u);
    s.remove("x");
    EXPECT_FALSE(s.contains("x"));
    EXPECT_EQ(s.elements(), (Elements{"y"}));
}

TEST(ORSet, ConcurrentAddAndRemoveAddWins) {
    Set x;
    x.add(a, "apple");
    Set y = x;
    y.remove("apple");  // y removes the add it saw
    x.add(a, "apple");  // x adds again, concurrently
    Set xy = x, yx = y;
    xy.merge(y);
    yx.merge(x);
    EXPECT_TRUE(xy.contains("apple"));
    EXPECT_EQ(xy, yx);
}

TEST(ORSet, RemoveRemovesOnlyWhatWasObserved) {
    Set x, y;
    x.add(a, "k");
    y.add(b, "k");  // concurrent add, not seen by x
    x.remove("k");
    x.merge(y);
    EXPECT_TRUE(x.contains("k"));
    EXPECT_EQ(x.dots("k").size(), 1u);
    EXPECT_EQ(x.dots("k")[0].replica, b);
}

TEST(ORSet, ReAddAfterRemove) {
    Set s;
    s.add(a, "x");
    s.remove("x");
    s.add(a, "x");
    EXPECT_TRUE(s.contains("x"));
    Set peer;
    peer.merge(s);
    EXPECT_TRUE(peer.contains("x"));
}

TEST(ORSet, OldAddDeliveredLateCannotResurrectARemovedElement) {
    Set s;
    const Set add_delta = s.add(a, "x");
    Set peer;
    peer.merge(add_delta);
    peer.remove("x");
    peer.merge(add_delta);  // duplicated and late
    EXPECT_FALSE(peer.contains("x"));
}

TEST(ORSet, RemoveLeavesNoTombstoneOnlyContext) {
    Set s;
    for (int i = 0; i < 100; ++i)
        s.add(a, "e" + std::to_string(i));
    for (int i = 0; i < 100; ++i)
        s.remove("e" + std::to_string(i));
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.context().cloud_size(), 0u);
    EXPECT_EQ(s.context().compact().get(a), 100u);
}

TEST(ORSet, ReAddReplacesDotsSoAnElementCarriesOneDotPerReplica) {
    Set s;
    s.add(a, "x");
    s.add(a, "x");
    s.add(a, "x");
    EXPECT_EQ(s.dots("x").size(), 1u);
    EXPECT_EQ(s.dots("x")[0].counter, 3u);
}

TEST(ORSet, ClearRemovesEverythingSeenButNotConcurrentAdds) {
    Set x, y;
    x.add(a, "p");
    x.add(a, "q");
    y.merge(x);
    y.add(b, "r");
    x.clear();
    x.merge(y);
    EXPECT_EQ(x.elements(), (Elements{"r"}));
}

TEST(ORSet, DeltaOfAddCarriesTheElementAndOneDot) {
    Set s;
    const Set delta = s.add(a, "x");
    EXPECT_EQ(delta.elements(), (Elements{"x"}));
    EXPECT_TRUE(delta.context().contains(Dot{a, 1}));
    const Set removal = s.remove("x");
    EXPECT_TRUE(removal.empty());
    EXPECT_TRUE(removal.context().contains(Dot{a, 1}));
    EXPECT_TRUE(s.remove("absent").context().empty());
}

}  // namespace
}  // namespace converge
