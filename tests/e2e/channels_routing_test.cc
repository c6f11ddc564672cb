// End to end through the built binaries: the providers a config names are built and
// routed to. Two SMPP accounts (a default one and one tagged for carrier "skt"), RCS and
// the generic webhook channel on bizmsg-sim. Jobs with the "skt" hint reach the skt
// account only; RCS jobs the handset cannot take (41201) fall back to SMS on the default
// account; webhook jobs are POSTed once each, signed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <string>

#include "dispatcher/kafka/producer.h"
#include "tests/support/bizmsg_sim.h"
#include "tests/support/child_process.h"
#include "tests/support/e2e.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"

namespace bulkd {
namespace {

using testing::BuiltBinary;
using testing::ChildProcess;
using testing::TempDir;

TEST(ChannelsRoutingEndToEndTest, CarrierHintRcsFallbackAndWebhookChannelThroughBulkd) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(4);
  const std::string& bootstrap = broker.bootstrap();

  const std::string default_record = dir.path() + "/default.tsv";
  const std::string skt_record = dir.path() + "/skt.tsv";
  const std::string dealer_record = dir.path() + "/dealer.tsv";
  testing::SmscSim default_smsc({"--receipt-delay-ms", "10", "--record", default_record});
  testing::SmscSim skt_smsc({"--receipt-delay-ms", "10", "--record", skt_record});
  testing::BizmsgSim dealer({"--rcs-mix", "41201:100", "--hook-secret", "hook-key",
                             "--record", dealer_record});

  constexpr int kEach = 100;
  {
    dispatcher::KafkaConfig kafka;
    kafka.brokers = bootstrap;
    dispatcher::KafkaProducer producer(kafka, "routing-producer", [](uint64_t) {});
    auto produce = [&](const std::string& id, const std::string& body) {
      producer.Produce("bulkd.jobs", id, R"({"id":")" + id + R"(","tenant":"shop1","kind":"info",)" + body);
    };
    for (int i = 0; i < kEach; ++i) {
      char to[16];
      std::snprintf(to, sizeof to, "+8210%08d", i);
      produce("skt-" + std::to_string(i),
              std::string(R"("to":"+8211)") + (to + 5) + R"(","channels":["sms"],"carrier":"skt","text":"hi"})");
      produce("any-" + std::to_string(i),
              std::string(R"("to":"+8212)") + (to + 5) + R"(","channels":["sms"],"text":"hi"})");
      produce("rcs-" + std::to_string(i),
              std::string(R"("to":"+8213)") + (to + 5) +
                  R"(","channels":["rcs","sms"],"template":"t1","text":"fallback"})");
      produce("hook-" + std::to_string(i),
              std::string(R"("to":"+8214)") + (to + 5) + R"(","channels":["webhook"],"template":"callback"})");
    }
    ASSERT_TRUE(producer.Flush(30000));
  }

  const std::string dealer_url = "http://127.0.0.1:" + std::to_string(dealer.port());
  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file)
      << "kafka: {brokers: \"" << bootstrap << "\", group_id: routing}\n"
      << "redis: {port: " << redis.port() << "}\n"
      << "smpp: {name: smpp-default, port: " << default_smsc.port() << ", receipt_timeout_s: 10}\n"
      << "smpp_routes:\n"
      << "  - {name: smpp-skt, port: " << skt_smsc.port() << ", carrier: skt, binds: 2}\n"
      << "rcs: {enabled: true, base_url: \"" << dealer_url
      << "\", app_key: a, secret_key: sim-secret, brand_id: b, chatbot_id: \"15880000\"}\n"
      << "webhook: {enabled: true, url: \"" << dealer_url << "/hook\", secret: hook-key}\n"
      << "admin: {port: 0}\n";
  ChildProcess bulkd({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(bulkd.WaitForLine("admin listening on", std::chrono::seconds(20)));

  auto summary = testing::CampaignSummary(bootstrap, 4 * kEach, std::chrono::seconds(120));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"complete\":true"));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"duplicate_terminal_events\":0,"));
  EXPECT_EQ(testing::SummaryField(*summary, "delivered"), 4 * kEach) << *summary;
  EXPECT_EQ(testing::SummaryField(*summary, "fallback"), kEach) << *summary;

