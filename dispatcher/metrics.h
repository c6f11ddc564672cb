// dispatcher/metrics.h — every Prometheus series bulkd exports. The names are a contract
// (docs/contracts.md, "Metrics"); deploy/grafana and deploy/prometheus use them.
// Families are registered once in the constructor and every child whose labels come from
// a closed set is pre-created, so an accessor is an index into a table and the hot path
// is one atomic add (counters, gauges). Histogram::Observe in prometheus-cpp 1.0.1 also
// takes an uncontended per-child mutex.
//
// Thread-safety: every method may be called from any thread. Nothing blocks except
// SetConsumerLag/RemoveConsumerLag (a short mutex) and Serialize (the registry's mutex).
// Nothing throws after construction, except std::bad_alloc.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/job.h"

namespace bulkd::dispatcher {

// Label `status` of bulkd_delivery_receipts_total: the SMPP `stat:` word, else "other".
enum class ReceiptStatus : uint8_t {
  kDelivrd, kUndeliv, kExpired, kRejectd, kDeleted, kUnknown, kAcceptd, kEnroute, kOther,
};
// "DELIVRD" -> kDelivrd ... exact, upper case; anything else (HTTP codes too) -> kOther.
ReceiptStatus ReceiptStatusFromStat(std::string_view stat);

// Label `reason_class` of bulkd_dlq_total.
enum class DlqReason : uint8_t { kSize, kJson, kSchema, kEncoding };

// Label `result` of bulkd_receipt_map_total (pipeline.receipt_map, dispatcher/durable/receipt_map.h).
enum class ReceiptMapResult : uint8_t {
  kRemembered,      // message ids written
  kOrphanMatched,   // receipts for another worker's (or an earlier life's) message, stored
  kOrphanUnknown,   // receipts whose id was never found: dropped
  kAdoptedReceipt,  // adopted or overdue jobs ended by a receipt found in the map
  kDropped,         // work dropped while Redis was unreachable too long
  kRedisError,      // failed round trips
};

// Label `scope` of bulkd_ratelimit_wait_seconds: the bucket scope (Redis key
// `bucket:{scope}:{name}`); a scope string outside this set counts as "other".
enum class RateScope : uint8_t { kTenant, kSender, kTemplate, kCarrier, kProvider, kGlobal, kOther };
RateScope RateScopeFromString(std::string_view scope);

// Index of a provider label. Resolve once with Metrics::Provider(name) and keep it.
using ProviderId = uint16_t;

class Metrics {
 public:
  // Registers every family and pre-creates the children for `provider_names` (from
  // config, bounded), "other" (a name not in the list) and "none" (no provider was
  // tried). Duplicates are folded. Throws std::invalid_argument for an empty name or one
  // spelled "other" or "none". `version` is the bulkd_build_info label.
  explicit Metrics(std::vector<std::string> provider_names, std::string version = "dev");
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // "" -> "none"; a name not given to the constructor -> "other" (never a new series).
  // O(number of providers) string compares: resolve once, not per message.
  ProviderId Provider(std::string_view name) const;
  std::string_view ProviderName(ProviderId id) const;  // "other" when out of range

