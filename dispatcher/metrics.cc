#include "dispatcher/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace bulkd::dispatcher {
namespace {

// Label spellings. The order follows the enums in core/job.h, core/event.h and metrics.h;
// the static_asserts pin the counts (a new enum value must be given a label here).
constexpr std::array<std::string_view, 7> kChannelNames = {"sms",      "lms",        "mms",
                                                           "alimtalk", "friendtalk", "rcs", "webhook"};
constexpr size_t kChannels = kChannelNames.size();
constexpr size_t kChannelNone = kChannels;  // index of "none" where it exists
constexpr size_t kChannelsWithNone = kChannels + 1;
static_assert(static_cast<size_t>(core::Channel::kWebhook) + 1 == kChannels);

constexpr std::array<std::string_view, 10> kEventNames = {
    "submitted", "delivered", "undelivered", "deferred", "retrying",
    "fallback",  "suppressed", "expired",    "failed",   "dead"};
constexpr size_t kEvents = kEventNames.size();
static_assert(static_cast<size_t>(core::EventType::kDead) + 1 == kEvents);

constexpr std::array<std::string_view, 9> kReceiptNames = {
    "DELIVRD", "UNDELIV", "EXPIRED", "REJECTD", "DELETED", "UNKNOWN", "ACCEPTD", "ENROUTE", "other"};
constexpr size_t kReceipts = kReceiptNames.size();
static_assert(static_cast<size_t>(ReceiptStatus::kOther) + 1 == kReceipts);

constexpr std::array<std::string_view, 4> kDlqNames = {"size", "json", "schema", "encoding"};
static_assert(static_cast<size_t>(DlqReason::kEncoding) + 1 == kDlqNames.size());

constexpr std::array<std::string_view, 6> kReceiptMapNames = {
    "remembered", "orphan_matched", "orphan_unknown", "adopted_receipt", "dropped", "redis_error"};
static_assert(static_cast<size_t>(ReceiptMapResult::kRedisError) + 1 == kReceiptMapNames.size());

constexpr std::array<std::string_view, 7> kScopeNames = {"tenant",   "sender", "template",
                                                         "carrier",  "provider", "global",
                                                         "other"};
static_assert(static_cast<size_t>(RateScope::kOther) + 1 == kScopeNames.size());

constexpr std::string_view kOtherProvider = "other";
constexpr std::string_view kNone = "none";  // no channel / no provider was tried

// Submit to provider ack: 1 ms .. 10 s.
const prometheus::Histogram::BucketBoundaries kSendLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// Job timestamp to terminal event: 10 ms .. 1 day (receipts can take hours).
const prometheus::Histogram::BucketBoundaries kEndToEndBuckets = {
    0.01, 0.05, 0.1, 0.25, 0.5, 1,    2.5,  5,     10,    30,   60,
    120,  300,  600, 1800, 3600, 7200, 14400, 28800, 43200, 86400};
// Time held by a token bucket: 1 ms .. 5 min.
const prometheus::Histogram::BucketBoundaries kRateLimitWaitBuckets = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

std::string S(std::string_view v) { return std::string(v); }

size_t ChannelIndex(std::string_view name) {
  for (size_t i = 0; i < kChannels; ++i)
    if (kChannelNames[i] == name) return i;
  return kChannelNone;
}

}  // namespace

ReceiptStatus ReceiptStatusFromStat(std::string_view stat) {
  for (size_t i = 0; i + 1 < kReceipts; ++i)
    if (kReceiptNames[i] == stat) return static_cast<ReceiptStatus>(i);
  return ReceiptStatus::kOther;
}

RateScope RateScopeFromString(std::string_view scope) {
  for (size_t i = 0; i + 1 < kScopeNames.size(); ++i)
    if (kScopeNames[i] == scope) return static_cast<RateScope>(i);
  return RateScope::kOther;
}

