// Retiring a writer (crdt/retired_ids.hpp): folding changes nothing a value shows, and replicas
// that fold at different moments, merging states and old deltas folded or not, show at every step
// what replicas that never fold show, and end in the fold of the same state.
#include <string>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/crdt.hpp>
#include <crdt/retired_ids.hpp>
#include <crdt/testing/arbitrary.hpp>

namespace converge {
namespace {

using testing::Step;
namespace gen = testing::gen;

template <class T>
auto shown(const T& value) {
    if constexpr (requires { value.elements(); })
        return value.elements();
    else if constexpr (requires { value.values(); })
        return value.values();
    else
        return value.value();
}

template <class T>
bool mentions(const T& value, ReplicaId id) {
    RetiredIds only;
    only.insert(id);
    bool found = false;
    detail::for_each_retired(value, only, [&](ReplicaId) { found = true; });
    return found;
}

// The highest counter of id among value's live dots (0 for a counter type: none are kept).
template <class T>
std::uint64_t highest_live_dot(const T& value, ReplicaId id) {
    std::uint64_t highest = 0;
    if constexpr (requires { value.for_each_dot([](const Dot&, const auto&) {}); }) {
        value.for_each_dot([&](const Dot& d, const auto&) {
            if (d.replica == id) highest = std::max(highest, d.counter);
        });
    } else if constexpr (requires { value.elements(); }) {
        for (const auto& e : value.elements())
            for (const Dot& d : value.dots(e))
                if (d.replica == id) highest = std::max(highest, d.counter);
    }
    return highest;
}

template <class T>
T round_trip(const T& value) {
    codec::Writer w;
    value.encode(w);
    const std::string bytes = w.take();
    codec::Reader r(bytes);
    T out = T::decode(r);
    r.expect_end("retired value");
    return out;
}

// Two worlds run the same steps among the survivors: plain merges, and merges that fold the
// retiree out (each survivor folding at its own step; a folded sender's state makes an unfolded
// receiver fold first, as store/ does).
template <class T>
struct Worlds {
    ReplicaId retiree = testing::replica_id(2);
    RetiredIds table;
    std::vector<T> plain, folding;
    std::vector<bool> folded;
    struct Delta {
        T plain, folding;
        bool folded = false;  // whether its producer had folded
    };
    std::vector<Delta> deltas;

    explicit Worlds(const testing::History<T>& start) {
        table.insert(retiree);
        plain = start.replicas;
        // The retiree's every change reaches both survivors: they are now stable.
        for (std::size_t i = 0; i < 2; ++i)
            plain[i].merge(plain[2]);
        plain.resize(2);
        folding = plain;
        folded = {false, false};
        for (const T& d : start.deltas)
            deltas.push_back(Delta{d, d, false});
    }

    void fold_at(std::size_t i) {
        if (folded[i]) return;
        fold(folding[i], table);
        folded[i] = true;
    }

    void merge_into(std::size_t target, const T& plain_source, const T& folding_source,
                    bool source_folded, bool whole_state) {
        plain[target].merge(plain_source);
        if (source_folded) fold_at(target);
        if (folded[target])
            merge_folding(folding[target], folding_source, table,
                          source_folded && whole_state ? Seen::covering_retired : Seen::itself);
        else
            folding[target].merge(folding_source);
    }

