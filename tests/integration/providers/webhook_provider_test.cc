// WebhookProvider against bizmsg-sim's POST /hook over loopback: signed bodies taken
// exactly once, a status storm retried until each job is taken once, 4xx failures,
// dropped connections uncertain (never resent) or replayed when the endpoint dedupes,
// bad replies, and a dead endpoint.
#include "providers/http/webhook_provider.h"

#include <boost/asio/post.hpp>

#include "tests/integration/providers/http_sim.h"

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::TempDir;
using testing::BizmsgSimProcess;
using testing::FirstColumn;
using testing::ReadLines;

class WebhookProviderTest : public testing::ProviderHarness {
 protected:
  WebhookConfig Config(const BizmsgSimProcess& sim) {
    WebhookConfig c;
    c.url = sim.url("/hook");
    c.secret = "hook-secret";
    c.request_timeout = 3s;
    return c;
  }
  void Make(WebhookConfig config) {
    provider_obj_ = std::make_unique<WebhookProvider>(io_, std::move(config));
    Attach(*provider_obj_);
  }
  static core::Job JobFor(uint64_t i) {
    core::Job job;
    job.id = "cb-" + std::to_string(i);
    job.tenant = "callcentre";
    job.campaign = "c1";
    job.to = NumberFor(i);
    job.channels = {core::Channel::kWebhook};
    job.template_code = "callback_request";
    job.vars = {{"name", "홍길동"}};
    job.text = "call me back";
    return job;
  }
  void SendRange(uint64_t first, uint64_t count) {
    for (uint64_t i = first; i < first + count; ++i) {
      ASSERT_TRUE(Send(i, JobFor(i), core::Channel::kWebhook));
    }
  }
  std::unique_ptr<WebhookProvider> provider_obj_;
};

TEST_F(WebhookProviderTest, SignedJobsAreDeliveredExactlyOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/hook.tsv";
  BizmsgSimProcess sim({"--record", record});
  Make(Config(sim));
  SendRange(1, 300);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 300); }));
  RunFor(50ms);
  for (uint64_t i = 1; i <= 300; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kDelivered}) << i;
    EXPECT_EQ(reports_[i][0].code, "HTTP_200");
  }
  EXPECT_EQ(provider_obj_->inflight(), 0u);
  EXPECT_EQ(provider_obj_->stats().delivered, 300u);
  sim.Stop();
  const auto keys = FirstColumn(ReadLines(record));
  EXPECT_EQ(keys.size(), 300u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 300u);
  EXPECT_EQ(keys.count("callcentre:cb-1"), 1u) << "idempotency key is tenant:id";
}

TEST_F(WebhookProviderTest, AWrongSecretIsRefusedByTheEndpointAndFails) {
  BizmsgSimProcess sim({});
  WebhookConfig config = Config(sim);
  config.secret = "not-the-secret";
  Make(config);
  SendRange(1, 3);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFailed});
    EXPECT_EQ(reports_[i][0].code, "HTTP_401");
  }
  EXPECT_EQ(provider_obj_->stats().failed, 3u);
}

TEST_F(WebhookProviderTest, AStatusStormIsRetriedUntilEveryJobIsTakenOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/hook.tsv";
  BizmsgSimProcess sim({"--hook-mix", "200:30,429:30,503:20,408:20", "--seed", "5", "--record", record});
  Make(Config(sim));
  size_t retries = 0;
  on_report_ = [&](const AttemptReport& r) {
    if (r.outcome != O::kRetry) return;
    ++retries;
    boost::asio::post(io_, [this, cookie = r.cookie] {
      ASSERT_TRUE(Send(cookie, JobFor(cookie), core::Channel::kWebhook));
    });
  };
  SendRange(1, 200);
  ASSERT_TRUE(RunUntil([&] {
    for (uint64_t i = 1; i <= 200; ++i) {
      if (reports_[i].empty() || reports_[i].back().outcome != O::kDelivered) return false;
    }
    return true;
  }, 30s));
  EXPECT_GT(retries, 100u);
  EXPECT_EQ(provider_obj_->stats().retry, retries);
  sim.Stop();
  const auto keys = FirstColumn(ReadLines(record));
  EXPECT_EQ(keys.size(), 200u) << "every job taken exactly once";
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 200u);
}

