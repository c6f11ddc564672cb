// providers/http/kakao_result.h — the one table that maps Kakao result codes (as a
// dealer relays them) and the dealer's HTTP statuses onto AttemptOutcome (docs/domain.md).
// Nothing else in bulkd decides whether a Kakao answer means retry, fallback or fail.
//
// Pure functions: no state, no I/O, thread-safe, never throw.
#pragma once

#include <cstdint>
#include <string_view>

#include "providers/provider.h"

namespace bulkd::providers::http {

// Where a code was seen. kSubmit: the synchronous per-recipient answer to the send
// request (the dealer took or refused the message). kFinal: the message's final result
// (poll or webhook), after the dealer took it.
enum class ResultStage : uint8_t { kSubmit, kFinal };

// What a Kakao result code means, whatever the stage.
enum class KakaoClass : uint8_t {
  kSuccess,        // 1000 (and the dealer's 0 "request accepted" at submit)
  kFallback,       // the recipient cannot get Alimtalk: 3008, 3018, 3019, 3020, 3021
  kFailed,         // the request is wrong: 1003, 3015, 3016, 3022, 3025
  kRetry,          // transient: 2001, 3000, 3006, 3010, 3012, 4000, 4001
  kSentUncertain,  // 3005: Kakao sent it, the handset's ack never came
  kUnknown,        // a code this table does not know: treated as kFailed
};

KakaoClass ClassifyKakaoCode(int code);

// The outcome to report for `code` seen at `stage`:
//   kSuccess        -> kAccepted at kSubmit, kDelivered at kFinal
//   kFallback       -> kFallback   (the dispatcher sends the job's next channel)
//   kFailed/kUnknown-> kFailed     (report the code; no retry, no fallback)
//   kRetry          -> kRetry      (backoff; nothing reached the person)
//   kSentUncertain  -> kUncertain  at either stage.
//
// Why 3005 is kUncertain: the message left Kakao but delivery is unconfirmed. Any
// resend or fallback could reach the person twice, and kUncertain is the one outcome
// the dispatcher ends without resending or falling back. kDelivered would claim a
// delivery nobody saw (and inflate the delivery rate); kAccepted with no final result
// would only park the job until the receipt timeout. At the submit stage the provider
// reports kAccepted first (the dealer did take it), then kUncertain as the final word.
AttemptOutcome KakaoOutcome(int code, ResultStage stage);

// The outcome for a dealer answer whose HTTP status is not 2xx, for every recipient of
// the request: 429, 408 and 5xx -> kRetry (nothing was processed, or the dealer asks us
// to slow down); any other status -> kFailed (our request or credentials are wrong;
// resending the same bytes cannot help). 2xx -> kAccepted (read the body).
AttemptOutcome HttpStatusOutcome(unsigned status);

// A short English name for a known code ("NoSendAvailable", ...); "" when unknown.
// For the report's `detail`: never contains a number or message text.
std::string_view KakaoCodeName(int code);

}  // namespace bulkd::providers::http
