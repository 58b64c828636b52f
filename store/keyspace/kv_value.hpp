// File: store/keyspace/kv_value.hpp
// KvValue: what a plain put stores, and the register that holds it. A put is stamped with the
// replica's hybrid-clock time and an optional absolute expiry on that clock, so every replica
// agrees on when a value expires. The register is causal (an MVRegister of stamped values): a
// delete removes exactly the writes it observed, and of the writes alive the one with the greatest
// timestamp is the value (last writer wins), its own expiry included.
#pragma once

#include <cstdint>
#include <string>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <crdt/mv_register.hpp>
#include <crdt/timestamp.hpp>

namespace converge::store {

struct KvValue {
    Timestamp written;
    std::string bytes;
    std::uint64_t expires_ms = 0;  // physical ms on the hybrid clock; 0: never

    bool expired_at(std::uint64_t now_ms) const noexcept {
        return expires_ms != 0 && expires_ms <= now_ms;
    }
    friend bool operator==(const KvValue&, const KvValue&) = default;

    void encode(codec::Writer& w) const {
        written.encode(w);
        w.string(bytes);
        w.varint(expires_ms);
    }
    static KvValue decode(codec::Reader& r) {
        KvValue v;
        v.written = Timestamp::decode(r);
        v.bytes = std::string(r.string("value bytes"));
        v.expires_ms = r.varint("expiry");
        return v;
    }
};

using KvRegister = MVRegister<KvValue>;

// The write that holds: the live write with the greatest timestamp; null when none. Valid until
// the register changes.
inline const KvValue* winning_write(const KvRegister& reg) {
    const KvValue* best = nullptr;
    reg.for_each([&](const KvValue& v) {
        if (best == nullptr || best->written < v.written) best = &v;
    });
    return best;
}

}  // namespace converge::store
