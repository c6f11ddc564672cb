#include "dispatcher/pipeline/time_gate.h"

#include <algorithm>

namespace bulkd::dispatcher {

bool NeedsTenantPolicy(const core::Job& job) {
  return job.kind == core::JobKind::kAd ||
         std::find(job.channels.begin(), job.channels.end(), core::Channel::kFriendtalk) !=
             job.channels.end();
}

TimeDecision DecideTime(const core::Job& job, int64_t now_ms,
                        const ratelimit::TenantPolicy* policy) {
  if (job.expires_at_ms && now_ms >= *job.expires_at_ms) {
    return {TimeDecision::Kind::kExpired, 0, "EXPIRED"};
  }
  int64_t due = now_ms;
  std::string_view code;
  if (job.not_before_ms && *job.not_before_ms > due) {
    due = *job.not_before_ms;
    code = "NOT_BEFORE";
  }
  if (policy && NeedsTenantPolicy(job)) {
    const bool friendtalk = !job.channels.empty() && job.channels.front() == core::Channel::kFriendtalk;
    // The window is checked at the time the job could otherwise go.
    auto next = ratelimit::NextAllowedTime(job.kind, friendtalk, job.night_consent, due, *policy);
    if (next && *next == ratelimit::kNever) {
      return {TimeDecision::Kind::kExpired, 0, "NO_SEND_WINDOW"};
    }
    if (next && *next > due) {
      due = *next;
      code = "QUIET_HOURS";
    }
  }
  if (due <= now_ms) return {};
  if (job.expires_at_ms && due >= *job.expires_at_ms) {
    return {TimeDecision::Kind::kExpired, 0, "EXPIRED"};
  }
  return {TimeDecision::Kind::kDefer, due, code};
}

}  // namespace bulkd::dispatcher
