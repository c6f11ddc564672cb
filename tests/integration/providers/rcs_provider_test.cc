// The RCS provider (shared dealer core + RCS wire) against bizmsg-sim over loopback:
// exactly once, 412xx fallback, 50201 storms that pause and still end every job once,
// uncertain codes and dropped connections never resent, broken replies, late and
// out-of-order results by poll and by webhook.
#include "providers/http/rcs_provider.h"

#include <map>
#include <set>

#include "providers/http/rcs_result.h"
#include "tests/support/bizmsg_sim.h"
#include "tests/support/dealer_fixture.h"
#include "tests/support/e2e.h"

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::BizmsgSim;
using bulkd::testing::CountLines;
using bulkd::testing::FirstColumn;
using bulkd::testing::ReadLines;
using bulkd::testing::TempDir;

class RcsProviderTest : public bulkd::testing::DealerFixture {
 protected:
  RcsProviderTest() : DealerFixture(core::Channel::kRcs) {}
  RcsConfig Config(const BizmsgSim& sim) {
    RcsConfig c;
    bulkd::testing::UseLoopbackDealer(c.dealer, sim.port());
    c.dealer.throttle_pause = 20ms;
    c.app_key = "rcs-app";
    c.secret_key = "sim-secret";
    c.brand_id = "BR.shop1";
    c.chatbot_id = "15881234";
    c.unsubscribe_number = "0801234567";
    return c;
  }
  void Make(RcsConfig config) {
    provider_obj_ = MakeRcsProvider(io_, std::move(config));
    Attach(*provider_obj_);
  }
  core::Job JobFor(uint64_t i) const override {
    core::Job job;
    job.id = "rcs-" + std::to_string(i);
    job.tenant = "shop1";
    job.to = NumberFor(i);
    job.channels = {core::Channel::kRcs, core::Channel::kSms};
    job.template_code = "SS000001";
    job.vars = {{"name", "홍길동"}, {"order", std::to_string(i)}};
    job.text = "fallback text";
    return job;
  }
  std::unique_ptr<DealerProvider> provider_obj_;
};

TEST_F(RcsProviderTest, JobsAreAcceptedAndDeliveredExactlyOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/rcs.tsv";
  BizmsgSim sim({"--result-delay-ms", "50", "--record", record});
  Make(Config(sim));
  SendRange(1, 500);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 500); }));
  RunFor(100ms);
  for (uint64_t i = 1; i <= 500; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered})) << i;
    EXPECT_EQ(reports_[i][0].code, "0");
    EXPECT_EQ(reports_[i][1].code, "10000");
  }
  EXPECT_EQ(report_count_, 1000u);
  EXPECT_EQ(provider_obj_->stats().requests, 5u);
  EXPECT_EQ(provider_obj_->inflight(), 0u);
  EXPECT_TRUE(sim.Stop());
  const auto numbers = FirstColumn(record);
  EXPECT_EQ(numbers.size(), 500u);
  EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 500u);
  EXPECT_EQ(numbers.count(DealerNumberFor(1)), 1u);
}

TEST_F(RcsProviderTest, NotCapableFallsBackAtSubmitAndAtFinal) {
  {
    BizmsgSim sim({"--rcs-mix", "41201:50,41299:50"});
    Make(Config(sim));
    SendRange(1, 10);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
    for (uint64_t i = 1; i <= 10; ++i) {
      ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFallback});
      EXPECT_EQ(reports_[i][0].detail, "NotRcsCapable");
    }
  }
  reports_.clear();
  {
    BizmsgSim sim({"--rcs-final-mix", "41203:100", "--result-delay-ms", "20"});
    Make(Config(sim));
    SendRange(1, 10);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
    for (uint64_t i = 1; i <= 10; ++i) {
      ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kFallback}));
      EXPECT_EQ(reports_[i][1].code, "41203");
    }
  }
}

