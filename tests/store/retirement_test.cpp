// Retiring writer ids (store/lifecycle/retirements.hpp, docs/replicas.md): once every replica holds
// every change of a retired writer it leaves every key's metadata, nothing anyone sees changes, and
// no write is lost or counted twice, however the agreement is interrupted.
#include <algorithm>
#include <memory>

#include "cluster.hpp"
#include <gtest/gtest.h>

#include <store/replication/wire.hpp>

namespace converge::store {
namespace {

using testing::Cluster;

// Whether key's metadata on s names writer.
bool mentions(Store& s, std::string_view key, ReplicaId writer) {
    const auto state = s.inspect(key);
    if (!state) return false;
    if (state->increments.get(writer) != 0 || state->decrements.get(writer) != 0) return true;
    if (state->context.max(writer) != 0) return true;
    return std::any_of(state->live.begin(), state->live.end(),
                       [&](const auto& l) { return l.dot.replica == writer; });
}

std::uint64_t rejected(Store& s, wire::RejectReason reason) {
    return s.metrics().frames_rejected[static_cast<std::size_t>(reason)];
}

// Three replicas; the third writes a value, a counter and a set, then is lost: the others stop
// peering with it and retire its writer.
struct Retirement : ::testing::Test {
    Retirement() {
        c[2].put("note", "from the lost phone");
        c[2].counter("likes").increment(5);
        c[2].counter("likes").decrement(1);
        c[2].set("tags").add("phone");
        c[2].set("tags").add("gone");
        c[0].counter("likes").increment(2);
        c[0].set("tags").add("desk");
        EXPECT_LE(c.settle(), 50u);
        c[1].set("tags").remove("gone");
        EXPECT_LE(c.settle(), 50u);
        lost = c[2].writer();
        c.net.detach(c[2].replica());
        for (std::size_t i : {0, 1})
            c[i].remove_peer(c[2].replica());
    }
    // Sync rounds among the survivors until nothing is pending (at most max).
    std::size_t rounds_until_folded(std::size_t max = 20) {
        for (std::size_t n = 1; n <= max; ++n) {
            c[0].sync();
            c[1].sync();
            c.net.run_until_idle();
            if (c[0].metrics().retirements_pending.empty() &&
                c[1].metrics().retirements_pending.empty() && c[0].metrics().retired_writers == 1)
                return n;
        }
        return max + 1;
    }
    Cluster c{3, 7, {}, Options{.log = [](std::string_view) {}}};
    ReplicaId lost;
};

TEST_F(Retirement, ARetiredWriterLeavesEveryKeyAndNothingShownChanges) {
    EXPECT_TRUE(c[0].retire(lost));
    EXPECT_FALSE(c[0].retire(lost));  // once is enough
    const std::size_t rounds = rounds_until_folded();
    EXPECT_LE(rounds, 8u);
    for (std::size_t i : {0, 1}) {
        EXPECT_EQ(c[i].metrics().retired_writers, 1u);
        EXPECT_EQ(c[i].get("note"), "from the lost phone");
        EXPECT_EQ(c[i].counter("likes").value(), 6);
        EXPECT_EQ(c[i].set("tags").elements(), (std::vector<std::string>{"desk", "phone"}));
        EXPECT_FALSE(mentions(c[i], "likes", lost));
        EXPECT_FALSE(mentions(c[i], "tags", lost) && !c[i].set("tags").contains("phone"));
    }
    EXPECT_EQ(c[0].state_hash(), c[1].state_hash());
    // Writing on after the fold: the counter still counts once, the set still removes.
    c[1].counter("likes").increment(1);
    c[0].set("tags").remove("phone");
    for (int i = 0; i < 5; ++i) {
        c[0].sync();
        c[1].sync();
        c.net.run_until_idle();
    }
    for (std::size_t i : {0, 1}) {
        EXPECT_EQ(c[i].counter("likes").value(), 7);
        EXPECT_EQ(c[i].set("tags").elements(), std::vector<std::string>{"desk"});
        EXPECT_FALSE(mentions(c[i], "tags", lost));
    }
}

TEST_F(Retirement, AnUnreachableReplicaHoldsTheFoldBackUntilItIsHeard) {
    c.net.set_link(c[0].replica(), c[1].replica(), false);
    c.net.set_link(c[1].replica(), c[0].replica(), false);
    c[0].retire(lost);
    EXPECT_GT(rounds_until_folded(10), 10u);  // no agreement across a partition
    const auto pending = c[0].metrics().retirements_pending;
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].writer, lost);
    EXPECT_EQ(pending[0].level, 0u);
    EXPECT_TRUE(mentions(c[0], "likes", lost));
    c.net.set_link(c[0].replica(), c[1].replica(), true);
    c.net.set_link(c[1].replica(), c[0].replica(), true);
    EXPECT_LE(rounds_until_folded(), 10u);
    EXPECT_EQ(c[1].counter("likes").value(), 6);
}

