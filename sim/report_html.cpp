#include <algorithm>
#include <cstdio>
#include <functional>

#include <sim/report_html.hpp>

namespace converge::sim {
namespace {

std::string escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

constexpr double kWidth = 900, kHeight = 220, kLeft = 70, kRight = 20, kTop = 20, kBottom = 30;

// A chart of one series per timeline bucket (bars), with the fault bands behind it.
std::string time_chart(const Timeline& t, Micros end, const std::string& title,
                       const std::function<double(const Timeline::Bucket&)>& value,
                       const std::string& unit, const std::string& colour) {
    const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
    const double span = static_cast<double>(std::max<Micros>(end, 1));
    auto x = [&](Micros at) { return kLeft + plot_w * static_cast<double>(at) / span; };
    double top = 1;
    for (const auto& b : t.buckets)
        top = std::max(top, value(b));
    const double per_second = 1e6 / static_cast<double>(t.bucket);
    std::string svg = "<h2>" + escape(title) + "</h2>\n<svg width=\"" + num(kWidth) +
                      "\" height=\"" + num(kHeight) + "\" font-size=\"11\">\n";
    std::size_t lane = 0;
    for (const auto& band : t.bands) {
        const Micros to = band.to < 0 ? end : band.to;
        const bool cut = band.what.starts_with("cut: ");
        svg += "<rect x=\"" + num(x(band.from)) + "\" y=\"" + num(kTop) + "\" width=\"" +
               num(std::max(1.0, x(to) - x(band.from))) + "\" height=\"" + num(plot_h) +
               "\" fill=\"" + (cut ? "#f4c7c3" : "#d9d2e9") + "\" opacity=\"0.6\"><title>" +
               escape(band.what) + ": " + escape(format_duration(band.from)) + " to " +
               escape(format_duration(to)) + "</title></rect>\n";
        svg += "<text x=\"" + num(x(band.from) + 3) + "\" y=\"" +
               num(kTop + 12 + 12 * static_cast<double>(lane++ % 4)) + "\" fill=\"#7a2e2a\">" +
               escape(band.what) + "</text>\n";
    }
    const double bar_w = std::max(1.0, plot_w * static_cast<double>(t.bucket) / span - 0.5);
    for (std::size_t i = 0; i < t.buckets.size(); ++i) {
        const double h = plot_h * value(t.buckets[i]) / top;
        const Micros at = static_cast<Micros>(i) * t.bucket;
        svg += "<rect x=\"" + num(x(at)) + "\" y=\"" + num(kTop + plot_h - h) + "\" width=\"" +
               num(bar_w) + "\" height=\"" + num(h) + "\" fill=\"" + colour + "\"><title>" +
               escape(format_duration(at)) + ": " + num(value(t.buckets[i]) * per_second) + " " +
               unit + "</title></rect>\n";
    }
    svg += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + plot_h) + "\" x2=\"" +
           num(kLeft + plot_w) + "\" y2=\"" + num(kTop + plot_h) + "\" stroke=\"#333\"/>\n";
    svg += "<text x=\"5\" y=\"" + num(kTop + 10) + "\">" + num(top * per_second) + " " + unit +
           "</text>\n<text x=\"5\" y=\"" + num(kTop + plot_h) + "\">0</text>\n";
    for (int i = 0; i <= 5; ++i) {
        const auto at = static_cast<Micros>(span * i / 5);
        svg += "<text x=\"" + num(x(at) - 10) + "\" y=\"" + num(kHeight - 8) + "\">" +
               escape(format_duration(at)) + "</text>\n";
    }
    return svg + "</svg>\n";
}

// Horizontal bars: the slowest keys' convergence times.
std::string key_chart(const Timeline& t) {
    std::vector<std::pair<Micros, std::string>> keys;
    for (const auto& [key, lag] : t.key_convergence)
        keys.emplace_back(lag, key);
    std::sort(keys.rbegin(), keys.rend());
    std::string out = "<h2>Convergence time per key, after its last operation</h2>\n";
    if (keys.empty()) return out + "<p>No key was written.</p>\n";
    auto pct = [&](double p) {
        return keys[std::min(keys.size() - 1,
                             static_cast<std::size_t>((1 - p) * static_cast<double>(keys.size())))]
            .first;
    };
    out += "<p>" + std::to_string(keys.size()) + " keys: p50 " + escape(format_duration(pct(0.5))) +
           ", p90 " + escape(format_duration(pct(0.9))) + ", max " +
           escape(format_duration(keys.front().first)) + ". The slowest " +
           std::to_string(std::min<std::size_t>(keys.size(), 40)) + ":</p>\n";
    const std::size_t shown = std::min<std::size_t>(keys.size(), 40);
    const double row = 16, label = 140, plot_w = kWidth - label - 90;
    const double top = static_cast<double>(std::max<Micros>(keys.front().first, 1));
    out += "<svg width=\"" + num(kWidth) + "\" height=\"" +
           num(row * static_cast<double>(shown) + 10) + "\" font-size=\"11\">\n";
    for (std::size_t i = 0; i < shown; ++i) {
        const double y = row * static_cast<double>(i) + 2;
        const double w = std::max(1.0, plot_w * static_cast<double>(keys[i].first) / top);
        out += "<text x=\"0\" y=\"" + num(y + 11) + "\">" + escape(keys[i].second) + "</text>";
        out += "<rect x=\"" + num(label) + "\" y=\"" + num(y) + "\" width=\"" + num(w) +
               "\" height=\"" + num(row - 4) + "\" fill=\"#4a7ebb\"/>";
        out += "<text x=\"" + num(label + w + 4) + "\" y=\"" + num(y + 11) + "\">" +
               escape(format_duration(keys[i].first)) + "</text>\n";
    }
    return out + "</svg>\n";
}

}  // namespace

