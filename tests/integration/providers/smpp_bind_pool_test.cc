// SmsProvider with several transceiver binds (BindPool) and a per-bind TPS cap, against a
// real smsc-sim child process over loopback: the aggregate rate measured at the
// simulator, a throttling storm, one bind killed mid-window, and Stop() unbinding every
// bind. The io_context runs in the test thread; every wait is a condition with a deadline.
#include "providers/smpp/sms_provider.h"

#include <signal.h>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/smsc_sim.h"

namespace bulkd::providers::smpp {
namespace {

using namespace std::chrono_literals;
using bulkd::testing::SmscSim;
using bulkd::testing::TempDir;

struct Recorded {
  std::map<std::string, int> by_dest;  // accepted submits per destination
  std::vector<int64_t> times_us;       // --record-times: receive time of each, sorted
};

Recorded ReadRecord(const std::string& path) {
  Recorded r;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t t1 = line.find('\t');
    ++r.by_dest[line.substr(0, t1)];
    const size_t t2 = line.find('\t', t1 + 1);
    if (t2 != std::string::npos) r.times_us.push_back(std::stoll(line.substr(t2 + 1)));
  }
  std::sort(r.times_us.begin(), r.times_us.end());
  return r;
}

// The most submits in any 1 s interval (sliding, to the microsecond).
size_t MaxInAnySecond(const std::vector<int64_t>& t) {
  size_t best = 0;
  for (size_t lo = 0, hi = 0; hi < t.size(); ++hi) {
    while (t[hi] - t[lo] >= 1000000) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

size_t CountIn(const std::vector<int64_t>& t, int64_t from_us, int64_t to_us) {
  return std::lower_bound(t.begin(), t.end(), to_us) - std::lower_bound(t.begin(), t.end(), from_us);
}

std::string Dest(uint64_t i) { return "+8210" + std::to_string(30000000 + i); }

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

class SmppBindPoolTest : public ::testing::Test {
 protected:
  SmsProviderConfig Config(uint16_t port, uint32_t binds) {
    SmsProviderConfig c;
    c.binds = binds;
    c.client.port = port;
    c.client.window = 64;
    c.client.queue_cap = 8192;
    c.client.response_timeout = 5000ms;
    c.client.reconnect_min = 20ms;
    c.client.reconnect_max = 200ms;
    c.client.throttle_backoff = 20ms;
    c.default_source_addr = "0215881234";
    c.part_retry_delay = 10ms;
    return c;
  }

  void Start(SmsProviderConfig config) {
    const uint32_t binds = config.binds;
    provider_ = std::make_unique<SmsProvider>(io_, std::move(config));
    provider_->Start([this](const AttemptReport& r) { reports_[r.cookie].push_back(r); });
    // Every bind up, so the load spreads from the first message on.
    ASSERT_TRUE(RunUntil([&] { return provider_->binds().bound() == binds; }, 10s));
    ASSERT_TRUE(provider_->ready());
  }

  void Send(uint64_t cookie, const std::string& text) {
    core::Job job;
    job.id = "job-" + std::to_string(cookie);
    job.to = Dest(cookie);
    job.channels = {core::Channel::kSms};
    job.text = text;
    ASSERT_TRUE(provider_->Send(cookie, job, core::Channel::kSms));
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.run_for(5ms);
    }
    return true;
  }

  static bool IsFinal(AttemptOutcome o) { return o != AttemptOutcome::kAccepted; }
  size_t Finals(uint64_t cookie) {
    size_t n = 0;
    for (const AttemptReport& r : reports_[cookie]) n += IsFinal(r.outcome) ? 1 : 0;
    return n;
  }
  bool AllFinished(uint64_t messages) {
    for (uint64_t i = 1; i <= messages; ++i) {
      auto it = reports_.find(i);
      if (it == reports_.end() || !IsFinal(it->second.back().outcome)) return false;
    }
    return true;
  }
  // For a failure message: how many have not ended, and the first few with their reports.
  std::string Unfinished(uint64_t messages) {
    size_t n = 0;
    std::string first;
    for (uint64_t i = 1; i <= messages; ++i) {
      auto it = reports_.find(i);
      if (it != reports_.end() && IsFinal(it->second.back().outcome)) continue;
      if (++n > 5) continue;
      first += " " + std::to_string(i) + ":";
      if (it != reports_.end()) {
        for (const AttemptReport& r : it->second) first += std::string(ToString(r.outcome)) + ",";
      }
    }
    return std::to_string(n) + " unfinished:" + first;
  }
  std::vector<AttemptOutcome> Outcomes(uint64_t cookie) {
    std::vector<AttemptOutcome> out;
    for (const AttemptReport& r : reports_[cookie]) out.push_back(r.outcome);
    return out;
  }
  // Stops the provider and waits until every bind has unbound.
  void StopAll() {
    provider_->Stop();
    ASSERT_TRUE(RunUntil([&] { return provider_->binds().stopped(); }, 10s));
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      boost::asio::make_work_guard(io_)};
  std::unique_ptr<SmsProvider> provider_;
  std::map<uint64_t, std::vector<AttemptReport>> reports_;
};

// 4 binds at 200 submit_sm/s each, all 3,200 messages queued at once: the simulator
// sees 800/s (within 3%) in the steady part, no more than 4 * (200 + burst 10) in any
// second (plus receive jitter), and each bind carries a quarter.
TEST_F(SmppBindPoolTest, FourCappedBindsSendAtTheAggregateCapAndNeverAboveCapPlusBurst) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--record", record, "--record-times"});
  SmsProviderConfig config = Config(sim.port(), 4);
  config.client.max_tps = 200;
  Start(std::move(config));
  constexpr uint64_t kMessages = 3200;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, "paced");
  ASSERT_TRUE(RunUntil([&] { return AllFinished(kMessages); }, 30s)) << Unfinished(kMessages);
  ASSERT_TRUE(sim.Stop());
  for (uint64_t i = 1; i <= kMessages; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}))
        << i;
  }
  const Recorded rec = ReadRecord(record);
  ASSERT_EQ(rec.times_us.size(), kMessages);
  // Steady window: 0.5 s after the first submit (the initial bursts) to 3.5 s.
  const int64_t t0 = rec.times_us.front();
  const double steady = CountIn(rec.times_us, t0 + 500000, t0 + 3500000) / 3.0;
  const size_t max_1s = MaxInAnySecond(rec.times_us);
  RecordProperty("steady_per_s", std::to_string(steady));
  RecordProperty("max_in_any_1s", std::to_string(max_1s));
  std::printf("aggregate cap 800/s: steady %.1f/s, most in any 1 s %zu (cap+burst 840)\n", steady,
              max_1s);
  EXPECT_NEAR(steady, 800.0, 800.0 * 0.03) << "steady rate at the simulator";
  // The binds never write more than 4 * (200 + 10) in a second. The simulator stamps a
  // submit when its read returns, so when it (or the test) is descheduled on these shared
  // cores, submits written over slightly more than 1 s land in one: allow 20 ms of that.
  EXPECT_LE(max_1s, 4u * (200 + 10) + 16);
  const double total_s = (rec.times_us.back() - t0) / 1e6;
  EXPECT_GT(total_s, (kMessages - 4 * 10) / 800.0 * 0.97);  // not faster than the cap
  for (size_t b = 0; b < 4; ++b) {
    EXPECT_NEAR(static_cast<double>(provider_->binds().bind(b).stats().submits_sent), 800.0, 40.0)
        << "bind " << b;
    EXPECT_GT(provider_->binds().bind(b).stats().pace_waits, 0u) << "bind " << b;
  }
  EXPECT_EQ(provider_->client_stats().throttled, 0u);
}

