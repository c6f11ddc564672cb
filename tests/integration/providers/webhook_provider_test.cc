// WebhookProvider against bizmsg-sim's POST /hook over loopback: signed bodies taken
// exactly once, a status storm retried until each job is taken once, 4xx failures,
// dropped connections uncertain (never resent) or replayed when the endpoint dedupes,
// bad replies, and a dead endpoint.
#include "providers/http/webhook_provider.h"

#include <set>

#include "tests/support/bizmsg_sim.h"
#include "tests/support/dealer_fixture.h"
#include "tests/support/e2e.h"

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::BizmsgSim;
using bulkd::testing::CountLines;
using bulkd::testing::FirstColumn;
using bulkd::testing::LoopbackUrl;
using bulkd::testing::TempDir;

class WebhookProviderTest : public bulkd::testing::DealerFixture {
 protected:
  WebhookProviderTest() : DealerFixture(core::Channel::kWebhook) {}
  WebhookConfig Config(const BizmsgSim& sim) {
    WebhookConfig c;
    c.url = LoopbackUrl(sim.port(), "/hook");
    c.secret = "hook-secret";
    c.request_timeout = 3s;
    return c;
  }
  void Make(WebhookConfig config) {
    provider_obj_ = std::make_unique<WebhookProvider>(io_, std::move(config));
    Attach(*provider_obj_);
  }
  core::Job JobFor(uint64_t i) const override {
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
  std::unique_ptr<WebhookProvider> provider_obj_;
};

TEST_F(WebhookProviderTest, SignedJobsAreDeliveredExactlyOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/hook.tsv";
  BizmsgSim sim({"--record", record});
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
  EXPECT_TRUE(sim.Stop());
  const auto keys = FirstColumn(record);
  EXPECT_EQ(keys.size(), 300u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 300u);
  EXPECT_EQ(keys.count("callcentre:cb-1"), 1u) << "idempotency key is tenant:id";
}

TEST_F(WebhookProviderTest, AWrongSecretIsRefusedByTheEndpointAndFails) {
  BizmsgSim sim({});
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
  BizmsgSim sim({"--hook-mix", "200:30,429:30,503:20,408:20", "--seed", "5", "--record", record});
  Make(Config(sim));
  size_t retries = 0;
  ResendRetries([&](const AttemptReport&) { ++retries; });
  SendRange(1, 200);
  ASSERT_TRUE(RunUntil([&] { return AllDelivered(1, 200); }, 30s));
  EXPECT_GT(retries, 100u);
  EXPECT_EQ(provider_obj_->stats().retry, retries);
  EXPECT_TRUE(sim.Stop());
  const auto keys = FirstColumn(record);
  EXPECT_EQ(keys.size(), 200u) << "every job taken exactly once";
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 200u);
}

TEST_F(WebhookProviderTest, OtherClientErrorsFailWithoutRetry) {
  BizmsgSim sim({"--hook-mix", "400:50,404:50", "--seed", "2"});
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
  BizmsgSim sim({"--drop-percent", "100", "--record", record});
  Make(Config(sim));
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
    EXPECT_EQ(reports_[i][0].code, "UNCERTAIN");
  }
  EXPECT_EQ(provider_obj_->stats().uncertain, 20u);
  EXPECT_EQ(provider_obj_->stats().replays, 0u);
  EXPECT_TRUE(sim.Stop());
  EXPECT_EQ(CountLines(record), 20u) << "taken once each, never sent again";
}

TEST_F(WebhookProviderTest, ADroppedAnswerIsReplayedWhenTheEndpointDedupes) {
  TempDir dir;
  const std::string record = dir.path() + "/hook.tsv";
  // Every first answer is lost; the replay meets the dedupe and is answered 200.
  BizmsgSim sim({"--drop-percent", "100", "--hook-dedupe", "--record", record});
  WebhookConfig config = Config(sim);
  config.endpoint_dedupes_idempotency_key = true;
  Make(config);
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kDelivered}) << i;
  EXPECT_EQ(provider_obj_->stats().replays, 20u);
  EXPECT_TRUE(sim.Stop());
  EXPECT_EQ(CountLines(record), 20u) << "the replays were answered, not taken again";
}

TEST_F(WebhookProviderTest, BadRepliesGiveClearOutcomes) {
  {  // A 200 with garbage: the status decides, the body is not read.
    BizmsgSim sim({"--fault", "garbage-2xx"});
    Make(Config(sim));
    SendRange(1, 3);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kDelivered});
  }
  reports_.clear();
  {  // A truncated answer after processing: uncertain.
    BizmsgSim sim({"--fault", "truncated"});
    Make(Config(sim));
    SendRange(1, 3);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
  }
}

TEST_F(WebhookProviderTest, ADeadEndpointIsRetryNotSent) {
  WebhookConfig config;
  config.url = LoopbackUrl(bulkd::testing::FreeTcpPort(), "/hook");  // nothing listens
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
  BizmsgSim sim({});
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
  BizmsgSim sim({});
  Make(Config(sim));
  provider_obj_->Stop();
  EXPECT_FALSE(provider_obj_->ready());
  EXPECT_FALSE(Send(1, JobFor(1), core::Channel::kWebhook));
}

}  // namespace
}  // namespace bulkd::providers::http
