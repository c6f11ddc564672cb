// The pipeline in process against real parts: librdkafka's mock cluster (Kafka protocol
// over loopback), a real redis-server, and a provider fake that delivers at once. The
// wall clock is injected, so quiet hours and not_before are crossed without waiting.
#include "dispatcher/pipeline/pipeline.h"

#include <librdkafka/rdkafka.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>

#include "core/clock.h"
#include "dispatcher/pipeline/admission_stage.h"
#include "dispatcher/kafka/event_publisher.h"
#include "dispatcher/kafka/embedded_broker.h"
#include "dispatcher/kafka/producer.h"
#include "dispatcher/pipeline/send_shard.h"
#include "providers/provider.h"
#include "ratelimit/admission.h"
#include "ratelimit/quiet_hours.h"
#include "ratelimit/redis_connection.h"
#include "tests/support/child_process.h"
#include "tests/support/redis_server.h"

namespace bulkd::dispatcher {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Accepts and delivers every SMS at once; counts sends per recipient.
class DeliveringProvider final : public providers::Provider {
 public:
  explicit DeliveringProvider(boost::asio::io_context& io) : io_(io) {}
  std::string_view name() const override { return "fake"; }
  bool Serves(core::Channel c) const override { return c == core::Channel::kSms; }
  void Start(providers::ReportHandler on_report) override { on_report_ = std::move(on_report); }
  void Stop() override {}
  bool Send(uint64_t cookie, const core::Job& job, core::Channel) override {
    {
      std::lock_guard lock(mutex_);
      ++sends_[job.to];
      texts_[job.to] = job.text;
    }
    boost::asio::post(io_, [this, cookie] {
      on_report_({cookie, providers::AttemptOutcome::kAccepted, "0x00000000", "", 1});
      on_report_({cookie, providers::AttemptOutcome::kDelivered, "DELIVRD", "", 1});
    });
    return true;
  }
  bool ready() const override { return true; }
  size_t inflight() const override { return 0; }
  int Sends(const std::string& to) {
    std::lock_guard lock(mutex_);
    return sends_[to];
  }
  std::string Text(const std::string& to) {
    std::lock_guard lock(mutex_);
    return texts_[to];
  }

 private:
  boost::asio::io_context& io_;
  providers::ReportHandler on_report_;
  std::mutex mutex_;
  std::map<std::string, int> sends_;
  std::map<std::string, std::string> texts_;
};

// An RCS route whose messages are accepted and then come back undelivered.
class UndeliveringRcsProvider final : public providers::Provider {
 public:
  explicit UndeliveringRcsProvider(boost::asio::io_context& io) : io_(io) {}
  std::string_view name() const override { return "fake-rcs"; }
  bool Serves(core::Channel c) const override { return c == core::Channel::kRcs; }
  void Start(providers::ReportHandler on_report) override { on_report_ = std::move(on_report); }
  void Stop() override {}
  bool Send(uint64_t cookie, const core::Job&, core::Channel) override {
    boost::asio::post(io_, [this, cookie] {
      on_report_({cookie, providers::AttemptOutcome::kAccepted, "0", "", 1});
      on_report_({cookie, providers::AttemptOutcome::kUndelivered, "41200", "not capable", 1});
    });
    return true;
  }
  bool ready() const override { return true; }
  size_t inflight() const override { return 0; }

 private:
  boost::asio::io_context& io_;
  providers::ReportHandler on_report_;
};

// Reads bulkd.events from the beginning and keeps every event name per job id.
class EventReader {
 public:
  explicit EventReader(const std::string& brokers) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "pipeline-test-reader", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, sizeof errstr);
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    rd_kafka_poll_set_consumer(rk_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, "bulkd.events", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
  }
  ~EventReader() {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
  // Polls until `id` has event `name` or the deadline passes.
  bool WaitFor(const std::string& id, const std::string& name, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Has(id, name)) return true;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
      if (!m) continue;
      if (!m->err) {
        std::string json(static_cast<const char*>(m->payload), m->len);
        auto field = [&](const std::string& key) {
          auto at = json.find("\"" + key + "\":\"");
          if (at == std::string::npos) return std::string();
          at += key.size() + 4;
          return json.substr(at, json.find('"', at) - at);
        };
        events_[field("id")].push_back(field("event"));
      }
      rd_kafka_message_destroy(m);
    }
    return Has(id, name);
  }
  std::vector<std::string> Events(const std::string& id) { return events_[id]; }

 private:
  bool Has(const std::string& id, const std::string& name) {
    auto& list = events_[id];
    return std::find(list.begin(), list.end(), name) != list.end();
  }
  rd_kafka_t* rk_ = nullptr;
  std::map<std::string, std::vector<std::string>> events_;
};

