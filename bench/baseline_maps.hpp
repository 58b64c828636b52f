// File: bench/baseline_maps.hpp
// The maps the store's benchmarks run beside it, in the same binary and the same run (issue 18):
// one mutex around one std::unordered_map (GlobalLockMap), and tbb::concurrent_hash_map from
// Debian's libtbb-dev (TbbMap, only where the build found TBB: CONVERGE_HAVE_TBB). Both hold
// 16-byte strings in std::string, with put and get shaped like the store's.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#ifdef CONVERGE_HAVE_TBB
#include <tbb/concurrent_hash_map.h>
#endif

namespace converge::bench {

class GlobalLockMap {
  public:
    static constexpr const char* name = "std::unordered_map behind one mutex";
    void put(const std::string& k, const std::string& v) {
        std::lock_guard lock(mutex_);
        map_[k] = v;
    }
    std::optional<std::string> get(const std::string& k) {
        std::lock_guard lock(mutex_);
        auto it = map_.find(k);
        if (it == map_.end()) return std::nullopt;
        return it->second;
    }

  private:
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> map_;
};

#ifdef CONVERGE_HAVE_TBB
class TbbMap {
  public:
    static constexpr const char* name = "tbb::concurrent_hash_map";
    void put(const std::string& k, const std::string& v) {
        Map::accessor a;
        map_.insert(a, k);
        a->second = v;
    }
    std::optional<std::string> get(const std::string& k) {
        Map::const_accessor a;
        if (!map_.find(a, k)) return std::nullopt;
        return a->second;
    }

  private:
    using Map = tbb::concurrent_hash_map<std::string, std::string>;
    Map map_;
};
#endif

}  // namespace converge::bench
