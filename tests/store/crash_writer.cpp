// The writer of the crash test (crash_test.cpp): replica 1 over a SQLite file, making acknowledged
// writes until it is killed. Each "ack N" line is printed after the three calls of step N
// returned: put k<N>=v<N>, increment the counter "count", add m<N> to the set "members".
//
//   converge_crash_writer FILE FIRST_STEP
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>

int main(int argc, char** argv) {
    using namespace converge::store;
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s FILE FIRST_STEP\n", argv[0]);
        return 2;
    }
    try {
        Store store(Options{.replica = converge::ReplicaId{1},
                            .storage = std::make_shared<SqliteStorage>(argv[1])});
        const unsigned long first = std::strtoul(argv[2], nullptr, 10);
        for (unsigned long step = first; step < first + 1'000'000; ++step) {
            const std::string n = std::to_string(step);
            store.put("k" + n, "v" + n);
            store.counter("count").increment();
            store.set("members").add("m" + n);
            std::printf("ack %lu\n", step);
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash writer: %s\n", e.what());
        return 1;
    }
    return 0;
}
