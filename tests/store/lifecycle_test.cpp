// A replica's ids over its life (store/lifecycle/, docs/replicas.md): every run writes under a
// writer id of its own, so a restored backup or a copied data directory never issues one dot for
// two different changes.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>

namespace converge::store {
namespace {

namespace fs = std::filesystem;

// Frames queued by destination, delivered when the test says.
class Mailbox final : public Transport {
  public:
    void send(ReplicaId to, std::string frame) override {
        queued.push_back({to, std::move(frame)});
    }
    // Hands every queued frame to each store whose replica id it is for (two processes may run
    // under one replica id), then forgets them.
    void deliver(const std::vector<Store*>& stores) {
        auto frames = std::move(queued);
        queued.clear();
        for (auto& [to, frame] : frames)
            for (Store* s : stores)
                if (to == s->replica()) s->receive(frame);
    }
    std::vector<std::pair<ReplicaId, std::string>> queued;
};

class Lifecycle : public ::testing::Test {
  protected:
    void SetUp() override {
        dir = fs::temp_directory_path() /
              ("converge-lifecycle-" +
               std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    // A store of replica `id` over file, sending into out, peered with the given replicas.
    std::unique_ptr<Store> open(ReplicaId id, const fs::path& file, Mailbox& out,
                                std::vector<ReplicaId> peers) {
        Options o;
        o.replica = id;
        o.transport = std::shared_ptr<Transport>(&out, [](Transport*) {});
        o.storage = std::make_shared<SqliteStorage>(file);
        o.log = [](std::string_view) {};
        auto s = std::make_unique<Store>(o);
        for (ReplicaId p : peers)
            s->add_peer(p);
        return s;
    }
    std::unique_ptr<Store> memory_peer(ReplicaId id, Mailbox& out, std::vector<ReplicaId> peers) {
        Options o;
        o.replica = id;
        o.transport = std::shared_ptr<Transport>(&out, [](Transport*) {});
        o.log = [](std::string_view) {};
        auto s = std::make_unique<Store>(o);
        for (ReplicaId p : peers)
            s->add_peer(p);
        return s;
    }
    // Sync rounds both ways, every frame delivered, until nothing is left to say (a bounded
    // number of rounds: digest repairs take a few).
    static void settle(const std::vector<Store*>& replicas, Store& hub, Mailbox& to_hub,
                       Mailbox& to_replicas) {
        for (int round = 0; round < 30; ++round) {
            for (Store* s : replicas)
                s->sync();
            to_hub.deliver({&hub});
            hub.sync();
            to_replicas.deliver(replicas);
        }
    }
    // Copies a closed replica's file (its WAL is checkpointed into it on close), as a backup or a
    // copied app folder would.
    static void copy_file(const fs::path& from, const fs::path& to) {
        fs::remove(to);
        fs::remove(fs::path(to.string() + "-wal"));
        fs::copy_file(from, to);
    }

    fs::path dir;
};

const ReplicaId a{1}, hub{3};

TEST_F(Lifecycle, EachRunWritesUnderItsOwnWriterId) {
    Mailbox out;
    const fs::path file = dir / "a.db";
    ReplicaId first;
    {
        auto s = open(a, file, out, {});
        first = s->writer();
        EXPECT_NE(first, a);
        s->counter("c").increment(2);
    }
    auto s = open(a, file, out, {});
    EXPECT_NE(s->writer(), first);
    s->counter("c").increment(3);
    EXPECT_EQ(s->counter("c").value(), 5);
    const KeyInspection c = *s->inspect("c");
    EXPECT_EQ(c.increments.get(first), 2u);
    EXPECT_EQ(c.increments.get(s->writer()), 3u);
}

TEST_F(Lifecycle, ARestoredBackupNeverReissuesADotItsLostRunIssued) {
    Mailbox to_hub, to_a;
    auto h = memory_peer(hub, to_a, {a});
    const fs::path file = dir / "a.db", backup = dir / "backup.db";
    {
        auto s = open(a, file, to_hub, {hub});
        s->set("cart").add("apple");
        settle({s.get()}, *h, to_hub, to_a);
    }
    copy_file(file, backup);
    {
        auto s = open(a, file, to_hub, {hub});
        s->set("cart").add("bread");  // the run the backup does not know
        settle({s.get()}, *h, to_hub, to_a);
    }
    copy_file(backup, file);  // the device is restored from its backup
    auto s = open(a, file, to_hub, {hub});
    s->set("cart").add("cheese");
    settle({s.get()}, *h, to_hub, to_a);
    const std::vector<std::string> all{"apple", "bread", "cheese"};
    EXPECT_EQ(h->set("cart").elements(), all);
    EXPECT_EQ(s->set("cart").elements(), all);
}

TEST_F(Lifecycle, TwoProcessesFromOneCopiedDirectoryKeepEachOthersWrites) {
    Mailbox to_hub, to_a;
    auto h = memory_peer(hub, to_a, {a});
    const fs::path file = dir / "a.db", copy = dir / "copy.db";
    {
        auto s = open(a, file, to_hub, {hub});
        s->set("cart").add("apple");
        s->counter("visits").increment(1);
        settle({s.get()}, *h, to_hub, to_a);
    }
    copy_file(file, copy);
    auto first = open(a, file, to_hub, {hub});
    auto second = open(a, copy, to_hub, {hub});
    EXPECT_NE(first->writer(), second->writer());
    first->set("cart").add("bread");
    first->counter("visits").increment(2);
    second->set("cart").add("cheese");
    second->counter("visits").increment(4);
    settle({first.get(), second.get()}, *h, to_hub, to_a);
    const std::vector<std::string> all{"apple", "bread", "cheese"};
    for (Store* s : {h.get(), first.get(), second.get()}) {
        EXPECT_EQ(s->set("cart").elements(), all);
        EXPECT_EQ(s->counter("visits").value(), 7);
    }
}

}  // namespace
}  // namespace converge::store
