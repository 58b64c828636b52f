// File: crdt/lww_register.hpp
// LWWRegister<T>: a last-writer-wins register. The write with the greatest Timestamp (hybrid
// logical clock reading, ties broken by replica id) holds; equal timestamps with different values
// (only possible by misuse) resolve to the greater value so every replica still agrees.
//
//   LWWRegister<std::string> r;
//   r.assign(Timestamp{10, 0, ReplicaId{1}}, "v");   r.value();   // "v"
// Thread-safety: a plain value type; const members may run concurrently, anything that changes
// it (a mutator, merge, assignment, decode into it) needs exclusive access.
#pragma once

#include <cassert>
#include <optional>
#include <tuple>

#include <crdt/codec/cereal_blob.hpp>
#include <crdt/codec/value_codec.hpp>
#include <crdt/timestamp.hpp>

namespace converge {

template <class T>
class LWWRegister : public codec::CerealSerializable<LWWRegister<T>> {
  public:
    using value_type = T;

    LWWRegister() = default;

    // Writes value at timestamp and returns the delta. A write older than the current one leaves
    // the register unchanged (its delta then changes nothing either).
    LWWRegister assign(const Timestamp& timestamp, T value) {
        LWWRegister delta;
        delta.timestamp_ = timestamp;
        delta.value_ = std::move(value);
        delta.written_ = true;
        merge(delta);
        return delta;
    }

    // Clears the register at timestamp (a deletion that itself takes part in last-writer-wins).
    LWWRegister reset(const Timestamp& timestamp) {
        LWWRegister delta;
        delta.timestamp_ = timestamp;
        delta.written_ = true;
        merge(delta);
        return delta;
    }

    // The current value; empty when never set or last reset.
    const std::optional<T>& value() const noexcept { return value_; }
    // The timestamp of the current value (all zero when never written).
    const Timestamp& timestamp() const noexcept { return timestamp_; }

    // The join: the write with the greater (timestamp, value) holds.
    void merge(const LWWRegister& other) {
        if (other.key() > key()) {
            timestamp_ = other.timestamp_;
            value_ = other.value_;
            written_ = other.written_;
        }
        assert(!(other.key() > key()));
    }

    friend bool operator==(const LWWRegister& a, const LWWRegister& b) {
        return a.timestamp_ == b.timestamp_ && a.value_ == b.value_ && a.written_ == b.written_;
    }

    // Encoding: a state byte (0 never written, 1 reset, 2 holds a value), then timestamp and value.
    void encode(codec::Writer& w) const {
        w.byte(value_ ? 2 : (written_ ? 1 : 0));
        if (!value_ && !written_) return;
        timestamp_.encode(w);
        typename codec::ValueCodec<T>::State state;
        if (value_) codec::ValueCodec<T>::encode(w, *value_, state);
    }
    static LWWRegister decode(codec::Reader& r) {
        LWWRegister out;
        const std::uint8_t kind = r.byte("register state");
        if (kind > 2) r.fail("register state byte is " + std::to_string(kind));
        if (kind == 0) return out;
        out.written_ = true;
        out.timestamp_ = Timestamp::decode(r);
        typename codec::ValueCodec<T>::State state;
        if (kind == 2) out.value_ = codec::ValueCodec<T>::decode(r, state);
        return out;
    }

  private:
    // The order writes are resolved in: never-written < any write; then timestamp; then value.
    auto key() const { return std::tie(written_, timestamp_, value_); }

    Timestamp timestamp_;
    std::optional<T> value_;
    bool written_ = false;
};

}  // namespace converge
