// The SMPP client against a real smsc-sim child process over loopback TCP. The io_context
// runs in the test thread; every wait is a condition with a deadline.
#include "providers/smpp/client.h"

#include <signal.h>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/smsc_sim.h"

namespace bulkd::providers::smpp {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::BuiltBinary;
using bulkd::testing::ChildProcess;
using bulkd::testing::TempDir;

using bulkd::testing::SmscSim;

std::vector<std::pair<std::string, std::string>> ReadRecord(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    rows.emplace_back(line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1));
  }
  return rows;
}

std::string Dest(uint64_t i) {
  std::string digits = std::to_string(10000000 + i);
  return "8210" + digits.substr(digits.size() - 8);
}

// Drives one Client and keeps what the handlers saw.
class SmppClientTest : public ::testing::Test {
 protected:
  struct Result {
    int count = 0;
    std::error_code error;
    uint32_t status = 0;
    StatusClass status_class = StatusClass::kOk;
    std::string message_id;
  };

  ClientConfig Config(uint16_t port) {
    ClientConfig c;
    c.port = port;
    c.system_id = "bulkd";
    c.password = "secret";
    c.window = 64;
    c.queue_cap = 20000;
    c.response_timeout = 5000ms;
    c.reconnect_min = 20ms;
    c.reconnect_max = 200ms;
    c.throttle_backoff = 20ms;
    return c;
  }

  void MakeClient(ClientConfig config) {
    ClientHandlers h;
    h.on_submit_result = [this](uint64_t cookie, const SubmitOutcome& o) { OnResult(cookie, o); };
    h.on_receipt = [this](const Receipt& r) {
      const std::string key = CanonicalMessageId(r.message_id, receipt_base_);
      auto it = cookie_by_id_.find(key);
      if (it == cookie_by_id_.end()) {
        ++unmatched_receipts_;
        return;
      }
      ++receipts_[it->second];
      receipt_state_[it->second] = r.state;
    };
    h.on_bound = [this](bool up) { (up ? bound_up_ : bound_down_)++; };
    client_ = std::make_unique<Client>(io_, std::move(config), std::move(h));
  }

  void OnResult(uint64_t cookie, const SubmitOutcome& o) {
    Result& r = results_[cookie];
    ++total_results_;
    if (o.error == Errc::kConnectionLost) ++lost_;
    if (!o.error && o.status_class == StatusClass::kThrottled) {
      ++throttled_;
      if (paused_seen_ == 0 && client_->paused()) ++paused_seen_;
      if (resubmit_throttled_) {  // the caller's retry: same request again
        SubmitRequest again = requests_.at(cookie);
        EXPECT_TRUE(client_->Submit(std::move(again)));
        return;
      }
    }
    ++r.count;
    r.error = o.error;
    r.status = o.command_status;
    r.status_class = o.status_class;
    r.message_id = std::string(o.message_id);
    if (!o.error && o.status_class == StatusClass::kOk) {
      ++accepted_;
      cookie_by_id_[CanonicalMessageId(o.message_id, submit_base_)] = cookie;
    }
  }

  SubmitRequest Request(uint64_t i) {
    SubmitRequest r;
    r.cookie = i;
    r.source_addr = "0215881234";
    r.dest_addr = Dest(i);
    r.short_message = "hello " + std::to_string(i);
    return r;
  }

  void SubmitAll(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      requests_[i] = Request(i);
      SubmitRequest copy = requests_[i];
      ASSERT_TRUE(client_->Submit(std::move(copy))) << i;
    }
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(5ms);
    }
    return true;
  }

  // Runs the loop for a fixed time to observe steady state (not to wait for an event).
  void RunFor(std::chrono::milliseconds d) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end) io_.run_for(5ms);
  }

  size_t ReceiptsTotal() const {
    size_t n = 0;
    for (const auto& [cookie, count] : receipts_) n += static_cast<size_t>(count);
    return n;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      boost::asio::make_work_guard(io_)};
  std::unique_ptr<Client> client_;
  IdBase submit_base_ = IdBase::kDecimal, receipt_base_ = IdBase::kDecimal;
  bool resubmit_throttled_ = false;
  std::unordered_map<uint64_t, SubmitRequest> requests_;
  std::unordered_map<uint64_t, Result> results_;
  std::unordered_map<std::string, uint64_t> cookie_by_id_;
  std::unordered_map<uint64_t, int> receipts_;
  std::unordered_map<uint64_t, MessageState> receipt_state_;
  size_t total_results_ = 0, accepted_ = 0, lost_ = 0, throttled_ = 0, paused_seen_ = 0;
  size_t unmatched_receipts_ = 0;
  int bound_up_ = 0, bound_down_ = 0;
};