Metrics::Metrics(std::vector<std::string> provider_names, std::string version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  for (auto& name : provider_names) {
    if (name.empty()) throw std::invalid_argument("metrics: empty provider name");
    if (name == kOtherProvider || name == kNone)
      throw std::invalid_argument("metrics: provider name '" + name + "' is reserved");
    if (std::find(providers_.begin(), providers_.end(), name) == providers_.end())
      providers_.push_back(std::move(name));
  }
  if (providers_.size() + 2 > UINT16_MAX) throw std::invalid_argument("metrics: too many providers");
  other_ = static_cast<ProviderId>(providers_.size());
  none_ = static_cast<ProviderId>(providers_.size() + 1);
  providers_.emplace_back(kOtherProvider);
  providers_.emplace_back(kNone);
  const size_t with_other = providers_.size() - 1;  // configured + "other"
  const size_t all = providers_.size();             // configured + "other" + "none"
  auto& r = *registry_;

  jobs_consumed_ = &prometheus::BuildCounter()
                        .Name("bulkd_jobs_consumed_total")
                        .Help("Messages taken from the jobs topic, valid or not.")
                        .Register(r)
                        .Add({});

  auto& messages = prometheus::BuildCounter()
                       .Name("bulkd_messages_total")
                       .Help("Job events by channel, provider and outcome (the event name).")
                       .Register(r);
  messages_.resize(kChannelsWithNone * all * kEvents);
  for (size_t c = 0; c < kChannelsWithNone; ++c)
    for (size_t p = 0; p < all; ++p)
      for (size_t o = 0; o < kEvents; ++o)
        messages_[(c * all + p) * kEvents + o] = &messages.Add(
            {{"channel", c == kChannelNone ? S(kNone) : S(kChannelNames[c])},
             {"provider", providers_[p]},
             {"outcome", S(kEventNames[o])}});

  auto& receipts = prometheus::BuildCounter()
                       .Name("bulkd_delivery_receipts_total")
                       .Help("Delivery receipts by channel, provider and receipt status.")
                       .Register(r);
  receipts_.resize(kChannels * with_other * kReceipts);
  for (size_t c = 0; c < kChannels; ++c)
    for (size_t p = 0; p < with_other; ++p)
      for (size_t s = 0; s < kReceipts; ++s)
        receipts_[(c * with_other + p) * kReceipts + s] =
            &receipts.Add({{"channel", S(kChannelNames[c])},
                           {"provider", providers_[p]},
                           {"status", S(kReceiptNames[s])}});

  auto& latency = prometheus::BuildHistogram()
                      .Name("bulkd_send_latency_seconds")
                      .Help("Time from submit to the provider's acknowledgement.")
                      .Register(r);
  send_latency_.resize(kChannels * with_other);
  for (size_t c = 0; c < kChannels; ++c)
    for (size_t p = 0; p < with_other; ++p)
      send_latency_[c * with_other + p] = &latency.Add(
          {{"channel", S(kChannelNames[c])}, {"provider", providers_[p]}}, kSendLatencyBuckets);

  auto& e2e = prometheus::BuildHistogram()
                  .Name("bulkd_end_to_end_seconds")
                  .Help("Time from the job's Kafka timestamp to its terminal event.")
                  .Register(r);
  end_to_end_.resize(kChannelsWithNone);
  for (size_t c = 0; c < kChannelsWithNone; ++c)
    end_to_end_[c] = &e2e.Add(
        {{"channel", c == kChannelNone ? S(kNone) : S(kChannelNames[c])}}, kEndToEndBuckets);

  auto& wait = prometheus::BuildHistogram()
                   .Name("bulkd_ratelimit_wait_seconds")
                   .Help("Time an admission decision was held by a rate-limit bucket, by scope.")
                   .Register(r);
  for (auto scope : kScopeNames)
    ratelimit_wait_.push_back(&wait.Add({{"scope", S(scope)}}, kRateLimitWaitBuckets));

  auto& fallbacks = prometheus::BuildCounter()
                        .Name("bulkd_fallbacks_total")
                        .Help("Jobs moved to the next channel of their chain.")
                        .Register(r);
  fallbacks_.resize(kChannels * kChannels);
  for (size_t f = 0; f < kChannels; ++f)
    for (size_t t = 0; t < kChannels; ++t)
      fallbacks_[f * kChannels + t] =
          &fallbacks.Add({{"from", S(kChannelNames[f])}, {"to", S(kChannelNames[t])}});

  auto& retries = prometheus::BuildCounter()
                      .Name("bulkd_retries_total")
                      .Help("Attempts scheduled again after a transient provider error.")
                      .Register(r);
  for (auto channel : kChannelNames) retries_.push_back(&retries.Add({{"channel", S(channel)}}));

  auto& inflight = prometheus::BuildGauge()
                       .Name("bulkd_inflight")
                       .Help("Messages sent to a provider and not yet finally reported.")
                       .Register(r);
  for (size_t p = 0; p < with_other; ++p)
    inflight_.push_back(&inflight.Add({{"provider", providers_[p]}}));

  consumer_lag_family_ = &prometheus::BuildGauge()
                              .Name("bulkd_consumer_lag")
                              .Help("Messages between the partition's high watermark and the "
                                    "consumed position.")
                              .Register(r);

  auto& dlq = prometheus::BuildCounter()
                  .Name("bulkd_dlq_total")
                  .Help("Messages sent to the dead-letter topic, by class of reason.")
                  .Register(r);
  for (auto reason : kDlqNames) dlq_.push_back(&dlq.Add({{"reason_class", S(reason)}}));

  auto& events = prometheus::BuildCounter()
                     .Name("bulkd_events_total")
                     .Help("Events published to the events topic, by event.")
                     .Register(r);
  for (auto event : kEventNames) events_.push_back(&events.Add({{"event", S(event)}}));

  auto& receipt_map = prometheus::BuildCounter()
                          .Name("bulkd_receipt_map_total")
                          .Help("SMPP receipts matched through Redis across workers and restarts "
                                "(pipeline.receipt_map), by result.")
                          .Register(r);
  for (auto result : kReceiptMapNames) receipt_map_.push_back(&receipt_map.Add({{"result", S(result)}}));

  kafka_produce_errors_ = &prometheus::BuildCounter()
                               .Name("bulkd_kafka_produce_errors_total")
                               .Help("Kafka produce calls or deliveries that failed.")
                               .Register(r)
                               .Add({});
  redis_errors_ = &prometheus::BuildCounter()
                       .Name("bulkd_redis_errors_total")
                       .Help("Redis commands or connections that failed.")
                       .Register(r)
                       .Add({});
  prometheus::BuildGauge()
      .Name("bulkd_build_info")
      .Help("Always 1; the labels describe the running build.")
      .Register(r)
      .Add({{"version", std::move(version)}})
      .Set(1);
}

