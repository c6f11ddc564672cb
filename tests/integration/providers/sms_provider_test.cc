// SmsProvider against a real smsc-sim child process over loopback: long messages as one
// submit_sm per part (UDH and SAR), one report per message from every part's answer and
// receipt, partial failures never resent, the Korean route rules, and MO replies reaching
// the inbound handler. The io_context runs in the test thread; every wait is a condition
// with a deadline.
#include "providers/smpp/sms_provider.h"

#include <signal.h>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
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

// Accepted submits per destination, from the sim's `<dest>\t<id>` record.
std::map<std::string, std::set<std::string>> IdsByDest(const std::string& path) {
  std::map<std::string, std::set<std::string>> ids;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    ids[line.substr(0, tab)].insert(line.substr(tab + 1));
  }
  return ids;
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

std::string Dest(uint64_t i) { return "+8210" + std::to_string(20000000 + i); }

class SmsProviderTest : public ::testing::Test {
 protected:
  SmsProviderConfig Config(uint16_t port) {
    SmsProviderConfig c;
    c.client.port = port;
    c.client.window = 32;
    c.client.queue_cap = 4096;
    c.client.response_timeout = 5000ms;
    c.client.reconnect_min = 20ms;
    c.client.reconnect_max = 200ms;
    c.client.throttle_backoff = 10ms;
    c.default_source_addr = "0215881234";
    c.part_retry_delay = 10ms;
    return c;
  }

  void Start(SmsProviderConfig config) {
    provider_ = std::make_unique<SmsProvider>(io_, std::move(config));
    provider_->SetInboundHandler([this](const InboundMessage& m) { inbound_.push_back(m); });
    provider_->Start([this](const AttemptReport& r) { reports_[r.cookie].push_back(r); });
    ASSERT_TRUE(RunUntil([&] { return provider_->ready(); }, 10s));
  }

  void Send(uint64_t cookie, const std::string& to, const std::string& text,
            core::Channel channel = core::Channel::kSms) {
    core::Job job;
    job.id = "job-" + std::to_string(cookie);
    job.to = to;
    job.channels = {channel};
    job.text = text;
    ASSERT_TRUE(provider_->Send(cookie, job, channel));
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
  bool Finished(uint64_t cookie) {
    auto it = reports_.find(cookie);
    return it != reports_.end() && IsFinal(it->second.back().outcome);
  }
  std::vector<AttemptOutcome> Outcomes(uint64_t cookie) {
    std::vector<AttemptOutcome> out;
    for (const AttemptReport& r : reports_[cookie]) out.push_back(r.outcome);
    return out;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      boost::asio::make_work_guard(io_)};
  std::unique_ptr<SmsProvider> provider_;
  std::map<uint64_t, std::vector<AttemptReport>> reports_;
  std::vector<InboundMessage> inbound_;
};

// The same behaviour whether parts are framed by a UDH or by SAR TLVs; the simulator
// reads either to number the parts (--undeliv-part).
class LongMessageTest : public SmsProviderTest,
                        public ::testing::WithParamInterface<LongMessageMode> {};

TEST_P(LongMessageTest, ThreePartUcs2MessageIsDeliveredOnceEveryPartIs) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--record", record, "--receipt-delay-ms", "20"});
  SmsProviderConfig config = Config(sim.port());
  config.long_message_mode = GetParam();
  Start(std::move(config));
  const std::string text = Repeat("안녕하세요 고객님 ", 15);  // 150 UCS-2 units: 67+67+16
  Send(1, Dest(1), text);
  ASSERT_TRUE(RunUntil([&] { return Finished(1); }, 10s));
  EXPECT_EQ(Outcomes(1), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}));
  for (const AttemptReport& r : reports_[1]) EXPECT_EQ(r.parts, 3u);
  EXPECT_EQ(reports_[1][0].code, "0x00000000");
  EXPECT_EQ(reports_[1][1].code, "DELIVRD");
  EXPECT_EQ(provider_->client_stats().submits_sent, 3u);
  EXPECT_EQ(provider_->client_stats().receipts, 3u);
  EXPECT_EQ(provider_->stats().parts_submitted, 3u);
  EXPECT_EQ(provider_->inflight(), 0u);
  ASSERT_TRUE(sim.Stop());
  const auto ids = IdsByDest(record);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids.begin()->first, Dest(1).substr(1));
  EXPECT_EQ(ids.begin()->second.size(), 3u);  // three submits, three message ids
}

