// libFuzzer target for the result-webhook request path without the socket: bytes ->
// Beast's request parser with the webhook server's limits (as HttpServer reads) -> the
// Alimtalk checks (dispatcher/http/alimtalk_webhook.h), once with the signature as received
// and once re-signed with the right key so the body checks are reached.
// Standalone build and run (from the repository root):
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/webhook_request_fuzz.cc dispatcher/http/alimtalk_webhook.cc \
//     providers/http/alimtalk_wire.cc providers/http/dealer_json.cc core/*.cc \
//     -lsimdjson -lcrypto -o /tmp/webhook_request_fuzz
//   /tmp/webhook_request_fuzz -max_total_time=60 -max_len=20000
// Properties: nothing crashes, leaks or reads out of bounds; a forged signature is never
// accepted; a rightly signed body is accepted exactly when ParseWebhookResults reads it,
// and a refusal always names a reason.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dispatcher/http/alimtalk_webhook.h"

namespace {

namespace http = boost::beast::http;
using bulkd::dispatcher::AlimtalkWebhookVerdict;
using bulkd::dispatcher::CheckAlimtalkWebhook;
using bulkd::dispatcher::SignWebhookBody;
using bulkd::providers::http::FinalResult;

constexpr std::string_view kSecret = "fuzz-secret";

void CheckBody(std::string_view received_signature, const std::string& body) {
  std::vector<FinalResult> results;
  std::string reason;
  const AlimtalkWebhookVerdict as_received =
      CheckAlimtalkWebhook(received_signature, body, kSecret, results, reason);
  if (as_received != AlimtalkWebhookVerdict::kUnauthorized &&
      received_signature != SignWebhookBody(body, kSecret)) {
    // Only the exact MAC (any hex case) may pass.
    std::string lower(received_signature);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    if (lower != SignWebhookBody(body, kSecret)) std::abort();
  }

  const AlimtalkWebhookVerdict signed_ok =
      CheckAlimtalkWebhook(SignWebhookBody(body, kSecret), body, kSecret, results, reason);
  std::vector<FinalResult> parsed;
  const bool readable = bulkd::providers::http::ParseWebhookResults(body, parsed);
  switch (signed_ok) {
    case AlimtalkWebhookVerdict::kUnauthorized: std::abort();  // the right MAC must pass
    case AlimtalkWebhookVerdict::kAccepted:
      if (!readable || results.size() != parsed.size() || !reason.empty()) std::abort();
      for (const FinalResult& r : results)
        if (r.request_id.empty() || r.seq == 0) std::abort();
      break;
    case AlimtalkWebhookVerdict::kBadBody:
      if (readable || reason.empty() || !results.empty()) std::abort();
      // The diagnosis agrees with the parser whenever it names a field.
      if (reason != "body: unreadable" &&
          bulkd::dispatcher::DescribeWebhookBodyError(body) != reason)
        std::abort();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The bytes as a request stream, parsed message after message as a keep-alive
  // connection would, with the webhook server's default limits scaled down.
  size_t offset = 0;
  for (int messages = 0; messages < 8 && offset < input.size(); ++messages) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(64 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    const size_t used = parser.put(boost::asio::buffer(input.data() + offset, input.size() - offset), ec);
    if (ec || !parser.is_done()) break;  // refused, or cut off mid-message
    offset += used;
    const auto& req = parser.get();
    const auto signature = req.find("X-Signature");
    CheckBody(signature == req.end() ? std::string_view() : std::string_view(signature->value()),
              req.body());
  }

  // The bytes as a body on their own (most inputs never make a valid request).
  CheckBody({}, std::string(input));
  return 0;
}
