// File: store/net/tcp_stats.hpp
// TcpStats: what a TcpTransport has done, as counters since it was built (TcpTransport::stats());
// a plain struct, so an exporter can read it without linking the transport.
#pragma once

#include <cstdint>

namespace converge::store {

struct TcpStats {
    std::uint64_t connections_out = 0;     // handshakes completed as the dialling end
    std::uint64_t connections_in = 0;      // handshakes completed as the listening end
    std::uint64_t connect_failures = 0;    // dials that failed (refused, unreachable, closed)
    std::uint64_t handshakes_refused = 0;  // unknown replica or key, bad proof, bad hello
    std::uint64_t frames_sent = 0;
    std::uint64_t frames_received = 0;      // delivered to the Store
    std::uint64_t frames_bad_tag = 0;       // altered, replayed or forged: connection closed
    std::uint64_t frames_wrong_sender = 0;  // envelope names another replica than the peer
    std::uint64_t frames_oversized = 0;
    std::uint64_t frames_dropped = 0;  // queue full or peer not configured
};

}  // namespace converge::store
