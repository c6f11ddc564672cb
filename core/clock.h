// core/clock.h — the time source, injected so that tests control time (unit
// tests never read the wall clock).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace bulkd::core {

// Wall time (for timestamps, expiry, quiet hours) and monotonic time (for deadlines and
// latencies). Implementations are thread-safe; calls never block or throw.
class Clock {
 public:
  virtual ~Clock() = default;
  // Unix epoch milliseconds, UTC.
  virtual int64_t NowMs() const = 0;
  // Monotonic time; only differences between two readings mean anything.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
};

// The machine's clocks: system_clock and steady_clock.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override;
};

// A clock that moves only when told to; for tests. Both readings start where the
// constructor puts them and Advance() moves them together. Thread-safe (atomics).
class ManualClock final : public Clock {
 public:
  // `now_ms`: the initial wall time; the steady reading starts at the steady epoch + 1 s.
  explicit ManualClock(int64_t now_ms = 0);

  int64_t NowMs() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override;

  // Sets the wall time only (as NTP might); the steady reading does not move.
  void SetNowMs(int64_t now_ms);
  // Moves wall and steady time forward by `delta` (negative deltas move only wall time
  // back: a steady clock never goes backwards).
  void Advance(std::chrono::nanoseconds delta);

 private:
  std::atomic<int64_t> now_ns_;     // wall, Unix epoch ns
  std::atomic<int64_t> steady_ns_;  // steady_clock ticks in ns since its epoch
};

}  // namespace bulkd::core
