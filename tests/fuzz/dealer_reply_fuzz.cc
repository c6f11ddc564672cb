// libFuzzer target for the dealer reply decoders: Kakao (NHN) send, poll and webhook
// replies, the RCS send, poll and webhook replies, and webhook signature checks.
// Build and run (from the repository root):
//   CXX=clang++ cmake -S . -B build-fuzz -G Ninja && cmake --build build-fuzz --target dealer_reply_fuzz
//   build-fuzz/tests/fuzz/dealer_reply_fuzz -max_total_time=60 -max_len=4096
// Properties: nothing crashes or reads out of bounds; a decoder that says no leaves
// nothing behind; what it accepts is well-formed (positive recipientSeq, request ids).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "providers/http/alimtalk_wire.h"
#include "providers/http/rcs_provider.h"

namespace http = bulkd::providers::http;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckSend(bool parsed, const http::SendReply& reply) {
  if (!parsed || !reply.successful) {
    Check(reply.results.empty());
    return;
  }
  Check(!reply.request_id.empty());
  for (const http::SubmitResult& r : reply.results) Check(r.seq > 0);
}

void CheckFinals(bool parsed, const std::vector<http::FinalResult>& out) {
  if (!parsed) {
    Check(out.empty());
    return;
  }
  for (const http::FinalResult& r : out) Check(r.seq > 0 && !r.request_id.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  http::SendReply reply;
  std::vector<http::FinalResult> finals;

  CheckSend(http::ParseSendReply(body, reply), reply);
  CheckFinals(http::ParsePollReply(body, finals), finals);
  CheckFinals(http::ParseWebhookResults(body, finals), finals);
  CheckSend(http::ParseRcsSendReply(body, reply), reply);
  CheckFinals(http::ParseRcsPollReply(body, finals), finals);
  CheckFinals(http::ParseRcsWebhookResults(body, finals), finals);

  // The signature check: split the input into secret | signature | body at the first
  // two NULs; it must never accept a signature of the wrong length.
  const size_t a = body.find('\0');
  const size_t b = a == std::string::npos ? std::string::npos : body.find('\0', a + 1);
  if (b != std::string::npos) {
    const std::string_view all(body);
    const std::string_view sig = all.substr(a + 1, b - a - 1);
    if (http::VerifyWebhookSignature(all.substr(b + 1), all.substr(0, a), sig)) Check(sig.size() == 64);
  }
  return 0;
}
