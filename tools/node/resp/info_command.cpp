// INFO: the sections redis-cli and monitoring tools read (server, clients, memory, stats,
// keyspace) and converge's own (crdt: the replica, its peers and their backlog, merges, rejected
// frames, causal metadata).
#include <chrono>
#include <fstream>
#include <numeric>

#include "resp_command.hpp"
#include <malloc.h>
#include <unistd.h>

namespace converge::tools {
namespace {

using Lines = std::vector<std::pair<std::string, std::string>>;

std::string number(std::uint64_t n) {
    return std::to_string(n);
}

std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

Lines server(const RespContext& c) {
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - c.started)
                            .count();
    return {{"redis_version", "7.0.0"},
            {"converge_version", "1"},
            {"redis_mode", "standalone"},
            {"process_id", number(static_cast<std::uint64_t>(getpid()))},
            {"tcp_port", number(c.port)},
            {"uptime_in_seconds", number(static_cast<std::uint64_t>(uptime))},
            {"config_file", c.config_file}};
}

Lines memory() {
    const struct mallinfo2 heap = mallinfo2();
    return {{"used_memory", number(heap.uordblks + heap.hblkhd)},
            {"used_memory_rss", number(resident_bytes())},
            {"maxmemory", "0"}};
}

Lines stats(const RespContext& c, const store::Metrics& m) {
    return {{"total_connections_received", number(c.stats.connections_received)},
            {"total_commands_processed", number(c.stats.commands_processed)},
            {"rejected_connections", number(c.stats.rejected_connections)},
            {"total_error_replies_protocol", number(c.stats.protocol_errors)},
            {"auth_failures", number(c.stats.auth_failures)},
            {"expired_keys", number(m.expired_keys)}};
}

// Redis's keyspace line: the keys, those with a TTL (a value's, or a whole key's deadline) and
// their average time left in ms (exact here, where Redis samples). A walk over every key.
Lines keyspace(const store::Store& store) {
    const store::Store::KeyCount count = store.key_count();
    if (count.keys == 0) return {};
    const auto time_left = static_cast<std::uint64_t>(count.time_left.count());
    return {
        {"db0", "keys=" + number(count.keys) + ",expires=" + number(count.expiring) +
                    ",avg_ttl=" + number(count.expiring == 0 ? 0 : time_left / count.expiring)}};
}

Lines crdt(const RespContext& c, const store::Metrics& m) {
    const std::uint64_t rejected =
        std::accumulate(m.frames_rejected.begin(), m.frames_rejected.end(), std::uint64_t{0});
    Lines lines{{"replica_id", number(c.store.replica().value)},
                {"writer_id", number(m.writer.value)},
                {"peers", number(m.peers.size())}};
    for (std::size_t i = 0; i < m.peers.size(); ++i) {
        const store::PeerMetrics& p = m.peers[i];
        lines.emplace_back("peer" + number(i), "id=" + number(p.peer.value) +
                                                   ",backlog=" + number(p.deltas_pending) +
                                                   ",repairing=" + number(p.repairing));
    }
    for (const std::string& line : c.peer_lines ? c.peer_lines() : std::vector<std::string>{}) {
        const std::size_t colon = line.find(':');
        lines.emplace_back(line.substr(0, colon),
                           colon == std::string::npos ? "" : line.substr(colon + 1));
    }
    const Lines rest{{"merges", number(m.merges)},
                     {"merges_unchanged", number(m.merges_unchanged)},
                     {"frames_rejected", number(rejected)},
                     {"type_conflicts", number(m.type_conflicts)},
                     {"log_entries", number(m.log_entries)},
                     {"metadata_bytes", number(m.metadata_bytes.total())},
                     {"keys_with_state", number(m.keys)},
                     {"retired_writers", number(m.retired_writers)},
                     {"retirements_pending", number(m.retirements_pending.size())}};
    lines.insert(lines.end(), rest.begin(), rest.end());
    return lines;
}

}  // namespace

void resp_info(RespContext& c, RespClient&, const RespArgs& a, RespWriter& out) {
    std::vector<std::string> wanted;
    for (std::size_t i = 1; i < a.size(); ++i)
        wanted.push_back(resp_lower(a[i]));
    const auto want = [&](const char* section) {
        if (wanted.empty()) return true;
        for (const std::string& w : wanted)
            if (w == section || w == "all" || w == "everything" || w == "default") return true;
        return false;
    };
    const store::Metrics m = c.store.metrics();
    std::string text;
    const auto section = [&](const char* name, const char* title, const Lines& lines) {
        if (!want(name)) return;
        if (!text.empty()) text += "\r\n";
        text += std::string("# ") + title + "\r\n";
        for (const auto& [key, value] : lines)
            text += key + ":" + value + "\r\n";
    };
    section("server", "Server", server(c));
    section("clients", "Clients", {{"connected_clients", number(c.stats.connected_clients)}});
    section("memory", "Memory", memory());
    section("stats", "Stats", stats(c, m));
    if (want("keyspace")) section("keyspace", "Keyspace", keyspace(c.store));  // walks every key
    section("crdt", "CRDT", crdt(c, m));
    out.bulk(text);
}

}  // namespace converge::tools
