#include <sstream>

#include <gtest/gtest.h>

#include <crdt/crdt.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};

template <class T>
std::string text(const T& value) {
    std::ostringstream os;
    os << value;
    return os.str();
}

TEST(Print, SetsShowSortedElementsWithTheirDotsAndContext) {
    ORSet<std::string> s;
    s.add(a, "y");
    s.add(a, "x");
    s.merge(ORSet<std::string>{}.add(b, "x"));
    EXPECT_EQ(text(s), R"(ORSet{"x"@1.2@2.1, "y"@1.1 | seen {1:2, 2:1}})");
}

TEST(Print, CountersRegistersAndMaps) {
    PNCounter p;
    p.increment(a, 3);
    p.decrement(b, 1);
    EXPECT_EQ(text(p), "PNCounter{2 +{1:3} -{2:1}}");
    LWWRegister<std::string> r;
    EXPECT_EQ(text(r), "LWWRegister{empty @0.0/0}");
    r.assign(Timestamp{10, 2, a}, "v");
    EXPECT_EQ(text(r), R"(LWWRegister{"v" @10.2/1})");
    ORMap<std::string, GCounter> m;
    m.apply(a, "k", [&](GCounter& g) { return g.increment(a, 4); });
    EXPECT_EQ(text(m), R"(ORMap{"k": GCounter{4 {1:4}} | seen {1:1}})");
}

TEST(Print, OutOfOrderDotsShowAsACloud) {
    CausalContext c;
    c.insert(Dot{a, 1});
    c.insert(Dot{b, 3});
    EXPECT_EQ(text(c), "{1:1} + [2.3]");
}

}  // namespace
}  // namespace converge