TEST_F(RcsProviderTest, ATpsStormPausesAndStillEndsEveryJobOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/rcs.tsv";
  BizmsgSim sim({"--rcs-mix", "0:40,50201:60", "--throttle-percent", "20", "--seed", "9",
                        "--record", record});
  RcsConfig config = Config(sim);
  config.dealer.batch_size = 20;
  Make(config);
  size_t retries = 0, tps = 0;
  ResendRetries([&](const AttemptReport& r) {
    ++retries;
    if (r.code == "50201") ++tps;
  });
  SendRange(1, 300);
  ASSERT_TRUE(RunUntil([&] { return AllDelivered(1, 300); }, 60s));
  EXPECT_GT(tps, 0u);
  EXPECT_GE(provider_obj_->stats().throttled, tps);
  for (uint64_t i = 1; i <= 300; ++i) {
    size_t accepted = 0;
    for (const AttemptReport& r : reports_[i]) accepted += r.outcome == O::kAccepted;
    ASSERT_EQ(accepted, 1u) << i;
  }
  EXPECT_TRUE(sim.Stop());
  const auto numbers = FirstColumn(record);
  EXPECT_EQ(numbers.size(), 300u) << "each taken exactly once";
  EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 300u);
}

TEST_F(RcsProviderTest, EveryCodeMapsThroughTheOneTable) {
  BizmsgSim sim({"--rcs-mix", "0:40,41201:10,50201:5,50000:5,40401:10,50401:10,77777:5,41301:5",
                        "--rcs-final-mix", "10000:70,10001:10,41301:10,50501:10",
                        "--result-delay-ms", "20", "--seed", "4"});
  Make(Config(sim));
  SendRange(1, 400);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 400); }));
  std::map<O, size_t> finals;
  for (uint64_t i = 1; i <= 400; ++i) {
    const auto& rs = reports_[i];
    const AttemptReport& last = rs.back();
    const int code = std::stoi(last.code);
    EXPECT_EQ(last.outcome, RcsOutcome(code, rs.size() == 2 && code != 50401 ? ResultStage::kFinal
                                                                             : ResultStage::kSubmit))
        << code;
    ++finals[last.outcome];
  }
  for (O o : {O::kDelivered, O::kFallback, O::kRetry, O::kFailed, O::kUncertain}) {
    EXPECT_GT(finals[o], 0u) << ToString(o);
  }
}

TEST_F(RcsProviderTest, AFullHttp429StormIsRetryAndCounted) {
  BizmsgSim sim({"--throttle-percent", "100"});
  RcsConfig config = Config(sim);
  config.dealer.batch_size = 5;
  config.dealer.max_connections = 1;
  Make(config);
  SendRange(1, 10);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
  for (uint64_t i = 1; i <= 10; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kRetry});
    EXPECT_EQ(reports_[i][0].code, "HTTP_429");
  }
  EXPECT_EQ(provider_obj_->stats().throttled, 2u);
}

TEST_F(RcsProviderTest, UncertainIsNeverResent) {
  TempDir dir;
  const std::string record = dir.path() + "/rcs.tsv";
  BizmsgSim sim({"--drop-percent", "100", "--record", record});
  Make(Config(sim));
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
  EXPECT_EQ(provider_obj_->stats().replays, 0u);
  EXPECT_TRUE(sim.Stop());
  EXPECT_EQ(CountLines(record), 20u);
}

TEST_F(RcsProviderTest, BrokenRepliesGiveClearOutcomesNeverACrash) {
  struct Case {
    const char* fault;
    O outcome;
    const char* code;
  };
  for (const Case& c : {Case{"garbage-2xx", O::kUncertain, "BAD_REPLY"},
                        Case{"truncated", O::kUncertain, "UNCERTAIN"},
                        Case{"html-5xx", O::kRetry, "HTTP_502"}}) {
    SCOPED_TRACE(c.fault);
    reports_.clear();
    BizmsgSim sim({"--fault", c.fault});
    Make(Config(sim));
    SendRange(1, 5);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
    for (uint64_t i = 1; i <= 5; ++i) {
      ASSERT_EQ(Outcomes(i), std::vector<O>{c.outcome});
      EXPECT_EQ(reports_[i][0].code, c.code);
    }
  }
}

TEST_F(RcsProviderTest, LateAndOutOfOrderResultsEndEachMessageOnce) {
  BizmsgSim sim({"--result-delay-ms", "150", "--out-of-order"});
  RcsConfig config = Config(sim);
  config.dealer.batch_size = 50;
  Make(config);
  SendRange(1, 300);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 300); }));
  RunFor(200ms);
  for (uint64_t i = 1; i <= 300; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered})) << i;
  }
  EXPECT_EQ(provider_obj_->stats().finals, 300u);
}

