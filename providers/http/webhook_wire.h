// providers/http/webhook_wire.h — the generic JSON webhook channel's contract: the body
// bulkd POSTs, its signature, and the one table from an HTTP answer to AttemptOutcome.
//
//   POST <url>   Content-Type: application/json;charset=UTF-8
//   X-Bulkd-Signature: sha256=<lower-case hex HMAC-SHA256(secret, body)>
//   Idempotency-Key: <tenant>:<id>            (header name configurable)
//   {"id":..,"tenant":..,"campaign":..,"to":..,"template":..,"vars":{..},"text":..,
//    "subject":..}                             (every field always present; "" if unset)
//
// Pure functions; thread-safe; never throw (except std::bad_alloc).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "core/job.h"
#include "providers/provider.h"

namespace bulkd::providers::http {

inline constexpr std::string_view kWebhookSignatureHeader = "X-Bulkd-Signature";

// Appends the JSON body for `job`.
void AppendWebhookBody(const core::Job& job, std::string& out);
// "<tenant>:<id>": the same for every attempt of a job, so the receiver can dedupe.
std::string WebhookIdempotencyKey(const core::Job& job);
// "sha256=" + hex HMAC-SHA256 of `body` keyed by `secret`.
std::string WebhookSignature(std::string_view secret, std::string_view body);
// True when `header` is WebhookSignature(secret, body) (hex case-insensitive), compared
// in constant time. For receivers (bizmsg-sim, a CRM written in C++).
bool VerifyWebhookRequestSignature(std::string_view body, std::string_view secret,
                                   std::string_view header);

// What one attempt's answer means. `ec` is the HttpClient error (http_client.h):
//   no error, 2xx                       -> kDelivered (the endpoint took it; final)
//   no error, 408, 429, 5xx             -> kRetry (nothing done, or asked to slow down)
//   no error, any other status          -> kFailed (our request is wrong for it)
//   not sent (connect, resolve, TLS, queue timeout, stopped) -> kRetry
//   outcome unknown (lost or timed out after writing, bad HTTP) -> kUncertain; the
//   provider replays instead when the endpoint dedupes the idempotency key.
AttemptOutcome WebhookOutcome(std::error_code ec, unsigned status);

}  // namespace bulkd::providers::http