    void run(const Step& s) {
        const std::size_t target = s.replica % 2;
        switch (s.kind) {
            case Step::Kind::op: {
                const ReplicaId writer = testing::replica_id(target);
                T plain_delta = testing::apply_op(plain[target], writer, s.op);
                deltas.push_back(Delta{std::move(plain_delta),
                                       testing::apply_op(folding[target], writer, s.op),
                                       folded[target]});
                break;
            }
            case Step::Kind::merge: {
                const std::size_t source = s.source % 2;
                const T plain_source = plain[source], folding_source = folding[source];
                merge_into(target, plain_source, folding_source, folded[source], true);
                break;
            }
            case Step::Kind::merge_delta: {
                if (deltas.empty()) return;
                const Delta d = deltas[s.source % deltas.size()];
                merge_into(target, d.plain, d.folding, d.folded, false);
                break;
            }
        }
    }
};

template <class T>
class Retire : public ::testing::Test {};
using RetiredTypes = ::testing::Types<PNCounter, GCounter, ResettableCounter, ORSet<std::string>,
                                      ORSet<int>, MVRegister<int>, ExpiringSet<std::string>>;
TYPED_TEST_SUITE(Retire, RetiredTypes);

TYPED_TEST(Retire, FoldingChangesNothingShownAndForgetsTheWriter) {
    EXPECT_TRUE(rc::check([] {
        const auto h = *gen::history<TypeParam>(3);
        const ReplicaId retiree = testing::replica_id(2);
        TypeParam value = h.replicas[0];
        value.merge(h.replicas[2]);
        const TypeParam before = value;
        RetiredIds table;
        table.insert(retiree);
        fold(value, table);
        RC_ASSERT(shown(value) == shown(before));
        RC_ASSERT(highest_live_dot(value, retiree) == highest_live_dot(before, retiree));
        if (highest_live_dot(value, retiree) == 0) RC_ASSERT(!mentions(value, retiree));
        RC_ASSERT(round_trip(value) == value);
        TypeParam again = value;
        fold(again, table);
        RC_ASSERT(again == value);
    }));
}

TYPED_TEST(Retire, SurvivorsFoldingAtAnyStepShowWhatPlainReplicasShow) {
    EXPECT_TRUE(rc::check([] {
        Worlds<TypeParam> w(*gen::history<TypeParam>(3));
        const auto steps =
            *rc::gen::resize(40, rc::gen::container<std::vector<Step>>(gen::step(2)));
        const auto fold_steps = *rc::gen::container<std::vector<std::size_t>>(
            2, gen::full_range<std::size_t>(0, steps.size() + 1));
        for (std::size_t i = 0; i <= steps.size(); ++i) {
            for (std::size_t r = 0; r < 2; ++r)
                if (fold_steps[r] == i) w.fold_at(r);
            if (i == steps.size()) break;
            w.run(steps[i]);
            for (std::size_t r = 0; r < 2; ++r)
                RC_ASSERT(shown(w.folding[r]) == shown(w.plain[r]));
        }
        // Both fold and exchange everything: the same state, the fold of the plain worlds' join.
        w.fold_at(0);
        w.fold_at(1);
        TypeParam plain_join = w.plain[0];
        plain_join.merge(w.plain[1]);
        fold(plain_join, w.table);
        for (std::size_t r = 0; r < 2; ++r)
            merge_folding(w.folding[r], w.folding[1 - r], w.table, Seen::covering_retired);
        RC_ASSERT(w.folding[0] == w.folding[1]);
        RC_ASSERT(w.folding[0] == plain_join);
        RC_ASSERT(highest_live_dot(w.folding[0], w.retiree) == 0 ||
                  mentions(w.folding[0], w.retiree));
    }));
}

TEST(Retire, CounterSlotFoldsOnceWhateverTheOrderOfMerges) {
    const ReplicaId a{1}, b{2}, gone{3};
    RetiredIds table;
    table.insert(gone);
    PNCounter x, y;
    const PNCounter from_gone = x.increment(gone, 5);
    y.merge(from_gone);
    x.increment(a, 1);
    y.decrement(b, 2);
    fold(x, table);
    merge_folding(x, y, table);  // y still holds gone's slot: folded on the way in
    fold(y, table);
    merge_folding(y, x, table);
    merge_folding(x, from_gone, table);  // a late copy of gone's delta adds nothing
    EXPECT_EQ(x.value(), 4);
    EXPECT_EQ(y.value(), 4);
    EXPECT_EQ(x, y);
    EXPECT_EQ(x.increments().contribution(gone), 0u);
    EXPECT_EQ(x.increments().contribution(retired_writers), 5u);
}

// A reset made after the survivors agreed on the retiree (so it sees the retiree's final totals),
// on a survivor that has not folded yet, takes back all of it on one that has, in either order.
TEST(Retire, AResetAfterAgreementTakesBackAFoldedWritersTotals) {
    const ReplicaId a{1}, b{2}, gone{3};
    RetiredIds table;
    table.insert(gone);
    ResettableCounter x, y;
    const auto from_gone = x.increment(gone, 5);
    x.merge(x.clear());             // partly reset before the agreement
    x.merge(x.increment(gone, 2));  // gone's total: 7, its baseline 5
    y.merge(x);                     // agreement: both hold 7 and 5
    y.merge(y.increment(a, 1));
    fold(x, table);  // x folds first
    EXPECT_EQ(x.value(), 2);
    const ResettableCounter reset = y.clear();  // y resets before folding
    x.merge(x.increment(b, 4));
    ResettableCounter late_x = x;
    merge_folding(x, reset, table);  // the unfolded reset delta, folded on the way in
    EXPECT_EQ(x.value(), 4);         // only b's 4, which the reset did not see
    fold(y, table);
    merge_folding(y, late_x, table);
    EXPECT_EQ(y.value(), 4);
    merge_folding(y, x, table);
    merge_folding(x, y, table);
    merge_folding(x, from_gone, table);  // a late copy of gone's first delta adds nothing
    EXPECT_EQ(x, y);
    EXPECT_EQ(x.value(), 4);
    EXPECT_EQ(x.totals().increments().contribution(gone), 0u);
    EXPECT_EQ(x.baselines().increments().contribution(retired_writers), 7u);
}

// Two writers folded into slot 0 add their baselines there, and slot 0 merges by maximum: folds
// of different baselines would not merge to the plain result (w's 5 and x's 3 at one survivor,
// w's 2 and x's 5 at the other: 8 or 7 where the plain merge takes back 10). So the footprint the
// survivors must agree on before a fold holds the baseline, and equal footprints fold alike.
TEST(Retire, ACountersFootprintHoldsItsBaseline) {
    const ReplicaId w{3}, x{4};
    ResettableCounter one, other;
    one.merge(one.increment(w, 5));
    one.merge(one.increment(x, 3));
    one.clear();
    other = one;
    const auto more = other.increment(x, 2);
    other.clear();
    one.merge(more);  // equal totals; x's baseline is 3 here, 5 there
    auto footprint = [](const ResettableCounter& c, ReplicaId id) {
        codec::Writer out;
        encode_footprint(out, c, id);
        return out.take();
    };
    EXPECT_EQ(footprint(one, w), footprint(other, w));
    EXPECT_NE(footprint(one, x), footprint(other, x));
    one.merge(other);  // they agree
    ASSERT_EQ(footprint(one, x), footprint(other, x));
    RetiredIds table;
    table.insert(w);
    table.insert(x);
    ResettableCounter plain = one;
    fold(one, table);
    ResettableCounter late = other;
    merge_folding(one, late, table);
    fold(other, table);
    EXPECT_EQ(one, other);
    EXPECT_EQ(one.value(), plain.value());
    EXPECT_EQ(one.value(), 0);
    EXPECT_EQ(one.baselines().increments().contribution(retired_writers), 10u);
}

TEST(Retire, RemovedElementOfARetiredWriterStaysRemoved) {
    const ReplicaId a{1}, gone{3};
    RetiredIds table;
    table.insert(gone);
    ORSet<std::string> x, y;
    const auto added = x.add(gone, "kept");
    x.merge(x.add(gone, "dropped"));
    y.merge(x);
    x.remove("dropped");  // x saw the add; y still holds the element
    fold(x, table);
    EXPECT_EQ(x.context().max(gone), 1u);  // only up to the live "kept"
    fold(y, table);
    merge_folding(y, x, table, Seen::covering_retired);
    EXPECT_EQ(y.elements(), std::vector<std::string>{"kept"});
    merge_folding(x, added, table);  // a replayed add changes nothing
    merge_folding(x, y, table, Seen::covering_retired);
    EXPECT_EQ(x, y);
    const auto removal = x.remove("kept");
    merge_folding(y, removal, table);
    EXPECT_TRUE(y.empty());
    EXPECT_TRUE(y.context().compact().get(gone) == 0 && !mentions(y, gone));
    (void)a;
}

TEST(Retire, IdZeroIsRefusedAsAWriter) {
    GCounter g;
    EXPECT_THROW(g.increment(retired_writers, 1), InvalidOperation);
    ORSet<int> s;
    EXPECT_THROW(s.add(retired_writers, 1), InvalidOperation);
    RetiredIds table;
    EXPECT_THROW(table.insert(retired_writers), InvalidOperation);
}

TEST(Retire, TableEncodesAndRejectsABadGap) {
    RetiredIds table;
    table.insert(ReplicaId{9});
    table.insert(ReplicaId{3});
    EXPECT_FALSE(table.insert(ReplicaId{3}));
    codec::Writer w;
    table.encode(w);
    const std::string bytes = w.take();
    codec::Reader r(bytes);
    EXPECT_EQ(RetiredIds::decode(r), table);
    const std::string zero_gap("\x01\x00", 2);
    codec::Reader bad(zero_gap);
    EXPECT_THROW(RetiredIds::decode(bad), DecodeError);
}

}  // namespace
}  // namespace converge