TEST_F(SmppClientTest, TenThousandSubmitsGetEveryResultAndReceiptExactlyOnce) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--id-format", "hex", "--receipt-id-format", "decimal", "--record", record,
               "--system-id", "bulkd", "--password", "secret"});
  submit_base_ = IdBase::kHex;  // "1A2B" in submit_sm_resp, "6699" in the receipt
  receipt_base_ = IdBase::kDecimal;
  MakeClient(Config(sim.port()));
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->bound(); }, 10s));
  constexpr uint64_t kCount = 10000;
  SubmitAll(kCount);
  EXPECT_LE(client_->inflight(), 64u);
  ASSERT_TRUE(RunUntil([&] { return total_results_ == kCount && ReceiptsTotal() == kCount; }, 60s))
      << "results=" << total_results_ << " receipts=" << ReceiptsTotal();
  RunFor(100ms);  // nothing more may arrive
  EXPECT_EQ(total_results_, kCount);
  EXPECT_EQ(accepted_, kCount);
  EXPECT_EQ(unmatched_receipts_, 0u);
  std::set<std::string> ids;
  for (uint64_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(results_[i].count, 1) << i;
    EXPECT_FALSE(results_[i].error);
    EXPECT_EQ(results_[i].status, kEsmeROk);
    ids.insert(results_[i].message_id);
    EXPECT_EQ(receipts_[i], 1) << i;
    EXPECT_EQ(receipt_state_[i], MessageState::kDelivered);
  }
  EXPECT_EQ(ids.size(), kCount);  // unique message ids
  EXPECT_EQ(client_->stats().submits_sent, kCount);
  EXPECT_EQ(client_->stats().receipts, kCount);
  EXPECT_EQ(client_->stats().lost_in_flight, 0u);
  EXPECT_EQ(client_->inflight(), 0u);
  EXPECT_EQ(client_->queued(), 0u);

  ASSERT_TRUE(sim.Stop());
  std::map<std::string, int> per_dest;
  for (const auto& [dest, id] : ReadRecord(record)) {
    ++per_dest[dest];
    EXPECT_TRUE(ids.count(id)) << id;
  }
  EXPECT_EQ(per_dest.size(), kCount);
  for (const auto& [dest, n] : per_dest) EXPECT_EQ(n, 1) << dest;
}

TEST_F(SmppClientTest, FailedAndUndeliveredSharesProduceTheRightOutcomes) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  // Text-only receipts: the id and state come from `id:... stat:...`.
  SmscSim sim({"--fail-percent", "10", "--undeliv-percent", "20", "--receipt-form", "text",
               "--record", record, "--seed", "7"});
  MakeClient(Config(sim.port()));
  client_->Start();
  constexpr uint64_t kCount = 5000;
  SubmitAll(kCount);
  ASSERT_TRUE(RunUntil([&] { return total_results_ == kCount && ReceiptsTotal() == accepted_; },
                       60s));
  RunFor(100ms);
  size_t failed = 0, undelivered = 0, delivered = 0;
  for (uint64_t i = 0; i < kCount; ++i) {
    const Result& r = results_[i];
    ASSERT_EQ(r.count, 1);
    if (r.status == kEsmeRSubmitFail) {
      ++failed;
      EXPECT_EQ(r.status_class, StatusClass::kPermanent);
      EXPECT_EQ(receipts_.count(i), 0u) << "no receipt for a refused submit";
      continue;
    }
    ASSERT_EQ(r.status, kEsmeROk);
    ASSERT_EQ(receipts_[i], 1);
    (receipt_state_[i] == MessageState::kUndeliverable ? undelivered : delivered)++;
  }
  EXPECT_EQ(failed + undelivered + delivered, kCount);
  // 10% of 5000 and 20% of the rest, each well within 5 standard deviations.
  EXPECT_GT(failed, 350u);
  EXPECT_LT(failed, 650u);
  EXPECT_GT(undelivered, 9 * kCount / 100 * 2 - 300);
  EXPECT_LT(undelivered, 9 * kCount / 100 * 2 + 300);
  EXPECT_EQ(client_->stats().receipts_unparsed, 0u);
  ASSERT_TRUE(sim.Stop());
  EXPECT_EQ(ReadRecord(record).size(), kCount - failed);
}