TEST_F(Retirement, AChangeOfTheRetiredWriterStillInFlightIsAgreedOnBeforeTheFold) {
    // The lost phone's last change reached only replica 0 before it went: replica 1 must get it
    // before the writer folds, or the fold would make it look seen there.
    Cluster d{3, 9, {}, Options{.log = [](std::string_view) {}}};
    d[2].counter("likes").increment(1);
    d[2].set("tags").add("early");
    ASSERT_LE(d.settle(), 50u);
    d.net.set_link(d[2].replica(), d[1].replica(), false);
    d[2].counter("likes").increment(10);
    d[2].set("tags").add("late");
    d[2].sync();
    d.net.run_until_idle();
    const ReplicaId gone = d[2].writer();
    d.net.detach(d[2].replica());
    d[0].remove_peer(d[2].replica());
    d[1].remove_peer(d[2].replica());
    d[1].retire(gone);
    for (int i = 0; i < 30; ++i) {
        d[0].sync();
        d[1].sync();
        d.net.run_until_idle();
    }
    for (std::size_t i : {0, 1}) {
        EXPECT_EQ(d[i].metrics().retired_writers, 1u);
        EXPECT_EQ(d[i].counter("likes").value(), 11);
        EXPECT_EQ(d[i].set("tags").elements(), (std::vector<std::string>{"early", "late"}));
        EXPECT_FALSE(mentions(d[i], "likes", gone));
    }
}

TEST_F(Retirement, AReplicaToldItsWriterIsRetiringTakesAFreshOneAndLosesNothing) {
    Cluster d{2, 11, {}, Options{.log = [](std::string_view) {}}};
    d[1].counter("likes").increment(3);
    d[1].set("tags").add("mine");
    ASSERT_LE(d.settle(), 50u);
    const ReplicaId old = d[1].writer();
    d[0].retire(old);  // a mistake, or the copy of a data directory retiring its original
    for (int i = 0; i < 3; ++i)
        d.round();
    EXPECT_NE(d[1].writer(), old);
    EXPECT_EQ(d[1].metrics().rekeys, 1u);
    d[1].counter("likes").increment(4);
    d[1].set("tags").add("later");
    for (int i = 0; i < 30; ++i)
        d.round();
    for (std::size_t i : {0, 1}) {
        EXPECT_EQ(d[i].metrics().retired_writers, 1u);
        EXPECT_EQ(d[i].counter("likes").value(), 7);
        EXPECT_EQ(d[i].set("tags").elements(), (std::vector<std::string>{"later", "mine"}));
        EXPECT_FALSE(mentions(d[i], "likes", old));
    }
}

TEST_F(Retirement, APeerWritingUnderARetiredIdIsRefusedAndTold) {
    c[0].retire(lost);
    ASSERT_LE(rounds_until_folded(), 10u);
    // The lost phone comes back, still writing under its old id.
    c.net.attach(c[2].replica(), c[2]);
    c[0].add_peer(c[2].replica());
    c[2].counter("likes").increment(100);
    for (int i = 0; i < 6; ++i)
        c.round();
    EXPECT_GT(rejected(c[0], wire::RejectReason::retirements_differ) +
                  rejected(c[0], wire::RejectReason::retired_writer),
              0u);
    EXPECT_NE(c[2].writer(), lost);
    EXPECT_EQ(c[2].metrics().retired_writers, 1u);
    EXPECT_FALSE(mentions(c[2], "tags", lost) && !c[2].set("tags").contains("phone"));
}

