#include "providers/circuit_breaker.h"

#include <gtest/gtest.h>

namespace bulkd::providers {
namespace {

using std::chrono::milliseconds;
using State = CircuitBreaker::State;

CircuitBreaker::TimePoint At(int ms) { return CircuitBreaker::TimePoint(milliseconds(ms)); }

TEST(CircuitBreakerTest, OpensAfterARunOfFailuresAndRefusesUntilThePauseEnds) {
  CircuitBreaker breaker({3, milliseconds(100), 1});
  breaker.OnFailure(At(0));
  breaker.OnFailure(At(1));
  EXPECT_TRUE(breaker.Allow(At(2)));
  breaker.OnFailure(At(2));
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_FALSE(breaker.Allow(At(50)));
  EXPECT_FALSE(breaker.Allow(At(101)));
  EXPECT_TRUE(breaker.Allow(At(102)));  // the probe
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_FALSE(breaker.Allow(At(103)));  // one probe at a time
}

TEST(CircuitBreakerTest, WouldAllowAnswersLikeAllowWithoutSpendingAProbe) {
  CircuitBreaker breaker({1, milliseconds(100), 1});
  EXPECT_TRUE(breaker.WouldAllow(At(0)));
  breaker.OnFailure(At(0));
  EXPECT_FALSE(breaker.WouldAllow(At(99)));
  EXPECT_TRUE(breaker.WouldAllow(At(100)));
  EXPECT_TRUE(breaker.WouldAllow(At(100)));  // asking twice changes nothing
  EXPECT_EQ(breaker.state(), State::kOpen);
  ASSERT_TRUE(breaker.Allow(At(100)));  // the one probe
  EXPECT_FALSE(breaker.WouldAllow(At(101)));
  EXPECT_FALSE(breaker.Allow(At(101)));
}

TEST(CircuitBreakerTest, ASuccessBetweenFailuresKeepsItClosed) {
  CircuitBreaker breaker({3, milliseconds(100), 1});
  breaker.OnFailure(At(0));
  breaker.OnFailure(At(1));
  breaker.OnSuccess();
  breaker.OnFailure(At(2));
  breaker.OnFailure(At(3));
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST(CircuitBreakerTest, ASuccessfulProbeClosesAndAFailedOneReopens) {
  CircuitBreaker breaker({1, milliseconds(100), 1});
  breaker.OnFailure(At(0));
  ASSERT_TRUE(breaker.Allow(At(100)));
  breaker.OnFailure(At(100));
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_FALSE(breaker.Allow(At(150)));
  ASSERT_TRUE(breaker.Allow(At(200)));
  breaker.OnSuccess();
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_TRUE(breaker.Allow(At(201)));
}

}  // namespace
}  // namespace bulkd::providers
