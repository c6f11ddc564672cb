// providers/circuit_breaker.h — stops sending to a provider that keeps failing, and
// probes it again after a pause (closed -> open -> half-open -> closed). Time is passed
// in, so the state machine is testable without clocks. Not thread-safe: one per
// provider, on the shard's io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace bulkd::providers {

struct CircuitBreakerSettings {
  uint32_t failure_threshold = 50;             // consecutive failures that open it
  std::chrono::milliseconds open_for{5000};    // pause before probing
  uint32_t half_open_probes = 10;              // attempts let through while probing
};

class CircuitBreaker {
 public:
  enum class State : uint8_t { kClosed, kOpen, kHalfOpen };
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit CircuitBreaker(CircuitBreakerSettings settings = {}) : settings_(settings) {}

  // May an attempt go now? In half-open, counts the probe it lets through.
  bool Allow(TimePoint now);
  // What Allow(now) would answer, without counting a probe or changing state.
  bool WouldAllow(TimePoint now) const;
  // An attempt's outcome. Failures are provider-side trouble (connection lost, timeouts,
  // system errors); a refused recipient or a bad request is a success for the breaker.
  void OnSuccess();
  void OnFailure(TimePoint now);

  State state() const { return state_; }

 private:
  CircuitBreakerSettings settings_;
  State state_ = State::kClosed;
  uint32_t consecutive_failures_ = 0;
  uint32_t probes_left_ = 0;
  TimePoint reopen_at_{};
};

std::string_view ToString(CircuitBreaker::State state);

}  // namespace bulkd::providers
