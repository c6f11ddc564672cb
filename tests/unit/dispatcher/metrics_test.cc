#include "dispatcher/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>

namespace bulkd::dispatcher {
namespace {

using core::Channel;
using core::EventType;

// The value of one exposition line `series value`, where `series` is the name and the
// labels exactly as prometheus-cpp writes them (sorted by label name, `le` last).
std::optional<double> Value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

bool HasType(const std::string& text, const std::string& name, const std::string& type) {
  return text.find("# TYPE " + name + " " + type + "\n") != std::string::npos;
}

TEST(MetricsTest, SerializeDeclaresEveryContractFamilyWithItsType) {
  Metrics metrics({"carrier-a", "kakao-dealer"});
  // Partitions are not a closed set: the lag family has no series, and prometheus-cpp
  // writes no HELP/TYPE for it, until a partition is assigned.
  EXPECT_FALSE(HasType(metrics.Serialize(), "bulkd_consumer_lag", "gauge"));
  metrics.SetConsumerLag(0, 0);
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(HasType(text, "bulkd_jobs_consumed_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_messages_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_delivery_receipts_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_send_latency_seconds", "histogram"));
  EXPECT_TRUE(HasType(text, "bulkd_end_to_end_seconds", "histogram"));
  EXPECT_TRUE(HasType(text, "bulkd_ratelimit_wait_seconds", "histogram"));
  EXPECT_TRUE(HasType(text, "bulkd_fallbacks_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_retries_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_inflight", "gauge"));
  EXPECT_TRUE(HasType(text, "bulkd_consumer_lag", "gauge"));
  EXPECT_TRUE(HasType(text, "bulkd_dlq_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_events_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_kafka_produce_errors_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_redis_errors_total", "counter"));
  EXPECT_TRUE(HasType(text, "bulkd_receipt_map_total", "counter"));
  EXPECT_EQ(Value(text, R"(bulkd_build_info{version="dev"})"), 1.0);
}

TEST(MetricsTest, ClosedLabelSetsArePreCreatedAtZero) {
  Metrics metrics({"carrier-a"});
  const std::string text = metrics.Serialize();
  EXPECT_EQ(Value(text, "bulkd_jobs_consumed_total"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="alimtalk",outcome="undelivered",provider="carrier-a"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="none",outcome="suppressed",provider="none"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_delivery_receipts_total{channel="sms",provider="carrier-a",status="DELIVRD"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_delivery_receipts_total{channel="rcs",provider="other",status="other"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_send_latency_seconds_count{channel="lms",provider="carrier-a"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_end_to_end_seconds_count{channel="none"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_ratelimit_wait_seconds_count{scope="tenant"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_fallbacks_total{from="alimtalk",to="lms"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_retries_total{channel="friendtalk"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_inflight{provider="carrier-a"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_dlq_total{reason_class="encoding"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_events_total{event="dead"})"), 0.0);
  // Partitions are not a closed set: no series until one is assigned.
  EXPECT_EQ(text.find("bulkd_consumer_lag{"), std::string::npos);
}

TEST(MetricsTest, AccessorsIncrementTheirOwnSeriesOnly) {
  Metrics metrics({"carrier-a", "kakao-dealer"});
  const ProviderId carrier = metrics.Provider("carrier-a");
  const ProviderId kakao = metrics.Provider("kakao-dealer");
  metrics.JobsConsumed().Increment(3);
  metrics.Messages(Channel::kSms, carrier, EventType::kDelivered).Increment();
  metrics.Messages(Channel::kSms, carrier, EventType::kDelivered).Increment();
  metrics.Messages("alimtalk", "kakao-dealer", EventType::kFallback).Increment();
  metrics.Receipts(Channel::kLms, carrier, ReceiptStatusFromStat("UNDELIV")).Increment();
  metrics.SendLatency(Channel::kAlimtalk, kakao).Observe(0.003);
  metrics.EndToEnd(Channel::kSms).Observe(42);
  metrics.EndToEnd("").Observe(0.2);
  metrics.RateLimitWait(RateScopeFromString("sender")).Observe(0.5);
  metrics.Fallbacks(Channel::kAlimtalk, Channel::kLms).Increment();
  metrics.Retries(Channel::kSms).Increment();
  metrics.Inflight(carrier).Increment();
  metrics.Inflight(carrier).Increment();
  metrics.Inflight(carrier).Decrement();
  metrics.Dlq(DlqReason::kSchema).Increment();
  metrics.Events(EventType::kSubmitted).Increment();
  metrics.KafkaProduceErrors().Increment();
  metrics.RedisErrors().Increment();
  metrics.ReceiptMap(ReceiptMapResult::kOrphanUnknown).Increment(2);

  const std::string text = metrics.Serialize();
  EXPECT_EQ(Value(text, "bulkd_jobs_consumed_total"), 3.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="sms",outcome="delivered",provider="carrier-a"})"), 2.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="sms",outcome="delivered",provider="kakao-dealer"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="sms",outcome="undelivered",provider="carrier-a"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="alimtalk",outcome="fallback",provider="kakao-dealer"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_delivery_receipts_total{channel="lms",provider="carrier-a",status="UNDELIV"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_send_latency_seconds_bucket{channel="alimtalk",provider="kakao-dealer",le="0.0025"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_send_latency_seconds_bucket{channel="alimtalk",provider="kakao-dealer",le="0.005"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_send_latency_seconds_sum{channel="alimtalk",provider="kakao-dealer"})"), 0.003);
  EXPECT_EQ(Value(text, R"(bulkd_end_to_end_seconds_count{channel="sms"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_end_to_end_seconds_bucket{channel="sms",le="30"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_end_to_end_seconds_bucket{channel="sms",le="60"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_end_to_end_seconds_count{channel="none"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_ratelimit_wait_seconds_count{scope="sender"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_fallbacks_total{from="alimtalk",to="lms"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_fallbacks_total{from="lms",to="alimtalk"})"), 0.0);
  EXPECT_EQ(Value(text, R"(bulkd_retries_total{channel="sms"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_inflight{provider="carrier-a"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_dlq_total{reason_class="schema"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_events_total{event="submitted"})"), 1.0);
  EXPECT_EQ(Value(text, "bulkd_kafka_produce_errors_total"), 1.0);
  EXPECT_EQ(Value(text, "bulkd_redis_errors_total"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_receipt_map_total{result="orphan_unknown"})"), 2.0);
  EXPECT_EQ(Value(text, R"(bulkd_receipt_map_total{result="remembered"})"), 0.0);
}

TEST(MetricsTest, UnknownProviderMapsToOtherAndCreatesNoSeries) {
  Metrics metrics({"carrier-a"});
  const std::string before = metrics.Serialize();
  EXPECT_EQ(metrics.Provider("carrier-b"), metrics.Provider("other"));
  EXPECT_EQ(metrics.ProviderName(metrics.Provider("carrier-b")), "other");
  EXPECT_EQ(metrics.ProviderName(metrics.Provider("")), "none");
  for (int i = 0; i < 100; ++i) {
    const std::string name = "carrier-" + std::to_string(i);
    metrics.Messages("sms", name, EventType::kFailed).Increment();
    metrics.Receipts(Channel::kSms, metrics.Provider(name), ReceiptStatus::kDelivrd).Increment();
  }
  metrics.Inflight(static_cast<ProviderId>(999)).Increment();  // out of range -> other
  const std::string after = metrics.Serialize();
  EXPECT_EQ(after.find("carrier-0"), std::string::npos);
  EXPECT_EQ(Value(after, R"(bulkd_messages_total{channel="sms",outcome="failed",provider="other"})"), 100.0);
  EXPECT_EQ(Value(after, R"(bulkd_delivery_receipts_total{channel="sms",provider="other",status="DELIVRD"})"), 100.0);
  EXPECT_EQ(Value(after, R"(bulkd_inflight{provider="other"})"), 1.0);
  EXPECT_EQ(std::count(before.begin(), before.end(), '\n'),
            std::count(after.begin(), after.end(), '\n'));
}

TEST(MetricsTest, EmptyProviderAndChannelCountAsNone) {
  Metrics metrics({"carrier-a"});
  metrics.Messages("", "", EventType::kSuppressed).Increment();
  metrics.Messages("pigeon", "", EventType::kExpired).Increment();
  // "none" is not a send target: per-send families fold it into "other".
  metrics.Receipts(Channel::kSms, metrics.Provider(""), ReceiptStatus::kDelivrd).Increment();
  const std::string text = metrics.Serialize();
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="none",outcome="suppressed",provider="none"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_messages_total{channel="none",outcome="expired",provider="none"})"), 1.0);
  EXPECT_EQ(Value(text, R"(bulkd_delivery_receipts_total{channel="sms",provider="other",status="DELIVRD"})"), 1.0);
  EXPECT_EQ(text.find(R"(bulkd_send_latency_seconds_count{channel="sms",provider="none"})"), std::string::npos);
}

TEST(MetricsTest, ReservedOrEmptyProviderNamesAreRefusedAndDuplicatesFolded) {
  EXPECT_THROW(Metrics({"other"}), std::invalid_argument);
  EXPECT_THROW(Metrics({"none"}), std::invalid_argument);
  EXPECT_THROW(Metrics({""}), std::invalid_argument);
  Metrics metrics({"carrier-a", "carrier-a"});
  EXPECT_EQ(metrics.Provider("other"), 1);
}

TEST(MetricsTest, ReceiptStatusAndScopeMapOntoClosedSets) {
  EXPECT_EQ(ReceiptStatusFromStat("DELIVRD"), ReceiptStatus::kDelivrd);
  EXPECT_EQ(ReceiptStatusFromStat("UNDELIV"), ReceiptStatus::kUndeliv);
  EXPECT_EQ(ReceiptStatusFromStat("EXPIRED"), ReceiptStatus::kExpired);
  EXPECT_EQ(ReceiptStatusFromStat("REJECTD"), ReceiptStatus::kRejectd);
  EXPECT_EQ(ReceiptStatusFromStat("DELETED"), ReceiptStatus::kDeleted);
  EXPECT_EQ(ReceiptStatusFromStat("UNKNOWN"), ReceiptStatus::kUnknown);
  EXPECT_EQ(ReceiptStatusFromStat("ACCEPTD"), ReceiptStatus::kAcceptd);
  EXPECT_EQ(ReceiptStatusFromStat("ENROUTE"), ReceiptStatus::kEnroute);
  EXPECT_EQ(ReceiptStatusFromStat("delivrd"), ReceiptStatus::kOther);
  EXPECT_EQ(ReceiptStatusFromStat("3018"), ReceiptStatus::kOther);
  EXPECT_EQ(ReceiptStatusFromStat(""), ReceiptStatus::kOther);
  EXPECT_EQ(RateScopeFromString("tenant"), RateScope::kTenant);
  EXPECT_EQ(RateScopeFromString("carrier"), RateScope::kCarrier);
  EXPECT_EQ(RateScopeFromString("recipient"), RateScope::kOther);
}

TEST(MetricsTest, ConsumerLagSeriesAreCreatedOnDemandRemovedAndCapped) {
  Metrics metrics({"carrier-a"});
  EXPECT_TRUE(metrics.SetConsumerLag(7, 1500));
  EXPECT_TRUE(metrics.SetConsumerLag(7, 20));
  EXPECT_FALSE(metrics.SetConsumerLag(-1, 5));
  std::string text = metrics.Serialize();
  EXPECT_EQ(Value(text, R"(bulkd_consumer_lag{partition="7"})"), 20.0);
  metrics.RemoveConsumerLag(7);
  metrics.RemoveConsumerLag(8);  // never set: no-op
  text = metrics.Serialize();
  EXPECT_EQ(text.find(R"(bulkd_consumer_lag{partition="7"})"), std::string::npos);

  for (int32_t p = 0; p < static_cast<int32_t>(Metrics::kMaxLagPartitions); ++p)
    ASSERT_TRUE(metrics.SetConsumerLag(p, p));
  EXPECT_FALSE(metrics.SetConsumerLag(100000, 1));
  EXPECT_TRUE(metrics.SetConsumerLag(3, 4));  // an existing one still updates
  text = metrics.Serialize();
  EXPECT_EQ(text.find(R"(partition="100000")"), std::string::npos);
  EXPECT_EQ(Value(text, R"(bulkd_consumer_lag{partition="3"})"), 4.0);
}

}  // namespace
}  // namespace bulkd::dispatcher
