#include <set>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/gcounter.hpp>
#include <crdt/pn_counter.hpp>
#include <crdt/resettable_counter.hpp>
#include <crdt/testing/arbitrary.hpp>

namespace converge {
namespace {

const ReplicaId a{1}, b{2};

TEST(GCounter, ValueIsTheSumOfEveryReplicasIncrements) {
    GCounter g;
    g.increment(a, 5);
    g.increment(b, 2);
    g.increment(a);
    EXPECT_EQ(g.value(), 8u);
    EXPECT_EQ(g.contribution(a), 6u);
}

TEST(GCounter, ConcurrentIncrementsAllCount) {
    GCounter x, y;
    x.increment(a, 3);
    y.increment(b, 4);
    x.merge(y);
    y.merge(x);
    EXPECT_EQ(x.value(), 7u);
    EXPECT_EQ(x, y);
}

TEST(GCounter, DeltaHoldsOnlyTheIncrementedSlot) {
    GCounter g;
    g.increment(b, 9);
    const GCounter delta = g.increment(a, 2);
    EXPECT_EQ(delta.value(), 2u);
    EXPECT_EQ(delta.contribution(b), 0u);
}

TEST(GCounter, OverflowThrowsAndChangesNothing) {
    GCounter g;
    g.increment(a, UINT64_MAX);
    EXPECT_THROW(g.increment(a, 1), InvalidOperation);
    EXPECT_EQ(g.contribution(a), UINT64_MAX);
}

TEST(PNCounter, IncrementsMinusDecrements) {
    PNCounter p;
    p.increment(a, 3);
    p.decrement(b, 1);
    EXPECT_EQ(p.value(), 2);
    p.decrement(a, 10);
    EXPECT_EQ(p.value(), -8);
}

TEST(PNCounter, ConcurrentUpdatesConverge) {
    PNCounter x, y;
    const auto dx = x.increment(a, 5);
    const auto dy = y.decrement(b, 7);
    x.merge(dy);
    y.merge(dx);
    EXPECT_EQ(x, y);
    EXPECT_EQ(x.value(), -2);
}

TEST(PNCounter, ValueOutsideInt64Throws) {
    PNCounter p;
    p.increment(a, UINT64_MAX);
    EXPECT_THROW(static_cast<void>(p.value()), InvalidOperation);
    PNCounter q;
    q.decrement(a, std::uint64_t{1} << 63);
    EXPECT_EQ(q.value(), INT64_MIN);
}

TEST(ResettableCounter, AResetTakesBackWhatItSawAndAConcurrentIncrementSurvives) {
    ResettableCounter x, y;
    y.merge(x.increment(a, 5));
    y.merge(y.decrement(b, 1));
    const ResettableCounter reset = y.clear();
    EXPECT_EQ(y.value(), 0);
    EXPECT_TRUE(y.empty());
    const ResettableCounter concurrent = x.increment(a, 2);  // x had not seen the reset
    x.merge(reset);
    y.merge(concurrent);
    EXPECT_EQ(x, y);
    EXPECT_EQ(x.value(), 2);
    EXPECT_FALSE(x.empty());
    EXPECT_EQ(x.totals().increments().contribution(a), 7u);
    EXPECT_EQ(x.baselines().increments().contribution(a), 5u);
}

TEST(ResettableCounter, ConcurrentResetsTakeBackTheUnionOfWhatTheySaw) {
    ResettableCounter x, y;
    const auto from_a = x.increment(a, 3);
    const auto from_b = y.increment(b, 4);
    y.merge(from_a);
    const auto reset_x = x.clear();  // saw a's 3 only
    const auto reset_y = y.clear();  // saw both
    x.merge(from_b);
    EXPECT_EQ(x.value(), 4);  // b's 4 is unseen by x's reset
    x.merge(reset_y);
    y.merge(reset_x);
    EXPECT_EQ(x, y);
    EXPECT_EQ(x.value(), 0);
}

TEST(ResettableCounter, DecodeRefusesABaselineAboveItsTotal) {
    ResettableCounter c;
    c.increment(a, 2);
    c.clear();
    codec::Writer w;
    PNCounter totals;
    totals.increment(a, 1);
    totals.encode(w);
    c.baselines().encode(w);  // a baseline of 2 against a total of 1
    const std::string bytes = w.take();
    codec::Reader r(bytes);
    EXPECT_THROW(ResettableCounter::decode(r), DecodeError);
}

// The value on every replica is the sum of the increments and decrements it has seen that no
// reset it has seen took back (observed-reset), after any steps of operations, resets and merges.
TEST(ResettableCounter, ValueIsWhatNoSeenResetTookBack) {
    EXPECT_TRUE(rc::check([] {
        const auto steps = *rc::gen::resize(
            40, rc::gen::container<std::vector<testing::Step>>(testing::gen::step(3)));
        struct Replica {
            ResettableCounter counter;
            std::set<std::size_t> seen, taken_back;  // events, by index
        };
        std::vector<Replica> replicas(3);
        std::vector<std::int64_t> events;  // each operation's signed amount
        for (const testing::Step& s : steps) {
            Replica& r = replicas[s.replica % 3];
            if (s.kind == testing::Step::Kind::op) {
                testing::apply_op(r.counter, testing::replica_id(s.replica % 3), s.op);
                if (s.op.kind == 3 && s.op.amount == 4) {
                    // an EXPIRE: the deadline alone, which value() does not read
                } else if (s.op.kind == 3) {
                    r.taken_back = r.seen;
                } else {
                    events.push_back(s.op.kind % 2 == 0 ? s.op.amount : -s.op.amount);
                    r.seen.insert(events.size() - 1);
                }
            } else {
                const Replica& source = replicas[s.source % 3];
                r.counter.merge(source.counter);
                r.seen.insert(source.seen.begin(), source.seen.end());
                r.taken_back.insert(source.taken_back.begin(), source.taken_back.end());
            }
            for (const Replica& each : replicas) {
                std::int64_t expected = 0;
                for (std::size_t e : each.seen)
                    if (!each.taken_back.contains(e)) expected += events[e];
                RC_ASSERT(each.counter.value() == expected);
            }
        }
    }));
}

}  // namespace
}  // namespace converge
