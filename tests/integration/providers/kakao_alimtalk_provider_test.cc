// AlimtalkProvider against a real bizmsg-sim child process over loopback: the success
// path exactly once, every fallback code, 3005, throttling storms, the dealer killed
// mid-request, Idempotency-Key replays, broken replies, late and out-of-order results.
// The provider's io_context runs in the test thread; every wait has a deadline.
#include "providers/http/alimtalk_provider.h"

#include <map>
#include <set>

#include "providers/http/kakao_result.h"
#include "tests/support/bizmsg_sim.h"
#include "tests/support/dealer_fixture.h"
#include "tests/support/e2e.h"

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::BizmsgSim;
using bulkd::testing::CountLines;
using bulkd::testing::FirstColumn;
using bulkd::testing::TempDir;

class AlimtalkProviderTest : public bulkd::testing::DealerFixture {
 protected:
  AlimtalkProviderTest() : DealerFixture(core::Channel::kAlimtalk, 15s) {}
  AlimtalkConfig Config(uint16_t port) {
    AlimtalkConfig c;
    bulkd::testing::UseLoopbackDealer(c, port);
    c.appkey = "app1";
    c.secret_key = "sim-secret";
    c.sender_key = "sender-profile-1";
    return c;
  }
  void Make(AlimtalkConfig config) {
    provider_ = std::make_unique<AlimtalkProvider>(io_, std::move(config));
    Attach(*provider_);
  }
  core::Job JobFor(uint64_t i) const override {
    core::Job job;
    job.id = "job-" + std::to_string(i);
    job.tenant = "shop1";
    job.to = NumberFor(i);
    job.channels = {core::Channel::kAlimtalk, core::Channel::kLms};
    job.template_code = "order_shipped";
    job.vars = {{"name", "홍길동"}, {"order", std::to_string(i)}};
    job.text = "fallback text";
    return job;
  }

  std::unique_ptr<AlimtalkProvider> provider_;
};

TEST_F(AlimtalkProviderTest, AThousandJobsAreAcceptedAndDeliveredExactlyOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--result-delay-ms", "100", "--record", record});
  Make(Config(sim.port()));
  SendRange(1, 1000);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 1000); }));
  RunFor(150ms);  // any duplicate would show up now
  for (uint64_t i = 1; i <= 1000; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered})) << i;
    EXPECT_EQ(reports_[i][0].code, "1000");
    EXPECT_EQ(reports_[i][1].code, "1000");
  }
  EXPECT_EQ(report_count_, 2000u);
  EXPECT_EQ(provider_->inflight(), 0u);
  EXPECT_EQ(provider_->stats().requests, 10u);
  EXPECT_EQ(provider_->stats().accepted, 1000u);
  EXPECT_EQ(provider_->stats().finals, 1000u);
  EXPECT_GT(provider_->stats().polls, 0u);
  EXPECT_TRUE(sim.Stop());
  const auto numbers = FirstColumn(record);
  EXPECT_EQ(numbers.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 1000u);
  EXPECT_TRUE(numbers.count("01010000001"));
}

TEST_F(AlimtalkProviderTest, EveryFallbackCodeFallsBackAtSubmitAndAtFinal) {
  for (int code : {3018, 3019, 3020, 3021, 3008}) {
    SCOPED_TRACE(code);
    reports_.clear();
    {
      BizmsgSim sim({"--mix", std::to_string(code) + ":100"});
      Make(Config(sim.port()));
      SendRange(1, 5);
      ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
      for (uint64_t i = 1; i <= 5; ++i) {
        ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFallback});
        EXPECT_EQ(reports_[i][0].code, std::to_string(code));
        EXPECT_FALSE(reports_[i][0].detail.empty());
      }
      EXPECT_EQ(provider_->stats().refused, 5u);
    }
    reports_.clear();
    {
      BizmsgSim sim({"--final-mix", std::to_string(code) + ":100", "--result-delay-ms", "20"});
      Make(Config(sim.port()));
      SendRange(1, 5);
      ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
      for (uint64_t i = 1; i <= 5; ++i) {
        ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kFallback}));
        EXPECT_EQ(reports_[i][1].code, std::to_string(code));
      }
    }
  }
}

