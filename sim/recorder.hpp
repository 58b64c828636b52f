// File: sim/recorder.hpp
// Recorder: what a run leaves behind besides its final state: the statistics, the trace hash over
// every event (equal runs, equal hashes), the trace lines when asked for, and the timeline of
// buckets and fault bands when asked for.
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <sim/event_queue.hpp>
#include <sim/world.hpp>

namespace converge::sim {

class Recorder {
  public:
    explicit Recorder(const EventQueue& time) : time_(time) {}

    Stats stats;

    // Folds v into the trace hash.
    void mix(std::uint64_t v) {
        trace_ ^= v + 0x9E3779B97F4A7C15 + (trace_ << 6) + (trace_ >> 2);
        trace_ *= 0x100000001B3;
    }
    std::uint64_t trace_hash() const noexcept { return trace_; }

    void trace_to(std::function<void(std::string_view)> tracer) { tracer_ = std::move(tracer); }
    // Whether trace lines are wanted (build them only then).
    bool tracing() const noexcept { return static_cast<bool>(tracer_); }
    // One trace line, prefixed with the virtual time in seconds.
    void line(const std::string& text) const {
        char t[32];
        std::snprintf(t, sizeof t, "%lld.%06lld ", static_cast<long long>(time_.now() / 1'000'000),
                      static_cast<long long>(time_.now() % 1'000'000));
        tracer_(t + text);
    }

    void record_timeline() { timeline_.emplace(); }
    std::optional<Timeline>& timeline() noexcept { return timeline_; }
    // The timeline's bucket for now; null when no timeline is recorded.
    Timeline::Bucket* bucket() {
        if (!timeline_) return nullptr;
        const auto i = static_cast<std::size_t>(time_.now() / timeline_->bucket);
        if (i >= timeline_->buckets.size()) timeline_->buckets.resize(i + 1);
        return &timeline_->buckets[i];
    }
    // Opens a band from now; close_bands ends the open ones whose label starts with prefix.
    void open_band(std::string what) {
        if (timeline_) timeline_->bands.push_back({time_.now(), -1, std::move(what)});
    }
    void close_bands(std::string_view prefix) {
        if (!timeline_) return;
        for (auto& band : timeline_->bands)
            if (band.to < 0 && band.what.starts_with(prefix)) band.to = time_.now();
    }

  private:
    const EventQueue& time_;
    std::function<void(std::string_view)> tracer_;
    std::optional<Timeline> timeline_;
    std::uint64_t trace_ = 0xCBF29CE484222325;
};

}  // namespace converge::sim
