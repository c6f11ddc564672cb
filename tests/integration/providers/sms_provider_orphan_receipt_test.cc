// SmsProvider and receipts that no part of this process waits for: the kAccepted report
// names every part's message id, and a receipt forwarded to another provider's bind of
// the same account (smsc-sim --forward-receipts, as an SMSC does when a bind closes)
// reaches that provider's orphan receipt handler once, under the same id. Real smsc-sim
// over loopback; the io_context runs in the test thread; every wait is a condition with
// a deadline.
#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "providers/smpp/sms_provider.h"
#include "tests/support/child_process.h"
#include "tests/support/smsc_sim.h"

namespace bulkd::providers::smpp {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::SmscSim;
using bulkd::testing::TempDir;

std::string Dest(uint64_t i) { return "+8210" + std::to_string(30000000 + i); }

class OrphanReceiptTest : public ::testing::Test {
 protected:
  SmsProviderConfig Config(uint16_t port, std::string name) {
    SmsProviderConfig c;
    c.name = std::move(name);
    c.client.port = port;
    c.client.window = 32;
    c.client.queue_cap = 4096;
    c.client.response_timeout = 300ms;  // how long an unmatched receipt is kept
    c.client.reconnect_min = 20ms;
    c.client.reconnect_max = 200ms;
    c.default_source_addr = "0215881234";
    return c;
  }

  std::unique_ptr<SmsProvider> Start(SmsProviderConfig config,
                                     std::map<uint64_t, std::vector<AttemptReport>>& reports) {
    auto provider = std::make_unique<SmsProvider>(io_, std::move(config));
    provider->Start([&reports](const AttemptReport& r) { reports[r.cookie].push_back(r); });
    return provider;
  }

  void Send(SmsProvider& provider, uint64_t cookie, const std::string& text) {
    core::Job job;
    job.id = "job-" + std::to_string(cookie);
    job.to = Dest(cookie);
    job.channels = {core::Channel::kSms};
    job.text = text;
    ASSERT_TRUE(provider.Send(cookie, job, core::Channel::kSms));
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(5ms);
    }
    return true;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      boost::asio::make_work_guard(io_)};
};

// A's parts are accepted, A stops before their receipts are due; the SMSC forwards them
// to B's bind, where no part waits for them: B's orphan handler gets exactly A's ids.
TEST_F(OrphanReceiptTest, ReceiptsOfAStoppedProviderReachTheOtherBindsOrphanHandler) {
  // One io thread: the simulator forwards a closed session's receipts within its thread.
  SmscSim sim({"--threads", "1", "--forward-receipts", "--receipt-delay-ms", "2500"});
  std::map<uint64_t, std::vector<AttemptReport>> reports_a, reports_b;
  std::vector<OrphanReceipt> orphans;
  auto a = Start(Config(sim.port(), "smpp-a"), reports_a);
  auto b = std::make_unique<SmsProvider>(io_, Config(sim.port(), "smpp-b"));
  b->SetOrphanReceiptHandler([&](const OrphanReceipt& o) { orphans.push_back(o); });
  b->Start([&](const AttemptReport& r) { reports_b[r.cookie].push_back(r); });
  ASSERT_TRUE(RunUntil([&] { return a->ready() && b->ready(); }, 10s));

  constexpr uint64_t kMessages = 40;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(*a, i, "hello " + std::to_string(i));
  ASSERT_TRUE(RunUntil([&] { return reports_a.size() == kMessages; }, 10s));
  std::multiset<std::string> accepted_ids;
  for (const auto& [cookie, list] : reports_a) {
    ASSERT_EQ(list.size(), 1u) << cookie;
    ASSERT_EQ(list[0].outcome, AttemptOutcome::kAccepted) << cookie;
    ASSERT_EQ(list[0].message_ids.size(), 1u) << cookie;
    EXPECT_FALSE(list[0].message_ids[0].empty());
    accepted_ids.insert(list[0].message_ids[0]);
  }
  // The test's premise: nothing came back to A yet (else the delay is too short here).
  ASSERT_EQ(a->client_stats().receipts, 0u);
  a->Stop();

  ASSERT_TRUE(RunUntil([&] { return orphans.size() >= kMessages; }, 20s))
      << "orphans=" << orphans.size();
  // Settled: every receipt B kept has been handed over, none is still waiting.
  ASSERT_TRUE(RunUntil(
      [&] { return b->stats().orphan_receipts == b->stats().early_receipts; }, 5s));
  ASSERT_EQ(orphans.size(), kMessages);
  std::multiset<std::string> orphan_ids;
  for (const OrphanReceipt& o : orphans) {
    orphan_ids.insert(o.message_id);
    EXPECT_TRUE(o.delivered) << o.message_id;
    EXPECT_EQ(o.code, "DELIVRD") << o.message_id;
  }
  EXPECT_EQ(orphan_ids, accepted_ids);  // the same ids, each once
  EXPECT_EQ(b->stats().orphan_receipts, kMessages);
  EXPECT_EQ(b->stats().early_receipts_matched, 0u);
  EXPECT_TRUE(reports_b.empty());
  EXPECT_EQ(a->stats().orphan_receipts, 0u);
  b->Stop();
}

