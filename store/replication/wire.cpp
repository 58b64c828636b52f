#include <cstring>

#include <boost/crc.hpp>

#include <crdt/codec/reader.hpp>
#include <crdt/codec/writer.hpp>
#include <store/replication/wire.hpp>

namespace converge::store::wire {

const char* to_string(RejectReason reason) noexcept {
    switch (reason) {
        case RejectReason::bad_magic:
            return "bad_magic";
        case RejectReason::unknown_version:
            return "unknown_version";
        case RejectReason::unknown_type:
            return "unknown_type";
        case RejectReason::truncated:
            return "truncated";
        case RejectReason::oversized:
            return "oversized";
        case RejectReason::bad_checksum:
            return "bad_checksum";
        case RejectReason::malformed:
            return "malformed";
        case RejectReason::own_id:
            return "own_id";
        case RejectReason::out_of_range:
            return "out_of_range";
        case RejectReason::retired_writer:
            return "retired_writer";
        case RejectReason::retirements_differ:
            return "retirements_differ";
    }
    return "unknown";
}

std::uint32_t crc32c_without_hardware(std::string_view data) noexcept {
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
    crc.process_bytes(data.data(), data.size());
    return crc.checksum();
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace {

// SSE4.2's CRC32 instruction computes CRC-32C, eight bytes at a time.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::string_view data) noexcept {
    const char* p = data.data();
    std::size_t n = data.size();
    std::uint64_t crc = 0xFFFFFFFF;
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        crc = __builtin_ia32_crc32di(crc, word);
    }
    auto c = static_cast<std::uint32_t>(crc);
    for (; n > 0; ++p, --n)
        c = __builtin_ia32_crc32qi(c, static_cast<unsigned char>(*p));
    return c ^ 0xFFFFFFFF;
}

}  // namespace
#endif

std::uint32_t crc32c(std::string_view data) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    if (hardware) return crc32c_sse42(data);
#endif
    return crc32c_without_hardware(data);
}

std::string seal(ReplicaId sender, MessageType type, std::string_view payload) {
    codec::Writer w;
    w.byte(magic);
    w.byte(version);
    w.byte(static_cast<std::uint8_t>(type));
    w.varint(sender.value);
    w.string(payload);
    std::string out = w.take();
    const std::uint32_t crc = crc32c(out);
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
    return out;
}

std::optional<ReplicaId> sender_of(std::string_view bytes) {
    if (bytes.size() < overhead_min || static_cast<std::uint8_t>(bytes[0]) != magic ||
        static_cast<std::uint8_t>(bytes[1]) != version)
        return std::nullopt;
    try {
        codec::Reader r(bytes.substr(3));
        return ReplicaId{r.varint("sender")};
    } catch (const DecodeError&) {
        return std::nullopt;
    }
}

std::variant<Frame, Rejection> open(std::string_view bytes, std::size_t frame_bytes_max) {
    if (bytes.size() > frame_bytes_max)
        return Rejection{RejectReason::oversized, "frame of " + std::to_string(bytes.size()) +
                                                      " bytes exceeds the limit of " +
                                                      std::to_string(frame_bytes_max)};
    if (bytes.size() < overhead_min)
        return Rejection{RejectReason::truncated, "frame of " + std::to_string(bytes.size()) +
                                                      " bytes is shorter than " +
                                                      std::to_string(overhead_min)};
    if (static_cast<std::uint8_t>(bytes[0]) != magic)
        return Rejection{RejectReason::bad_magic, "first byte is not the converge magic 0xC7"};
    if (const auto v = static_cast<std::uint8_t>(bytes[1]); v != version)
        return Rejection{RejectReason::unknown_version, "frame version " + std::to_string(v) +
                                                            "; this replica speaks version " +
                                                            std::to_string(version)};
    const std::string_view body = bytes.substr(0, bytes.size() - 4);
    std::uint32_t stated = 0;
    for (int i = 0; i < 4; ++i)
        stated |= std::uint32_t{static_cast<std::uint8_t>(bytes[bytes.size() - 4 + i])} << (8 * i);
    if (stated != crc32c(body))
        return Rejection{RejectReason::bad_checksum, "CRC-32C does not match the frame's bytes"};
    const auto type = static_cast<std::uint8_t>(bytes[2]);
    if (type == 0 || type > message_type_max)
        return Rejection{RejectReason::unknown_type, "message type " + std::to_string(type)};

    Frame frame{};
    try {
        codec::Reader r(body.substr(3));
        frame.sender = ReplicaId{r.varint("sender")};
        const std::uint64_t length = r.varint("payload length");
        if (length != r.remaining())
            return Rejection{RejectReason::truncated, "payload length " + std::to_string(length) +
                                                          " but " + std::to_string(r.remaining()) +
                                                          " bytes follow the header"};
        frame.payload = r.raw(r.remaining(), "payload");
    } catch (const DecodeError& e) {
        return Rejection{RejectReason::truncated, e.what()};
    }
    frame.type = static_cast<MessageType>(type);
    return frame;
}

}  // namespace converge::store::wire
