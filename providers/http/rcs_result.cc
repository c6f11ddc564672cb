#include "providers/http/rcs_result.h"

namespace bulkd::providers::http {
namespace {

struct Entry {
  int code;
  RcsClass cls;
  std::string_view name;
};

// docs/domain.md, "RCS". 412xx are matched as a range below.
constexpr Entry kTable[] = {
    {10000, RcsClass::kSuccess, "Delivered"},
    {10001, RcsClass::kSuccess, "Read"},
    // Not delivered, and certainly not: the next channel may go.
    {41301, RcsClass::kFallback, "ExpiredUndelivered"},
    // The request is wrong: no retry, no fallback.
    {40001, RcsClass::kFailed, "InvalidRequest"},
    {40101, RcsClass::kFailed, "Unauthorized"},
    {40301, RcsClass::kFailed, "MessagebaseNotApproved"},
    {40401, RcsClass::kFailed, "MessagebaseNotFound"},
    {40402, RcsClass::kFailed, "ChatbotNotFound"},
    {40403, RcsClass::kFailed, "BrandNotFound"},
    {41101, RcsClass::kFailed, "InvalidRecipient"},
    {41102, RcsClass::kFailed, "InvalidTemplateParameter"},
    {41103, RcsClass::kFailed, "UnsubscribeNumberMissing"},
    // Transient: retry with backoff.
    {50000, RcsClass::kRetry, "InternalError"},
    {50301, RcsClass::kRetry, "ServiceUnavailable"},
    {50201, RcsClass::kThrottled, "TpsExceeded"},
    // It may have reached the person: never resend, never fall back.
    {40901, RcsClass::kUncertain, "DuplicateRequest"},
    {50401, RcsClass::kUncertain, "CarrierTimeout"},
    {50501, RcsClass::kUncertain, "NoDeliveryReport"},
};

}  // namespace

RcsClass ClassifyRcsCode(int code) {
  if (code >= 41200 && code <= 41299) return RcsClass::kFallback;
  for (const Entry& e : kTable) {
    if (e.code == code) return e.cls;
  }
  return RcsClass::kUnknown;
}

AttemptOutcome RcsOutcome(int code, ResultStage stage) {
  // The dealer's 0 means "taken", never a final result.
  if (code == 0) {
    return stage == ResultStage::kSubmit ? AttemptOutcome::kAccepted : AttemptOutcome::kFailed;
  }
  switch (ClassifyRcsCode(code)) {
    case RcsClass::kSuccess:
      return stage == ResultStage::kSubmit ? AttemptOutcome::kAccepted : AttemptOutcome::kDelivered;
    case RcsClass::kFallback: return AttemptOutcome::kFallback;
    case RcsClass::kRetry:
    case RcsClass::kThrottled: return AttemptOutcome::kRetry;
    case RcsClass::kUncertain: return AttemptOutcome::kUncertain;
    case RcsClass::kFailed:
    case RcsClass::kUnknown: return AttemptOutcome::kFailed;
  }
  return AttemptOutcome::kFailed;
}

bool IsRcsThrottle(int code) { return ClassifyRcsCode(code) == RcsClass::kThrottled; }

std::string_view RcsCodeName(int code) {
  if (code == 0) return "Accepted";
  if (code >= 41200 && code <= 41299) return "NotRcsCapable";
  for (const Entry& e : kTable) {
    if (e.code == code) return e.name;
  }
  return {};
}

}  // namespace bulkd::providers::http
