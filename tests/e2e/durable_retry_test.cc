// End to end through the built binaries: retries survive a worker's death. The SMSC
// throttles a third of all submits, so at any moment many jobs wait for their next
// attempt; the worker is killed with SIGKILL and a new one takes over. Every job whose
// retry had been handed over (its last event before the kill was "retrying") must still
// be sent and delivered — kept in memory they would have ended WORKER_LOST — and no
// number may reach the SMSC twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

constexpr int kJobs = 3000;

TEST(DurableRetryEndToEndTest, RetriesHandedOverBeforeAWorkerDiesAreSentByTheNextOne) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(4);
  const std::string& bootstrap = broker.bootstrap();

  const std::string record = dir.path() + "/submits.tsv";
  ChildProcess smsc({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0", "--throttle-percent",
                     "35", "--latency-ms", "5", "--receipt-delay-ms", "100", "--seed", "7",
                     "--record", record});
  auto smsc_line = smsc.WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  ASSERT_TRUE(testing::ProduceSmsJobs(bootstrap, "r", kJobs, "retry test"));

  // A 1,000 msg/s carrier bucket stretches the campaign over seconds, and 40 attempts
  // per channel make a throttled job's chance of running out negligible (0.35^40).
  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file) << "kafka: {brokers: \"" << bootstrap << "\", group_id: retry,"
                             << " properties: {session.timeout.ms: \"6000\","
                             << " heartbeat.interval.ms: \"1000\"}}\n"
                             << "redis: {port: " << redis.port() << "}\n"
                             << "smpp: {port: " << smsc_port
                             << ", window: 64, receipt_timeout_s: 5, response_timeout_ms: 2000,"
                             << " throttle_backoff_ms: 1}\n"
                             << "pipeline: {max_unsent: 256, max_submit_attempts: 40,"
                             << " retry_base_ms: 100, retry_max_ms: 1500}\n"
                             << "ratelimit: {rules: [{scope: carrier, name: \"*\", rate_per_sec: 1000,"
                             << " burst: 100}]}\n"
                             << "admin: {port: 0}\n";
  auto first = std::make_unique<ChildProcess>(
      std::vector<std::string>{BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(first->WaitForLine("admin listening on", std::chrono::seconds(20)));
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::CountLines(record) >= kJobs / 3; },
                                 std::chrono::seconds(60)));
  const int64_t kill_ms = testing::NowEpochMs();
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->WaitForExit(std::chrono::seconds(10)));
  first.reset();

  ChildProcess second({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(second.WaitForLine("admin listening on", std::chrono::seconds(20)));
  auto summary = testing::CampaignSummary(bootstrap, kJobs, std::chrono::seconds(180));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"finished\":" + std::to_string(kJobs) + ","));

  // Each job's history: its last event before the kill, and its terminal event.
  const std::vector<std::string> events =
      testing::ReadTopic(bootstrap, "bulkd.events", kJobs,
                         [](std::string_view event) {
                           return testing::IsTerminalEvent(testing::EventField(event, "event"));
                         },
                         std::chrono::seconds(120));
  if (const char* dump = std::getenv("BULKD_TEST_DUMP_EVENTS")) {
    std::ofstream out(dump);
    out << "kill " << kill_ms << "\n";
    for (const std::string& event : events) out << event << "\n";
  }
  const auto histories = testing::JobHistories(events);
  int handed_over = 0, handed_over_delivered = 0, retried = 0;
  for (const auto& [id, history] : histories) {
    const testing::JobEvent* last_before_kill = nullptr;
    bool delivered = false;
    for (const testing::JobEvent& e : history) {
      retried += e.type == "retrying";  // counts events: >= retried jobs
      if (e.ts < kill_ms) last_before_kill = &e;
      delivered |= e.type == "delivered";
    }
    if (!last_before_kill || last_before_kill->type != "retrying") continue;
    ++handed_over;
    handed_over_delivered += delivered;
  }
  const testing::EndedTwice ended_twice = testing::CountEndedTwice(histories, kill_ms);
  RecordProperty("ended_twice_in_crash_window", ended_twice.in_crash_window);
  EXPECT_EQ(ended_twice.jobs, ended_twice.in_crash_window);
  EXPECT_EQ(testing::SummaryField(*summary, "duplicate_terminal_events"), ended_twice.jobs);
  RecordProperty("handed_over", handed_over);
  EXPECT_GT(retried, kJobs / 4);
  ASSERT_GE(handed_over, 10) << "the kill should find jobs waiting for a retry";
  // A retry whose record was still on its way to Kafka at the kill is lost with the
  // worker (WORKER_LOST); that window is a few milliseconds wide.
  EXPECT_GE(handed_over_delivered * 10, handed_over * 9)
      << handed_over_delivered << " of " << handed_over << " handed-over retries delivered";

  second.Signal(SIGTERM);
  EXPECT_EQ(second.WaitForExit(std::chrono::seconds(40)), 0);
  smsc.Signal(SIGTERM);
  ASSERT_TRUE(smsc.WaitForExit(std::chrono::seconds(10)));
  // No number was accepted at the SMSC twice.
  EXPECT_EQ(testing::NumbersAcceptedTwice({record}), 0);
}

}  // namespace
}  // namespace bulkd