Metrics::~Metrics() = default;

ProviderId Metrics::Provider(std::string_view name) const {
  if (name.empty()) return none_;
  for (ProviderId i = 0; i < other_; ++i)
    if (providers_[i] == name) return i;
  return other_;
}

std::string_view Metrics::ProviderName(ProviderId id) const {
  return id < providers_.size() ? std::string_view(providers_[id]) : kOtherProvider;
}

prometheus::Counter& Metrics::Messages(core::Channel channel, ProviderId provider,
                                       core::EventType outcome) {
  const size_t all = providers_.size();
  const size_t c = std::min(static_cast<size_t>(channel), kChannels - 1);
  const size_t p = provider < all ? provider : other_;
  return *messages_[(c * all + p) * kEvents + std::min(static_cast<size_t>(outcome), kEvents - 1)];
}

prometheus::Counter& Metrics::Messages(std::string_view channel, std::string_view provider,
                                       core::EventType outcome) {
  const size_t all = providers_.size();
  return *messages_[(ChannelIndex(channel) * all + Provider(provider)) * kEvents +
                    std::min(static_cast<size_t>(outcome), kEvents - 1)];
}

size_t Metrics::SendIndex(core::Channel channel, ProviderId provider) const {
  const size_t c = std::min(static_cast<size_t>(channel), kChannels - 1);
  return c * (providers_.size() - 1) + std::min<size_t>(provider, other_);
}

prometheus::Counter& Metrics::Receipts(core::Channel channel, ProviderId provider,
                                       ReceiptStatus status) {
  return *receipts_[SendIndex(channel, provider) * kReceipts +
                    std::min(static_cast<size_t>(status), kReceipts - 1)];
}

prometheus::Histogram& Metrics::SendLatency(core::Channel channel, ProviderId provider) {
  return *send_latency_[SendIndex(channel, provider)];
}

prometheus::Histogram& Metrics::EndToEnd(core::Channel channel) {
  return *end_to_end_[std::min(static_cast<size_t>(channel), kChannelNone)];
}

prometheus::Histogram& Metrics::EndToEnd(std::string_view channel) {
  return *end_to_end_[ChannelIndex(channel)];
}

prometheus::Histogram& Metrics::RateLimitWait(RateScope scope) {
  return *ratelimit_wait_[std::min(static_cast<size_t>(scope), ratelimit_wait_.size() - 1)];
}

prometheus::Counter& Metrics::Fallbacks(core::Channel from, core::Channel to) {
  const size_t f = std::min(static_cast<size_t>(from), kChannels - 1);
  const size_t t = std::min(static_cast<size_t>(to), kChannels - 1);
  return *fallbacks_[f * kChannels + t];
}

prometheus::Counter& Metrics::Retries(core::Channel channel) {
  return *retries_[std::min(static_cast<size_t>(channel), kChannels - 1)];
}

prometheus::Gauge& Metrics::Inflight(ProviderId provider) {
  return *inflight_[std::min<size_t>(provider, other_)];
}

prometheus::Counter& Metrics::Dlq(DlqReason reason) {
  return *dlq_[std::min(static_cast<size_t>(reason), dlq_.size() - 1)];
}

prometheus::Counter& Metrics::ReceiptMap(ReceiptMapResult result) {
  return *receipt_map_[std::min(static_cast<size_t>(result), receipt_map_.size() - 1)];
}

prometheus::Counter& Metrics::Events(core::EventType event) {
  return *events_[std::min(static_cast<size_t>(event), kEvents - 1)];
}

bool Metrics::SetConsumerLag(int32_t partition, int64_t lag) {
  if (partition < 0) return false;
  std::lock_guard lock(lag_mutex_);
  auto it = lag_.find(partition);
  if (it == lag_.end()) {
    if (lag_.size() >= kMaxLagPartitions) return false;
    it = lag_.emplace(partition, &consumer_lag_family_->Add(
                                     {{"partition", std::to_string(partition)}}))
             .first;
  }
  it->second->Set(static_cast<double>(lag));
  return true;
}

void Metrics::RemoveConsumerLag(int32_t partition) {
  std::lock_guard lock(lag_mutex_);
  auto it = lag_.find(partition);
  if (it == lag_.end()) return;
  consumer_lag_family_->Remove(it->second);
  lag_.erase(it);
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace bulkd::dispatcher
