// providers/http/dealer_provider.h — the batching core shared by the dealer HTTP channels
// (Kakao Alimtalk, Friendtalk/Brand Message, RCS): jobs are collected per batch key into
// one request of up to batch_size recipients, each recipient's answer is mapped through
// the product's one code table, accepted messages are followed (polls, or OnResults from
// a webhook) until their final result. A product supplies only a DealerWire: its paths,
// headers, JSON and code table. Swapping a wire (Friendtalk -> Brand Message) touches
// nothing else.
//
// Reports per cookie: kAccepted when the dealer took the message, then one final; or one
// refusal straight from the send reply. A request whose outcome is unknown (connection
// lost or timeout after writing, 2xx body unreadable) is never resent blindly: its
// recipients are reported kUncertain, unless the dealer honours the idempotency key, in
// which case the same request (same key, same bytes) is replayed up to
// `uncertain_replays` times first. HTTP 429, and any code the wire calls a throttle
// (RCS 50201), pause every send for throttle_pause (or Retry-After) and report kRetry.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/http/alimtalk_wire.h"
#include "providers/http/kakao_result.h"
#include "providers/provider.h"

namespace boost::asio {
class io_context;
}

namespace bulkd::providers::http {

using Millis = std::chrono::milliseconds;

// What one dealer product speaks. Implementations are immutable after construction and
// pure (no I/O); called on the provider's io thread only.
class DealerWire {
 public:
  struct Refusal {  // a job this product can never carry: reported kFailed, no request
    std::string_view code;
    std::string_view detail;
  };
  virtual ~DealerWire() = default;
  virtual core::Channel channel() const = 0;
  virtual std::string_view log_name() const = 0;  // "alimtalk", "friendtalk", "rcs"
  virtual size_t max_batch() const = 0;           // the dealer's recipients per request
  // nullopt when the job can go; else why not.
  virtual std::optional<Refusal> Check(const core::Job& job) const = 0;
  // Jobs with the same key share one request (template code; "" for free text).
  virtual std::string_view BatchKey(const core::Job& job) const = 0;
  // Appends one recipientList entry for a job Check() accepted (no separator).
  virtual void AppendRecipient(const core::Job& job, std::string& out) const = 0;
  // Appends the whole send body; `recipients` is comma-joined AppendRecipient output.
  virtual void AppendSendBody(std::string_view batch_key, std::string_view recipients,
                              std::string& out) const = 0;
  virtual std::string SendTarget(std::string_view path_prefix) const = 0;  // POST
  virtual std::string PollTarget(std::string_view send_target, std::string_view request_id) const;
  // Credentials for every request (send, poll, probe).
  virtual std::vector<std::pair<std::string, std::string>> AuthHeaders() const = 0;
  virtual bool ParseSendReply(const std::string& body, SendReply& out) const = 0;
  virtual bool ParsePollReply(const std::string& body, std::vector<FinalResult>& out) const = 0;
  // The product's one code table.
  virtual AttemptOutcome Outcome(int code, ResultStage stage) const = 0;
  virtual std::string_view CodeName(int code) const = 0;  // "" when unknown
  virtual bool Throttles(int /*code*/) const { return false; }  // slow down, like a 429
  // A whole request refused in the reply header (isSuccessful false) with `code`.
  virtual AttemptOutcome HeaderOutcome(int /*code*/) const { return AttemptOutcome::kFailed; }
};

struct DealerConfig {
  std::string name;            // provider label (metrics, logs, events); required
  // Dealer origin and optional path prefix. https verifies the peer (see ca_file).
  std::string base_url = "http://127.0.0.1:10080";
  size_t batch_size = 1000;    // recipients per request, 1..the wire's max_batch()
  Millis linger{5};            // a partial batch leaves after at most this long
  size_t max_connections = 4;  // to the dealer, shared by sends and polls
  Millis connect_timeout{3000};
  Millis request_timeout{10000};   // write the request and read the whole reply
  Millis poll_interval{2000};      // between result polls of one request; 0 = no polls
  size_t max_concurrent_polls = 2; // poll requests in flight at once
  Millis result_timeout{360000};   // stop following a message accepted this long ago
  Millis throttle_pause{500};      // after a 429 or throttle code send nothing this long
  Millis max_throttle_pause{30000};//   (or Retry-After, capped here)
  size_t max_pending = 20000;      // jobs taken but not yet answered; Send() refuses above
  size_t max_awaiting = 2000000;   // accepted jobs awaiting a final; Send() refuses above
  std::string idempotency_header = "Idempotency-Key";  // one fresh key per request
  bool dealer_dedupes_idempotency_key = false;  // a replayed key gets the first answer
  uint32_t uncertain_replays = 2;  // replays of an unknown-outcome request (if the above)
  bool verify_peer = true;         // https: verify certificate chain and host name
  std::string ca_file;             // PEM bundle; "" = system default paths
};

// Counters for metrics and tests; monotonic. Per request: requests, http_errors,
// replays, bad_replies, polls, poll_errors. Per message: the rest (throttled counts
// 429 requests plus recipients answered with a throttle code).
struct DealerStats {
  uint64_t requests = 0, recipients = 0, accepted = 0, refused = 0, throttled = 0;
  uint64_t http_errors = 0, not_sent = 0, uncertain = 0, replays = 0, bad_replies = 0;
  uint64_t polls = 0, poll_errors = 0, finals = 0, expired = 0;
};

// One per shard, on its io thread, like every Provider. Not thread-safe.
class DealerProvider final : public Provider {
 public:
  // Throws std::invalid_argument naming `<section>.<key>` for a bad config.
  DealerProvider(boost::asio::io_context& io, DealerConfig config, std::unique_ptr<DealerWire> wire,
                 std::string_view section);
  ~DealerProvider() override;  // closes connections; no report after it returns

  std::string_view name() const override;
  bool Serves(core::Channel channel) const override;  // the wire's channel only
  void Start(ReportHandler on_report) override;
  // Unsent jobs are reported kRetry (kUncertain if an earlier attempt may have gone);
  // requests in flight finish and report as usual; accepted messages are not polled.
  void Stop() override;
  // Queues one job into its batch. Returns false when stopped, not started, or above
  // max_pending/max_awaiting. A job the wire refuses is reported kFailed, never inline.
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) override;
  // Started, not stopped, and the last request reached the dealer (a pause does not count).
  bool ready() const override;
  size_t inflight() const override;  // taken, no final report yet
  const DealerStats& stats() const;
  // Final results from elsewhere (a webhook receiver): in any order, early, late or
  // twice; each message is reported at most once.
  void OnResults(const std::vector<FinalResult>& results);

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulkd::providers::http
