// File: sim/event_queue.hpp
// EventQueue: a run's virtual time and the events scheduled on it: a binary heap on a vector (an
// event leaves it by move, not by copy); events at one time run in the order they were scheduled.
//
// Not thread-safe: a World runs on one thread.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <tuple>
#include <vector>

#include <sim/duration.hpp>

namespace converge::sim {

class EventQueue {
  public:
    // Virtual time now: the time of the event running (0 before the first).
    Micros now() const noexcept { return now_; }
    bool empty() const noexcept { return heap_.empty(); }

    // Schedules fn at time t, which must not be in the past.
    void at(Micros t, std::function<void()> fn) {
        assert(t >= now_ && "an event scheduled in the past");
        heap_.push_back(Event{t, next_seq_++, std::move(fn)});
        std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
    }
    // Takes the earliest event and moves now to its time; returns what it runs.
    std::function<void()> pop() {
        assert(!heap_.empty());
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
        Event e = std::move(heap_.back());
        heap_.pop_back();
        assert(e.at >= now_ && "virtual time never goes back");
        now_ = e.at;
        return std::move(e.run);
    }

  private:
    struct Event {
        Micros at;
        std::uint64_t seq;  // ties at one time keep the order they were scheduled in
        std::function<void()> run;
        bool operator>(const Event& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
    };
    std::vector<Event> heap_;
    std::uint64_t next_seq_ = 0;
    Micros now_ = 0;
};

}  // namespace converge::sim