// The SMSC throttles at random and above 500/s while 4 binds offer 4 * 300/s: every bind
// gets ESME_RTHROTTLED and pauses, yet every message ends exactly once by the usual
// rules (whole message back as kRetry when nothing of it went, otherwise its throttled
// parts resubmitted here) and the SMSC holds each accepted part exactly once.
TEST_F(SmppBindPoolTest, ThrottlingStormEndsEveryMessageExactlyOnceAndLosesNothing) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--throttle-percent", "10", "--max-tps", "500", "--seed", "11", "--record", record});
  SmsProviderConfig config = Config(sim.port(), 4);
  config.client.max_tps = 300;
  config.client.window = 16;
  config.part_retry_limit = 50;
  Start(std::move(config));
  constexpr uint64_t kMessages = 600;  // odd cookies one part, even ones three
  const std::string long_text = Repeat("가", 150);
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, i % 2 ? "storm" : long_text);
  ASSERT_TRUE(RunUntil([&] { return AllFinished(kMessages); }, 60s)) << Unfinished(kMessages);
  StopAll();  // nothing more can be reported after this
  ASSERT_TRUE(sim.Stop());
  const Recorded rec = ReadRecord(record);
  size_t retried = 0, delivered = 0;
  for (uint64_t i = 1; i <= kMessages; ++i) {
    const size_t parts = i % 2 ? 1 : 3;
    const auto it = rec.by_dest.find(Dest(i).substr(1));
    const int at_smsc = it == rec.by_dest.end() ? 0 : it->second;
    ASSERT_EQ(Finals(i), 1u) << i;
    const AttemptReport& last = reports_[i].back();
    switch (last.outcome) {
      case AttemptOutcome::kRetry:
        EXPECT_EQ(last.code, "0x00000058") << i;  // ESME_RTHROTTLED
        EXPECT_EQ(reports_[i].size(), 1u) << i;
        EXPECT_EQ(at_smsc, 0) << i;
        ++retried;
        break;
      case AttemptOutcome::kDelivered:
        EXPECT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}))
            << i;
        EXPECT_EQ(at_smsc, static_cast<int>(parts)) << i;
        ++delivered;
        break;
      default:
        ADD_FAILURE() << "message " << i << " ended " << ToString(last.outcome) << " "
                      << last.code << " " << last.detail;
    }
  }
  EXPECT_GT(retried, 0u);
  EXPECT_GT(delivered, 0u);
  const ClientStats stats = provider_->client_stats();
  EXPECT_GT(stats.throttled, 0u);
  size_t throttled_binds = 0;
  for (size_t b = 0; b < 4; ++b) throttled_binds += provider_->binds().bind(b).stats().throttled > 0;
  EXPECT_GE(throttled_binds, 2u);
  EXPECT_GT(provider_->stats().part_resubmits, 0u);
  EXPECT_EQ(provider_->stats().partially_sent, 0u);
  EXPECT_EQ(stats.lost_in_flight, 0u);
  EXPECT_EQ(provider_->inflight(), 0u);
}

