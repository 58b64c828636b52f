#include <chrono>
#include <mutex>
#include <random>

#include <store/environment.hpp>

namespace converge::store {
namespace {

class SystemClock final : public Clock {
  public:
    std::uint64_t now_ms() override {
        const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
    }
};

class SystemRng final : public Rng {
  public:
    std::uint64_t next() override {
        std::lock_guard lock(mutex_);
        return (std::uint64_t{device_()} << 32) | device_();
    }

  private:
    std::mutex mutex_;
    std::random_device device_;
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
    return std::make_shared<SystemClock>();
}
std::shared_ptr<Rng> system_rng() {
    return std::make_shared<SystemRng>();
}

}  // namespace converge::store