TEST(RetirementOnRestart, ThePreviousRunsWriterFoldsOnceItsPeersHoldItsChanges) {
    auto storage = std::make_shared<MemoryStorage>();
    Cluster c{2, 5, {}, Options{.log = [](std::string_view) {}}};
    auto clock = c.clock;
    const auto start = [&](std::uint64_t seed) {
        return std::make_unique<Store>(Options{.replica = ReplicaId{9},
                                               .clock = clock,
                                               .rng = std::make_shared<SeededRng>(seed),
                                               .transport = c.net.transport(ReplicaId{9}),
                                               .storage = storage,
                                               .log = [](std::string_view) {}});
    };
    auto s = start(1);
    const ReplicaId first = s->writer();
    const auto join = [&](Store& st) {
        c.net.attach(ReplicaId{9}, st);
        for (std::size_t i : {0, 1}) {
            c[i].add_peer(ReplicaId{9});
            st.add_peer(c[i].replica());
        }
    };
    join(*s);
    s->counter("likes").increment(2);
    s->set("tags").add("a");
    const auto rounds = [&](Store& st, int n) {
        for (int i = 0; i < n; ++i) {
            st.sync();
            c.round();
        }
    };
    rounds(*s, 5);
    s.reset();  // a restart
    c.net.detach(ReplicaId{9});
    s = start(2);
    join(*s);
    EXPECT_NE(s->writer(), first);
    s->counter("likes").increment(3);
    rounds(*s, 20);
    for (Store* st : {&c[0], &c[1], s.get()}) {
        EXPECT_EQ(st->metrics().retired_writers, 1u);
        EXPECT_EQ(st->counter("likes").value(), 5);
        EXPECT_EQ(st->set("tags").elements(), std::vector<std::string>{"a"});
        EXPECT_FALSE(mentions(*st, "likes", first));
    }
}

}  // namespace
}  // namespace converge::store

namespace converge::store {
namespace {

// A replica restored from a backup older than a fold adopts the retired writer without holding all
// its changes: it must not read its own old state as covering them, nor send it as such.
TEST(RetirementOnRestore, AReplicaRestoredFromBeforeAFoldLosesNothingAndMakesNoOneLoseAnything) {
    Cluster c{2, 21, {}, Options{.log = [](std::string_view) {}}};
    auto storage = std::make_shared<MemoryStorage>();
    const auto start = [&](ReplicaId id, std::shared_ptr<MemoryStorage> st, std::uint64_t seed) {
        auto s = std::make_unique<Store>(Options{.replica = id,
                                                 .clock = c.clock,
                                                 .rng = std::make_shared<SeededRng>(seed),
                                                 .transport = c.net.transport(id),
                                                 .storage = std::move(st),
                                                 .log = [](std::string_view) {}});
        c.net.attach(id, *s);
        for (std::size_t i : {0, 1}) {
            c[i].add_peer(id);
            s->add_peer(c[i].replica());
        }
        return s;
    };
    auto r = start(ReplicaId{9}, storage, 1);
    const auto rounds = [&](int n) {
        for (int i = 0; i < n; ++i) {
            r->sync();
            c.round();
        }
    };
    const ReplicaId first = c[0].writer();
    c[0].set("s").add("x");
    c[0].counter("n").increment(1);
    rounds(5);
    const auto backup = storage->copy();  // r's backup: it has x, not y
    c[0].set("s").add("y");
    c[0].counter("n").increment(2);
    rounds(5);
    c[1].retire(first);  // as if replica 1's first run were gone: it writes on under a new id
    rounds(20);
    ASSERT_EQ(r->metrics().retired_writers, 1u);
    // r is restored from its backup: it has never seen y, nor the retirement.
    c.net.detach(ReplicaId{9});
    r = start(ReplicaId{9}, backup->copy(), 2);
    EXPECT_EQ(r->set("s").elements(), std::vector<std::string>{"x"});
    rounds(60);
    for (Store* s : {&c[0], &c[1], r.get()}) {
        EXPECT_EQ(s->set("s").elements(), (std::vector<std::string>{"x", "y"}));
        EXPECT_EQ(s->counter("n").value(), 3);
    }
    EXPECT_EQ(c[0].state_hash(), r->state_hash());
}

}  // namespace
}  // namespace converge::store
