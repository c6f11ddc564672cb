// End to end through the built binaries: a worker killed with SIGKILL mid-campaign and a
// new worker taking over. Every job must still end in exactly one terminal event
// (produced = sum of terminal events) and no number may be submitted twice at the SMSC:
// the in-flight ledger lets the new worker end the dead worker's unfinished jobs
// (WORKER_LOST) instead of dropping their replays as duplicates. (A job ended in the last
// milliseconds before the kill may end twice: tests/support/event_log.h.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>

#include "tests/support/audit.h"
#include "tests/support/child_process.h"
#include "tests/support/e2e.h"
#include "tests/support/event_log.h"
#include "tests/support/kafka_reader.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"

namespace bulkd {
namespace {

using testing::BuiltBinary;
using testing::ChildProcess;
using testing::TempDir;

constexpr int kJobs = 6000;

TEST(WorkerCrashEndToEndTest, EveryJobEndsOnceWhenAWorkerIsKilledMidCampaign) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(4);
  const std::string& bootstrap = broker.bootstrap();

  // A slow SMSC (20 ms per answer, receipts after 300 ms) keeps many jobs in flight, so
  // the kill lands on submitted, accepted and not yet sent jobs alike.
  const std::string record = dir.path() + "/submits.tsv";
  ChildProcess smsc({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0", "--receipt-delay-ms",
                     "300", "--latency-ms", "20", "--record", record});
  auto smsc_line = smsc.WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  ASSERT_TRUE(testing::ProduceSmsJobs(bootstrap, "c", kJobs, "crash test"));

  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << bootstrap << "\", group_id: crash,"
                             << " properties: {session.timeout.ms: \"6000\","
                             << " heartbeat.interval.ms: \"1000\"}}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << smsc_port
                             << ", window: 64, receipt_timeout_s: 5, response_timeout_ms: 2000}\n"
                             << "pipeline: {max_unsent: 256}\n"
                             << "admin: {port: 0}\n";
  auto first = std::make_unique<ChildProcess>(
      std::vector<std::string>{BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(first->WaitForLine("admin listening on", std::chrono::seconds(20)));
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::CountLines(record) >= kJobs / 4; },
                                 std::chrono::seconds(60)));
  const int64_t kill_ms = testing::NowEpochMs();
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->WaitForExit(std::chrono::seconds(10)));
  first.reset();
  const size_t sent_by_first = testing::CountLines(record);

  ChildProcess second({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(second.WaitForLine("admin listening on", std::chrono::seconds(20)));
  auto summary = testing::CampaignSummary(bootstrap, kJobs, std::chrono::seconds(180));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);
  const auto field = [&](const char* name) { return testing::SummaryField(*summary, name); };
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"finished\":" + std::to_string(kJobs) + ","));
  // A job may end twice only in the crash window: ended by the first worker milliseconds
  // before the kill, and WORKER_LOST by the second (see tests/support/event_log.h).
  const auto events = testing::ReadTopic(
      bootstrap, "bulkd.events", kJobs,
      [](std::string_view e) { return testing::IsTerminalEvent(testing::EventField(e, "event")); },
      std::chrono::seconds(120));
  const testing::EndedTwice ended_twice =
      testing::CountEndedTwice(testing::JobHistories(events), kill_ms);
  RecordProperty("ended_twice_in_crash_window", ended_twice.in_crash_window);
  EXPECT_EQ(ended_twice.jobs, ended_twice.in_crash_window);
  EXPECT_EQ(field("duplicate_terminal_events"), ended_twice.jobs);
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"complete\":true"));
  // The jobs the first worker held when it died ended "failed" (WORKER_LOST), not lost.
  EXPECT_GT(field("failed"), 0) << *summary;
  EXPECT_EQ(field("delivered") + field("failed") + field("undelivered"), kJobs);

  second.Signal(SIGTERM);
  EXPECT_EQ(second.WaitForExit(std::chrono::seconds(40)), 0);
  smsc.Signal(SIGTERM);
  ASSERT_TRUE(smsc.WaitForExit(std::chrono::seconds(10)));
  // Nobody got the message twice, and the second worker did send the rest.
  EXPECT_EQ(testing::NumbersAcceptedTwice({record}), 0);
  EXPECT_GT(testing::CountLines(record), sent_by_first);

  // The accounting audit agrees: every job of the campaign (its jobs have no campaign
  // field) ended, none is missing, only the crash window ended twice, no number twice.
  const tools::AuditReport audit = testing::AuditCampaign(bootstrap, "", record);
  RecordProperty("audit", tools::AuditJson(audit));
  EXPECT_EQ(audit.jobs, static_cast<uint64_t>(kJobs));
  EXPECT_EQ(audit.missing, 0u) << tools::AuditTable(audit);
  EXPECT_EQ(audit.waiting.jobs, 0u);
  EXPECT_EQ(audit.ended_more_than_once, static_cast<uint64_t>(ended_twice.jobs));
  EXPECT_EQ(audit.ended_once + audit.ended_more_than_once, static_cast<uint64_t>(kJobs));
  EXPECT_EQ(audit.numbers_accepted_twice, 0u);
}

}  // namespace
}  // namespace bulkd
