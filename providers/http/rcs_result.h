// providers/http/rcs_result.h — the one table that maps RCS result codes (as the RCS
// dealer relays RCS Biz Center and carrier answers) onto AttemptOutcome. Nothing else in
// bulkd decides whether an RCS answer means retry, fallback, fail or uncertain.
//
// Pure functions: no state, no I/O, thread-safe, never throw.
#pragma once

#include <cstdint>
#include <string_view>

#include "providers/http/kakao_result.h"  // ResultStage
#include "providers/provider.h"

namespace bulkd::providers::http {

enum class RcsClass : uint8_t {
  kSuccess,    // 0 (dealer took it, submit only), 10000 delivered, 10001 read
  kFallback,   // 412xx: the handset cannot receive RCS; 41301 expired undelivered
  kFailed,     // the request is wrong (template, brand, chatbot, number, credentials)
  kRetry,      // transient: 50000, 50301
  kThrottled,  // 50201 TPS exceeded: slow the whole provider down, then retry
  kUncertain,  // it may have reached the person (carrier timeout, duplicate id)
  kUnknown,    // not in the table: treated as kFailed
};

RcsClass ClassifyRcsCode(int code);

// kSuccess -> kAccepted at kSubmit, kDelivered at kFinal; kFallback -> kFallback;
// kFailed/kUnknown -> kFailed; kRetry/kThrottled -> kRetry; kUncertain -> kUncertain.
AttemptOutcome RcsOutcome(int code, ResultStage stage);

// True for 50201: the provider pauses every send (like an HTTP 429) besides kRetry.
bool IsRcsThrottle(int code);

// A short English name for `code` ("NotRcsCapable", ...); "" when unknown. Never a
// number or message text.
std::string_view RcsCodeName(int code);

}  // namespace bulkd::providers::http
