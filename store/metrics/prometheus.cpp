#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <store/metrics/prometheus.hpp>

namespace converge::store {
namespace {

using Labels = std::map<std::string, std::string>;

class Exporter {
  public:
    explicit Exporter(ReplicaId replica) : replica_(std::to_string(replica.value)) {}

    void counter(const char* name, const char* help, std::uint64_t value, Labels labels = {}) {
        labels.emplace("replica", replica_);
        prometheus::BuildCounter().Name(name).Help(help).Register(registry_).Add(labels).Increment(
            static_cast<double>(value));
    }
    void gauge(const char* name, const char* help, double value, Labels labels = {}) {
        labels.emplace("replica", replica_);
        prometheus::BuildGauge().Name(name).Help(help).Register(registry_).Add(labels).Set(value);
    }
    std::string text() const { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  private:
    std::string replica_;
    prometheus::Registry registry_;
};

// The writer id and the retirements (docs/replicas.md).
void add_lifecycle(Exporter& e, const Metrics& m) {
    e.gauge("converge_writer_id", "The writer id this run of the replica stamps its changes with",
            static_cast<double>(m.writer.value));
    e.gauge("converge_retired_writers", "Writers folded out of every key (docs/replicas.md)",
            static_cast<double>(m.retired_writers));
    e.gauge("converge_retirements_pending", "Writers declared retired, not folded yet",
            static_cast<double>(m.retirements_pending.size()));
    for (const PendingRetirement& p : m.retirements_pending)
        e.gauge("converge_retirement_level",
                "How many hops out every replica holds the same changes of a retiring writer "
                "(it folds at converge_retirement_levels_needed)",
                p.level, {{"writer", std::to_string(p.writer.value)}});
    if (!m.retirements_pending.empty())
        e.gauge("converge_retirement_levels_needed", "The level at which a retiring writer folds",
                m.retirements_pending.front().needed);
    e.counter("converge_rekeys_total",
              "Times this run took a fresh writer id because its own was being retired", m.rekeys);
}

// Each peer's backlog, repairs and digest comparisons.
void add_peers(Exporter& e, const Metrics& m) {
    for (const PeerMetrics& p : m.peers) {
        const Labels peer{{"peer", std::to_string(p.peer.value)}};
        e.gauge("converge_deltas_pending", "Changed keys a peer has not acknowledged",
                static_cast<double>(p.deltas_pending), peer);
        e.gauge("converge_peer_repairing", "1 while a digest repair of the peer is under way",
                p.repairing ? 1 : 0, peer);
        const char* comparisons =
            "Digest comparisons with a peer, by outcome: a rate of differing ones that does not "
            "fall to zero when writes stop is a replica set that cannot agree";
        e.counter("converge_digest_comparisons_total", comparisons,
                  p.comparisons - p.comparisons_differing,
                  {{"peer", std::to_string(p.peer.value)}, {"outcome", "equal"}});
        e.counter("converge_digest_comparisons_total", comparisons, p.comparisons_differing,
                  {{"peer", std::to_string(p.peer.value)}, {"outcome", "differing"}});
        e.counter("converge_peer_keys_repaired_total",
                  "Key states sent to a peer by digest repairs", p.keys_repaired, peer);
    }
}

}  // namespace

std::string prometheus_text(const Metrics& m, ReplicaId replica) {
    Exporter e(replica);
    const char* ops = "Operations called, by type";
    e.counter("converge_operations_total", ops, m.puts, {{"op", "put"}});
    e.counter("converge_operations_total", ops, m.gets, {{"op", "get"}});
    e.counter("converge_operations_total", ops, m.dels, {{"op", "del"}});
    e.counter("converge_operations_total", ops, m.counter_ops, {{"op", "counter"}});
    e.counter("converge_operations_total", ops, m.set_ops, {{"op", "set"}});
    e.counter("converge_operations_total", ops, m.hash_ops, {{"op", "hash"}});
    e.counter("converge_operations_total", ops, m.sorted_set_ops, {{"op", "sorted_set"}});
    e.counter("converge_operations_total", ops, m.hyperloglog_ops, {{"op", "hyperloglog"}});
    e.counter("converge_type_mismatches_total", "Operations refused: the key holds another type",
              m.type_mismatches);
    e.gauge("converge_keys", "Keys holding any state", static_cast<double>(m.keys));
    e.counter("converge_expired_keys_total", "Values reclaimed after expiry", m.expired_keys);
    const char* meta = "Bytes of causal metadata held, by value type";
    e.gauge("converge_metadata_bytes", meta, static_cast<double>(m.metadata_bytes.values),
            {{"type", "value"}});
    e.gauge("converge_metadata_bytes", meta, static_cast<double>(m.metadata_bytes.counters),
            {{"type", "counter"}});
    e.gauge("converge_metadata_bytes", meta, static_cast<double>(m.metadata_bytes.sets),
            {{"type", "set"}});
    e.gauge("converge_metadata_bytes", meta, static_cast<double>(m.metadata_bytes.hashes),
            {{"type", "hash"}});
    e.gauge("converge_metadata_bytes", meta, static_cast<double>(m.metadata_bytes.sorted_sets),
            {{"type", "sorted_set"}});
    e.gauge("converge_metadata_bytes", meta, static_cast<double>(m.metadata_bytes.hyperloglogs),
            {{"type", "hyperloglog"}});
    e.counter("converge_merges_total", "Keys merged from peers", m.merges);
    e.counter("converge_merges_unchanged_total",
              "Keys merged from peers that changed nothing a reader sees (replays, resends)",
              m.merges_unchanged);
    e.counter("converge_type_conflicts_total", "Keys a peer used as another type",
              m.type_conflicts);
    e.counter("converge_clock_drift_exceeded_total",
              "Peer timestamps too far ahead to move the hybrid clock", m.clock_drift_exceeded);
    e.counter("converge_messages_total", "Replication messages", m.messages_out,
              {{"direction", "out"}});
    e.counter("converge_messages_total", "Replication messages", m.messages_in,
              {{"direction", "in"}});
    e.counter("converge_bytes_total", "Replication bytes on the wire", m.bytes_out,
              {{"direction", "out"}});
    e.counter("converge_bytes_total", "Replication bytes on the wire", m.bytes_in,
              {{"direction", "in"}});
    for (std::size_t r = 0; r < wire::reject_reason_count; ++r)
        e.counter("converge_frames_rejected_total", "Frames refused, by reason",
                  m.frames_rejected[r],
                  {{"reason", wire::to_string(static_cast<wire::RejectReason>(r))}});
    e.gauge("converge_log_entries", "Changed keys in the delta log",
            static_cast<double>(m.log_entries));
    e.gauge("converge_log_bytes", "Estimated bytes of the delta log",
            static_cast<double>(m.log_bytes));
    e.counter("converge_log_dropped_total", "Log entries dropped to keep within bounds",
              m.log_dropped);
    e.counter("converge_storage_failures_total",
              "Sync rounds and frames held back by a failing storage", m.storage_failures);
    e.counter("converge_writes_refused_total",
              "Local changes refused, unapplied, while the storage failed", m.writes_refused);
    e.counter("converge_repairs_started_total", "Digest repairs of peers begun", m.repairs_started);
    e.counter("converge_repairs_completed_total", "Digest repairs of peers completed",
              m.repairs_completed);
    e.counter("converge_repair_keys_sent_total", "Key states sent by digest repairs",
              m.repair_keys_sent);
    add_lifecycle(e, m);
    add_peers(e, m);
    return e.text();
}

std::string prometheus_text(const TcpStats& s, ReplicaId replica) {
    Exporter e(replica);
    const char* connections = "Authenticated connections established, by direction";
    e.counter("converge_tcp_connections_total", connections, s.connections_out,
              {{"direction", "out"}});
    e.counter("converge_tcp_connections_total", connections, s.connections_in,
              {{"direction", "in"}});
    e.counter("converge_tcp_connect_failures_total", "Dials that failed", s.connect_failures);
    e.counter("converge_tcp_handshakes_refused_total",
              "Connections refused: unknown replica or key, bad proof, bad hello",
              s.handshakes_refused);
    const char* frames = "Frames, by what became of them";
    e.counter("converge_tcp_frames_total", frames, s.frames_sent, {{"outcome", "sent"}});
    e.counter("converge_tcp_frames_total", frames, s.frames_received, {{"outcome", "received"}});
    e.counter("converge_tcp_frames_total", frames, s.frames_bad_tag, {{"outcome", "bad_tag"}});
    e.counter("converge_tcp_frames_total", frames, s.frames_wrong_sender,
              {{"outcome", "wrong_sender"}});
    e.counter("converge_tcp_frames_total", frames, s.frames_oversized, {{"outcome", "oversized"}});
    e.counter("converge_tcp_frames_total", frames, s.frames_dropped, {{"outcome", "dropped"}});
    return e.text();
}

}  // namespace converge::store