// Stop() hands over the receipts still kept: no submit_sm_resp can claim them any more.
TEST_F(OrphanReceiptTest, StopHandsKeptReceiptsToTheOrphanHandlerAtOnce) {
  SmscSim sim({"--threads", "1", "--forward-receipts", "--receipt-delay-ms", "2500"});
  std::map<uint64_t, std::vector<AttemptReport>> reports_a, reports_b;
  std::vector<OrphanReceipt> orphans;
  auto a = Start(Config(sim.port(), "smpp-a"), reports_a);
  SmsProviderConfig config_b = Config(sim.port(), "smpp-b");
  config_b.client.response_timeout = 60s;  // would keep them for a minute
  auto b = std::make_unique<SmsProvider>(io_, std::move(config_b));
  b->SetOrphanReceiptHandler([&](const OrphanReceipt& o) { orphans.push_back(o); });
  b->Start([&](const AttemptReport& r) { reports_b[r.cookie].push_back(r); });
  ASSERT_TRUE(RunUntil([&] { return a->ready() && b->ready(); }, 10s));

  constexpr uint64_t kMessages = 5;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(*a, i, "hi");
  ASSERT_TRUE(RunUntil([&] { return reports_a.size() == kMessages; }, 10s));
  ASSERT_EQ(a->client_stats().receipts, 0u);
  a->Stop();
  ASSERT_TRUE(RunUntil([&] { return b->stats().early_receipts == kMessages; }, 20s));
  EXPECT_TRUE(orphans.empty());
  b->Stop();
  EXPECT_EQ(orphans.size(), kMessages);
  EXPECT_EQ(b->stats().orphan_receipts, kMessages);
}

// A three-part message: the kAccepted report lists the SMSC's ids of the parts in order.
TEST_F(OrphanReceiptTest, AcceptedReportListsEveryPartsMessageIdInPartOrder) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--threads", "1", "--record", record});
  std::map<uint64_t, std::vector<AttemptReport>> reports;
  auto provider = Start(Config(sim.port(), "smpp-a"), reports);
  ASSERT_TRUE(RunUntil([&] { return provider->ready(); }, 10s));
  std::string text;
  for (int i = 0; i < 150; ++i) text += "가";  // UCS-2: 67 + 67 + 16
  Send(*provider, 1, text);
  ASSERT_TRUE(RunUntil([&] { return reports[1].size() == 2; }, 10s));  // accepted, delivered
  provider->Stop();
  ASSERT_TRUE(sim.Stop());
  std::vector<std::string> recorded;  // in the order the simulator accepted them
  std::ifstream in(record);
  for (std::string line; std::getline(in, line);) {
    recorded.push_back(line.substr(line.find('\t') + 1));
  }
  ASSERT_EQ(reports[1][0].outcome, AttemptOutcome::kAccepted);
  EXPECT_EQ(reports[1][0].message_ids, recorded);
  EXPECT_EQ(reports[1][1].outcome, AttemptOutcome::kDelivered);
  EXPECT_TRUE(reports[1][1].message_ids.empty());
}

}  // namespace
}  // namespace bulkd::providers::smpp
