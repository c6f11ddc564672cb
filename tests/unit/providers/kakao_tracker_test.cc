// The order-insensitive result state machine: one final per message whatever the order,
// duplicates and late results ignored, early results held, polls scheduled, expiry.
// Time is passed in; no clock is read.
#include "providers/http/alimtalk_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulkd::providers::http {
namespace {

using namespace std::chrono_literals;
using TP = AlimtalkTracker::TimePoint;

FinalResult Result(std::string request_id, uint32_t seq, int code, bool final = true) {
  FinalResult r;
  r.request_id = std::move(request_id);
  r.seq = seq;
  r.final = final;
  r.code = code;
  return r;
}

class KakaoTrackerTest : public ::testing::Test {
 protected:
  AlimtalkTracker::Config Config() {
    AlimtalkTracker::Config c;
    c.poll_interval = 100ms;
    c.result_timeout = 10s;
    c.early_retention = 1s;
    c.early_cap = 3;
    return c;
  }
  TP t0_ = TP() + 1h;
};

TEST_F(KakaoTrackerTest, EachMessageGetsExactlyOneFinalInAnyOrder) {
  AlimtalkTracker tracker(Config());
  EXPECT_TRUE(tracker.AddRequest("R", {11, 12, 13}, t0_).empty());
  EXPECT_EQ(tracker.awaiting(), 3u);
  auto f = tracker.OnResult(Result("R", 3, 3018), t0_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cookie, 13u);
  EXPECT_EQ(f->code, 3018);
  EXPECT_FALSE(tracker.OnResult(Result("R", 3, 1000), t0_)) << "a second final is ignored";
  f = tracker.OnResult(Result("R", 1, 1000), t0_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cookie, 11u);
  EXPECT_FALSE(tracker.OnResult(Result("R", 1, 1000), t0_));
  EXPECT_EQ(tracker.awaiting(), 1u);
  f = tracker.OnResult(Result("R", 2, 3005), t0_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cookie, 12u);
  EXPECT_EQ(tracker.awaiting(), 0u);
  EXPECT_EQ(tracker.requests(), 0u);
}

TEST_F(KakaoTrackerTest, InProgressAndOutOfRangeResultsChangeNothing) {
  AlimtalkTracker tracker(Config());
  tracker.AddRequest("R", {11, 0}, t0_);
  EXPECT_FALSE(tracker.OnResult(Result("R", 1, 0, false), t0_));
  EXPECT_FALSE(tracker.OnResult(Result("R", 2, 1000), t0_)) << "seq 2 is not followed";
  EXPECT_FALSE(tracker.OnResult(Result("R", 3, 1000), t0_));
  EXPECT_FALSE(tracker.OnResult(Result("R", 0, 1000), t0_));
  EXPECT_EQ(tracker.awaiting(), 1u);
  EXPECT_TRUE(tracker.OnResult(Result("R", 1, 1000), t0_));
}

TEST_F(KakaoTrackerTest, AResultAheadOfItsSendReplyIsHeldAndReportedOnAdd) {
  AlimtalkTracker tracker(Config());
  EXPECT_FALSE(tracker.OnResult(Result("R", 2, 3019), t0_));
  EXPECT_EQ(tracker.early(), 1u);
  auto finals = tracker.AddRequest("R", {11, 12}, t0_ + 10ms);
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0].cookie, 12u);
  EXPECT_EQ(finals[0].code, 3019);
  EXPECT_EQ(tracker.early(), 0u);
  EXPECT_EQ(tracker.awaiting(), 1u);
  EXPECT_FALSE(tracker.OnResult(Result("R", 2, 1000), t0_)) << "already final";
}

TEST_F(KakaoTrackerTest, ARequestWhoseEveryResultCameEarlyIsNeverFollowed) {
  AlimtalkTracker tracker(Config());
  tracker.OnResult(Result("R", 1, 1000), t0_);
  EXPECT_EQ(tracker.AddRequest("R", {11}, t0_).size(), 1u);
  EXPECT_EQ(tracker.requests(), 0u);
  EXPECT_FALSE(tracker.NextPoll());
}