std::string HhMmUtc(int64_t epoch_ms) {
  const time_t t = static_cast<time_t>(epoch_ms / 1000);
  tm parts{};
  gmtime_r(&t, &parts);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", parts.tm_hour, parts.tm_min);
  return buffer;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.kafka.group_id = "pipeline-test";
    config_.kafka.defer_tiers_s = {1, 10, 60, 600, 3600};
    std::vector<TopicSpec> topics{{"bulkd.jobs", 4}, {"bulkd.events", 4}, {"bulkd.dlq", 1}};
    for (int delay : config_.kafka.defer_tiers_s) topics.push_back({DeferTopic(config_.kafka, delay), 1});
    broker_ = std::make_unique<EmbeddedBroker>(1, topics);
    config_.kafka.brokers = broker_->bootstrap_servers();
    config_.pipeline.poll_batch = 100;

    producer_ = std::make_unique<KafkaProducer>(config_.kafka, "pipeline-test",
                                                [this](uint64_t token) { handoffs_.Push(token); });
    events_ = std::make_unique<EventPublisher>(*producer_, "bulkd.events", clock_, nullptr);
    ShardSettings shard_settings;
    shard_settings.fallback_on_undelivered = seconds(60);
    shard_ = std::make_unique<SendShard>(shard_settings, *events_, clock_, nullptr);
    auto provider = std::make_unique<DeliveringProvider>(shard_->io());
    provider_ = provider.get();
    shard_->AddProvider(std::move(provider));
    shard_->AddProvider(std::make_unique<UndeliveringRcsProvider>(shard_->io()));

    ratelimit::RedisOptions redis_options;
    redis_options.port = redis_server_.port();
    redis_conn_ = std::make_unique<ratelimit::RedisConnection>(redis_options);
    admission_ = std::make_unique<ratelimit::Admission>(*redis_conn_, ratelimit::AdmissionConfig{},
                                                         std::vector<ratelimit::Rule>{});
    stage_ = std::make_unique<AdmissionStage>(*admission_, "fake", nullptr);
    policies_ = std::make_unique<ratelimit::PolicyCache>(*redis_conn_, "bulkd:");
    consumer_ = std::make_unique<KafkaConsumer>(config_.kafka, nullptr);
    PipelineParts parts{consumer_.get(), producer_.get(), events_.get(), shard_.get(),
                        &handoffs_, &clock_, stage_.get(), policies_.get(), nullptr};
    pipeline_ = std::make_unique<Pipeline>(config_, parts);
    consumer_->SetListener(pipeline_.get());
    shard_->Start();
    runner_ = std::thread([this] { pipeline_->Run(stop_, 5000); });
  }

  void TearDown() override {
    stop_ = true;
    runner_.join();
    consumer_->Close();
    shard_->Stop();
  }

  void Produce(const std::string& json, const std::string& key) {
    producer_->Produce("bulkd.jobs", key, json);
  }

  std::string Job(const std::string& id, const std::string& to, const std::string& extra = "") {
    return R"({"id":")" + id + R"(","tenant":"shop1","kind":"info","to":")" + to +
           R"(","channels":["sms"],"text":"hello")" + extra + "}";
  }

  testing::RedisServer redis_server_;
  Config config_;
  core::ManualClock clock_{core::SystemClock().NowMs()};
  HandoffQueue handoffs_;
  std::unique_ptr<EmbeddedBroker> broker_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<EventPublisher> events_;
  std::unique_ptr<SendShard> shard_;
  DeliveringProvider* provider_ = nullptr;
  std::unique_ptr<ratelimit::RedisConnection> redis_conn_;
  std::unique_ptr<ratelimit::Admission> admission_;
  std::unique_ptr<AdmissionStage> stage_;
  std::unique_ptr<ratelimit::PolicyCache> policies_;
  std::unique_ptr<KafkaConsumer> consumer_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> stop_{false};
  std::thread runner_;
};

