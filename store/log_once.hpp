// File: store/log_once.hpp
// LogOnce: a warning that is logged the first time it happens and only counted after, so a peer
// that keeps sending bad frames cannot flood the log. Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <string_view>

namespace converge::store {

class LogOnce {
  public:
    // Passes message to log the first time any thread calls this; later calls do nothing.
    void operator()(const std::function<void(std::string_view)>& log, std::string_view message) {
        if (!done_.exchange(true, std::memory_order_relaxed)) log(message);
    }

  private:
    std::atomic<bool> done_{false};
};

}  // namespace converge::store
