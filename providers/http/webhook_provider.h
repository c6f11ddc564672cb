// providers/http/webhook_provider.h — the generic JSON webhook channel (core::Channel::
// kWebhook): one signed POST per job to a configured URL (a contact centre's call-back
// request, a CRM). Body, signature and the status table are in webhook_wire.h.
//
// Reports exactly one outcome per cookie, never inline from Send(): kDelivered on 2xx;
// kRetry on 408/429/5xx or when the request certainly did not go (no connection);
// kFailed on other statuses or a job that is not for this channel; kUncertain when the
// connection was lost or timed out after the request was written, unless the endpoint
// dedupes the idempotency key: then the same bytes with the same key are replayed up to
// `uncertain_replays` times first. Nothing is resent on kUncertain.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "providers/provider.h"

namespace boost::asio {
class io_context;
}

namespace bulkd::providers::http {

struct WebhookConfig {
  std::string name = "webhook";   // provider label (metrics, logs, events)
  std::string url;                // required; http(s)://host[:port]/path
  std::string secret;             // required; HMAC-SHA256 key of X-Bulkd-Signature. Never logged.
  std::string idempotency_header = "Idempotency-Key";  // value: <tenant>:<id>
  bool endpoint_dedupes_idempotency_key = false;  // a replayed key is answered, not redone
  uint32_t uncertain_replays = 2;   // replays of an unknown-outcome attempt (if the above)
  size_t max_connections = 8;       // to the endpoint
  size_t max_pending = 10000;       // jobs queued or in flight; Send() refuses above
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds request_timeout{10000};  // write the request, read the answer
  bool verify_peer = true;          // https: verify certificate chain and host name
  std::string ca_file;              // PEM bundle; "" = system default paths
};

// Counters for metrics and tests; monotonic, per attempt except `replays`.
struct WebhookStats {
  uint64_t requests = 0, delivered = 0, retry = 0, failed = 0, uncertain = 0, replays = 0;
  uint64_t not_sent = 0;  // kRetry because no byte was written (subset of retry)
};

// One per shard, on its io thread. Not thread-safe.
class WebhookProvider final : public Provider {
 public:
  // Throws std::invalid_argument naming `webhook.<key>` for a bad config.
  WebhookProvider(boost::asio::io_context& io, WebhookConfig config);
  ~WebhookProvider() override;  // closes connections; no report after it returns

  std::string_view name() const override;
  bool Serves(core::Channel channel) const override;  // kWebhook only
  void Start(ReportHandler on_report) override;
  // Refuses new jobs; queued ones are reported kRetry; in-flight ones finish (bounded by
  // request_timeout) and report as usual.
  void Stop() override;
  // Queues one POST. False when not started, stopped, or max_pending jobs are pending.
  bool Send(uint64_t cookie, const core::Job& job, core::Channel channel) override;
  bool ready() const override;       // started and not stopped
  size_t inflight() const override;  // queued or in flight
  const WebhookStats& stats() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulkd::providers::http
