// End to end through the built binaries: retries that wait in a delay tier while the
// group rebalances. Two workers share a campaign against an SMSC that throttles a share
// of submits, so delay-tier partitions are held (their head record not yet due) most of
// the time. Mid-campaign one worker is killed with SIGKILL and the SMSC restarts at the
// same moment; the worker comes back once the survivor is sending again. The survivor
// goes through revoke and re-assign with held tier partitions: every retry record must
// still be taken again and every job end exactly once (issue 16: 61 of 50,000 jobs kept
// a lone "retrying" event for ever).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <string>

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

constexpr int kJobs = 4000;

std::unique_ptr<ChildProcess> StartSmsc(const std::string& port, const std::string& record) {
  return std::make_unique<ChildProcess>(std::vector<std::string>{
      BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", port, "--throttle-percent", "10",
      "--latency-ms", "2", "--receipt-delay-ms", "50", "--record", record});
}

std::unique_ptr<ChildProcess> StartWorker(const std::string& config_file) {
  auto worker = std::make_unique<ChildProcess>(
      std::vector<std::string>{BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  EXPECT_TRUE(worker->WaitForLine("admin listening on", std::chrono::seconds(20)));
  return worker;
}

TEST(RetryRebalanceEndToEndTest, RetriesWaitingInHeldTiersEndAfterKillRestartAndRejoin) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(8);
  const std::string& bootstrap = broker.bootstrap();

  const std::string record = dir.path() + "/submits.tsv";
  auto smsc = StartSmsc("0", record);
  auto smsc_line = smsc->WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  ASSERT_TRUE(testing::ProduceSmsJobs(bootstrap, "rb", kJobs, "rebalance test"));

  // A 400 msg/s carrier bucket stretches the campaign over ~10 s, so the rebalances land
  // while retries wait in the 1 s tier; 40 attempts per channel make running out of
  // attempts negligible (0.1^40).
  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << bootstrap << "\", group_id: rebalance,"
                             << " properties: {session.timeout.ms: \"6000\","
                             << " heartbeat.interval.ms: \"1000\"}}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << smsc_port
                             << ", window: 64, receipt_timeout_s: 5, response_timeout_ms: 2000,"
                             << " throttle_backoff_ms: 1}\n"
                             << "pipeline: {max_unsent: 256, max_submit_attempts: 40,"
                             << " retry_base_ms: 200, retry_max_ms: 2000}\n"
                             << "ratelimit: {rules: [{scope: carrier, name: \"*\", rate_per_sec: 400,"
                             << " burst: 40}]}\n"
                             << "admin: {port: 0}\n";
  auto survivor = StartWorker(config_file);
  auto victim = StartWorker(config_file);
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::CountLines(record) >= kJobs / 4; },
                                 std::chrono::seconds(90)));

  // The kill and the SMSC restart at the same moment.
  const int64_t kill_ms = testing::NowEpochMs();
  victim->Signal(SIGKILL);
  ASSERT_TRUE(victim->WaitForExit(std::chrono::seconds(10)));
  victim.reset();
  smsc->Signal(SIGTERM);
  ASSERT_TRUE(smsc->WaitForExit(std::chrono::seconds(10)));
  smsc = StartSmsc(smsc_port, record);
  ASSERT_TRUE(smsc->WaitForLine("listening on", std::chrono::seconds(20)));
  // The killed worker comes back once the survivor has rebound and sends again.
  const size_t before_rejoin = testing::CountLines(record);
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::CountLines(record) >= before_rejoin + 200; },
                                 std::chrono::seconds(60)));
  victim = StartWorker(config_file);

  auto summary = testing::CampaignSummary(bootstrap, kJobs, std::chrono::seconds(120));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);

  // Read until every job's terminal event is in, also the second one of a job ended twice
  // in the kill's crash window (tests/support/event_log.h).
  const long ended_twice_in_summary = testing::SummaryField(*summary, "duplicate_terminal_events");
  const std::vector<std::string> events = testing::ReadTopic(
      bootstrap, "bulkd.events", kJobs + static_cast<int>(std::max(0L, ended_twice_in_summary)),
      [](std::string_view e) { return testing::IsTerminalEvent(testing::EventField(e, "event")); },
      std::chrono::seconds(60));
  const auto histories = testing::JobHistories(events);
  int retried = 0, never_ended = 0;
  std::string examples;
  for (const auto& [id, history] : histories) {
    bool ended = false, was_retried = false;
    for (const testing::JobEvent& e : history) {
      ended |= testing::IsTerminalEvent(e.type);
      was_retried |= e.type == "retrying";
    }
    retried += was_retried;
    if (!ended) {
      if (++never_ended <= 5) examples += " " + id + " (last " + history.back().type + ")";
    }
  }
  RecordProperty("retried_jobs", retried);
  EXPECT_GT(retried, kJobs / 20) << "the SMSC should have throttled many jobs";
  EXPECT_EQ(never_ended, 0) << "jobs whose last event is not terminal:" << examples << "\n"
                            << *summary;
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"finished\":" + std::to_string(kJobs) + ","));
  const testing::EndedTwice ended_twice = testing::CountEndedTwice(histories, kill_ms);
  EXPECT_EQ(ended_twice.jobs, ended_twice.in_crash_window);
  EXPECT_EQ(ended_twice.jobs, ended_twice_in_summary) << *summary;

  survivor->Signal(SIGTERM);
  victim->Signal(SIGTERM);
  EXPECT_EQ(survivor->WaitForExit(std::chrono::seconds(40)), 0);
  EXPECT_EQ(victim->WaitForExit(std::chrono::seconds(40)), 0);
  smsc->Signal(SIGTERM);
  ASSERT_TRUE(smsc->WaitForExit(std::chrono::seconds(10)));
  // No number was accepted at the SMSC twice.
  EXPECT_EQ(testing::NumbersAcceptedTwice({record}), 0);
}

}  // namespace
}  // namespace bulkd
