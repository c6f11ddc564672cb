// dispatcher/http/alimtalk_webhook.h — the checks on one Kakao Alimtalk result webhook, apart
// from any socket or provider so they can be unit-tested and fuzzed: signature first,
// then the body. MakeAlimtalkWebhookHandler (webhook_server.h) serves them.
//
// Pure functions; thread-safe (the JSON parsers are thread_local); never throw.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "providers/http/alimtalk_wire.h"

namespace bulkd::dispatcher {

enum class AlimtalkWebhookVerdict {
  kAccepted,      // signed and readable: apply `results`
  kUnauthorized,  // signature missing or wrong: 401, apply nothing
  kBadBody,       // signed, but ParseWebhookResults refused it: 400 with `reason`
};

// Checks `signature_hex` (the X-Signature header; "" when absent: hex HMAC-SHA256 of
// `body` keyed by `secret`) with VerifyWebhookSignature, then reads `body` with
// ParseWebhookResults into `results` (cleared first). On kBadBody `reason` names the bad
// field (DescribeWebhookBodyError); else it is cleared.
AlimtalkWebhookVerdict CheckAlimtalkWebhook(std::string_view signature_hex,
                                            const std::string& body, std::string_view secret,
                                            std::vector<providers::http::FinalResult>& results,
                                            std::string& reason);

// The signature a dealer sends with `body`: hex (lower case) HMAC-SHA256 keyed by
// `secret`. For tests and tools; the receiver only verifies.
std::string SignWebhookBody(std::string_view body, std::string_view secret);

// Why ParseWebhookResults refuses `body`, naming the field ("results[3].recipientSeq:
// missing or not a positive integer"); "" when the body is readable.
std::string DescribeWebhookBodyError(const std::string& body);

}  // namespace bulkd::dispatcher
