// An offline-first notes app on two devices, each its own process with its own SQLite file. Each
// device edits while the other is away; `sync` brings them together over authenticated TCP and
// they converge. (The README shows a session.)
//
//   offline_notes DIR DEVICE add TEXT      # DEVICE: laptop or phone; DIR holds both devices' files
//   offline_notes DIR DEVICE done TEXT     # ticks a note off
//   offline_notes DIR DEVICE list
//   offline_notes DIR DEVICE sync SECONDS  # run both devices' syncs at the same time
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <store/net/tcp_transport.hpp>
#include <store/storage/sqlite_storage.hpp>
#include <store/store.hpp>

using namespace converge;
using namespace converge::store;

namespace {

struct Device {
    std::string name;
    ReplicaId id;
    std::uint16_t port;
};
const Device devices[2] = {{"laptop", ReplicaId{1}, 7301}, {"phone", ReplicaId{2}, 7302}};

// The device's key pair, made on first use; its public key is left beside it for the other device.
KeyPair keys_of(const std::filesystem::path& dir, const Device& d) {
    const auto secret_file = dir / (d.name + ".key");
    std::string hex;
    if (std::ifstream(secret_file) >> hex) return KeyPair::from_secret(secret_key_from_hex(hex));
    const KeyPair keys = KeyPair::generate();
    std::ofstream(secret_file) << to_hex(keys.secret_key) << "\n";
    std::ofstream(dir / (d.name + ".pub")) << to_hex(keys.public_key) << "\n";
    return keys;
}

void list(Store& notes) {
    for (const std::string& text : notes.set("todo").elements())
        std::printf("[ ] %s\n", text.c_str());
    for (const std::string& text : notes.set("done").elements())
        std::printf("[x] %s\n", text.c_str());
}

int sync(Store& notes, const std::shared_ptr<TcpTransport>& tcp, const Device& other, int seconds) {
    tcp->start([&](std::string frame) { notes.receive(frame); });
    notes.add_peer(other.id);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
        notes.sync();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    tcp->stop();
    const TcpStats s = tcp->stats();
    std::printf("synced with the %s for %d s: %llu frames sent, %llu received\n",
                other.name.c_str(), seconds, static_cast<unsigned long long>(s.frames_sent),
                static_cast<unsigned long long>(s.frames_received));
    return s.connections_out > 0 && s.connections_in > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr,
                     "usage: %s DIR laptop|phone add TEXT | done TEXT | list | sync SECONDS\n",
                     argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    const std::string device = argv[2], command = argv[3];
    const std::string arg = argc > 4 ? argv[4] : "";
    const int me = device == "laptop" ? 0 : device == "phone" ? 1 : -1;
    if (me < 0) {
        std::fprintf(stderr, "the device is laptop or phone, not \"%s\"\n", device.c_str());
        return 2;
    }
    const Device& self = devices[me];
    const Device& other = devices[1 - me];
    try {
        std::filesystem::create_directories(dir);
        const KeyPair keys = keys_of(dir, self);
        std::shared_ptr<TcpTransport> tcp;
        if (command == "sync") {
            std::string peer_key;
            if (!(std::ifstream(dir / (other.name + ".pub")) >> peer_key))
                throw Error("the " + other.name + " has not been used yet: it has no key");
            tcp = std::make_shared<TcpTransport>(TcpOptions{
                .replica = self.id,
                .keys = keys,
                .listen_port = self.port,
                .peers = {{other.id, "127.0.0.1", other.port, public_key_from_hex(peer_key)}},
                .log = [](std::string_view) {}});
        }
        Store notes(Options{.replica = self.id,
                            .transport = tcp,
                            .storage = std::make_shared<SqliteStorage>(dir / (self.name + ".db")),
                            .log = [](std::string_view) {}});
        if (command == "add" && !arg.empty()) {
            notes.set("todo").add(arg);
        } else if (command == "done" && !arg.empty()) {
            if (!notes.set("todo").remove(arg)) {
                std::fprintf(stderr, "no note \"%s\" on the %s\n", arg.c_str(), self.name.c_str());
                return 1;
            }
            notes.set("done").add(arg);
        } else if (command == "list") {
            list(notes);
        } else if (command == "sync" && !arg.empty()) {
            return sync(notes, tcp, other, std::stoi(arg));
        } else {
            std::fprintf(stderr,
                         "unknown command \"%s\" (add TEXT, done TEXT, list, sync SECONDS)\n",
                         command.c_str());
            return 2;
        }
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "offline_notes: %s\n", e.what());
        return 2;
    }
}
