// End to end through the built binaries, with pipeline.receipt_map on: a worker is
// killed while hundreds of its messages are accepted by the SMSC and their receipts are
// still due. The SMSC forwards those receipts to the binds that remain (the next
// worker's), which record them in Redis against the jobs; the next worker adopts the dead
// worker's accepted jobs from the in-flight ledger and ends them with their receipt —
// delivered, not WORKER_LOST — and never sends them again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>

#include "tests/support/child_process.h"
#include "tests/support/e2e.h"
#include "tests/support/event_log.h"
#include "tests/support/kafka_reader.h"
#include "tests/support/raw_http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/smsc_sim.h"

namespace bulkd {
namespace {

using testing::BuiltBinary;
using testing::ChildProcess;
using testing::TempDir;

constexpr int kJobs = 1500;

TEST(ReceiptMapEndToEndTest, AKilledWorkersAcceptedJobsEndWithTheirReceiptOnTheNextWorker) {
  TempDir dir;
  testing::RedisServer redis;
  testing::DevBroker broker(4);
  const std::string& bootstrap = broker.bootstrap();

  // Receipts 4 s after acceptance, kept and forwarded when their session closes.
  const std::string record = dir.path() + "/submits.tsv";
  ChildProcess smsc({BuiltBinary("tools/smsc_sim/smsc-sim"), "--port", "0", "--receipt-delay-ms",
                     "4000", "--latency-ms", "2", "--forward-receipts", "--record", record});
  auto smsc_line = smsc.WaitForLine("listening on", std::chrono::seconds(20));
  ASSERT_TRUE(smsc_line);
  const std::string smsc_port = testing::TextAfter(*smsc_line, "127.0.0.1:");

  ASSERT_TRUE(testing::ProduceSmsJobs(bootstrap, "m", kJobs, "receipt map test"));

  // 300 msg/s: the kill after 600 accepted lands while all of them await their receipt.
  const std::string config_file = dir.path() + "/bulkd.yaml";
  std::ofstream(config_file)
      << "kafka: {brokers: \"" << bootstrap << "\", group_id: map,"
      << " properties: {session.timeout.ms: \"6000\", heartbeat.interval.ms: \"1000\"}}\n"
      << "redis: {port: " << redis.port() << "}\n"
      << "smpp: {port: " << smsc_port << ", window: 64, receipt_timeout_s: 30,"
      << " response_timeout_ms: 1000}\n"
      << "pipeline: {max_unsent: 256, receipt_map: true}\n"
      << "ratelimit: {rules: [{scope: carrier, name: \"*\", rate_per_sec: 300, burst: 30}]}\n"
      << "admin: {port: 0}\n";
  auto first = std::make_unique<ChildProcess>(
      std::vector<std::string>{BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  ASSERT_TRUE(first->WaitForLine("admin listening on", std::chrono::seconds(20)));
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::CountLines(record) >= 600; },
                                 std::chrono::seconds(60)));
  const int64_t kill_ms = testing::NowEpochMs();
  first->Signal(SIGKILL);
  ASSERT_TRUE(first->WaitForExit(std::chrono::seconds(10)));
  first.reset();

  ChildProcess second({BuiltBinary("dispatcher/bulkd"), "--config", config_file});
  const auto admin_line = second.WaitForLine("admin listening on", std::chrono::seconds(20));
  ASSERT_TRUE(admin_line);
  const auto admin_port =
      static_cast<uint16_t>(std::stoi(testing::TextAfter(*admin_line, "127.0.0.1:")));
  auto summary = testing::CampaignSummary(bootstrap, kJobs, std::chrono::seconds(180));
  ASSERT_TRUE(summary);
  RecordProperty("summary", *summary);
  EXPECT_THAT(*summary, ::testing::HasSubstr("\"finished\":" + std::to_string(kJobs) + ","));

  const std::vector<std::string> events = testing::ReadTopic(
      bootstrap, "bulkd.events", kJobs,
      [](std::string_view e) { return testing::IsTerminalEvent(testing::EventField(e, "event")); },
      std::chrono::seconds(120));
  const auto histories = testing::JobHistories(events);
  int awaiting_receipt = 0, awaiting_receipt_delivered = 0, worker_lost = 0;
  for (const auto& [id, history] : histories) {
    const testing::JobEvent* last_before_kill = nullptr;
    bool delivered = false;
    for (const testing::JobEvent& e : history) {
      if (e.ts < kill_ms) last_before_kill = &e;
      delivered |= e.type == "delivered";
      worker_lost += e.code == "WORKER_LOST";
    }
    if (!last_before_kill || last_before_kill->type != "submitted") continue;
    ++awaiting_receipt;
    awaiting_receipt_delivered += delivered;
  }
  RecordProperty("awaiting_receipt_at_kill", awaiting_receipt);
  RecordProperty("worker_lost", worker_lost);
  ASSERT_GE(awaiting_receipt, 300) << "the kill should find accepted jobs awaiting receipts";
  // Accepted in the last milliseconds before the kill, a job's id may not have reached
  // Redis (or its ledger mark): it ends WORKER_LOST or NO_RECEIPT. Everything else is
  // delivered with its receipt.
  EXPECT_GE(awaiting_receipt_delivered * 100, awaiting_receipt * 95)
      << awaiting_receipt_delivered << " of " << awaiting_receipt << " delivered";
  const testing::EndedTwice ended_twice = testing::CountEndedTwice(histories, kill_ms);
  EXPECT_EQ(ended_twice.jobs, ended_twice.in_crash_window);

  // The second worker's metrics show the receipts it matched for the first.
  const auto metrics = testing::RawHttpGet(admin_port, "/metrics");
  ASSERT_TRUE(metrics);
  const auto counter = [&](const std::string& result) {
    const std::string series = "bulkd_receipt_map_total{result=\"" + result + "\"} ";
    const auto at = metrics->body.find(series);
    return at == std::string::npos ? -1.0 : std::stod(metrics->body.substr(at + series.size()));
  };
  EXPECT_GE(counter("orphan_matched"), awaiting_receipt_delivered * 0.9);
  EXPECT_GE(counter("adopted_receipt"), awaiting_receipt_delivered * 0.9);

  second.Signal(SIGTERM);
  EXPECT_EQ(second.WaitForExit(std::chrono::seconds(40)), 0);
  smsc.Signal(SIGTERM);
  ASSERT_TRUE(smsc.WaitForExit(std::chrono::seconds(10)));
  EXPECT_EQ(testing::NumbersAcceptedTwice({record}), 0);
  EXPECT_GT(testing::FirstColumn(record).size(), 600u);
}

}  // namespace
}  // namespace bulkd