TEST_P(LongMessageTest, OneUndeliveredPartMakesTheMessageUndelivered) {
  SmscSim sim({"--undeliv-part", "2"});
  SmsProviderConfig config = Config(sim.port());
  config.long_message_mode = GetParam();
  Start(std::move(config));
  Send(1, Dest(1), Repeat("가", 100));  // 2 parts
  Send(2, Dest(2), "short one");         // 1 part: not concatenated, so delivered
  ASSERT_TRUE(RunUntil([&] { return Finished(1) && Finished(2); }, 10s));
  EXPECT_EQ(Outcomes(1), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kUndelivered}));
  EXPECT_EQ(reports_[1][1].code, "UNDELIV");
  EXPECT_NE(reports_[1][1].detail.find("part 2/2"), std::string::npos) << reports_[1][1].detail;
  EXPECT_EQ(reports_[1][1].parts, 2u);
  EXPECT_EQ(Outcomes(2), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}));
  EXPECT_EQ(reports_[2][1].parts, 1u);
  // The other part's receipt, whenever it comes, changes nothing.
  ASSERT_TRUE(RunUntil([&] { return provider_->client_stats().receipts == 3; }, 10s));
  EXPECT_EQ(reports_[1].size(), 2u);
  EXPECT_EQ(provider_->inflight(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, LongMessageTest,
                         ::testing::Values(LongMessageMode::kUdh, LongMessageMode::kSar),
                         [](const auto& info) { return std::string(ToString(info.param)); });

TEST_F(SmsProviderTest, MessagePayloadModeSendsOneSubmitAndCountsEverySegment) {
  SmscSim sim({});
  SmsProviderConfig config = Config(sim.port());
  config.long_message_mode = LongMessageMode::kMessagePayload;
  Start(std::move(config));
  Send(1, Dest(1), Repeat("가", 150));  // 3 segments' worth
  ASSERT_TRUE(RunUntil([&] { return Finished(1); }, 10s));
  EXPECT_EQ(Outcomes(1), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}));
  EXPECT_EQ(reports_[1][0].parts, 3u);
  EXPECT_EQ(provider_->client_stats().submits_sent, 1u);
}

TEST_F(SmsProviderTest, KoreanRouteFallsBackOver90BytesAndSendsLmsWhole) {
  SmscSim sim({});
  SmsProviderConfig config = Config(sim.port());
  config.coding = RouteCoding::kKsc5601;
  Start(std::move(config));
  const std::string long_text = Repeat("가", 46);  // 92 bytes
  Send(1, Dest(1), long_text, core::Channel::kSms);
  Send(2, Dest(2), Repeat("가나다라마바사 ", 60), core::Channel::kLms);  // 900 bytes
  Send(3, Dest(3), Repeat("가", 45), core::Channel::kSms);             // 90 bytes: one SMS
  ASSERT_TRUE(RunUntil([&] { return Finished(1) && Finished(2) && Finished(3); }, 10s));
  EXPECT_EQ(Outcomes(1), (std::vector{AttemptOutcome::kFallback}));
  EXPECT_EQ(reports_[1][0].code, "TOO_LONG_FOR_SMS");
  EXPECT_EQ(Outcomes(2), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}));
  EXPECT_EQ(reports_[2][0].parts, 1u);
  EXPECT_EQ(Outcomes(3), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}));
  EXPECT_EQ(provider_->client_stats().submits_sent, 2u);
}

TEST_F(SmsProviderTest, TooManyPartsIsFailedWithoutSending) {
  SmscSim sim({});
  SmsProviderConfig config = Config(sim.port());
  config.max_parts = 2;
  Start(std::move(config));
  Send(1, Dest(1), Repeat("가", 150));  // 3 parts
  ASSERT_TRUE(RunUntil([&] { return Finished(1); }, 10s));
  EXPECT_EQ(Outcomes(1), (std::vector{AttemptOutcome::kFailed}));
  EXPECT_EQ(reports_[1][0].code, "TOO_LONG");
  EXPECT_EQ(provider_->client_stats().submits_sent, 0u);
}

