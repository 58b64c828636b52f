// File: crdt/codec/writer.hpp
// Writer appends converge's compact encoding to a byte string: LEB128 varints, zigzag for signed
// values, length-prefixed byte strings. The encoding is canonical: one value, one byte sequence.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace converge::codec {

class Writer {
  public:
    // Appends one raw byte.
    void byte(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }

    // Appends an unsigned LEB128 varint (1 to 10 bytes, the shortest form).
    void varint(std::uint64_t value) {
        while (value >= 0x80) {
            bytes_.push_back(static_cast<char>((value & 0x7F) | 0x80));
            value >>= 7;
        }
        bytes_.push_back(static_cast<char>(value));
    }

    // Appends a signed value as a zigzag varint, so small magnitudes stay short.
    void svarint(std::int64_t value) {
        varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
    }

    // Appends raw bytes with no length prefix.
    void raw(std::string_view data) { bytes_.append(data); }

    // Appends a varint length then the bytes.
    void string(std::string_view data) {
        varint(data.size());
        raw(data);
    }

    const std::string& bytes() const noexcept { return bytes_; }
    // Empties the bytes, keeping their capacity (a scratch writer reused for value after value).
    void clear() noexcept { bytes_.clear(); }
    std::string take() noexcept { return std::move(bytes_); }

  private:
    std::string bytes_;
};

}  // namespace converge::codec