TEST_F(SmppClientTest, ThrottledSubmitsPauseTheBindAndAllGoThroughWhenRetried) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--throttle-percent", "20", "--record", record});
  resubmit_throttled_ = true;
  MakeClient(Config(sim.port()));
  client_->Start();
  constexpr uint64_t kCount = 2000;
  SubmitAll(kCount);
  ASSERT_TRUE(RunUntil([&] { return accepted_ == kCount; }, 60s)) << accepted_;
  EXPECT_GT(throttled_, 0u);
  EXPECT_EQ(client_->stats().throttled, throttled_);
  EXPECT_EQ(paused_seen_, 1u);  // the bind was paused when the first throttle was reported
  for (uint64_t i = 0; i < kCount; ++i) ASSERT_EQ(results_[i].count, 1) << i;
  ASSERT_TRUE(sim.Stop());
  std::map<std::string, int> per_dest;
  for (const auto& [dest, id] : ReadRecord(record)) ++per_dest[dest];
  EXPECT_EQ(per_dest.size(), kCount);
  for (const auto& [dest, n] : per_dest) EXPECT_EQ(n, 1) << dest;
}

TEST_F(SmppClientTest, RateLimitedSmscSlowsTheClientDown) {
  SmscSim sim({"--max-tps", "2000"});
  resubmit_throttled_ = true;
  MakeClient(Config(sim.port()));
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->bound(); }, 10s));
  const auto start = std::chrono::steady_clock::now();
  constexpr uint64_t kCount = 3000;
  SubmitAll(kCount);
  ASSERT_TRUE(RunUntil([&] { return accepted_ == kCount; }, 60s)) << accepted_;
  // 3000 at 2000/s with a 200-token burst cannot take less than 1.4 s.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_GT(throttled_, 0u);
}

TEST_F(SmppClientTest, KilledServerFailsInFlightAsLostAndClientRebindsToRestartedServer) {
  auto sim = std::make_unique<SmscSim>(std::vector<std::string>{"--latency-ms", "3000"});
  const uint16_t port = sim->port();
  MakeClient(Config(port));
  client_->Start();
  constexpr uint64_t kCount = 100;
  SubmitAll(kCount);
  ASSERT_TRUE(RunUntil([&] { return client_->inflight() == 64; }, 10s));
  EXPECT_EQ(client_->queued(), kCount - 64);
  sim->process().Signal(SIGKILL);
  ASSERT_TRUE(sim->process().WaitForExit(5s));
  ASSERT_TRUE(RunUntil([&] { return lost_ == 64; }, 10s)) << lost_;
  EXPECT_EQ(bound_down_, 1);
  for (uint64_t i = 0; i < 64; ++i) {
    EXPECT_EQ(results_[i].error, Errc::kConnectionLost) << i;
    EXPECT_TRUE(IsOutcomeUnknown(results_[i].error));
  }
  EXPECT_EQ(client_->queued(), kCount - 64);  // never sent: still queued
  sim.reset();

  SmscSim restarted({}, port);
  ASSERT_TRUE(RunUntil([&] { return accepted_ == kCount - 64; }, 20s)) << accepted_;
  EXPECT_EQ(bound_up_, 2);
  EXPECT_EQ(client_->stats().binds, 2u);
  EXPECT_EQ(total_results_, kCount);
  for (uint64_t i = 64; i < kCount; ++i) EXPECT_EQ(results_[i].count, 1) << i;
}

