#include <random>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include <crdt/detail/dense_map.hpp>

namespace converge::detail {
namespace {

using Map = DenseMap<std::string, int>;

TEST(DenseMap, InsertFindErase) {
    Map m;
    EXPECT_TRUE(m.try_emplace(std::string("a"), 1).second);
    EXPECT_FALSE(m.try_emplace(std::string("a"), 2).second);
    EXPECT_EQ(m.find("a")->second, 1);
    EXPECT_EQ(m.find("b"), m.end());
    m.erase(m.find("a"));
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.find("a"), m.end());
}

TEST(DenseMap, EraseMovesTheLastEntryIntoTheHole) {
    Map m;
    for (int i = 0; i < 3; ++i)
        m.try_emplace(std::to_string(i), i);
    const auto next = m.erase(m.begin());
    ASSERT_NE(next, m.end());
    EXPECT_EQ(next->first, "2");
    EXPECT_EQ(m.find("2")->second, 2);
    EXPECT_EQ(m.find("1")->second, 1);
    EXPECT_EQ(m.size(), 2u);
}

// Random inserts, erases (some while iterating), copies and reserves agree with
// std::unordered_map at every step.
TEST(DenseMap, BehavesLikeUnorderedMapUnderRandomOperations) {
    std::mt19937_64 rng(20261122);
    for (int round = 0; round < 100; ++round) {
        Map dense;
        std::unordered_map<std::string, int> reference;
        const auto steps = static_cast<int>(rng() % 2000);
        for (int i = 0; i < steps; ++i) {
            std::string key = "k";
            key += std::to_string(rng() % static_cast<unsigned>(1 + steps / 2));
            switch (rng() % 4) {
                case 0:
                case 1: {
                    const auto [it, inserted] = dense.try_emplace(key, i);
                    const auto [ref, ref_inserted] = reference.try_emplace(key, i);
                    ASSERT_EQ(inserted, ref_inserted);
                    ASSERT_EQ(it->second, ref->second);
                    break;
                }
                case 2: {
                    const auto it = dense.find(key);
                    const auto ref = reference.find(key);
                    ASSERT_EQ(it == dense.end(), ref == reference.end());
                    if (it != dense.end()) {
                        dense.erase(it);
                        reference.erase(ref);
                    }
                    break;
                }
                default:
                    if (rng() % 50 != 0) break;
                    for (auto it = dense.begin(); it != dense.end();) {
                        if (it->second % 7 == 0) {
                            reference.erase(it->first);
                            it = dense.erase(it);
                        } else {
                            ++it;
                        }
                    }
            }
            ASSERT_EQ(dense.size(), reference.size());
        }
        std::size_t visited = 0;
        for (const auto& [key, value] : dense) {
            ASSERT_EQ(reference.at(key), value);
            ++visited;
        }
        ASSERT_EQ(visited, reference.size());
        const Map copy = dense;
        ASSERT_TRUE(copy == dense);
        dense.reserve(4 * dense.size() + 100);
        ASSERT_TRUE(copy == dense);
        for (const auto& [key, value] : reference)
            ASSERT_EQ(dense.find(key)->second, value);
    }
}

}  // namespace
}  // namespace converge::detail
