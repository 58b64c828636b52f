// Writes the fuzz targets' seed corpus from real encodings: CRDT states from random histories
// (natively, through cereal and through Boost), the frames two stores exchange while replicating
// and repairing, the example scenarios, a store's stored records, and the secure channel's hellos,
// proofs and sealed frames. Deterministic: the same files every run.
//
//   converge_fuzz_corpus OUT_DIR SCENARIO_DIR     (scripts/fuzz.sh --corpus)
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "crdt_types.hpp"
#include <boost/archive/binary_oarchive.hpp>
#include <cereal/archives/portable_binary.hpp>

#include <crdt/boost_serialization.hpp>
#include <crdt/testing/arbitrary.hpp>
#include <store/net/secure_channel.hpp>
#include <store/replication/wire.hpp>
#include <store/store.hpp>

namespace {

using namespace converge;
namespace fs = std::filesystem;

class Corpus {
  public:
    explicit Corpus(fs::path root) : root_(std::move(root)) {}
    void add(const std::string& target, const std::string& bytes) {
        const fs::path dir = root_ / target;
        fs::create_directories(dir);
        std::ofstream(dir / ("seed-" + std::to_string(counts_[target]++)), std::ios::binary)
            << bytes;
    }
    std::size_t total() const {
        std::size_t n = 0;
        for (const auto& [target, count] : counts_)
            n += count;
        return n;
    }

