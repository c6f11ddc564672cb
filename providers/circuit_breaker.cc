#include "providers/circuit_breaker.h"

namespace bulkd::providers {

bool CircuitBreaker::Allow(TimePoint now) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < reopen_at_) return false;
      state_ = State::kHalfOpen;
      probes_left_ = settings_.half_open_probes;
      [[fallthrough]];
    case State::kHalfOpen:
      if (probes_left_ == 0) return false;
      --probes_left_;
      return true;
  }
  return true;
}

bool CircuitBreaker::WouldAllow(TimePoint now) const {
  switch (state_) {
    case State::kClosed: return true;
    case State::kOpen: return now >= reopen_at_ && settings_.half_open_probes > 0;
    case State::kHalfOpen: return probes_left_ > 0;
  }
  return true;
}

void CircuitBreaker::OnSuccess() {
  consecutive_failures_ = 0;
  state_ = State::kClosed;
}

void CircuitBreaker::OnFailure(TimePoint now) {
  ++consecutive_failures_;
  // One failed probe reopens it; when closed it takes a run of failures.
  if (state_ == State::kHalfOpen || consecutive_failures_ >= settings_.failure_threshold) {
    state_ = State::kOpen;
    reopen_at_ = now + settings_.open_for;
  }
}

std::string_view ToString(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed: return "closed";
    case CircuitBreaker::State::kOpen: return "open";
    case CircuitBreaker::State::kHalfOpen: return "half-open";
  }
  return "unknown";
}

}  // namespace bulkd::providers
