#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <sim/duration.hpp>
#include <sim/error.hpp>

namespace converge::sim {

Micros parse_duration(std::string_view text) {
    auto bad = [&](const char* why) {
        return ScenarioError("bad duration \"" + std::string(text) + "\": " + why +
                             " (write a number and a unit: us, ms, s, m or h, as in \"250ms\")");
    };
    std::size_t unit_at = 0;
    while (unit_at < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.'))
        ++unit_at;
    if (unit_at == 0) throw bad("no number");
    double number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + unit_at, number);
    if (ec != std::errc() || end != text.data() + unit_at) throw bad("not a number");
    const std::string_view unit = text.substr(unit_at);
    double scale = 0;
    if (unit == "us")
        scale = 1;
    else if (unit == "ms")
        scale = 1e3;
    else if (unit == "s")
        scale = 1e6;
    else if (unit == "m")
        scale = 60e6;
    else if (unit == "h")
        scale = 3600e6;
    else
        throw bad("unknown unit");
    const double micros = number * scale;
    if (micros > 1e15) throw bad("longer than the simulator runs");
    return static_cast<Micros>(std::llround(micros));
}

std::string format_duration(Micros micros) {
    char buf[48];
    if (micros >= 1'000'000 || micros <= -1'000'000)
        std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(micros) / 1e6);
    else if (micros >= 1000 || micros <= -1000)
        std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(micros) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%lld us", static_cast<long long>(micros));
    return buf;
}

}  // namespace converge::sim