  private:
    fs::path root_;
    std::map<std::string, std::size_t> counts_;
};

// States of T from a few random histories (their replicas' states and their deltas).
template <class T>
std::vector<T> samples(std::mt19937_64& rng) {
    std::vector<T> out;
    if constexpr (testing::Generated<T> && !std::is_same_v<T, store::KvRegister>) {
        for (int history = 0; history < 3; ++history) {
            std::vector<testing::Step> steps(4 + rng() % 24);
            for (testing::Step& s : steps) {
                s.kind = rng() % 5 == 0 ? testing::Step::Kind::merge : testing::Step::Kind::op;
                s.replica = static_cast<std::uint8_t>(rng() % 3);
                s.source = static_cast<std::uint8_t>(rng() % 3);
                s.op = testing::Op{
                    static_cast<std::uint8_t>(rng() % 4), static_cast<std::uint8_t>(rng() % 6),
                    static_cast<std::uint8_t>(1 + rng() % 5), static_cast<std::uint8_t>(rng() % 20),
                    static_cast<std::uint8_t>(rng() % 3)};
            }
            auto h = testing::run_history<T>(3, steps);
            out.push_back(h.replicas[0]);
            out.push_back(h.replicas[1]);
            if (!h.deltas.empty()) out.push_back(h.deltas.back());
        }
    } else if constexpr (std::is_same_v<T, CausalContext> || std::is_same_v<T, VersionVector>) {
        for (const auto& set : samples<ORSet<std::string>>(rng)) {
            if constexpr (std::is_same_v<T, CausalContext>)
                out.push_back(set.context());
            else
                out.push_back(set.context().compact());
        }
    } else {
        store::KvRegister reg;
        out.push_back(reg);
        reg.assign(ReplicaId{1}, store::KvValue{Timestamp{100, 0, ReplicaId{1}}, "v1", 0});
        out.push_back(reg);
        store::KvRegister other;
        other.assign(ReplicaId{2}, store::KvValue{Timestamp{100, 1, ReplicaId{2}}, "v2", 5000});
        reg.merge(other);
        out.push_back(reg);
    }
    out.push_back(T{});
    return out;
}

void crdt_seeds(Corpus& corpus) {
    std::mt19937_64 rng(20261123);
    for (std::size_t i = 0; i < fuzz::crdt_type_count; ++i) {
        const std::string selector(1, static_cast<char>(i));
        fuzz::with_crdt_type(static_cast<std::uint8_t>(i), [&]<class T>(std::type_identity<T>) {
            for (const T& value : samples<T>(rng)) {
                corpus.add("crdt_decode", selector + encode(value));
                if constexpr (BoostSerializable<T>) {
                    std::ostringstream cereal_bytes;
                    {
                        cereal::PortableBinaryOutputArchive out(cereal_bytes);
                        out(value);
                    }
                    corpus.add("crdt_cereal", selector + cereal_bytes.str());
                    std::ostringstream boost_bytes;
                    {
                        boost::archive::binary_oarchive out(boost_bytes, boost::archive::no_header);
                        out << value;
                    }
                    corpus.add("crdt_boost", selector + boost_bytes.str());
                }
            }
        });
    }
}

// A transport that keeps every frame for delivery by hand.
struct Outbox final : store::Transport {
    std::vector<std::pair<ReplicaId, std::string>> frames;
    void send(ReplicaId to, std::string frame) override {
        frames.emplace_back(to, std::move(frame));
    }
};

void wire_seeds(Corpus& corpus) {
    auto outbox = std::make_shared<Outbox>();
    auto make = [&](std::uint64_t id) {
        return std::make_unique<store::Store>(
            store::Options{.replica = ReplicaId{id},
                           .clock = std::make_shared<store::ManualClock>(1'700'000'000'000),
                           .rng = std::make_shared<store::SeededRng>(id),
                           .transport = outbox,
                           .log = [](std::string_view) {},
                           .anti_entropy_syncs = 1});
    };
    auto a = make(1), b = make(2);
    a->add_peer(ReplicaId{2});
    b->add_peer(ReplicaId{1});
    a->put("title", "groceries", std::chrono::milliseconds(60'000));
    a->counter("visits").increment(7);
    b->counter("visits").decrement(2);
    b->set("cart").add("milk");
    b->set("cart").add("eggs");
    a->set("cart").remove("milk");
    b->del("title");
    a->hash("note").set("title", "groceries");
    b->hash("note").increment("edits", 2);
    a->sorted_set("board").add("ada", 10.0);
    b->sorted_set("board").increment("ada", 1.5);
    a->hyperloglog("visitors").add("203.0.113.7");
    std::vector<std::string> seen;
    for (int round = 0; round < 6; ++round) {
        a->sync();
        b->sync();
        auto frames = std::move(outbox->frames);
        outbox->frames.clear();
        for (auto& [to, frame] : frames) {
            (to == ReplicaId{1} ? *a : *b).receive(frame);
            seen.push_back(frame);
        }
    }
    for (const std::string& frame : seen) {
        const auto opened = store::wire::open(frame, 1 << 20);
        const auto& f = std::get<store::wire::Frame>(opened);
        const std::string typed =
            std::string(1, static_cast<char>(f.type)) + std::string(f.payload);
        corpus.add("wire_frames", std::string(1, '\0') + frame);
        corpus.add("wire_frames", std::string(1, '\1') + typed);
        corpus.add("wire_frames", std::string(1, '\2') + typed);
    }
}

std::string field(std::string_view bytes) {
    if (bytes.size() > 255) throw std::runtime_error("a seed field is over 255 bytes");
    return std::string(1, static_cast<char>(bytes.size())) + std::string(bytes);
}

void stored_record_seeds(Corpus& corpus) {
    auto storage = std::make_shared<store::MemoryStorage>();
    {
        store::Store s(
            store::Options{.replica = ReplicaId{2},
                           .clock = std::make_shared<store::ManualClock>(1'700'000'000'000),
                           .rng = std::make_shared<store::SeededRng>(2),
                           .storage = storage});
        s.put("name", "converge");
        s.put("session", "abc", std::chrono::milliseconds(30'000));
        s.counter("visits").increment(3);
        s.counter("visits").decrement(1);
        s.set("tags").add("crdt");
        s.set("tags").add("sync");
        s.set("tags").remove("crdt");
        s.del("name");
        for (int i = 0; i < 200; ++i)  // large enough that later changes are stored as deltas
            s.set("big").add("member-" + std::to_string(i));
    }
    std::string all;
    storage->open(ReplicaId{2}, [&](std::string_view key, std::string_view bytes, std::uint64_t seq,
                                    store::Storage::Stored what) {
        if (bytes.size() > 255) return;  // a field holds at most 255 bytes
        const char kind = what == store::Storage::Stored::delta ? '\2' : '\0';
        const std::string record = std::string(1, kind) + field(key) + field(bytes) +
                                   std::string(1, static_cast<char>(seq & 0xFF));
        corpus.add("stored_records", record);
        all += record;
    });
    corpus.add("stored_records", all);
    corpus.add("stored_records", all + std::string("\x01\x01\x05", 3));
}

void secure_channel_seeds(Corpus& corpus) {
    store::SecretKey secret{};
    secret.fill(0x22);
    const store::KeyPair peer = store::KeyPair::from_secret(secret);
    for (bool encrypted : {false, true}) {
        store::detail::Hello hello{
            .encrypted = encrypted, .id = ReplicaId{7}, .key = peer.public_key};
        hello.nonce.fill(0x33);
        corpus.add("secure_channel", std::string(1, '\0') + store::detail::encode(hello));
    }
    store::detail::Key key{};
    key.fill(0x5A);
    corpus.add("secure_channel",
               std::string(1, '\1') + store::detail::proof(key, "client hello|server hello"));
    for (bool encrypted : {false, true}) {
        store::detail::FrameSealer sealer(key, encrypted);
        std::string bodies(1, static_cast<char>(encrypted));
        for (const char* frame : {"first frame", "second", ""})
            bodies += field(std::string_view(sealer.seal(frame)).substr(4));
        corpus.add("secure_channel", std::string(1, '\2') + bodies);
    }
}

void scenario_seeds(Corpus& corpus, const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".toml") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        corpus.add("scenario_toml", std::string(std::istreambuf_iterator<char>(in), {}));
    }
}

// Requests as Redis clients send them (multibulk, inline, pipelined), authenticated or not, read
// whole or a few bytes at a time.
void resp_seeds(Corpus& corpus) {
    const auto multibulk = [](std::vector<std::string> args) {
        std::string out = "*" + std::to_string(args.size()) + "\r\n";
        for (const std::string& a : args)
            out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
        return out;
    };
    const std::vector<std::string> sessions{
        multibulk({"SET", "k", "v", "EX", "100"}) + multibulk({"GET", "k"}) +
            multibulk({"TTL", "k"}),
        multibulk({"INCRBY", "c", "5"}) + multibulk({"DECR", "c"}) + multibulk({"MGET", "c", "k"}),
        multibulk({"SADD", "s", "a", "b"}) + multibulk({"SMEMBERS", "s"}) +
            multibulk({"SPOP", "s", "1"}),
        multibulk({"HSET", "h", "f", "v", "g", "w"}) + multibulk({"HINCRBY", "h", "n", "2"}) +
            multibulk({"HGETALL", "h"}),
        multibulk({"ZADD", "z", "CH", "1.5", "a", "2", "b"}) +
            multibulk({"ZRANGE", "z", "0", "-1", "REV", "WITHSCORES"}),
        multibulk({"PFADD", "p", "x", "y"}) + multibulk({"PFCOUNT", "p", "q"}),
        multibulk({"HELLO", "3", "AUTH", "default", "pw"}) + multibulk({"INFO"}) +
            multibulk({"SCAN", "0", "MATCH", "*", "COUNT", "2"}),
        "PING\r\nset \"a b\" 'c d'\r\nKEYS *\r\n",
        multibulk({"COMMAND", "DOCS", "get"}) + multibulk({"CONFIG", "GET", "*"}) +
            multibulk({"DEL", "k", "s", "h"}) + multibulk({"QUIT"}),
    };
    for (const std::string& session : sessions)
        for (const char flags : {'\x01', '\x00', '\x07'})
            corpus.add("resp_requests", std::string(1, flags) + session);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " OUT_DIR SCENARIO_DIR\n";
        return 2;
    }
    try {
        Corpus corpus(argv[1]);
        crdt_seeds(corpus);
        wire_seeds(corpus);
        stored_record_seeds(corpus);
        secure_channel_seeds(corpus);
        scenario_seeds(corpus, argv[2]);
        resp_seeds(corpus);
        std::cout << "wrote " << corpus.total() << " seed inputs under " << argv[1] << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
