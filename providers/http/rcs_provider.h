// providers/http/rcs_provider.h — RCS through a dealer's HTTP API, on the shared dealer
// core (dealer_provider.h). The JSON is bulkd's own documented shape, modelled on NHN
// Cloud RCS Bizmessage v1.0 (brandId, chatbotId, messagebaseId, recipientNumber,
// X-TC-APP-KEY / X-SECRET-KEY) but batched:
//
//   POST {base}/rcs/v1.0/messages            headers X-TC-APP-KEY, X-SECRET-KEY
//   {"brandId":..,"chatbotId":..,"messagebaseId":<job.template>,"recipientList":[
//     {"recipientNumber":"01012345678","templateParameter":{<job.vars>},"isAd":bool,
//      "unsubscribeNumber":..(ads),"isFallback":false,"clientMsgId":<job.id>}, ...]}
//   -> {"header":{"resultCode":0,"resultMessage":..,"isSuccessful":true},
//       "body":{"requestId":..,"messages":[{"recipientSeq":1,"resultCode":"0"}, ...]}}
//   GET {base}/rcs/v1.0/messages/{requestId}
//   -> {"header":{..},"body":{"requestId":..,"messages":[{"recipientSeq":1,
//       "messageStatus":"READY|SENDING|DELIVERED|READ|FAILED","resultCode":"10000"}]}}
//   webhook -> {"messages":[{"requestId":..,"recipientSeq":..,"messageStatus":..,
//       "resultCode":..}]}
//
// Fallback: isFallback is always false. bulkd runs the job's next channel itself on
// kFallback (412xx), so a dealer-side SMS would reach the person twice. Codes map through
// rcs_result.h; 50201 (TPS exceeded), per recipient or for the whole request, pauses
// every send for throttle_pause and reports kRetry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "providers/http/dealer_provider.h"

namespace bulkd::providers::http {

struct RcsConfig {
  // Shared core settings (dealer_provider.h); name defaults to "rcs", batch_size to 500
  // (the shape's maximum).
  DealerConfig dealer = [] {
    DealerConfig d;
    d.name = "rcs";
    d.batch_size = 500;
    return d;
  }();
  std::string app_key;     // required; X-TC-APP-KEY header
  std::string secret_key;  // required; X-SECRET-KEY header. Never logged.
  std::string brand_id;    // required; RCS Biz Center brand
  std::string chatbot_id;  // required; the registered sending number (chatbot)
  std::string unsubscribe_number;  // free opt-out number; ads without it are kFailed
};

inline constexpr size_t kRcsMaxRecipients = 500;

// Reads the three reply shapes above into the dealer core's types. Pure; thread-safe;
// never throw; false (and `out` cleared) for anything not wholly understood.
bool ParseRcsSendReply(const std::string& body, SendReply& out);
bool ParseRcsPollReply(const std::string& body, std::vector<FinalResult>& out);
bool ParseRcsWebhookResults(const std::string& body, std::vector<FinalResult>& out);

std::unique_ptr<DealerWire> MakeRcsWire(const RcsConfig& config);  // throws like below
// Throws std::invalid_argument naming `rcs.<key>` for a bad config.
std::unique_ptr<DealerProvider> MakeRcsProvider(boost::asio::io_context& io, RcsConfig config);

}  // namespace bulkd::providers::http
