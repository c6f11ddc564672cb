// providers/http/alimtalk_provider.h — Kakao Alimtalk through a dealer's HTTP API (NHN
// Cloud v2.3 shape): batches jobs per template into recipientList requests, maps each
// recipient's answer through kakao_result.h, then polls for final results. The batching
// core is DealerProvider (dealer_provider.h); this file adds the Alimtalk wire.
//
// Reports per cookie: kAccepted when the dealer took the message, then one final
// (kDelivered, kFallback, kRetry, kFailed or kUncertain) when the poll brings it; or one
// refusal (kFallback, kFailed, kRetry) straight from the send reply. A request whose
// outcome is unknown (connection lost or timeout after writing, 2xx body unreadable) is
// never resent blindly: its recipients are reported kUncertain, unless the dealer is
// configured to honour the Idempotency-Key, in which case the same request (same key,
// same bytes) is replayed up to `uncertain_replays` times first.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "providers/http/alimtalk_wire.h"
#include "providers/http/dealer_provider.h"
#include "providers/provider.h"

namespace boost::asio {
class io_context;
}

namespace bulkd::providers::http {

struct AlimtalkConfig {
  std::string name = "kakao-alimtalk";  // provider label (metrics, logs, events)
  // Dealer origin and optional path prefix. https verifies the peer (see ca_file).
  std::string base_url = "http://127.0.0.1:10080";
  std::string appkey;          // required; in the request path
  std::string secret_key;      // required; X-Secret-Key header. Never logged.
  std::string sender_key;      // required; the Kakao sender profile (발신 프로필)
  size_t batch_size = 1000;    // recipients per request, 1..1000 (dealer maximum)
  Millis linger{5};            // a partial batch leaves after at most this long
  size_t max_connections = 4;  // to the dealer, shared by sends and polls
  Millis connect_timeout{3000};
  Millis request_timeout{10000};   // write the request and read the whole reply
  Millis poll_interval{2000};      // between result polls of one request; 0 = no polls
  size_t max_concurrent_polls = 2; // poll requests in flight at once (sends keep the rest)
  Millis result_timeout{360000};   // stop following a message accepted this long ago
                                   // (the dispatcher's receipt timeout ends the job)
  Millis throttle_pause{500};      // after a 429 send nothing this long (or Retry-After,
  Millis max_throttle_pause{30000};//   capped here)
  size_t max_pending = 20000;      // jobs taken but not yet answered; Send() refuses above
  size_t max_awaiting = 2000000;   // accepted jobs awaiting a final; Send() refuses above
  std::string idempotency_header = "Idempotency-Key";  // one fresh key per request
  bool dealer_dedupes_idempotency_key = false;  // the dealer answers a replayed key with
                                                // the first answer, sending nothing again
  uint32_t uncertain_replays = 2;  // replays of an unknown-outcome request (if the above)
  bool verify_peer = true;         // https: verify certificate chain and host name
  std::string ca_file;             // PEM bundle; "" = system default paths
};

// Counters for metrics and tests (dealer_provider.h).
using AlimtalkStats = DealerStats;

// One per shard, on its io thread, like every Provider. Not thread-safe.
class AlimtalkProvider final : public Provider {
 public:
  // Throws std::invalid_argument naming the bad key (empty appkey, batch_size 0 or over
  // 1000, unparsable base_url...).
  AlimtalkProvider(boost::asio::io_context& io, AlimtalkConfig config);
  ~AlimtalkProvider() override;  // closes connections; no report after it returns

  std::string_view name() const override;
  bool Serves(core::Channel channel) const override;  // kAlimtalk only
  void Start(ReportHandler on_report) override;
  // Unsent jobs are reported kRetry; requests in flight finish (bounded by
  // request_timeout) and report as usual; accepted messages are no longer polled.
  void Stop() override;
  // Queues one job into its template's batch. Returns false when stopped, not started,
  // or above max_pending/max_awaiting. A job Alimtalk cannot carry (no template, not
  // E.164, over 40 variables, another channel) is reported kFailed, never inline.
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) override;
  // Started, not stopped, and the last send did not fail to reach the dealer (connect,
  // resolve or TLS failure); a 429 pause does not count.
  bool ready() const override;
  size_t inflight() const override;  // taken, no final report yet
  const AlimtalkStats& stats() const;

  // Final results from elsewhere, e.g. a webhook receiver (ParseWebhookResults after
  // VerifyWebhookSignature). The same state machine as polls: in any order, early (ahead
  // of the send reply), late or twice; each message is reported at most once.
  void OnResults(const std::vector<FinalResult>& results);

  // The AlimtalkConfig as the shared core's config (name, base_url, timeouts...).
  static DealerConfig CoreConfig(const AlimtalkConfig& config);

 private:
  std::unique_ptr<DealerProvider> core_;
};

}  // namespace bulkd::providers::http