TEST_F(AlimtalkProviderTest, SentButUncertainIsNeverAFallbackNorARetry) {
  {
    BizmsgSim sim({"--mix", "3005:100"});
    Make(Config(sim.port()));
    SendRange(1, 5);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
    RunFor(100ms);
    for (uint64_t i = 1; i <= 5; ++i) {
      ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kUncertain}));
      EXPECT_EQ(reports_[i][1].code, "3005");
    }
  }
  reports_.clear();
  {
    BizmsgSim sim({"--final-mix", "3005:100", "--result-delay-ms", "20"});
    Make(Config(sim.port()));
    SendRange(1, 5);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
    for (uint64_t i = 1; i <= 5; ++i) {
      ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kUncertain}));
    }
  }
}

TEST_F(AlimtalkProviderTest, AMixOfCodesMapsThroughTheOneTable) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--mix", "1000:40,3018:10,3005:10,2001:10,3015:10,4001:5,9999:5,3022:10",
                 "--final-mix", "1000:80,3019:10,3006:10", "--result-delay-ms", "30",
                 "--seed", "7", "--record", record});
  Make(Config(sim.port()));
  SendRange(1, 1000);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 1000); }));
  RunFor(100ms);
  size_t taken = 0;
  std::map<O, size_t> finals;
  for (uint64_t i = 1; i <= 1000; ++i) {
    const auto& rs = reports_[i];
    ASSERT_FALSE(rs.empty());
    if (rs.front().outcome == O::kAccepted) {
      ++taken;
      ASSERT_EQ(rs.size(), 2u) << i;
      const int code = std::stoi(rs[1].code);
      EXPECT_EQ(rs[1].outcome, KakaoOutcome(code, ResultStage::kFinal)) << code;
    } else {
      ASSERT_EQ(rs.size(), 1u) << i;
      const int code = std::stoi(rs[0].code);
      EXPECT_EQ(rs[0].outcome, KakaoOutcome(code, ResultStage::kSubmit)) << code;
      EXPECT_NE(code, 1000);
      EXPECT_NE(code, 3005);
    }
    ++finals[rs.back().outcome];
  }
  EXPECT_GT(finals[O::kDelivered], 0u);
  EXPECT_GT(finals[O::kFallback], 0u);
  EXPECT_GT(finals[O::kRetry], 0u);
  EXPECT_GT(finals[O::kFailed], 0u);
  EXPECT_GT(finals[O::kUncertain], 0u);
  EXPECT_TRUE(sim.Stop());
  EXPECT_EQ(CountLines(record), taken) << "every 1000 and 3005 recorded, nothing else";
}

TEST_F(AlimtalkProviderTest, AThrottlingStormIsRetriedUntilEveryJobIsSentOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--throttle-percent", "70", "--record", record, "--seed", "3"});
  AlimtalkConfig config = Config(sim.port());
  config.batch_size = 20;
  Make(config);
  size_t retries = 0;
  ResendRetries([&](const AttemptReport& r) {
    EXPECT_EQ(r.code, "HTTP_429");
    ++retries;
  });
  SendRange(1, 300);
  ASSERT_TRUE(RunUntil([&] { return AllDelivered(1, 300); }, 30s));
  EXPECT_GT(retries, 0u);
  EXPECT_GT(provider_->stats().throttled, 0u);
  EXPECT_TRUE(sim.Stop());
  const auto numbers = FirstColumn(record);
  EXPECT_EQ(numbers.size(), 300u);
  EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 300u);
}

TEST_F(AlimtalkProviderTest, AFullStormReportsRetryAndHonoursRetryAfter) {
  BizmsgSim sim({"--throttle-percent", "100", "--retry-after-s", "1"});
  AlimtalkConfig config = Config(sim.port());
  config.batch_size = 5;
  config.max_connections = 1;
  Make(config);
  SendRange(1, 10);  // two requests: the second waits out the pause
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  for (uint64_t i = 1; i <= 10; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kRetry});
    EXPECT_EQ(reports_[i][0].code, "HTTP_429");
  }
  EXPECT_EQ(provider_->stats().throttled, 2u);
  EXPECT_TRUE(provider_->ready()) << "a 429 pause does not make the provider unready";
}