TEST_F(RcsProviderTest, WebhookResultsInAnyOrderAndTwiceEndEachMessageOnce) {
  // No polls: finals come only through OnResults, in the webhook's JSON, shuffled and
  // repeated. The request id is read from the sim's record file.
  TempDir dir;
  const std::string record = dir.path() + "/rcs.tsv";
  BizmsgSim sim({"--record", record});
  RcsConfig config = Config(sim);
  config.dealer.poll_interval = 0ms;
  Make(config);
  SendRange(1, 3);
  ASSERT_TRUE(RunUntil([&] { return reports_.size() == 3; }));
  const auto lines = ReadLines(record);
  ASSERT_EQ(lines.size(), 3u);
  const std::string id = lines[0].substr(lines[0].find('\t') + 1);
  const std::string body =
      R"({"messages":[{"requestId":")" + id + R"(","recipientSeq":3,"messageStatus":"READ"},)" +
      R"({"requestId":")" + id + R"(","recipientSeq":2,"messageStatus":"FAILED","resultCode":"41201"},)" +
      R"({"requestId":")" + id + R"(","recipientSeq":2,"messageStatus":"FAILED","resultCode":"41201"},)" +
      R"({"requestId":")" + id + R"(","recipientSeq":1,"messageStatus":"SENDING"},)" +
      R"({"requestId":"another","recipientSeq":1,"messageStatus":"DELIVERED"}]})";
  std::vector<FinalResult> results;
  ASSERT_TRUE(ParseRcsWebhookResults(body, results));
  provider_obj_->OnResults(results);
  provider_obj_->OnResults(results);
  EXPECT_EQ(Outcomes(2), (std::vector<O>{O::kAccepted, O::kFallback}));
  EXPECT_EQ(Outcomes(3), (std::vector<O>{O::kAccepted, O::kDelivered}));
  EXPECT_EQ(Outcomes(1), std::vector<O>{O::kAccepted}) << "still sending";
  ASSERT_TRUE(ParseRcsWebhookResults(
      R"({"messages":[{"requestId":")" + id + R"(","recipientSeq":1,"messageStatus":"DELIVERED"}]})",
      results));
  provider_obj_->OnResults(results);
  EXPECT_EQ(Outcomes(1), (std::vector<O>{O::kAccepted, O::kDelivered}));
  EXPECT_EQ(provider_obj_->inflight(), 0u);
  EXPECT_EQ(provider_obj_->stats().finals, 3u);
}

TEST_F(RcsProviderTest, JobsRcsCannotCarryFailWithoutARequest) {
  BizmsgSim sim({});
  RcsConfig config = Config(sim);
  config.unsubscribe_number.clear();
  Make(config);
  core::Job no_template = JobFor(1);
  no_template.template_code.clear();
  core::Job bad_number = JobFor(2);
  bad_number.to = "01012345678";
  core::Job ad = JobFor(3);
  ad.kind = core::JobKind::kAd;
  ASSERT_TRUE(Send(1, no_template, core::Channel::kRcs));
  ASSERT_TRUE(Send(2, bad_number, core::Channel::kRcs));
  ASSERT_TRUE(Send(3, ad, core::Channel::kRcs));
  ASSERT_TRUE(Send(4, JobFor(4), core::Channel::kAlimtalk));
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 4); }));
  EXPECT_EQ(reports_[1][0].code, "NO_TEMPLATE");
  EXPECT_EQ(reports_[2][0].code, "BAD_NUMBER");
  EXPECT_EQ(reports_[3][0].code, "NO_UNSUBSCRIBE");
  EXPECT_EQ(reports_[4][0].code, "CHANNEL");
  EXPECT_EQ(provider_obj_->stats().requests, 0u);
}

TEST_F(RcsProviderTest, BadConfigNamesTheKey) {
  RcsConfig config;
  config.app_key = "a";
  config.secret_key = "s";
  config.brand_id = "b";
  try {
    MakeRcsProvider(io_, config);
    FAIL() << "accepted an empty chatbot_id";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rcs.chatbot_id"), std::string::npos) << e.what();
  }
  config.chatbot_id = "c";
  config.dealer.batch_size = 501;
  try {
    MakeRcsProvider(io_, config);
    FAIL() << "accepted batch_size 501";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rcs.batch_size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bulkd::providers::http