  bulkd.Signal(SIGTERM);
  EXPECT_EQ(bulkd.WaitForExit(std::chrono::seconds(40)), 0);
  ASSERT_TRUE(default_smsc.Stop());
  ASSERT_TRUE(skt_smsc.Stop());
  ASSERT_TRUE(dealer.Stop());
  // Carrier hint: every skt job on the skt account, none elsewhere.
  const auto skt = testing::FirstColumn(skt_record);
  const auto other = testing::FirstColumn(default_record);
  EXPECT_EQ(skt.size(), static_cast<size_t>(kEach));
  for (const auto& to : skt) EXPECT_TRUE(to.rfind("+8211", 0) == 0 || to.rfind("8211", 0) == 0) << to;
  // Default account: the unhinted SMS and the RCS fallbacks, each number once.
  EXPECT_EQ(other.size(), static_cast<size_t>(2 * kEach));
  EXPECT_EQ(std::set<std::string>(other.begin(), other.end()).size(), other.size());
  // The dealer took every webhook job once (key tenant:id) and saw every RCS attempt.
  const auto taken = testing::FirstColumn(dealer_record);
  size_t hooks = 0;
  for (const auto& key : taken) hooks += key.rfind("shop1:hook-", 0) == 0;
  EXPECT_EQ(hooks, static_cast<size_t>(kEach));
}

// RCS with polling off: results come only by the dealer's signed webhooks to bulkd's
// result_webhooks server, out of order and a fifth of them twice; every job still ends
// delivered exactly once.
TEST(ChannelsRoutingEndToEndTest, RcsResultsArriveByWebhookOnly) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(4);
  const std::string& bootstrap = broker.bootstrap();
  const uint16_t webhook_port = testing::FreeTcpPort();
  testing::SmscSim smsc({"--receipt-delay-ms", "10"});
  testing::BizmsgSim dealer({"--rcs-mix", "0:100", "--result-delay-ms", "200", "--out-of-order",
                             "--webhook", "http://127.0.0.1:" + std::to_string(webhook_port) + "/webhooks/rcs",
                             "--webhook-secret", "result-key", "--webhook-duplicate-percent", "20"});
  constexpr int kJobs = 200;
  {
    dispatcher::KafkaConfig kafka;
    kafka.brokers = bootstrap;
    dispatcher::KafkaProducer producer(kafka, "rcs-webhook-producer", [](uint64_t) {});
    for (int i = 0; i < kJobs; ++i) {
      char job[256];
      std::snprintf(job, sizeof job,
                    R"({"id":"r-%04d","tenant":"shop1","kind":"info","to":"+8210%08d",)"
                    R"("channels":["rcs"],"template":"t1"})", i, i);
      producer.Produce("bulkd.jobs", std::to_string(i), job);
    }
    ASSERT_TRUE(producer.Flush(30000));
  }
  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file)
      << "kafka: {brokers: \"" << bootstrap << "\", group_id: rcs-webhook}\n"
      << "redis: {port: " << redis.port() << "}\n"
      << "smpp: {port: " << smsc.port() << ", receipt_timeout_s: 30}\n"
      << "rcs: {enabled: true, base_url: \"http://127.0.0.1:" << dealer.port()
      << "\", app_key: a, secret_key: sim-secret, brand_id: b, chatbot_id: \"15880000\","
      << " poll_interval_ms: 0, webhook_secret: result-key}\n"
      << "result_webhooks: {port: " << webhook_port << "}\n"
      << "admin: {port: 0}\n";
  ChildProcess bulkd({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(bulkd.WaitForLine("webhooks listening on", std::chrono::seconds(20)));

  auto summary = testing::CampaignSummary(bootstrap, kJobs, std::chrono::seconds(60));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"complete\":true"));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"duplicate_terminal_events\":0,"));
  EXPECT_EQ(testing::SummaryField(*summary, "delivered"), kJobs) << *summary;
  bulkd.Signal(SIGTERM);
  EXPECT_EQ(bulkd.WaitForExit(std::chrono::seconds(40)), 0);
}

}  // namespace
}  // namespace bulkd