TEST_F(KakaoTrackerTest, EarlyResultsAreBoundedAndExpire) {
  AlimtalkTracker tracker(Config());
  for (uint32_t seq = 1; seq <= 5; ++seq) tracker.OnResult(Result("X", seq, 1000), t0_);
  EXPECT_EQ(tracker.early(), 3u) << "early_cap";
  tracker.Expire(t0_ + 999ms);
  EXPECT_EQ(tracker.early(), 3u);
  tracker.Expire(t0_ + 1s);
  EXPECT_EQ(tracker.early(), 0u);
  EXPECT_TRUE(tracker.AddRequest("X", {11}, t0_ + 2s).empty());
}

TEST_F(KakaoTrackerTest, PollsFallDueEveryIntervalUntilTheRequestIsDone) {
  AlimtalkTracker tracker(Config());
  tracker.AddRequest("A", {1}, t0_);
  tracker.AddRequest("B", {2}, t0_ + 50ms);
  ASSERT_TRUE(tracker.NextPoll());
  EXPECT_EQ(*tracker.NextPoll(), t0_ + 100ms);
  std::vector<std::string> due;
  tracker.DuePolls(t0_ + 99ms, 10, due);
  EXPECT_TRUE(due.empty());
  tracker.DuePolls(t0_ + 100ms, 10, due);
  EXPECT_EQ(due, std::vector<std::string>{"A"});
  due.clear();
  tracker.DuePolls(t0_ + 150ms, 10, due);
  EXPECT_EQ(due, std::vector<std::string>{"B"});
  due.clear();
  tracker.OnResult(Result("A", 1, 1000), t0_ + 160ms);
  tracker.DuePolls(t0_ + 300ms, 10, due);
  EXPECT_EQ(due, std::vector<std::string>{"B"}) << "A is done: no more polls";
  due.clear();
  tracker.OnResult(Result("B", 1, 1000), t0_ + 310ms);
  tracker.DuePolls(t0_ + 1s, 10, due);
  EXPECT_TRUE(due.empty());
  EXPECT_FALSE(tracker.NextPoll());
}

TEST_F(KakaoTrackerTest, DuePollsHonoursTheLimit) {
  AlimtalkTracker tracker(Config());
  for (int i = 0; i < 5; ++i) tracker.AddRequest(std::string(1, 'R').append(std::to_string(i)), {1}, t0_);
  std::vector<std::string> due;
  tracker.DuePolls(t0_ + 100ms, 2, due);
  EXPECT_EQ(due, (std::vector<std::string>{"R0", "R1"}));
  due.clear();
  tracker.DuePolls(t0_ + 100ms, 10, due);
  EXPECT_EQ(due, (std::vector<std::string>{"R2", "R3", "R4"}));
}

TEST_F(KakaoTrackerTest, MessagesWithoutAFinalExpireAndLateResultsAreIgnored) {
  AlimtalkTracker tracker(Config());
  tracker.AddRequest("R", {11, 12}, t0_);
  tracker.OnResult(Result("R", 1, 1000), t0_ + 1s);
  EXPECT_EQ(tracker.Expire(t0_ + 9s), 0u);
  EXPECT_EQ(tracker.Expire(t0_ + 10s), 1u);
  EXPECT_EQ(tracker.awaiting(), 0u);
  EXPECT_FALSE(tracker.OnResult(Result("R", 2, 1000), t0_ + 11s)) << "late";
  EXPECT_FALSE(tracker.NextPoll());
}

TEST_F(KakaoTrackerTest, ARepeatedRequestIdIsIgnored) {
  AlimtalkTracker tracker(Config());
  tracker.AddRequest("R", {11}, t0_);
  EXPECT_TRUE(tracker.AddRequest("R", {99, 98}, t0_).empty());
  EXPECT_EQ(tracker.awaiting(), 1u);
  auto f = tracker.OnResult(Result("R", 1, 1000), t0_);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cookie, 11u);
}

}  // namespace
}  // namespace bulkd::providers::http
