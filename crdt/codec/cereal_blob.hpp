// File: crdt/codec/cereal_blob.hpp
// Makes a converge type serializable with cereal's binary archives (PortableBinary is converge's
// wire and snapshot format). The value is written as a varint length followed by its canonical
// encoding, so no fixed 8-byte size tags are spent and the output is deterministic. Loading reads
// the payload in bounded chunks: a forged length allocates no more than the bytes really present.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include <cereal/cereal.hpp>

#include <crdt/codec/limits.hpp>
#include <crdt/encoding.hpp>
#include <crdt/error.hpp>

namespace converge::codec {

inline constexpr std::size_t blob_chunk_bytes = std::size_t{64} << 10;

// Writes an encoded value as a varint length then the bytes, through write_bytes(ptr, n). The
// header goes one byte per call and the payload in blob_chunk_bytes pieces, mirroring read_blob,
// so archives that frame each binary write (Boost's text archives) read back what they wrote.
template <class WriteBytes>
void write_blob(const std::string& bytes, WriteBytes&& write_bytes) {
    Writer header;
    header.varint(bytes.size());
    for (char c : header.bytes())
        write_bytes(&c, 1);
    for (std::size_t offset = 0; offset < bytes.size(); offset += blob_chunk_bytes)
        write_bytes(bytes.data() + offset, std::min(blob_chunk_bytes, bytes.size() - offset));
}

// Reads a blob written by write_blob, calling read_bytes(ptr, n) to fill exactly n bytes.
template <class ReadBytes>
std::string read_blob(ReadBytes&& read_bytes, const DecodeLimits& limits = {}) {
    std::uint64_t size = 0;
    unsigned char header[10] = {};  // a varint is at most 10 bytes
    for (unsigned i = 0;; ++i) {
        if (i == sizeof header) throw DecodeError("blob length varint is longer than 10 bytes");
        read_bytes(header + i, 1);
        size |= static_cast<std::uint64_t>(header[i] & 0x7F) << (7 * i);
        if ((header[i] & 0x80) == 0) break;
    }
    if (size > limits.input_bytes_max)
        throw DecodeError("blob of " + std::to_string(size) + " bytes exceeds the limit of " +
                          std::to_string(limits.input_bytes_max));
    std::string bytes;
    while (bytes.size() < size) {
        const std::size_t chunk =
            std::min<std::size_t>(blob_chunk_bytes, static_cast<std::size_t>(size) - bytes.size());
        const std::size_t offset = bytes.size();
        bytes.resize(offset + chunk);
        read_bytes(bytes.data() + offset, chunk);
    }
    return bytes;
}

// Mixin giving Derived the member save/load cereal looks for. Derived must be SelfEncoding.
template <class Derived>
class CerealSerializable {
  public:
    template <class Archive>
    void save(Archive& ar) const {
        write_blob(encode(static_cast<const Derived&>(*this)),
                   [&](const void* data, std::size_t n) { ar(cereal::binary_data(data, n)); });
    }
    template <class Archive>
    void load(Archive& ar) {
        std::string bytes;
        try {
            bytes = read_blob([&](void* data, std::size_t n) { ar(cereal::binary_data(data, n)); });
        } catch (const cereal::Exception& e) {
            throw DecodeError(std::string("truncated cereal input: ") + e.what());
        }
        decode_into(static_cast<Derived&>(*this), bytes);
    }

    friend bool operator==(const CerealSerializable&, const CerealSerializable&) = default;
};

}  // namespace converge::codec
