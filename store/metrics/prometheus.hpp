// File: store/metrics/prometheus.hpp
// The Prometheus text exposition format of a replica's metrics and of its TCP transport's
// counters (target converge::prometheus, which links prometheus-cpp; converge::store does not).
//
//   std::string text = store::prometheus_text(s.metrics(), s.replica());
#pragma once

#include <string>

#include <crdt/replica_id.hpp>
#include <store/metrics/metrics.hpp>
#include <store/net/tcp_stats.hpp>

namespace converge::store {

// metrics as converge_* families, each sample labelled replica="<id>". Thread-safe (no shared
// state).
std::string prometheus_text(const Metrics& metrics, ReplicaId replica);
// A TcpTransport's counters as converge_tcp_* families, labelled with the replica. Thread-safe.
std::string prometheus_text(const TcpStats& stats, ReplicaId replica);

}  // namespace converge::store