TEST_F(PipelineTest, DeliversAJobOnceEvenWhenItsRecordIsReplayed) {
  Produce(Job("j1", "+821000000001"), "k1");
  Produce(Job("j1", "+821000000001"), "k1");  // a producer retry: same id
  EventReader reader(config_.kafka.brokers);
  ASSERT_TRUE(reader.WaitFor("j1", "delivered", seconds(30)));
  Produce(Job("j2", "+821000000002"), "k2");  // a later job flushes the pipeline
  ASSERT_TRUE(reader.WaitFor("j2", "delivered", seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000001"), 1);
  EXPECT_THAT(reader.Events("j1"), ::testing::ElementsAre("submitted", "delivered"));
}

TEST_F(PipelineTest, OptOutAddedMidCampaignSuppressesTheNextJobs) {
  EventReader reader(config_.kafka.brokers);
  Produce(Job("before", "+821000000010"), "a");
  ASSERT_TRUE(reader.WaitFor("before", "delivered", seconds(30)));
  redis_server_.Command({"SADD", "bulkd:optout:shop1", "+821000000010"});
  Produce(Job("after", "+821000000010"), "a");
  ASSERT_TRUE(reader.WaitFor("after", "suppressed", seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000010"), 1);
}

// A tenant without an opt-out line cannot send SMS ads; still, an ad to a person who
// opted out ends "suppressed" (the opt-out is checked first), the others "failed".
TEST_F(PipelineTest, AnAdToAnOptedOutPersonIsSuppressedEvenWhenItsFormatFails) {
  EventReader reader(config_.kafka.brokers);
  redis_server_.Command({"SADD", "bulkd:optout:shop1", "+821000000070"});
  Produce(R"({"id":"adx1","tenant":"shop1","kind":"ad","night_consent":true,)"
          R"("to":"+821000000070","channels":["sms"],"text":"세일"})", "h");
  Produce(R"({"id":"adx2","tenant":"shop1","kind":"ad","night_consent":true,)"
          R"("to":"+821000000071","channels":["sms"],"text":"세일"})", "i");
  ASSERT_TRUE(reader.WaitFor("adx1", "suppressed", seconds(30)))
      << ::testing::PrintToString(reader.Events("adx1"));
  ASSERT_TRUE(reader.WaitFor("adx2", "failed", seconds(30)))
      << ::testing::PrintToString(reader.Events("adx2"));
  EXPECT_EQ(reader.Events("adx1").size(), 1u);
  EXPECT_EQ(provider_->Sends("+821000000070"), 0);
  EXPECT_EQ(provider_->Sends("+821000000071"), 0);
}

TEST_F(PipelineTest, ExpiredJobEndsExpiredWithoutSending) {
  EventReader reader(config_.kafka.brokers);
  Produce(Job("old", "+821000000020", R"(,"expires_at":"2020-01-01T00:00:00Z")"), "b");
  ASSERT_TRUE(reader.WaitFor("old", "expired", seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000020"), 0);
}

TEST_F(PipelineTest, NotBeforeDefersDurablyAndReleasesWhenTheClockGetsThere) {
  EventReader reader(config_.kafka.brokers);
  const int64_t due = clock_.NowMs() + 2 * 3600 * 1000;  // two hours ahead
  const time_t due_s = static_cast<time_t>(due / 1000);
  tm parts{};
  gmtime_r(&due_s, &parts);
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &parts);
  Produce(Job("later", "+821000000030", std::string(R"(,"not_before":")") + stamp + "\""), "c");
  ASSERT_TRUE(reader.WaitFor("later", "deferred", seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000030"), 0);
  clock_.Advance(std::chrono::hours(2) + std::chrono::minutes(1));
  ASSERT_TRUE(reader.WaitFor("later", "delivered", seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000030"), 1);
  EXPECT_THAT(reader.Events("later"), ::testing::ElementsAre("deferred", "submitted", "delivered"));
}

TEST_F(PipelineTest, AdInQuietHoursWaitsForTheWindowAndCarriesTheAdFormat) {
  EventReader reader(config_.kafka.brokers);
  // Quiet hours from an hour ago until two hours ahead, in UTC.
  const int64_t now = clock_.NowMs();
  redis_server_.Command({"HSET", "bulkd:policy:shop1", "tz", "UTC", "quiet_start",
                         HhMmUtc(now - 3600 * 1000), "quiet_end", HhMmUtc(now + 2 * 3600 * 1000),
                         "optout_line", "무료수신거부 0801234567"});
  const std::string ad = R"({"id":"ad1","tenant":"shop1","kind":"ad","to":"+821000000040",)"
                         R"("channels":["sms"],"text":"겨울 세일 20%"})";
  Produce(ad, "d");
  ASSERT_TRUE(reader.WaitFor("ad1", "deferred", seconds(30))) << ::testing::PrintToString(reader.Events("ad1"));
  EXPECT_EQ(provider_->Sends("+821000000040"), 0);
  clock_.Advance(std::chrono::hours(2) + std::chrono::minutes(2));
  ASSERT_TRUE(reader.WaitFor("ad1", "delivered", seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000040"), 1);
  EXPECT_EQ(provider_->Text("+821000000040"), "(광고)겨울 세일 20%\n무료수신거부 0801234567");
}

TEST_F(PipelineTest, UndeliveredSoonAfterSendingFallsBackToTheNextChannel) {
  EventReader reader(config_.kafka.brokers);
  Produce(R"({"id":"rcs1","tenant":"shop1","kind":"info","to":"+821000000060",)"
          R"("channels":["rcs","sms"],"template":"t1","text":"hello"})",
          "f");
  ASSERT_TRUE(reader.WaitFor("rcs1", "delivered", seconds(30)));
  EXPECT_THAT(reader.Events("rcs1"),
              ::testing::ElementsAre("submitted", "fallback", "submitted", "delivered"));
  EXPECT_EQ(provider_->Sends("+821000000060"), 1);
}

// An ad that falls back from RCS to SMS keeps the ad rules on the SMS: prefix and the
// tenant's free opt-out line.
TEST_F(PipelineTest, AnAdFallingBackToSmsKeepsTheAdFormat) {
  EventReader reader(config_.kafka.brokers);
  redis_server_.Command({"HSET", "bulkd:policy:shop1", "tz", "UTC", "quiet_start", "00:00",
                         "quiet_end", "00:00", "optout_line", "무료수신거부 0801234567"});
  Produce(R"({"id":"adf1","tenant":"shop1","kind":"ad","to":"+821000000061",)"
          R"("channels":["rcs","sms"],"template":"t1","text":"봄 세일","night_consent":true})",
          "g");
  ASSERT_TRUE(reader.WaitFor("adf1", "delivered", seconds(30)))
      << ::testing::PrintToString(reader.Events("adf1"));
  EXPECT_THAT(reader.Events("adf1"),
              ::testing::ElementsAre("submitted", "fallback", "submitted", "delivered"));
  EXPECT_EQ(provider_->Sends("+821000000061"), 1);
  EXPECT_EQ(provider_->Text("+821000000061"), "(광고)봄 세일\n무료수신거부 0801234567");
}

TEST_F(PipelineTest, RedisDownHoldsJobsAndTheyGoWhenItReturns) {
  EventReader reader(config_.kafka.brokers);
  redis_server_.Stop();
  Produce(Job("during", "+821000000050"), "e");
  ASSERT_TRUE(testing::WaitUntil([&] { return !pipeline_->gates_available(); }, seconds(30)));
  EXPECT_EQ(provider_->Sends("+821000000050"), 0);
  redis_server_.Start();
  ASSERT_TRUE(reader.WaitFor("during", "delivered", seconds(30)));
  EXPECT_TRUE(pipeline_->gates_available());
  EXPECT_EQ(provider_->Sends("+821000000050"), 1);
}

}  // namespace
}  // namespace bulkd::dispatcher