TEST_F(SmppClientTest, EnquireLinkKeepsAnIdleBindAlive) {
  SmscSim sim({"--idle-timeout-ms", "300"});
  ClientConfig config = Config(sim.port());
  config.enquire_link_interval = 60ms;
  MakeClient(config);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->bound(); }, 10s));
  RunFor(1500ms);  // five idle timeouts' worth of silence but for enquire_link
  EXPECT_TRUE(client_->bound());
  EXPECT_EQ(client_->stats().binds, 1u);
  EXPECT_EQ(client_->stats().disconnects, 0u);
  EXPECT_GE(client_->stats().enquire_links_sent, 5u);
}

TEST_F(SmppClientTest, IdleBindWithoutEnquireLinkIsDroppedBySmscAndRebound) {
  SmscSim sim({"--idle-timeout-ms", "300"});
  ClientConfig config = Config(sim.port());
  config.enquire_link_interval = 60s;
  MakeClient(config);
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->stats().binds >= 2; }, 10s));
  EXPECT_GE(client_->stats().disconnects, 1u);
  EXPECT_GE(bound_down_, 1);
}

TEST_F(SmppClientTest, StopDrainsTheWindowThenUnbinds) {
  SmscSim sim({"--latency-ms", "100"});
  MakeClient(Config(sim.port()));
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->bound(); }, 10s));
  SubmitAll(10);
  client_->Stop();
  EXPECT_FALSE(client_->Submit(Request(99)));  // refused once stopping
  ASSERT_TRUE(RunUntil([&] { return client_->stopped(); }, 10s));
  EXPECT_EQ(accepted_, 10u);  // in-flight answers were waited for
  EXPECT_EQ(client_->stats().clean_unbinds, 1u);
  EXPECT_EQ(client_->stats().lost_in_flight, 0u);
  EXPECT_EQ(bound_down_, 1);
  RunFor(300ms);  // no reconnect after a stop
  EXPECT_EQ(client_->stats().connects, 1u);
}

TEST_F(SmppClientTest, StopFailsQueuedRequestsAsNeverSent) {
  SmscSim sim({});
  MakeClient(Config(sim.port()));
  SubmitAll(5);  // not started: queued
  client_->Stop();
  EXPECT_TRUE(client_->stopped());
  EXPECT_EQ(total_results_, 5u);
  for (uint64_t i = 0; i < 5; ++i) EXPECT_EQ(results_[i].error, Errc::kStopped);
}

TEST_F(SmppClientTest, WrongPasswordIsRefusedAndRetriedWithBackoff) {
  SmscSim sim({"--system-id", "bulkd", "--password", "right"});
  MakeClient(Config(sim.port()));  // password "secret"
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->stats().bind_failures >= 3; }, 10s));
  EXPECT_FALSE(client_->bound());
  EXPECT_EQ(client_->stats().binds, 0u);
  EXPECT_EQ(bound_up_, 0);
}

TEST_F(SmppClientTest, OversizedRequestIsReportedInvalidWithoutSending) {
  SmscSim sim({});
  MakeClient(Config(sim.port()));
  client_->Start();
  ASSERT_TRUE(RunUntil([&] { return client_->bound(); }, 10s));
  SubmitRequest r = Request(1);
  r.dest_addr = std::string(21, '1');
  ASSERT_TRUE(client_->Submit(std::move(r)));
  ASSERT_TRUE(RunUntil([&] { return total_results_ == 1; }, 5s));
  EXPECT_EQ(results_[1].error, Errc::kInvalidRequest);
  EXPECT_EQ(client_->stats().submits_sent, 0u);
}

TEST_F(SmppClientTest, LongMessageGoesAsMessagePayload) {
  SmscSim sim({});
  MakeClient(Config(sim.port()));
  client_->Start();
  SubmitRequest r = Request(1);
  r.short_message.clear();
  r.message_payload = std::string(1500, 'x');
  r.data_coding = 0x08;
  ASSERT_TRUE(client_->Submit(std::move(r)));
  ASSERT_TRUE(RunUntil([&] { return accepted_ == 1 && ReceiptsTotal() == 1; }, 10s));
}

}  // namespace
}  // namespace bulkd::providers::smpp