// With a share of parts refused for good, a message is either wholly accepted, or refused
// before any part went (kFailed with the SMSC's code), or "partially sent N/3" with exactly
// N parts at the SMSC: accepted parts are never sent twice.
TEST_F(SmsProviderTest, PermanentlyRefusedPartEndsTheMessageWithoutResendingAcceptedParts) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--fail-percent", "25", "--seed", "42", "--record", record});
  Start(Config(sim.port()));
  constexpr uint64_t kMessages = 40;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, Dest(i), Repeat("가", 150));
  ASSERT_TRUE(RunUntil(
      [&] {
        for (uint64_t i = 1; i <= kMessages; ++i) {
          if (!Finished(i)) return false;
        }
        return true;
      },
      20s));
  ASSERT_TRUE(sim.Stop());
  const auto ids = IdsByDest(record);
  size_t partial = 0, whole = 0, none = 0;
  for (uint64_t i = 1; i <= kMessages; ++i) {
    const auto it = ids.find(Dest(i).substr(1));
    const size_t at_smsc = it == ids.end() ? 0 : it->second.size();
    const AttemptReport& last = reports_[i].back();
    if (last.outcome == AttemptOutcome::kDelivered) {
      EXPECT_EQ(at_smsc, 3u) << i;
      ++whole;
      continue;
    }
    ASSERT_EQ(last.outcome, AttemptOutcome::kFailed) << i;
    EXPECT_EQ(last.code, "0x00000045") << i;  // ESME_RSUBMITFAIL
    EXPECT_EQ(reports_[i].size(), 1u) << i;   // never reported accepted
    if (last.detail.starts_with("partially sent ")) {
      EXPECT_EQ(last.detail, "partially sent " + std::to_string(at_smsc) + "/3") << i;
      EXPECT_GT(at_smsc, 0u) << i;
      ++partial;
    } else {
      EXPECT_EQ(at_smsc, 0u) << i;
      ++none;
    }
  }
  EXPECT_GT(partial, 0u);
  EXPECT_GT(whole, 0u);
  EXPECT_EQ(provider_->stats().partially_sent, partial);
  EXPECT_EQ(provider_->stats().part_resubmits, 0u);  // nothing transient here
  EXPECT_EQ(provider_->inflight(), 0u);
}

// Throttled parts of a message that is partly accepted are resubmitted here; a message
// none of whose parts was accepted goes back to the dispatcher as kRetry. Either way the
// SMSC holds each part at most once.
TEST_F(SmsProviderTest, ThrottledPartsAreResubmittedNeverTheAcceptedOnes) {
  TempDir dir;
  const std::string record = dir.path() + "/record.tsv";
  SmscSim sim({"--throttle-percent", "30", "--seed", "7", "--record", record});
  SmsProviderConfig config = Config(sim.port());
  config.part_retry_limit = 20;
  Start(std::move(config));
  constexpr uint64_t kMessages = 30;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, Dest(i), Repeat("가", 150));
  ASSERT_TRUE(RunUntil(
      [&] {
        for (uint64_t i = 1; i <= kMessages; ++i) {
          if (!Finished(i)) return false;
        }
        return true;
      },
      30s));
  ASSERT_TRUE(sim.Stop());
  const auto ids = IdsByDest(record);
  for (uint64_t i = 1; i <= kMessages; ++i) {
    const auto it = ids.find(Dest(i).substr(1));
    const size_t at_smsc = it == ids.end() ? 0 : it->second.size();
    const AttemptReport& last = reports_[i].back();
    if (last.outcome == AttemptOutcome::kRetry) {
      EXPECT_EQ(last.code, "0x00000058") << i;  // ESME_RTHROTTLED
      EXPECT_EQ(at_smsc, 0u) << i;
    } else {
      EXPECT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}))
          << i;
      EXPECT_EQ(at_smsc, 3u) << i;
    }
  }
  EXPECT_GT(provider_->stats().part_resubmits, 0u);
  EXPECT_EQ(provider_->stats().partially_sent, 0u);
}

