// The Friendtalk provider (shared dealer core + NHN Friendtalk v2.4 wire) against
// bizmsg-sim over loopback: ads delivered exactly once, 3022 (outside 08:00-20:50) a
// failure and never a retry, fallback codes, a 429 storm ending every job once, an
// uncertain drop never resent, broken replies.
#include "providers/http/friendtalk_provider.h"

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
using bulkd::testing::TempDir;

class FriendtalkProviderTest : public bulkd::testing::DealerFixture {
 protected:
  FriendtalkProviderTest() : DealerFixture(core::Channel::kFriendtalk) {}
  FriendtalkConfig Config(const BizmsgSim& sim) {
    FriendtalkConfig c;
    bulkd::testing::UseLoopbackDealer(c.dealer, sim.port());
    c.appkey = "app1";
    c.secret_key = "sim-secret";
    c.sender_key = "sender-profile-1";
    return c;
  }
  void Make(FriendtalkConfig config) {
    provider_obj_ = MakeFriendtalkProvider(io_, std::move(config));
    Attach(*provider_obj_);
  }
  core::Job JobFor(uint64_t i) const override {
    core::Job job;
    job.id = "ad-" + std::to_string(i);
    job.tenant = "shop1";
    job.kind = core::JobKind::kAd;
    job.to = NumberFor(i);
    job.channels = {core::Channel::kFriendtalk, core::Channel::kLms};
    job.text = "주말 특가 안내";
    return job;
  }
  std::unique_ptr<DealerProvider> provider_obj_;
};

TEST_F(FriendtalkProviderTest, AdsAreAcceptedAndDeliveredExactlyOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/ft.tsv";
  BizmsgSim sim({"--result-delay-ms", "50", "--record", record});
  Make(Config(sim));
  SendRange(1, 500);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 500); }));
  RunFor(100ms);
  for (uint64_t i = 1; i <= 500; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector<O>{O::kAccepted, O::kDelivered})) << i;
  }
  EXPECT_EQ(report_count_, 1000u);
  EXPECT_EQ(provider_obj_->stats().requests, 5u) << "one batch for all free-text jobs";
  EXPECT_TRUE(sim.Stop());
  const auto numbers = FirstColumn(record);
  EXPECT_EQ(numbers.size(), 500u);
  EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 500u);
}

TEST_F(FriendtalkProviderTest, OutsideTheSendWindowIsAFailureNotARetry) {
  BizmsgSim sim({"--mix", "3022:100"});
  Make(Config(sim));
  SendRange(1, 10);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
  RunFor(50ms);
  for (uint64_t i = 1; i <= 10; ++i) {
    ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFailed});
    EXPECT_EQ(reports_[i][0].code, "3022");
    EXPECT_EQ(reports_[i][0].detail, "NoSendAvailableTime");
  }
}

TEST_F(FriendtalkProviderTest, FallbackCodesFallBack) {
  BizmsgSim sim({"--mix", "3018:50,3019:50", "--seed", "3"});
  Make(Config(sim));
  SendRange(1, 10);
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 10); }));
  for (uint64_t i = 1; i <= 10; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kFallback});
}

TEST_F(FriendtalkProviderTest, AThrottlingStormEndsEveryJobOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/ft.tsv";
  BizmsgSim sim({"--throttle-percent", "70", "--seed", "8", "--record", record,
                        "--result-delay-ms", "20", "--out-of-order"});
  FriendtalkConfig config = Config(sim);
  config.dealer.batch_size = 20;
  Make(config);
  ResendRetries();
  SendRange(1, 200);
  ASSERT_TRUE(RunUntil([&] { return AllDelivered(1, 200); }, 30s));
  EXPECT_GT(provider_obj_->stats().throttled, 0u);
  EXPECT_TRUE(sim.Stop());
  const auto numbers = FirstColumn(record);
  EXPECT_EQ(numbers.size(), 200u);
  EXPECT_EQ(std::set<std::string>(numbers.begin(), numbers.end()).size(), 200u);
}

TEST_F(FriendtalkProviderTest, UncertainAndBrokenRepliesAreNeverResent) {
  for (const char* fault : {"garbage-2xx", "truncated"}) {
    SCOPED_TRACE(fault);
    reports_.clear();
    TempDir dir;
    const std::string record = dir.path() + "/ft.tsv";
    BizmsgSim sim({"--fault", fault, "--record", record});
    Make(Config(sim));
    SendRange(1, 5);
    ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 5); }));
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_EQ(Outcomes(i), std::vector<O>{O::kUncertain});
    EXPECT_TRUE(sim.Stop());
    EXPECT_EQ(CountLines(record), 5u);
  }
}

TEST_F(FriendtalkProviderTest, JobsWithoutTextFailWithoutARequest) {
  BizmsgSim sim({});
  Make(Config(sim));
  core::Job empty = JobFor(1);
  empty.text.clear();
  core::Job long_text = JobFor(2);
  long_text.text = std::string(1001, 'x');
  core::Job exactly = JobFor(3);
  exactly.text.clear();
  for (int i = 0; i < 1000; ++i) exactly.text += "가";  // 1,000 characters, 3,000 bytes
  ASSERT_TRUE(Send(1, empty, core::Channel::kFriendtalk));
  ASSERT_TRUE(Send(2, long_text, core::Channel::kFriendtalk));
  ASSERT_TRUE(Send(3, exactly, core::Channel::kFriendtalk));
  ASSERT_TRUE(RunUntil([&] { return AllFinal(1, 3); }));
  EXPECT_EQ(reports_[1][0].code, "NO_TEXT");
  EXPECT_EQ(reports_[2][0].code, "TEXT_TOO_LONG");
  EXPECT_EQ(Outcomes(3), (std::vector<O>{O::kAccepted, O::kDelivered}));
}

TEST_F(FriendtalkProviderTest, BadConfigNamesTheKey) {
  FriendtalkConfig config;
  config.appkey = "a/b";
  config.secret_key = "s";
  config.sender_key = "k";
  try {
    MakeFriendtalkProvider(io_, config);
    FAIL() << "accepted a bad appkey";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("friendtalk.appkey"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bulkd::providers::http