// The simulator kills the first session that reaches 150 submits, unanswered, with a
// window of responses still delayed: that bind's in-flight parts end kUncertain (never
// resent), its queued ones move to the other binds, which never stop, and it rebinds.
// Receipts still due on the killed session arrive on another bind (--forward-receipts)
// and are matched by message id.
TEST_F(SmppBindPoolTest, DroppedBindLosesOnlyItsInFlightPartsWhileTheOthersCarryOnAndItRebinds) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--latency-ms", "20", "--drop-session-after", "150", "--forward-receipts",
               "--record", record});
  SmsProviderConfig config = Config(sim.port(), 4);
  config.client.window = 16;
  Start(std::move(config));
  constexpr uint64_t kMessages = 2000;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, "drop");
  ASSERT_TRUE(RunUntil([&] { return AllFinished(kMessages); }, 30s)) << Unfinished(kMessages);
  ASSERT_TRUE(RunUntil([&] { return provider_->binds().bound() == 4; }, 10s));
  StopAll();
  ASSERT_TRUE(sim.Stop());

  // The dropped bind is the one that bound twice; every bind ended with a clean unbind.
  size_t dropped = 0, dropped_index = 0;
  for (size_t b = 0; b < 4; ++b) {
    const ClientStats& s = provider_->binds().bind(b).stats();
    EXPECT_EQ(s.clean_unbinds, 1u) << b;
    if (s.binds > 1) {
      ++dropped;
      dropped_index = b;
    }
  }
  ASSERT_EQ(dropped, 1u);
  for (size_t b = 0; b < 4; ++b) {
    const ClientStats& s = provider_->binds().bind(b).stats();
    if (b == dropped_index) {
      EXPECT_EQ(s.binds, 2u);        // bound again after the drop
      EXPECT_EQ(s.disconnects, 2u);  // the drop, then Stop()
      EXPECT_GT(s.lost_in_flight, 0u);
      EXPECT_LE(s.lost_in_flight, 16u);  // at most its window
    } else {
      EXPECT_EQ(s.disconnects, 1u) << b;  // Stop() only
      EXPECT_EQ(s.lost_in_flight, 0u) << b;
      EXPECT_GT(s.submits_sent, kMessages / 4) << b;  // its quarter and part of the moved queue
    }
  }
  EXPECT_GT(provider_->binds().requeued(), 0u);  // its queue went to the others

  const Recorded rec = ReadRecord(record);
  size_t uncertain = 0;
  for (uint64_t i = 1; i <= kMessages; ++i) {
    const auto it = rec.by_dest.find(Dest(i).substr(1));
    const int at_smsc = it == rec.by_dest.end() ? 0 : it->second;
    ASSERT_EQ(Finals(i), 1u) << i;
    const AttemptReport& last = reports_[i].back();
    if (last.outcome == AttemptOutcome::kUncertain) {
      ++uncertain;
      EXPECT_EQ(reports_[i].size(), 1u) << i;
      EXPECT_LE(at_smsc, 1) << i;  // maybe accepted, never twice
      continue;
    }
    EXPECT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}))
        << i;
    EXPECT_EQ(at_smsc, 1) << i;
  }
  EXPECT_EQ(uncertain, provider_->client_stats().lost_in_flight);
  EXPECT_EQ(provider_->inflight(), 0u);
}