TEST_F(AlimtalkProviderTest, DealerKilledMidRequestIsUncertainAndTheNextSendIsNotSent) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--latency-ms", "5000", "--record", record});
  Make(Config(sim.port()));
  SendRange(1, 10);
  // The sim processes (and records) before its latency: wait until it has the request.
  ASSERT_TRUE(RunUntil([&] { return CountLines(record) == 10; }));
  sim.Kill();
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
  for (uint64_t i = 1; i <= 10; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain}) << "it may have been sent: no resend";
    EXPECT_EQ(reports_[i][0].code, "UNCERTAIN");
  }
  EXPECT_EQ(provider_->stats().uncertain, 10u);
  // Nothing listens now: the request certainly did not go, so it may be retried.
  SendRange(11, 3);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(11, 3); }));
  for (uint64_t i = 11; i <= 13; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kRetry});
    EXPECT_EQ(reports_[i][0].code, "NOT_SENT");
  }
  EXPECT_FALSE(provider_->ready());
}

TEST_F(AlimtalkProviderTest, ReadinessComesBackWhenTheDealerDoes) {
  const uint16_t port = bulkd::testing::FreeTcpPort();  // no dealer there yet
  Make(Config(port));
  EXPECT_TRUE(provider_->ready());
  SendRange(1, 2);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 2); }));
  EXPECT_EQ(Outcomes(1), std::vector<O>{O::kRetry});
  EXPECT_FALSE(provider_->ready());
  BizmsgSim again({"--port", std::to_string(port)});  // the same address, back up
  ASSERT_TRUE(RunUntil([&] { return provider_->ready(); }, 10s))
      << "a probe finds the dealer even with no sends routed here";
  SendRange(3, 2);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(3, 2); }));
  EXPECT_EQ(Outcomes(3), (std::vector<O>{O::kAccepted, O::kDelivered}));
}

TEST_F(AlimtalkProviderTest, ADroppedReplyIsReplayedWithTheSameKeyWhenTheDealerDedupes) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--drop-percent", "100", "--record", record, "--result-delay-ms", "20"});
  AlimtalkConfig config = Config(sim.port());
  config.dealer_dedupes_idempotency_key = true;
  config.batch_size = 25;
  Make(config);
  SendRange(1, 50);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 50); }));
  for (uint64_t i = 1; i <= 50; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered})) << i;
  }
  EXPECT_EQ(provider_->stats().replays, 2u);
  EXPECT_TRUE(sim.Stop());
  EXPECT_EQ(CountLines(record), 50u) << "the replay was answered, not sent again";
}

TEST_F(AlimtalkProviderTest, ADroppedReplyIsUncertainWhenTheDealerMayNotDedupe) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  BizmsgSim sim({"--drop-percent", "100", "--record", record});
  Make(Config(sim.port()));
  SendRange(1, 20);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 20); }));
  for (uint64_t i = 1; i <= 20; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
  EXPECT_EQ(provider_->stats().replays, 0u);
  EXPECT_TRUE(sim.Stop());
  EXPECT_EQ(CountLines(record), 20u);
}

TEST_F(AlimtalkProviderTest, BrokenRepliesAreUncertainRetryOrIgnoredNeverACrash) {
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
    Make(Config(sim.port()));
    SendRange(1, 5);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
    for (uint64_t i = 1; i <= 5; ++i) {
      ASSERT_EQ(Outcomes(i), std::vector<O>{c.outcome});
      EXPECT_EQ(reports_[i][0].code, c.code);
    }
  }
  {  // The reply leaves the last recipient out: that one is uncertain, the rest go on.
    reports_.clear();
    BizmsgSim sim({"--fault", "missing-results"});
    AlimtalkConfig config = Config(sim.port());
    config.batch_size = 5;
    Make(config);
    SendRange(1, 5);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
    for (uint64_t i = 1; i <= 4; ++i) ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered}));
    ASSERT_EQ(Outcomes(5), std::vector<O>{O::kUncertain});
    EXPECT_EQ(reports_[5][0].code, "MISSING_RESULT");
  }
  {  // Polls answered with garbage: counted, and nothing is reported until they heal.
    reports_.clear();
    BizmsgSim sim({"--fault", "bad-poll"});
    Make(Config(sim.port()));
    SendRange(1, 3);
    ASSERT_TRUE(RunUntil([&] { return provider_->stats().poll_errors >= 3; }));
    for (uint64_t i = 1; i <= 3; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kAccepted});
    EXPECT_EQ(provider_->inflight(), 3u);
  }
}

