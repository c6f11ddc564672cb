// providers/http/alimtalk_wire.h — the dealer API's JSON, modelled on NHN Cloud Alimtalk
// v2.3: the send body, the send reply, and final results from polls and webhooks.
//
// Pure functions; thread-safe (parsers are thread_local); never throw. A parser accepts
// a body only if it can read all of it: a half-understood reply is a failed parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/job.h"

namespace bulkd::providers::http {

// The recipientNo a Korean dealer expects: "+821012345678" -> "01012345678"; other E.164
// numbers are sent as digits without '+'. nullopt when `e164` is not E.164.
std::optional<std::string> DealerRecipientNo(std::string_view e164);

// Appends one recipientList entry (no separator): recipientNo, templateParameter from
// job.vars, recipientGroupingKey = job.id, and resendParameter {"isResend":false}: bulkd
// runs the fallback itself, so a dealer-side resend would reach the person twice.
void AppendRecipient(std::string_view recipient_no, const core::Job& job, std::string& out);

// Appends the whole send body; `recipients` is comma-joined AppendRecipient output.
void AppendSendBody(std::string_view sender_key, std::string_view template_code,
                    std::string_view recipients, std::string& out);

// One recipient of a send reply: its 1-based position in the request and the code.
struct SubmitResult {
  uint32_t seq = 0;
  int code = 0;
};

struct SendReply {
  bool successful = false;  // header.isSuccessful
  int header_code = 0;      // header.resultCode
  std::string request_id;   // message.requestId (set when successful)
  std::vector<SubmitResult> results;  // message.sendResults, in the order given
};

// Reads a send reply. False when the body is not one: bad JSON, no header, or a
// successful header without requestId and sendResults, or an entry without a positive
// recipientSeq and an integer resultCode (number or numeric string).
bool ParseSendReply(const std::string& body, SendReply& out);

// A message's state as a poll or webhook reports it.
struct FinalResult {
  std::string request_id;
  uint32_t seq = 0;
  bool final = false;  // messageStatus COMPLETED or FAILED; else still in progress
  int code = 0;        // resultCode when final (COMPLETED without a code reads 1000)
};

// Reads a poll reply: {"header":{...},"message":{"requestId":..,"recipientList":[..]}}.
// Entries take the message's requestId unless they carry their own. False when the body
// is not one (see ParseSendReply); `out` is cleared first.
bool ParsePollReply(const std::string& body, std::vector<FinalResult>& out);

// Reads a result webhook: {"results":[{"requestId":..,"recipientSeq":..,...}]}.
bool ParseWebhookResults(const std::string& body, std::vector<FinalResult>& out);

// True when `signature_hex` (case-insensitive) is hex HMAC-SHA256 of `body` keyed by
// `secret`; compared in constant time.
bool VerifyWebhookSignature(std::string_view body, std::string_view secret,
                            std::string_view signature_hex);

}  // namespace bulkd::providers::http