// The SMSC goes away while messages are queued on both binds (nothing bound, so nothing
// is written); when it is back, the first bind up takes the other's queue too, and every
// message is delivered once.
TEST_F(SmppBindPoolTest, QueuedWorkOfABindThatIsDownGoesToTheFirstBindUp) {
  auto sim = std::make_unique<SmscSim>(std::vector<std::string>{});
  const uint16_t port = sim->port();
  Start(Config(port, 2));
  sim->process().Signal(SIGKILL);
  ASSERT_TRUE(sim->process().WaitForExit(5s).has_value());
  ASSERT_TRUE(RunUntil([&] { return !provider_->ready(); }, 5s));
  constexpr uint64_t kMessages = 200;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, "later");
  EXPECT_GT(provider_->binds().bind(0).queued(), 0u);  // spread while both are down
  EXPECT_GT(provider_->binds().bind(1).queued(), 0u);
  sim = std::make_unique<SmscSim>(std::vector<std::string>{}, port);
  ASSERT_TRUE(RunUntil([&] { return AllFinished(kMessages); }, 20s)) << Unfinished(kMessages);
  for (uint64_t i = 1; i <= kMessages; ++i) {
    ASSERT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}))
        << i;
  }
  EXPECT_GT(provider_->binds().requeued(), 0u);
  EXPECT_EQ(provider_->client_stats().submits_sent, kMessages);
  EXPECT_EQ(provider_->client_stats().lost_in_flight, 0u);
}

// Stop() with parts still in flight: every bind drains its window, sends unbind and gets
// unbind_resp; every message ends exactly once.
TEST_F(SmppBindPoolTest, StopDrainsAndUnbindsEveryBind) {
  SmscSim sim({"--latency-ms", "50"});
  Start(Config(sim.port(), 4));
  constexpr uint64_t kMessages = 200;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, "bye");
  ASSERT_TRUE(RunUntil([&] { return provider_->binds().inflight() > 100; }, 5s));
  StopAll();
  EXPECT_FALSE(provider_->ready());
  const ClientStats stats = provider_->client_stats();
  EXPECT_EQ(stats.clean_unbinds, 4u);
  for (size_t b = 0; b < 4; ++b) {
    EXPECT_EQ(provider_->binds().bind(b).stats().clean_unbinds, 1u) << b;
    EXPECT_GT(provider_->binds().bind(b).stats().submits_sent, 0u) << b;
  }
  EXPECT_EQ(stats.lost_in_flight, 0u);
  EXPECT_EQ(stats.submit_responses, kMessages);
  for (uint64_t i = 1; i <= kMessages; ++i) {
    ASSERT_FALSE(reports_[i].empty()) << i;
    EXPECT_EQ(reports_[i].front().outcome, AttemptOutcome::kAccepted) << i;
    EXPECT_LE(Finals(i), 1u) << i;  // receipts after the unbind never come
  }
}

}  // namespace
}  // namespace bulkd::providers::smpp
