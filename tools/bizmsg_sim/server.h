// tools/bizmsg_sim/server.h — a dealer API simulator for tests, demos and benchmarks:
// Kakao Alimtalk (NHN Cloud v2.3, /alimtalk/v2.3/appkeys/{appkey}/messages), Friendtalk
// (NHN v2.4, /friendtalk/v2.4/appkeys/{appkey}/messages), RCS (bulkd's batched shape of
// NHN RCS v1.0, /rcs/v1.0/messages, see providers/http/rcs_provider.h) and a generic
// webhook receiver (POST /hook, see providers/http/webhook_wire.h). HTTP/1.1 keep-alive
// over plain TCP, per-recipient result codes from a configurable mix, throttling (429),
// latency, connections dropped after processing, Idempotency-Key replay, final results by
// poll and by signed webhook.
//
// One io thread; every connection, poll and webhook runs on it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulkd::tools::bizmsg_sim {

struct CodeWeight {
  int code = 1000;
  double weight = 100;
};

// Parses "1000:90,3018:5,3005:1" (weights need not sum to 100). Throws
// std::invalid_argument naming the bad item.
std::vector<CodeWeight> ParseMix(std::string_view text);

// Broken replies on purpose, for clients' failure paths. The 2xx faults come after the
// request was processed (and recorded); kHtml5xx before (nothing processed).
enum class Fault : uint8_t {
  kNone,
  kGarbage2xx,      // 200 with a body that is not JSON
  kTruncated,       // 200 whose Content-Length promises more than is sent; then close
  kMissingResults,  // 200, but sendResults leaves out the last recipient
  kHtml5xx,         // 502 with an HTML body, as a proxy in front of the dealer would
  kBadPoll,         // polls answered 200 with a body that is not JSON
};
Fault ParseFault(std::string_view name);  // throws std::invalid_argument

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 10080;             // 0 picks a free one
  std::string appkey;                // when non-empty, the path's appkey must match (401)
  std::string secret_key = "sim-secret";  // X-Secret-Key must match (401); "" = any
  std::vector<CodeWeight> mix{{1000, 100}};        // synchronous per-recipient codes
  std::vector<CodeWeight> final_mix{{1000, 100}};  // final codes of recipients taken (1000)
  std::vector<CodeWeight> rcs_mix{{0, 100}};  // RCS per-recipient codes (0 taken, 412xx, 50201..)
  std::vector<CodeWeight> rcs_final_mix{{10000, 100}};  // RCS finals of recipients taken (0)
  std::string hook_path = "/hook";           // the webhook receiver's path
  std::string hook_secret = "hook-secret";   // X-Bulkd-Signature key (401 when wrong)
  std::vector<CodeWeight> hook_mix{{200, 100}};  // HTTP statuses the hook answers
  bool hook_dedupe = false;                  // a seen Idempotency-Key gets 200, no record
  uint32_t latency_ms = 0;           // delay of every send response (after processing)
  double throttle_percent = 0;       // share of send requests answered 429 (unprocessed)
  uint32_t retry_after_s = 0;        // Retry-After on 429 (0: header absent)
  double drop_percent = 0;           // share of new send requests processed, then the
                                     // connection closed without an answer
  uint32_t result_delay_ms = 0;      // final result this long after acceptance
  bool out_of_order = false;         // final delay drawn from [0, 2 * result_delay_ms]
  std::string webhook_url;           // http://host:port/path; results POSTed there
  std::string webhook_secret;        // X-Signature = hex HMAC-SHA256(body, secret)
  double webhook_duplicate_percent = 0;  // share of webhook results sent twice
  std::string record_path;           // `recipientNo\trequestId` per recipient taken;
                                     // `idempotencyKey\tid` per job the hook took
  uint32_t max_recipients = 1000;    // per request (400 above)
  uint32_t max_body_bytes = 4u << 20;  // 413 above
  uint32_t idle_timeout_ms = 60000;  // close keep-alive connections idle this long
  uint32_t result_retention_s = 3600;  // poll answers 404 for older requests
  uint64_t seed = 0;                 // 0 = random
  Fault fault = Fault::kNone;        // applies to every send (or poll, kBadPoll)
};

class Server {
 public:
  explicit Server(Options options);  // throws on bad options or listen failure
  ~Server();
  // Prints "bizmsg-sim listening on <host>:<port>" as the first stdout line, serves until
  // SIGTERM/SIGINT, syncs the record file, prints counters to stderr. Returns the exit code.
  int Run();

  struct State;  // implementation detail (server.cc)

 private:
  std::shared_ptr<State> state_;
};

}  // namespace bulkd::tools::bizmsg_sim