TEST_F(AlimtalkProviderTest, LateAndOutOfOrderResultsEachEndOneMessage) {
  BizmsgSim sim({"--result-delay-ms", "150", "--out-of-order"});
  AlimtalkConfig config = Config(sim.port());
  config.batch_size = 50;
  Make(config);
  SendRange(1, 500);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 500); }));
  RunFor(200ms);
  for (uint64_t i = 1; i <= 500; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered})) << i;
  }
  EXPECT_EQ(provider_->stats().finals, 500u);
}

TEST_F(AlimtalkProviderTest, AWrongSecretFailsEveryJobWithTheStatus) {
  BizmsgSim sim({});
  AlimtalkConfig config = Config(sim.port());
  config.secret_key = "not-the-secret";
  Make(config);
  SendRange(1, 3);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFailed});
    EXPECT_EQ(reports_[i][0].code, "HTTP_401");
  }
}

TEST_F(AlimtalkProviderTest, JobsAlimtalkCannotCarryFailWithoutARequest) {
  BizmsgSim sim({});
  Make(Config(sim.port()));
  core::Job no_template = JobFor(1);
  no_template.template_code.clear();
  core::Job bad_number = JobFor(2);
  bad_number.to = "01012345678";
  core::Job many_vars = JobFor(3);
  for (int v = 0; v < 41; ++v) many_vars.vars.emplace_back(std::string(1, 'v').append(std::to_string(v)), "x");
  ASSERT_TRUE(Send(1, no_template));
  ASSERT_TRUE(Send(2, bad_number));
  ASSERT_TRUE(Send(3, many_vars));
  ASSERT_TRUE(Send(4, JobFor(4), core::Channel::kSms));
  EXPECT_TRUE(reports_.empty()) << "reports are posted, never inline";
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 4); }));
  EXPECT_EQ(reports_[1][0].code, "NO_TEMPLATE");
  EXPECT_EQ(reports_[2][0].code, "BAD_NUMBER");
  EXPECT_EQ(reports_[3][0].code, "TOO_MANY_VARS");
  EXPECT_EQ(reports_[4][0].code, "CHANNEL");
  for (uint64_t i = 1; i <= 4; ++i) EXPECT_EQ(Outcomes(i), std::vector<O>{O::kFailed});
  EXPECT_EQ(provider_->stats().requests, 0u);
}

TEST_F(AlimtalkProviderTest, StopReportsUnsentJobsRetryAndRefusesNewOnes) {
  BizmsgSim sim({});
  AlimtalkConfig config = Config(sim.port());
  config.linger = 10s;
  Make(config);
  SendRange(1, 5);
  provider_->Stop();
  EXPECT_FALSE(provider_->ready());
  EXPECT_FALSE(Send(6, JobFor(6)));
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kRetry});
    EXPECT_EQ(reports_[i][0].code, "STOPPED");
  }
}

TEST_F(AlimtalkProviderTest, SendRefusesAboveMaxPending) {
  BizmsgSim sim({});
  AlimtalkConfig config = Config(sim.port());
  config.linger = 10s;
  config.batch_size = 1000;
  config.max_pending = 3;
  Make(config);
  SendRange(1, 3);
  EXPECT_FALSE(Send(4, JobFor(4)));
  EXPECT_EQ(provider_->inflight(), 3u);
}

TEST_F(AlimtalkProviderTest, BadConfigNamesTheKey) {
  AlimtalkConfig config = Config(1);
  config.batch_size = 1001;
  try {
    AlimtalkProvider p(io_, config);
    FAIL() << "accepted batch_size 1001";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alimtalk.batch_size"), std::string::npos) << e.what();
  }
  config = Config(1);
  config.base_url = "ftp://x";
  EXPECT_THROW(AlimtalkProvider(io_, config), std::invalid_argument);
  config = Config(1);
  config.appkey = "a/b";
  EXPECT_THROW(AlimtalkProvider(io_, config), std::invalid_argument);
  config = Config(1);
  config.secret_key.clear();
  EXPECT_THROW(AlimtalkProvider(io_, config), std::invalid_argument);
}

}  // namespace
}  // namespace bulkd::providers::http