// Part 1's UNDELIV receipt comes at once while a throttled later part waits for its
// resubmit: the message still reports kAccepted first, then kUndelivered, exactly once.
TEST_F(SmsProviderTest, UndeliveredReceiptBeforeTheLastPartIsAcceptedIsReportedAfterIt) {
  SmscSim sim({"--throttle-percent", "30", "--seed", "3", "--undeliv-part", "1"});
  SmsProviderConfig config = Config(sim.port());
  config.part_retry_limit = 20;
  Start(std::move(config));
  constexpr uint64_t kMessages = 30;
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, Dest(i), Repeat("가", 150));
  ASSERT_TRUE(RunUntil(
      [&] {
        for (uint64_t i = 1; i <= kMessages; ++i) {
          if (!Finished(i)) return false;
        }
        return true;
      },
      30s));
  size_t undelivered = 0;
  for (uint64_t i = 1; i <= kMessages; ++i) {
    if (reports_[i].back().outcome == AttemptOutcome::kRetry) continue;  // nothing accepted
    EXPECT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kUndelivered}))
        << i;
    EXPECT_EQ(reports_[i].back().detail.substr(0, 8), "part 1/3") << i;
    ++undelivered;
  }
  EXPECT_GT(undelivered, 0u);
  EXPECT_GT(provider_->stats().part_resubmits, 0u);
}

// The SMSC sends each receipt 20 ms before its submit_sm_resp (as happens when the
// receipt comes on another bind): the receipt is kept until the response names its id,
// and the message still reports kAccepted, then kDelivered, once.
TEST_F(SmsProviderTest, ReceiptThatOvertakesItsSubmitResponseIsStillMatched) {
  SmscSim sim({"--latency-ms", "30", "--receipt-lead-ms", "20"});
  Start(Config(sim.port()));
  constexpr uint64_t kMessages = 20;  // odd cookies one part, even ones three
  for (uint64_t i = 1; i <= kMessages; ++i) Send(i, Dest(i), i % 2 ? "early" : Repeat("가", 150));
  ASSERT_TRUE(RunUntil(
      [&] {
        for (uint64_t i = 1; i <= kMessages; ++i) {
          if (!Finished(i)) return false;
        }
        return true;
      },
      10s));
  for (uint64_t i = 1; i <= kMessages; ++i) {
    EXPECT_EQ(Outcomes(i), (std::vector{AttemptOutcome::kAccepted, AttemptOutcome::kDelivered}))
        << i;
  }
  const uint64_t parts = kMessages / 2 * 1 + kMessages / 2 * 3;
  EXPECT_EQ(provider_->stats().early_receipts, parts);
  EXPECT_EQ(provider_->stats().early_receipts_matched, parts);
  EXPECT_EQ(provider_->stats().orphan_receipts, 0u);  // matched in time: not orphans
  EXPECT_EQ(provider_->inflight(), 0u);
}

TEST_F(SmsProviderTest, MoRepliesReachTheInboundHandler) {
  SmscSim sim({"--mo", "+821012345678,0215881234,ksc5601, 수신거부 ",
               "--mo", "01099998888,0215881234,ucs2,고맙습니다, 잘 받았어요",
               "--mo", "821011112222,0215881234,gsm,STOP"});
  Start(Config(sim.port()));
  ASSERT_TRUE(RunUntil([&] { return inbound_.size() == 3; }, 10s));
  EXPECT_EQ(inbound_[0].from, "+821012345678");
  EXPECT_EQ(inbound_[0].to, "0215881234");
  EXPECT_EQ(inbound_[0].text, " 수신거부 ");
  EXPECT_TRUE(inbound_[0].is_optout);
  EXPECT_EQ(inbound_[1].from, "+821099998888");  // national number, TON 2
  EXPECT_EQ(inbound_[1].text, "고맙습니다, 잘 받았어요");
  EXPECT_FALSE(inbound_[1].is_optout);
  EXPECT_EQ(inbound_[2].from, "+821011112222");
  EXPECT_EQ(inbound_[2].text, "STOP");
  EXPECT_TRUE(inbound_[2].is_optout);
  EXPECT_EQ(provider_->stats().mo_received, 3u);
  EXPECT_EQ(provider_->stats().mo_optouts, 2u);
  EXPECT_EQ(provider_->stats().mo_undecodable, 0u);
  EXPECT_EQ(provider_->client_stats().mo, 3u);
  EXPECT_TRUE(reports_.empty());  // MO are not receipts
}

}  // namespace
}  // namespace bulkd::providers::smpp