std::string report_html(const Report& r, const Scenario& s) {
    const auto& st = r.stats;
    std::string out =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>converge-sim: seed " +
        std::to_string(s.seed) +
        "</title>\n<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
        "td,th{padding:2px 10px;text-align:left}.ok{color:#1a7f37}.bad{color:#c62828}"
        "</style></head><body>\n";
    out += "<h1>converge-sim report: <span class=\"" +
           std::string(r.ok() ? "ok\">OK" : "bad\">FAILED") + "</span></h1>\n<table>\n";
    auto row = [&](const std::string& k, const std::string& v) {
        out += "<tr><th>" + escape(k) + "</th><td>" + escape(v) + "</td></tr>\n";
    };
    std::size_t replicas = 0;
    for (const Region& region : s.regions)
        replicas += region.replicas;
    row("seed", std::to_string(s.seed));
    row("replicas",
        std::to_string(replicas) + " in " + std::to_string(s.regions.size()) + " regions");
    row("simulated", format_duration(r.simulated));
    row("converged", r.convergence_time ? "yes, " + format_duration(*r.convergence_time) +
                                              " after the end of the run"
                                        : "NO");
    row("operations", std::to_string(st.operations));
    row("messages", std::to_string(st.messages_sent) + " sent, " +
                        std::to_string(st.messages_delivered) + " delivered, " +
                        std::to_string(st.messages_dropped) + " dropped, " +
                        std::to_string(st.messages_duplicated) + " duplicated");
    row("bytes sent", std::to_string(st.bytes_sent));
    for (const auto& [route, bytes] : st.bytes_by_route)
        row("  " + route, std::to_string(bytes) + " bytes");
    for (const auto& [name, bytes] : st.peak_metadata_bytes)
        row("peak metadata, " + name, std::to_string(bytes) + " bytes");
    out += "</table>\n";
    if (!r.expectations.empty()) {
        out += "<h2>Expectations</h2>\n<ul>\n";
        for (const auto& e : r.expectations)
            out += "<li class=\"" + std::string(e.met ? "ok" : "bad") + "\">" +
                   escape(e.expectation.key) + ": " +
                   (e.met ? "met" : "NOT MET, " + escape(e.detail)) + "</li>\n";
        out += "</ul>\n";
    }
    if (!r.violations.empty()) {
        out += "<h2 class=\"bad\">Violations</h2>\n<ul>\n";
        for (const std::string& v : r.violations)
            out += "<li>" + escape(v) + "</li>\n";
        out += "</ul>\n";
    }
    if (r.timeline) {
        const Timeline& t = *r.timeline;
        const Micros end = std::max(r.simulated, s.duration);
        out += time_chart(
            t, end, "Messages sent over time (shaded: partitions, replicas down or paused)",
            [](const Timeline::Bucket& b) { return static_cast<double>(b.messages); }, "msg/s",
            "#4a7ebb");
        out += time_chart(
            t, end, "Messages dropped over time",
            [](const Timeline::Bucket& b) { return static_cast<double>(b.dropped); }, "msg/s",
            "#c62828");
        out += time_chart(
            t, end, "Bytes sent over time",
            [](const Timeline::Bucket& b) { return static_cast<double>(b.bytes); }, "B/s",
            "#e69138");
        out += key_chart(t);
    }
    return out + "</body></html>\n";
}

}  // namespace converge::sim
