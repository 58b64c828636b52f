// The crash test: a writer process (crash_writer.cpp) is killed with SIGKILL at random moments 50
// times. After each kill, every write it acknowledged is in its SQLite file, and the replica,
// started again from the file, converges with a peer that kept running and writing.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>
#include <store/testing/loopback_network.hpp>

extern char** environ;

namespace converge::store {
namespace {

// A child process with its stdout on a pipe.
class Writer {
  public:
    Writer(const std::filesystem::path& file, std::uint64_t first_step) {
        int fds[2];
        if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        const std::string path = CONVERGE_CRASH_WRITER, db = file.string(),
                          step = std::to_string(first_step);
        char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>(db.c_str()),
                        const_cast<char*>(step.c_str()), nullptr};
        const int rc = posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        out_ = fds[0];
        if (rc != 0) throw std::runtime_error("cannot start " + path);
    }
    ~Writer() {
        if (pid_ > 0) kill();
        ::close(out_);
    }

    // Reads acknowledgements until ms have passed (or, with first, until the first one arrives or
    // 10 s pass); returns the highest step acknowledged so far (-1 if none).
    std::int64_t read_for(int ms, bool first = false) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        for (;;) {
            if (first && last_ >= 0) return last_;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return last_;
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            if (!drain()) return last_;
        }
    }
    // SIGKILL, then reads what it printed before dying: those writes were acknowledged too.
    std::int64_t kill() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        while (drain()) {
        }
        return last_;
    }

  private:
    // Reads what is available; returns false at end of file.
    bool drain() {
        char buf[4096];
        const ssize_t n = ::read(out_, buf, sizeof buf);
        if (n <= 0) return false;
        pending_.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
            const std::string line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            if (line.rfind("ack ", 0) == 0) last_ = std::stoll(line.substr(4));
        }
        return true;
    }

    pid_t pid_ = -1;
    int out_ = -1;
    std::string pending_;
    std::int64_t last_ = -1;
};

TEST(CrashTest, EveryAcknowledgedWriteSurvivesFiftyKillsAndTheReplicaConverges) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("converge-crash-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto file = dir / "writer.db";

    LoopbackNetwork net(11);
    auto peer = std::make_unique<Store>(Options{.replica = ReplicaId{2},
                                                .rng = std::make_shared<SeededRng>(2),
                                                .transport = net.transport(ReplicaId{2})});
    net.attach(ReplicaId{2}, *peer);
    peer->add_peer(ReplicaId{1});

    SeededRng rng(20261122);
    std::uint64_t next_step = 0, acknowledged = 0;
    for (int kill = 1; kill <= 50; ++kill) {
        std::int64_t last = -1;
        {
            Writer writer(file, next_step);
            // Even kills strike only after the writer acknowledged something; odd ones may strike
            // while it is still opening and recovering its file.
            if (kill % 2 == 0) writer.read_for(10'000, /*first=*/true);
            last = writer.read_for(static_cast<int>(5 + rng.next() % 60));
            last = writer.kill();
        }
        if (last >= 0) {
            acknowledged += static_cast<std::uint64_t>(last) + 1 - next_step;
            next_step = static_cast<std::uint64_t>(last) + 1;
        }

        Store replica(Options{.replica = ReplicaId{1},
                              .rng = std::make_shared<SeededRng>(1000 + kill),
                              .transport = net.transport(ReplicaId{1}),
                              .storage = std::make_shared<SqliteStorage>(file)});
        for (std::uint64_t step = 0; step < next_step; ++step) {
            const std::string n = std::to_string(step);
            ASSERT_EQ(replica.get("k" + n), "v" + n) << "kill " << kill << " lost step " << step;
            ASSERT_TRUE(replica.set("members").contains("m" + n))
                << "kill " << kill << " lost step " << step;
        }
        // Each kill may leave one increment done but unacknowledged.
        const std::int64_t count = replica.counter("count").value();
        ASSERT_GE(count, static_cast<std::int64_t>(acknowledged)) << "kill " << kill;
        ASSERT_LE(count, static_cast<std::int64_t>(acknowledged) + kill) << "kill " << kill;

        net.attach(ReplicaId{1}, replica);
        replica.add_peer(ReplicaId{2});
        peer->put("peer-" + std::to_string(kill), "p");
        bool converged = false;
        for (int round = 0; round < 50 && !converged; ++round) {
            replica.sync();
            peer->sync();
            net.run_until_idle();
            converged = replica.state_hash() == peer->state_hash();
        }
        ASSERT_TRUE(converged) << "kill " << kill << ": the restarted replica did not converge";
        EXPECT_EQ(replica.get("peer-" + std::to_string(kill)), "p");
        // One more round records the peer's mark, as a running replica would.
        replica.sync();
        peer->sync();
        net.run_until_idle();
        net.detach(ReplicaId{1});
    }
    EXPECT_GE(acknowledged, 25u);
    std::printf("crash test: 50 kills, %llu acknowledged steps, all present after each restart\n",
                static_cast<unsigned long long>(acknowledged));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace converge::store
