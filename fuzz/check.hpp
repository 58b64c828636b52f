// File: fuzz/check.hpp
// What every fuzz target shares: FUZZ_CHECK, which aborts with the failed condition (libFuzzer
// then saves the input as a crash), and Input, which splits the fuzzer's bytes into fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(condition) \
    ((condition) ? void() : ::converge::fuzz::check_failed(#condition, __FILE__, __LINE__))

namespace converge::fuzz {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, condition);
    std::abort();
}

// The fuzzer's bytes, consumed from the front. Reading past the end yields zeros and empty views.
class Input {
  public:
    Input(const std::uint8_t* data, std::size_t size)
        : rest_(reinterpret_cast<const char*>(data), size) {}

    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    // The next field: a one-byte length, then that many bytes (fewer if the input ends).
    std::string_view field() {
        const std::size_t n = byte();
        const std::string_view f = rest_.substr(0, n);
        rest_.remove_prefix(f.size());
        return f;
    }
    std::string_view rest() const noexcept { return rest_; }
    bool empty() const noexcept { return rest_.empty(); }

  private:
    std::string_view rest_;
};

}  // namespace converge::fuzz
