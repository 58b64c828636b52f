// File: crdt/deadline.hpp
// Deadline: when a whole key expires (Redis's EXPIRE on a hash, sorted set or HyperLogLog), as a
// last-writer-wins register: the setting with the greatest hybrid timestamp holds, so of two
// concurrent EXPIREs (or an EXPIRE and a PERSIST) the later command wins on every replica. The
// bottom (never set) merges as nothing; a setting of expires_ms 0 means "never expires" and
// takes part in last-writer-wins like any other.
//
//   Deadline d;
//   d.set(Timestamp{10, 0, ReplicaId{1}}, 5'000);   d.expired_at(5'000);   // true
//
// Thread-safety: a plain value type; const members may run concurrently, anything that changes it
// needs exclusive access.
#pragma once

#include <cstdint>
#include <tuple>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/timestamp.hpp>

namespace converge {

struct Deadline {
    Timestamp set_at;              // the command's hybrid timestamp; zero: never set
    std::uint64_t expires_ms = 0;  // physical time on the hybrid clock; 0: never

    bool unset() const noexcept { return set_at == Timestamp{}; }
    bool expired_at(std::uint64_t now_ms) const noexcept {
        return expires_ms != 0 && expires_ms <= now_ms;
    }
    // Sets the deadline at timestamp set_at (a later setting already here keeps its place).
    void set(Timestamp when, std::uint64_t expires) { merge(Deadline{when, expires}); }
    // Equal timestamps with different expiries (only possible by misuse) keep the later expiry, so
    // every replica still agrees.
    void merge(const Deadline& other) noexcept {
        if (!includes(other)) *this = other;
    }
    // Whether merge(other) would change nothing: other's setting is not the later.
    bool includes(const Deadline& other) const noexcept {
        return !(std::tie(set_at, expires_ms) < std::tie(other.set_at, other.expires_ms));
    }
    friend bool operator==(const Deadline&, const Deadline&) = default;

    void encode(codec::Writer& w) const {
        set_at.encode(w);
        w.varint(expires_ms);
    }
    // Throws codec::DecodeError for the bottom, which is never encoded.
    static Deadline decode(codec::Reader& r) {
        Deadline d;
        d.set_at = Timestamp::decode(r);
        d.expires_ms = r.varint("expiry");
        if (d.unset()) r.fail("a deadline that was never set");
        return d;
    }
};

}  // namespace converge
