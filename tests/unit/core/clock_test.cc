#include "core/clock.h"

#include <gtest/gtest.h>

namespace bulkd::core {
namespace {

using namespace std::chrono_literals;

TEST(ManualClockTest, StartsAtTheGivenWallTime) {
  ManualClock clock(1795392000000);
  EXPECT_EQ(clock.NowMs(), 1795392000000);
}

TEST(ManualClockTest, AdvanceMovesWallAndSteadyTimeTogether) {
  ManualClock clock(1000);
  const auto steady_before = clock.SteadyNow();
  clock.Advance(1500ms);
  EXPECT_EQ(clock.NowMs(), 2500);
  EXPECT_EQ(clock.SteadyNow() - steady_before, 1500ms);
}

TEST(ManualClockTest, KeepsSubMillisecondAdvancesUntilTheyAddUp) {
  ManualClock clock(0);
  clock.Advance(600us);
  EXPECT_EQ(clock.NowMs(), 0);
  clock.Advance(600us);
  EXPECT_EQ(clock.NowMs(), 1);
}

TEST(ManualClockTest, SetNowMsMovesOnlyTheWallClock) {
  ManualClock clock(5000);
  const auto steady_before = clock.SteadyNow();
  clock.SetNowMs(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  EXPECT_EQ(clock.SteadyNow(), steady_before);
}

TEST(ManualClockTest, SteadyTimeNeverGoesBackwards) {
  ManualClock clock(5000);
  const auto steady_before = clock.SteadyNow();
  clock.Advance(-2s);
  EXPECT_EQ(clock.NowMs(), 3000);
  EXPECT_EQ(clock.SteadyNow(), steady_before);
}

TEST(ManualClockTest, WorksThroughTheClockInterface) {
  ManualClock manual(42);
  const Clock& clock = manual;
  EXPECT_EQ(clock.NowMs(), 42);
}

TEST(SystemClockTest, ReadsAPlausibleWallTimeAndAMonotonicSteadyTime) {
  SystemClock clock;
  EXPECT_GT(clock.NowMs(), 1'600'000'000'000);  // after September 2020
  const auto first = clock.SteadyNow();
  EXPECT_GE(clock.SteadyNow(), first);
}

}  // namespace
}  // namespace bulkd::core