TEST_F(WebhookProviderTest, OtherClientErrorsFailWithoutRetry) {
  BizmsgSimProcess sim({"--hook-mix", "400:50,404:50", "--seed", "2"});
  Make(Config(sim));
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFailed});
    EXPECT_TRUE(reports_[i][0].code == "HTTP_400" || reports_[i][0].code == "HTTP_404");
  }
}

TEST_F(WebhookProviderTest, ADroppedAnswerIsUncertainAndNeverResent) {
  TempDir dir;
  const std::string record = dir.path() + "/hook.tsv";
  BizmsgSimProcess sim({"--drop-percent", "100", "--record", record});
  Make(Config(sim));
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
    EXPECT_EQ(reports_[i][0].code, "UNCERTAIN");
  }
  EXPECT_EQ(provider_obj_->stats().uncertain, 20u);
  EXPECT_EQ(provider_obj_->stats().replays, 0u);
  sim.Stop();
  EXPECT_EQ(ReadLines(record).size(), 20u) << "taken once each, never sent again";
}

TEST_F(WebhookProviderTest, ADroppedAnswerIsReplayedWhenTheEndpointDedupes) {
  TempDir dir;
  const std::string record = dir.path() + "/hook.tsv";
  // Every first answer is lost; the replay meets the dedupe and is answered 200.
  BizmsgSimProcess sim({"--drop-percent", "100", "--hook-dedupe", "--record", record});
  WebhookConfig config = Config(sim);
  config.endpoint_dedupes_idempotency_key = true;
  Make(config);
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kDelivered}) << i;
  EXPECT_EQ(provider_obj_->stats().replays, 20u);
  sim.Stop();
  EXPECT_EQ(ReadLines(record).size(), 20u) << "the replays were answered, not taken again";
}

TEST_F(WebhookProviderTest, BadRepliesGiveClearOutcomes) {
  {  // A 200 with garbage: the status decides, the body is not read.
    BizmsgSimProcess sim({"--fault", "garbage-2xx"});
    Make(Config(sim));
    SendRange(1, 3);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kDelivered});
  }
  reports_.clear();
  {  // A truncated answer after processing: uncertain.
    BizmsgSimProcess sim({"--fault", "truncated"});
    Make(Config(sim));
    SendRange(1, 3);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
  }
}

TEST_F(WebhookProviderTest, ADeadEndpointIsRetryNotSent) {
  uint16_t port;
  {
    BizmsgSimProcess gone({});
    port = gone.port();
    gone.Kill();
  }
  WebhookConfig config;
  config.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  config.secret = "s";
  Make(config);
  SendRange(1, 5);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kRetry});
    EXPECT_EQ(reports_[i][0].code, "NOT_SENT");
  }
  EXPECT_EQ(provider_obj_->stats().not_sent, 5u);
}

TEST_F(WebhookProviderTest, OtherChannelsFailAndBadConfigNamesTheKey) {
  BizmsgSimProcess sim({});
  Make(Config(sim));
  ASSERT_TRUE(Send(1, JobFor(1), core::Channel::kSms));
  EXPECT_TRUE(reports_.empty()) << "reports are posted, never inline";
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 1); }));
  EXPECT_EQ(reports_[1][0].code, "CHANNEL");
  WebhookConfig bad = Config(sim);
  bad.secret.clear();
  try {
    WebhookProvider p(io_, bad);
    FAIL() << "accepted an empty secret";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("webhook.secret"), std::string::npos);
  }
  bad = Config(sim);
  bad.url = "ftp://x";
  EXPECT_THROW(WebhookProvider(io_, bad), std::invalid_argument);
}

TEST_F(WebhookProviderTest, StopRefusesNewJobs) {
  BizmsgSimProcess sim({});
  Make(Config(sim));
  provider_obj_->Stop();
  EXPECT_FALSE(provider_obj_->ready());
  EXPECT_FALSE(Send(1, JobFor(1), core::Channel::kWebhook));
}

}  // namespace
}  // namespace bulkd::providers::http
