// Fuzz target: recovery from stored records, as SqliteStorage returns them from its tables (key,
// encoded state, write number; peers' sync marks). Input: records of
//   kind byte (0 mod 4: a key's state, 2 mod 4: a delta over it, odd: a sync mark), then for a
//   key its name and bytes (one-byte length prefixed) and a write-number byte; for a mark a peer
//   byte and a write-number byte.
// A Store opened over them must recover, or refuse with a StorageError and nothing else.
#include <memory>
#include <string>
#include <vector>

#include "check.hpp"

#include <store/storage/storage.hpp>
#include <store/store.hpp>

namespace {

using namespace converge;
using namespace converge::store;

// Storage that hands back the records it was given and ignores writes.
class Records final : public Storage {
  public:
    struct Key {
        std::string name, state;
        std::uint64_t seq;
        Stored what = Stored::state;
    };
    std::vector<Key> keys;
    std::vector<SyncMark> marks;

    std::vector<SyncMark> open(ReplicaId, const KeyVisitor& on_key) override {
        for (const Key& k : keys)
            on_key(k.name, k.state, k.seq, k.what);
        return marks;
    }
    std::uint64_t write(std::string_view, std::string_view) override { return ++seq_; }
    void mark_synced(ReplicaId, std::uint64_t) override {}
    void forget(ReplicaId) override {}
    void wait(std::uint64_t) override {}
    std::uint64_t flush() override { return seq_; }
    bool dirty() const override { return false; }

  private:
    std::uint64_t seq_ = 1000;
};

struct Discard final : Transport {
    void send(ReplicaId, std::string) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    auto storage = std::make_shared<Records>();
    while (!in.empty()) {
        const std::uint8_t kind = in.byte();
        if (kind % 2 == 0) {
            Records::Key k{std::string(in.field()), std::string(in.field()), 0};
            k.seq = in.byte();
            k.what = kind % 4 == 2 ? Storage::Stored::delta : Storage::Stored::state;
            storage->keys.push_back(std::move(k));
        } else {
            const ReplicaId peer{in.byte()};
            storage->marks.push_back({peer, in.byte()});
        }
    }
    std::unique_ptr<Store> store;
    try {
        store = std::make_unique<Store>(
            Options{.replica = ReplicaId{2},
                    .clock = std::make_shared<ManualClock>(1'700'000'000'000),
                    .rng = std::make_shared<SeededRng>(2),
                    .transport = std::make_shared<Discard>(),
                    .storage = storage,
                    .log = [](std::string_view) {},
                    .stripes = 1});
    } catch (const StorageError&) {
        return 0;
    }
    // Whatever it recovered, the store keeps working: it writes, syncs and shows every key.
    // (A recovered key of another type refuses the write with an error, as it should.)
    store->add_peer(ReplicaId{1});
    try {
        store->put("k", "v");
        FUZZ_CHECK(store->get("k") == "v");
    } catch (const Error&) {
    }
    try {
        store->counter("c").increment();
    } catch (const Error&) {
    }
    try {
        store->set("s").add("m");
    } catch (const Error&) {
    }
    store->sync();
    for (const std::string& key : store->keys())
        FUZZ_CHECK(store->inspect(key).has_value());
    return 0;
}
