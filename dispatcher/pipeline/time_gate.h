// dispatcher/pipeline/time_gate.h — may this job go now? Expiry, not_before and the tenant's
// quiet hours (ad law, docs/domain.md), decided from the job and an injected time. Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/job.h"
#include "ratelimit/quiet_hours.h"

namespace bulkd::dispatcher {

struct TimeDecision {
  enum class Kind : uint8_t { kGo, kExpired, kDefer };
  Kind kind = Kind::kGo;
  int64_t due_ms = 0;     // kDefer: when the job may go
  // kExpired: "EXPIRED", or "NO_SEND_WINDOW" when the policy never allows it;
  // kDefer: "NOT_BEFORE" or "QUIET_HOURS".
  std::string_view code;
};

// True when the job's window depends on its tenant's policy (ads, Friendtalk).
bool NeedsTenantPolicy(const core::Job& job);

// `policy` may be null only when !NeedsTenantPolicy(job). A job whose window opens at
// or after its expires_at is expired now rather than deferred.
TimeDecision DecideTime(const core::Job& job, int64_t now_ms,
                        const ratelimit::TenantPolicy* policy);

}  // namespace bulkd::dispatcher
