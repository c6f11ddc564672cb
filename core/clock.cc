#include "core/clock.h"

namespace bulkd::core {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::steady_clock;

int64_t SystemClock::NowMs() const {
  return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

steady_clock::time_point SystemClock::SteadyNow() const { return steady_clock::now(); }

ManualClock::ManualClock(int64_t now_ms)
    : now_ns_(now_ms * 1'000'000), steady_ns_(duration_cast<nanoseconds>(std::chrono::seconds(1)).count()) {}

int64_t ManualClock::NowMs() const {
  const int64_t ns = now_ns_.load(std::memory_order_acquire);
  // Floor division, so that -1 ns reads as -1 ms like system_clock would.
  return ns >= 0 ? ns / 1'000'000 : -((-ns + 999'999) / 1'000'000);
}

steady_clock::time_point ManualClock::SteadyNow() const {
  return steady_clock::time_point(
      duration_cast<steady_clock::duration>(nanoseconds(steady_ns_.load(std::memory_order_acquire))));
}

void ManualClock::SetNowMs(int64_t now_ms) {
  now_ns_.store(now_ms * 1'000'000, std::memory_order_release);
}

void ManualClock::Advance(nanoseconds delta) {
  now_ns_.fetch_add(delta.count(), std::memory_order_acq_rel);
  if (delta.count() > 0) steady_ns_.fetch_add(delta.count(), std::memory_order_acq_rel);
}

}  // namespace bulkd::core
