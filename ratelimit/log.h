// ratelimit/log.h — the module's named spdlog logger ("ratelimit") and a rate limiter for
// WARN lines on degraded paths. Internal to ratelimit/.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace bulkd::ratelimit::internal {

// Shares the default logger's sinks; created on first use.
inline spdlog::logger& Log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("ratelimit")) return existing;
    auto created = spdlog::default_logger()->clone("ratelimit");
    spdlog::register_logger(created);
    return created;
  }();
  return *logger;
}

// True at most once per `interval` per site (pass a static atomic). Thread-safe.
inline bool ShouldLog(std::atomic<int64_t>& last_ms,
                      std::chrono::milliseconds interval = std::chrono::seconds(10)) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_ms.load(std::memory_order_relaxed);
  if (last != 0 && now - last < interval.count()) return false;
  return last_ms.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

}  // namespace bulkd::ratelimit::internal
