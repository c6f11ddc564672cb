#include "providers/http/kakao_result.h"

namespace bulkd::providers::http {
namespace {

struct Entry {
  int code;
  KakaoClass cls;
  std::string_view name;
};

// docs/domain.md, "Kakao Alimtalk through a dealer". Names follow Kakao's exception names.
constexpr Entry kTable[] = {
    {1000, KakaoClass::kSuccess, "Success"},
    // The recipient cannot get Alimtalk: send the fallback channel instead.
    {3008, KakaoClass::kFallback, "InvalidPhoneNumber"},
    {3018, KakaoClass::kFallback, "NoSendAvailable"},
    {3019, KakaoClass::kFallback, "NotKakaoTalkUser"},
    {3020, KakaoClass::kFallback, "DeliveryBlocked"},
    {3021, KakaoClass::kFallback, "KakaoTalkVersionTooOld"},
    // The request is wrong: no retry, no fallback.
    {1003, KakaoClass::kFailed, "InvalidSenderKey"},
    {3015, KakaoClass::kFailed, "TemplateNotFound"},
    {3016, KakaoClass::kFailed, "NoMatchedTemplate"},
    {3022, KakaoClass::kFailed, "NoSendAvailableTime"},
    {3025, KakaoClass::kFailed, "VariableTooLong"},
    // Transient: retry with backoff.
    {2001, KakaoClass::kRetry, "SystemError"},
    {3000, KakaoClass::kRetry, "UnexpectedException"},
    {3006, KakaoClass::kRetry, "FailedToSendMessage"},
    {3010, KakaoClass::kRetry, "JsonParseException"},
    {3012, KakaoClass::kRetry, "SerialNumberDuplicated"},
    {4000, KakaoClass::kRetry, "ResultNotFound"},
    {4001, KakaoClass::kRetry, "UnknownMessageStatus"},
    // Sent, receipt uncertain: never resend, never fall back.
    {3005, KakaoClass::kSentUncertain, "AckTimeout"},
};

const Entry* Find(int code) {
  for (const Entry& e : kTable) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

}  // namespace

KakaoClass ClassifyKakaoCode(int code) {
  const Entry* e = Find(code);
  return e ? e->cls : KakaoClass::kUnknown;
}

AttemptOutcome KakaoOutcome(int code, ResultStage stage) {
  // NHN's send API answers 0 per recipient when it took the message; Kakao's own code
  // for that is 1000. 0 is not a final result.
  if (code == 0 && stage == ResultStage::kSubmit) return AttemptOutcome::kAccepted;
  switch (ClassifyKakaoCode(code)) {
    case KakaoClass::kSuccess:
      return stage == ResultStage::kSubmit ? AttemptOutcome::kAccepted
                                           : AttemptOutcome::kDelivered;
    case KakaoClass::kFallback: return AttemptOutcome::kFallback;
    case KakaoClass::kRetry: return AttemptOutcome::kRetry;
    case KakaoClass::kSentUncertain: return AttemptOutcome::kUncertain;
    case KakaoClass::kFailed:
    case KakaoClass::kUnknown: return AttemptOutcome::kFailed;
  }
  return AttemptOutcome::kFailed;
}

AttemptOutcome HttpStatusOutcome(unsigned status) {
  if (status >= 200 && status < 300) return AttemptOutcome::kAccepted;
  if (status == 429 || status == 408 || (status >= 500 && status < 600)) {
    return AttemptOutcome::kRetry;
  }
  return AttemptOutcome::kFailed;
}

std::string_view KakaoCodeName(int code) {
  const Entry* e = Find(code);
  return e ? e->name : std::string_view();
}

}  // namespace bulkd::providers::http
