#include "dispatcher/pipeline/time_gate.h"

#include <gtest/gtest.h>

#include "dispatcher/kafka/kafka_config.h"

namespace bulkd::dispatcher {
namespace {

using Kind = TimeDecision::Kind;

// 2026-11-25T12:00:00Z = 21:00 in Seoul.
constexpr int64_t kNoonUtc = 1795608000000;
constexpr int64_t kHour = 3600 * 1000;

core::Job InfoJob() {
  core::Job job;
  job.id = "j";
  job.tenant = "t";
  job.kind = core::JobKind::kInfo;
  job.channels = {core::Channel::kSms};
  return job;
}

TEST(TimeGateTest, InfoJobWithoutTimesGoesNow) {
  const auto policy = ratelimit::DefaultPolicy();
  EXPECT_EQ(DecideTime(InfoJob(), kNoonUtc, &policy).kind, Kind::kGo);
}

TEST(TimeGateTest, PastExpiryIsExpired) {
  auto job = InfoJob();
  job.expires_at_ms = kNoonUtc - 1;
  const auto decision = DecideTime(job, kNoonUtc, nullptr);
  EXPECT_EQ(decision.kind, Kind::kExpired);
  EXPECT_EQ(decision.code, "EXPIRED");
}

TEST(TimeGateTest, FutureNotBeforeDefersUntilThen) {
  auto job = InfoJob();
  job.not_before_ms = kNoonUtc + kHour;
  const auto decision = DecideTime(job, kNoonUtc, nullptr);
  EXPECT_EQ(decision.kind, Kind::kDefer);
  EXPECT_EQ(decision.due_ms, kNoonUtc + kHour);
  EXPECT_EQ(decision.code, "NOT_BEFORE");
}

TEST(TimeGateTest, AdAtNineInTheEveningSeoulWaitsUntilEightInTheMorning) {
  auto job = InfoJob();
  job.kind = core::JobKind::kAd;
  const auto policy = ratelimit::DefaultPolicy();
  const auto decision = DecideTime(job, kNoonUtc, &policy);
  EXPECT_EQ(decision.kind, Kind::kDefer);
  EXPECT_EQ(decision.due_ms, kNoonUtc + 11 * kHour);  // 08:00 Seoul = 23:00 UTC
  EXPECT_EQ(decision.code, "QUIET_HOURS");
}

TEST(TimeGateTest, AdWithNightConsentGoesNow) {
  auto job = InfoJob();
  job.kind = core::JobKind::kAd;
  job.night_consent = true;
  const auto policy = ratelimit::DefaultPolicy();
  EXPECT_EQ(DecideTime(job, kNoonUtc, &policy).kind, Kind::kGo);
}

TEST(TimeGateTest, WindowOpeningAfterExpiryMeansExpiredNow) {
  auto job = InfoJob();
  job.kind = core::JobKind::kAd;
  job.expires_at_ms = kNoonUtc + kHour;  // quiet until 08:00, expires at 22:00
  const auto policy = ratelimit::DefaultPolicy();
  EXPECT_EQ(DecideTime(job, kNoonUtc, &policy).kind, Kind::kExpired);
}

TEST(TimeGateTest, PastNotBeforeLeavesOnlyTheQuietHours) {
  auto job = InfoJob();
  job.kind = core::JobKind::kAd;
  job.not_before_ms = kNoonUtc - 2 * kHour;
  const auto policy = ratelimit::DefaultPolicy();
  EXPECT_EQ(DecideTime(job, kNoonUtc, &policy).due_ms, kNoonUtc + 11 * kHour);
}

TEST(TimeGateTest, ChoosesTheLongestTierNotPastTheDueTime) {
  const std::vector<int> tiers = {1, 10, 60, 600, 3600};
  EXPECT_EQ(ChooseTier(tiers, 500), 0u);        // shorter than every tier: the shortest
  EXPECT_EQ(ChooseTier(tiers, 1000), 0u);
  EXPECT_EQ(ChooseTier(tiers, 59999), 1u);
  EXPECT_EQ(ChooseTier(tiers, 60000), 2u);
  EXPECT_EQ(ChooseTier(tiers, 11 * 3600 * 1000), 4u);
}

}  // namespace
}  // namespace bulkd::dispatcher
