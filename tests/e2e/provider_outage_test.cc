// End to end through the built binaries while the SMSC goes away mid-campaign: every job
// must still end in exactly one terminal event (produced = sum of terminal events), and
// no job may be submitted twice at the simulator.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/support/child_process.h"
#include "tests/support/e2e.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"

namespace bulkd {
namespace {

using testing::BuiltBinary;
using testing::ChildProcess;
using testing::TempDir;

constexpr int kJobs = 6000;

TEST(ProviderOutageEndToEndTest, EveryJobEndsOnceWhenTheSmscRestartsMidCampaign) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(4);
  const std::string& bootstrap = broker.bootstrap();

  // A slow SMSC (20 ms per answer, window 64: about 3,000 messages/s) so the outage
  // lands while messages are in flight.
  const std::string first_record = dir.path() + "/first.tsv";
  auto smsc = std::make_unique<ChildProcess>(std::vector<std::string>{
      BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0", "--receipt-delay-ms", "50",
      "--latency-ms", "20", "--record", first_record});
  auto smsc_line = smsc->WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  ASSERT_TRUE(testing::ProduceSmsJobs(bootstrap, "o", kJobs, "outage test"));

  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << bootstrap << "\", group_id: outage}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << smsc_port
                             << ", window: 64, receipt_timeout_s: 5, response_timeout_ms: 2000}\n"
                             << "admin: {port: 0}\n";
  ChildProcess bulkd({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(bulkd.WaitForLine("admin listening on", std::chrono::seconds(20)));

  // Take the SMSC away once a part of the campaign went through, then bring it back.
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::CountLines(first_record) >= kJobs / 4; },
                                 std::chrono::seconds(60)));
  smsc->Signal(SIGKILL);
  ASSERT_TRUE(smsc->WaitForExit(std::chrono::seconds(10)));
  smsc.reset();
  const std::string second_record = dir.path() + "/second.tsv";
  ChildProcess smsc_again({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", smsc_port,
                           "--receipt-delay-ms", "50", "--record", second_record});
  ASSERT_TRUE(smsc_again.WaitForLine("listening on", std::chrono::seconds(20)));

  auto summary = testing::CampaignSummary(bootstrap, kJobs, std::chrono::seconds(180));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);
  const auto field = [&](const char* name) { return testing::SummaryField(*summary, name); };
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"finished\":" + std::to_string(kJobs) + ","));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"duplicate_terminal_events\":0,"));
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"complete\":true"));
  // The outage was felt: submits in flight ended "failed" (outcome unknown, not resent)
  // and accepted ones whose receipts died with the SMSC ended "undelivered" NO_RECEIPT.
  EXPECT_GT(field("failed") + field("undelivered"), 0) << *summary;
  EXPECT_EQ(field("delivered") + field("failed") + field("undelivered"), kJobs);

  // Nobody got the message twice: across both simulator lives, each number at most once.
  bulkd.Signal(SIGTERM);
  EXPECT_EQ(bulkd.WaitForExit(std::chrono::seconds(40)), 0);
  smsc_again.Signal(SIGTERM);
  ASSERT_TRUE(smsc_again.WaitForExit(std::chrono::seconds(10)));
  EXPECT_EQ(testing::NumbersAcceptedTwice({first_record, second_record}), 0);
  EXPECT_GT(testing::FirstColumn(first_record).size() + testing::FirstColumn(second_record).size(),
            static_cast<size_t>(kJobs / 4));
}

}  // namespace
}  // namespace bulkd
