// File: crdt/codec/reader.hpp
// Reader consumes converge's compact encoding from untrusted bytes. Every read is bounds-checked;
// every count is checked against DecodeLimits and against the bytes left before anyone allocates
// for it. Any violation throws DecodeError naming what was being read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <crdt/codec/limits.hpp>
#include <crdt/error.hpp>

namespace converge::codec {

class Reader {
  public:
    // Reads from input (not copied: it must outlive the Reader) under the given limits.
    explicit Reader(std::string_view input, const DecodeLimits& limits = {})
        : input_(input), limits_(limits) {
        if (input.size() > limits.input_bytes_max)
            fail("input of " + std::to_string(input.size()) + " bytes exceeds the limit of " +
                 std::to_string(limits.input_bytes_max));
    }

    // A Reader views its input: reading from a temporary string would leave it dangling.
    explicit Reader(std::string&&, const DecodeLimits& = {}) = delete;

    const DecodeLimits& limits() const noexcept { return limits_; }
    std::size_t remaining() const noexcept { return input_.size() - position_; }
    bool at_end() const noexcept { return position_ == input_.size(); }
    // The next byte without reading it; 0 at the end.
    std::uint8_t peek() const noexcept {
        return at_end() ? 0 : static_cast<std::uint8_t>(input_[position_]);
    }

    // Reads one byte; `what` names the field in the error message.
    std::uint8_t byte(const char* what) {
        if (at_end()) fail(std::string("truncated input while reading ") + what);
        return static_cast<std::uint8_t>(input_[position_++]);
    }

    // Reads a shortest-form LEB128 varint; overlong or overflowing encodings are rejected.
    std::uint64_t varint(const char* what) {
        std::uint64_t value = 0;
        for (unsigned shift = 0;; shift += 7) {
            const std::uint8_t b = byte(what);
            if (shift == 63 && b > 1) fail(std::string("varint overflows 64 bits in ") + what);
            value |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift > 0) fail(std::string("overlong varint in ") + what);
                return value;
            }
        }
    }

    // Reads a zigzag varint.
    std::int64_t svarint(const char* what) {
        const std::uint64_t raw = varint(what);
        return static_cast<std::int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
    }

    // Reads a varint that must be at least `min` (counters and dot numbers start at 1).
    std::uint64_t varint_at_least(std::uint64_t min, const char* what) {
        const std::uint64_t value = varint(what);
        if (value < min)
            fail(std::string(what) + " is " + std::to_string(value) + ", below its minimum of " +
                 std::to_string(min));
        return value;
    }

    // Reads `size` raw bytes, viewing the input (no copy).
    std::string_view raw(std::size_t size, const char* what) {
        if (size > remaining())
            fail(std::string(what) + " claims " + std::to_string(size) + " bytes but only " +
                 std::to_string(remaining()) + " remain");
        const std::string_view out = input_.substr(position_, size);
        position_ += size;
        return out;
    }

    // Reads a varint length (checked against string_bytes_max) then that many bytes.
    std::string_view string(const char* what) {
        const std::uint64_t size = varint(what);
        if (size > limits_.string_bytes_max)
            fail(std::string(what) + " length " + std::to_string(size) + " exceeds the limit of " +
                 std::to_string(limits_.string_bytes_max));
        return raw(static_cast<std::size_t>(size), what);
    }

    // Reads a collection size. Each entry encodes to at least `entry_bytes_min` bytes, so a count
    // the remaining input cannot hold is rejected before any allocation.
    std::size_t count(const char* what, std::size_t entry_bytes_min = 1) {
        const std::uint64_t n = varint(what);
        if (n > limits_.elements_max)
            fail(std::string(what) + " count " + std::to_string(n) + " exceeds the limit of " +
                 std::to_string(limits_.elements_max));
        if (entry_bytes_min > 0 && n > remaining() / entry_bytes_min)
            fail(std::string(what) + " count " + std::to_string(n) + " cannot fit in the " +
                 std::to_string(remaining()) + " bytes left");
        return static_cast<std::size_t>(n);
    }

    // Fails unless all input was consumed.
    void expect_end(const char* what) {
        if (!at_end())
            fail(std::to_string(remaining()) + " unexpected trailing bytes after " + what);
    }

    // Marks entry into a nested value for the lifetime of the returned guard; fails past depth_max.
    class DepthGuard {
      public:
        explicit DepthGuard(Reader& reader) : reader_(reader) {
            if (++reader_.depth_ > reader_.limits_.depth_max)
                reader_.fail("nesting deeper than the limit of " +
                             std::to_string(reader_.limits_.depth_max));
        }
        ~DepthGuard() { --reader_.depth_; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;

      private:
        Reader& reader_;
    };
    DepthGuard nested() { return DepthGuard(*this); }

    // Throws DecodeError with the byte offset and the reason.
    [[noreturn]] void fail(const std::string& reason) const {
        throw DecodeError(reason + " (at byte " + std::to_string(position_) + ")");
    }

  private:
    std::string_view input_;
    DecodeLimits limits_;
    std::size_t position_ = 0;
    std::size_t depth_ = 0;
};

}  // namespace converge::codec
