// Quiet hours: pure function with injected times, policy parsing. No sockets, no clock.
#include "ratelimit/quiet_hours.h"

#include <gtest/gtest.h>

namespace bulkd::ratelimit {
namespace {

using core::JobKind;

cctz::time_zone Zone(const std::string& name) {
  cctz::time_zone tz;
  EXPECT_TRUE(cctz::load_time_zone(name, &tz)) << name;
  return tz;
}

// Epoch ms of a local wall time (the earlier instant if it is ambiguous).
int64_t Local(const cctz::time_zone& tz, int y, int mo, int d, int h, int mi, int s = 0) {
  const auto t = tz.lookup(cctz::civil_second(y, mo, d, h, mi, s)).pre;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

int64_t Utc(int y, int mo, int d, int h, int mi) { return Local(cctz::utc_time_zone(), y, mo, d, h, mi); }

TenantPolicy Policy(const std::string& tz, const std::string& start = "21:00",
                    const std::string& end = "08:00") {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"tz", tz}, {"quiet_start", start}, {"quiet_end", end}};
  std::vector<std::string> problems;
  TenantPolicy p = PolicyFromFields(fields, &problems);
  EXPECT_TRUE(problems.empty());
  return p;
}

std::optional<int64_t> Ad(int64_t now, const TenantPolicy& p, bool consent = false) {
  return NextAllowedTime(JobKind::kAd, false, consent, now, p);
}
std::optional<int64_t> Friendtalk(int64_t now, const TenantPolicy& p, bool consent = false) {
  return NextAllowedTime(JobKind::kAd, true, consent, now, p);
}

class SeoulTest : public ::testing::Test {
 protected:
  TenantPolicy policy_ = DefaultPolicy();
  cctz::time_zone seoul_ = Zone("Asia/Seoul");
};

TEST_F(SeoulTest, AdInTheDayGoesNow) {
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 23, 12, 0), policy_), std::nullopt);
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 23, 8, 0), policy_), std::nullopt);
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 23, 20, 59, 59) + 999, policy_), std::nullopt);
}

TEST_F(SeoulTest, AdAtNightWaitsUntilEightLocal) {
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 23, 21, 0), policy_), Local(seoul_, 2026, 11, 24, 8, 0));
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 23, 23, 30), policy_), Local(seoul_, 2026, 11, 24, 8, 0));
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 24, 3, 0), policy_), Local(seoul_, 2026, 11, 24, 8, 0));
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 24, 7, 59, 59), policy_), Local(seoul_, 2026, 11, 24, 8, 0));
  // Seoul 08:00 is 23:00 UTC the day before.
  EXPECT_EQ(Ad(Utc(2026, 11, 23, 13, 0), policy_), Utc(2026, 11, 23, 23, 0));
}

TEST_F(SeoulTest, NightConsentAndInfoPass) {
  const int64_t night = Local(seoul_, 2026, 11, 23, 23, 0);
  EXPECT_EQ(Ad(night, policy_, /*consent=*/true), std::nullopt);
  EXPECT_EQ(NextAllowedTime(JobKind::kInfo, false, false, night, policy_), std::nullopt);
}

TEST_F(SeoulTest, FriendtalkOnlyBetweenEightAndTwentyFifty) {
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 23, 20, 49, 59), policy_), std::nullopt);
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 23, 20, 50), policy_),
            Local(seoul_, 2026, 11, 24, 8, 0));
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 24, 6, 0), policy_),
            Local(seoul_, 2026, 11, 24, 8, 0));
  // Night consent does not open Kakao's window.
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 23, 22, 0), policy_, true),
            Local(seoul_, 2026, 11, 24, 8, 0));
}

TEST_F(SeoulTest, FriendtalkObeysAStricterTenantQuietWindowToo) {
  const TenantPolicy strict = Policy("Asia/Seoul", "20:00", "09:00");
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 24, 8, 30), strict),
            Local(seoul_, 2026, 11, 24, 9, 0));
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 24, 20, 10), strict),
            Local(seoul_, 2026, 11, 25, 9, 0));
}

TEST_F(SeoulTest, DaytimeQuietWindowAndEmptyWindow) {
  const TenantPolicy lunch = Policy("Asia/Seoul", "12:00", "13:30");
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 24, 12, 15), lunch), Local(seoul_, 2026, 11, 24, 13, 30));
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 24, 23, 0), lunch), std::nullopt);
  const TenantPolicy none = Policy("Asia/Seoul", "00:00", "00:00");
  EXPECT_EQ(Ad(Local(seoul_, 2026, 11, 24, 3, 0), none), std::nullopt);
}

TEST_F(SeoulTest, NoWindowLeftIsNever) {
  const TenantPolicy closed = Policy("Asia/Seoul", "07:00", "21:00");  // ads only at night
  EXPECT_EQ(Friendtalk(Local(seoul_, 2026, 11, 24, 10, 0), closed), kNever);
}

// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
class NewYorkTest : public ::testing::Test {
 protected:
  cctz::time_zone ny_ = Zone("America/New_York");
};

TEST_F(NewYorkTest, WindowOpensAtEightLocalAcrossSpringForward) {
  const TenantPolicy p = Policy("America/New_York");
  // 22:00 EST on Mar 7 = 03:00 UTC; 08:00 EDT on Mar 8 = 12:00 UTC (not 13:00).
  EXPECT_EQ(Ad(Utc(2026, 3, 8, 3, 0), p), Utc(2026, 3, 8, 12, 0));
}

TEST_F(NewYorkTest, WindowOpeningInsideTheGapOpensAtTheTransition) {
  const TenantPolicy p = Policy("America/New_York", "21:00", "02:30");
  // 01:30 EST = 06:30 UTC; 02:30 does not exist; the clocks read 03:00 EDT at 07:00 UTC.
  EXPECT_EQ(Ad(Utc(2026, 3, 8, 6, 30), p), Utc(2026, 3, 8, 7, 0));
}

TEST_F(NewYorkTest, WindowOpensAtEightLocalAcrossFallBack) {
  const TenantPolicy p = Policy("America/New_York");
  // 23:00 EDT on Oct 31 = 03:00 UTC Nov 1; 08:00 EST = 13:00 UTC.
  EXPECT_EQ(Ad(Utc(2026, 11, 1, 3, 0), p), Utc(2026, 11, 1, 13, 0));
}

TEST_F(NewYorkTest, RepeatedHourUsesTheRightOccurrence) {
  const TenantPolicy p = Policy("America/New_York", "00:00", "01:30");
  // 01:10 EDT (05:10 UTC): opens at 01:30 EDT = 05:30 UTC.
  EXPECT_EQ(Ad(Utc(2026, 11, 1, 5, 10), p), Utc(2026, 11, 1, 5, 30));
  // 01:10 EST, the second pass (06:10 UTC): quiet again until 01:30 EST = 06:30 UTC.
  EXPECT_EQ(Ad(Utc(2026, 11, 1, 6, 10), p), Utc(2026, 11, 1, 6, 30));
}

TEST_F(NewYorkTest, FallingBackOutOfTheQuietWindowOpensAtTheTransition) {
  const TenantPolicy p = Policy("America/New_York", "01:30", "05:00");
  // 01:45 EDT (05:45 UTC) is quiet; at 06:00 UTC the clocks fall back to 01:00 EST,
  // before quiet_start, so sending is allowed from that instant until 01:30 EST.
  EXPECT_EQ(Ad(Utc(2026, 11, 1, 5, 45), p), Utc(2026, 11, 1, 6, 0));
}

TEST(PolicyTest, FieldsParseAndBadValuesKeepDefaults) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"quiet_start", "22:30"}, {"quiet_end", "25:00"}, {"tz", "Mars/Olympus"},
      {"ad_prefix", "[AD]"},    {"optout_line", "무료수신거부 0801234567"},
      {"unknown", "x"}};
  std::vector<std::string> problems;
  const TenantPolicy p = PolicyFromFields(fields, &problems);
  EXPECT_EQ(p.quiet_start, 22 * 60 + 30);
  EXPECT_EQ(p.quiet_end, 8 * 60);
  EXPECT_EQ(p.tz_name, "Asia/Seoul");
  EXPECT_EQ(p.ad_prefix, "[AD]");
  EXPECT_EQ(p.optout_line, "무료수신거부 0801234567");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("quiet_end"), std::string::npos);
  EXPECT_NE(problems[1].find("tz"), std::string::npos);
}

TEST(PolicyTest, DefaultsAreKoreanAdLaw) {
  const TenantPolicy p = DefaultPolicy();
  EXPECT_EQ(p.quiet_start, 21 * 60);
  EXPECT_EQ(p.quiet_end, 8 * 60);
  EXPECT_EQ(p.friendtalk_start, 8 * 60);
  EXPECT_EQ(p.friendtalk_end, 20 * 60 + 50);
  EXPECT_EQ(p.ad_prefix, "(광고)");
  EXPECT_EQ(p.tz.name(), "Asia/Seoul");
}

TEST(PolicyTest, ParseHhMm) {
  EXPECT_EQ(ParseHhMm("00:00"), 0);
  EXPECT_EQ(ParseHhMm("20:50"), 20 * 60 + 50);
  EXPECT_EQ(ParseHhMm("24:00"), 0);
  EXPECT_EQ(ParseHhMm("24:01"), std::nullopt);
  EXPECT_EQ(ParseHhMm("8:00"), std::nullopt);
  EXPECT_EQ(ParseHhMm("08:60"), std::nullopt);
  EXPECT_EQ(ParseHhMm("ab:cd"), std::nullopt);
}

}  // namespace
}  // namespace bulkd::ratelimit