  // bulkd_jobs_consumed_total: Kafka messages taken from bulkd.jobs (DLQ'd ones too).
  prometheus::Counter& JobsConsumed() { return *jobs_consumed_; }
  // bulkd_messages_total{channel,provider,outcome}: one per event published; outcome is
  // the event name. The string overload maps "" or an unknown channel to "none".
  prometheus::Counter& Messages(core::Channel channel, ProviderId provider,
                                core::EventType outcome);
  prometheus::Counter& Messages(std::string_view channel, std::string_view provider,
                                core::EventType outcome);
  // bulkd_delivery_receipts_total{channel,provider,status}. A "none" provider counts as
  // "other" here and in SendLatency and Inflight.
  prometheus::Counter& Receipts(core::Channel channel, ProviderId provider,
                                ReceiptStatus status);
  // bulkd_send_latency_seconds{channel,provider}: submit to provider ack, seconds.
  prometheus::Histogram& SendLatency(core::Channel channel, ProviderId provider);
  // bulkd_end_to_end_seconds{channel}: job timestamp to terminal event, seconds. The
  // string overload maps "" or unknown (terminal before any channel) to "none".
  prometheus::Histogram& EndToEnd(core::Channel channel);
  prometheus::Histogram& EndToEnd(std::string_view channel);
  // bulkd_ratelimit_wait_seconds{scope}: a histogram, one observation per admission
  // decision, value = time held by that scope's bucket (0 when granted at once). So
  // _count is decisions, _sum is total wait, and le="0.001" shows how many did not wait.
  prometheus::Histogram& RateLimitWait(RateScope scope);
  // bulkd_fallbacks_total{from,to}.
  prometheus::Counter& Fallbacks(core::Channel from, core::Channel to);
  // bulkd_retries_total{channel}: attempts scheduled again after a transient error.
  prometheus::Counter& Retries(core::Channel channel);
  // bulkd_inflight{provider}: sent, no final report yet. Set it, or Increment/Decrement.
  prometheus::Gauge& Inflight(ProviderId provider);
  // bulkd_consumer_lag{partition}: high watermark minus consumed offset, in messages.
  // The child is created on first use (mutex; call per batch or stats tick, not per
  // message). At most kMaxLagPartitions partitions are tracked; beyond that, and for a
  // negative partition, the call is ignored and returns false.
  bool SetConsumerLag(int32_t partition, int64_t lag);
  // Drops the series (call when the partition is revoked, so no stale lag is alerted on).
  void RemoveConsumerLag(int32_t partition);
  static constexpr size_t kMaxLagPartitions = 1024;

  // Not in the contract, bulkd_ prefix all the same:
  prometheus::Counter& Dlq(DlqReason reason);               // bulkd_dlq_total{reason_class}
  prometheus::Counter& Events(core::EventType event);       // bulkd_events_total{event}
  prometheus::Counter& KafkaProduceErrors() { return *kafka_produce_errors_; }
  prometheus::Counter& RedisErrors() { return *redis_errors_; }
  prometheus::Counter& ReceiptMap(ReceiptMapResult result);  // bulkd_receipt_map_total{result}
  // bulkd_build_info{version} is always 1.

  // The Prometheus text format 0.0.4 of every family. Thread-safe; allocates.
  std::string Serialize() const;
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  size_t SendIndex(core::Channel channel, ProviderId provider) const;

  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::string> providers_;  // configured names, then "other", then "none"
  ProviderId other_;
  ProviderId none_;

  prometheus::Counter* jobs_consumed_ = nullptr;
  prometheus::Counter* kafka_produce_errors_ = nullptr;
  prometheus::Counter* redis_errors_ = nullptr;
  std::vector<prometheus::Counter*> messages_;     // [channel+none][provider+other+none][outcome]
  std::vector<prometheus::Counter*> receipts_;     // [channel][provider+other][status]
  std::vector<prometheus::Histogram*> send_latency_;  // [channel][provider+other]
  std::vector<prometheus::Histogram*> end_to_end_;    // [channel+none]
  std::vector<prometheus::Histogram*> ratelimit_wait_;  // [scope]
  std::vector<prometheus::Counter*> fallbacks_;    // [from][to]
  std::vector<prometheus::Counter*> retries_;      // [channel]
  std::vector<prometheus::Gauge*> inflight_;       // [provider+other]
  std::vector<prometheus::Counter*> dlq_;          // [reason]
  std::vector<prometheus::Counter*> events_;       // [event]
  std::vector<prometheus::Counter*> receipt_map_;  // [result]

  prometheus::Family<prometheus::Gauge>* consumer_lag_family_ = nullptr;
  std::mutex lag_mutex_;
  std::map<int32_t, prometheus::Gauge*> lag_;  // guarded by lag_mutex_
};

}  // namespace bulkd::dispatcher
